//! In-circuit pieces of the leaf update: the double-path root computation and the canonical
//! low bits of a storage slot key.

use crate::poseidon::PoseidonGadget;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_base::QuantumCell::Constant;
use halo2_base::{AssignedValue, Context};

/// One path bit: a cell (constrained boolean by whoever made it) or a constant of the shape.
#[derive(Clone, Copy, Debug)]
pub enum PathBit {
    /// A boolean cell: 1 = the path node is a right child.
    Cell(AssignedValue<Fr>),
    /// A bit fixed by the circuit (the top bit selecting the tree half).
    Constant(bool),
}

/// `(left, right)` of the parent of `node` and `sibling` at a level with path bit `bit`.
fn order(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    node: AssignedValue<Fr>,
    sibling: AssignedValue<Fr>,
    bit: PathBit,
) -> (AssignedValue<Fr>, AssignedValue<Fr>) {
    match bit {
        PathBit::Constant(false) => (node, sibling),
        PathBit::Constant(true) => (sibling, node),
        PathBit::Cell(b) => {
            // left = b ? sibling : node; right = node + sibling − left.
            let left = gate.select(ctx, sibling, node, b);
            let sum = gate.add(ctx, node, sibling);
            let right = gate.sub(ctx, sum, left);
            (left, right)
        }
    }
}

/// Hashes `old_leaf` and `new_leaf` up the same path (bits and siblings bottom-up) and returns
/// `(old_root, new_root)`.
///
/// # Cost
/// Per level two 2-to-1 hashes (four permutations) and, for a cell bit, 6 cells of ordering.
pub fn update_roots(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    poseidon: &mut PoseidonGadget,
    old_leaf: AssignedValue<Fr>,
    new_leaf: AssignedValue<Fr>,
    bits: &[PathBit],
    siblings: &[AssignedValue<Fr>],
) -> (AssignedValue<Fr>, AssignedValue<Fr>) {
    assert_eq!(bits.len(), siblings.len(), "one path bit per sibling");
    let (mut old, mut new) = (old_leaf, new_leaf);
    for (&bit, &sibling) in bits.iter().zip(siblings) {
        let (l, r) = order(ctx, gate, old, sibling, bit);
        old = poseidon.hash2(ctx, gate, l, r);
        let (l, r) = order(ctx, gate, new, sibling, bit);
        new = poseidon.hash2(ctx, gate, l, r);
    }
    (old, new)
}

/// `(low 128 bits, high bits)` of the canonical little-endian representation of `x`.
fn split128(x: &Fr) -> (u128, u128) {
    let repr = x.to_repr();
    let lo = u128::from_le_bytes(repr[..16].try_into().expect("16 bytes"));
    let hi = u128::from_le_bytes(repr[16..].try_into().expect("16 bytes"));
    (lo, hi)
}

/// Bits of the high part of a key: bn256's modulus is below `2^254`.
const HI_BITS: usize = 126;
/// Bits of the low part of a key.
const LO_BITS: usize = 128;

/// The low `n` bits (`n < 128`) of the *canonical* integer value of `key`, constrained
/// boolean, least significant first.
///
/// A plain 254-bit decomposition is not canonical over bn256 (`r < 2^254`: `key + r` also
/// decomposes, with other low bits — a prover could move to another slot). Here
/// `key = lo + 2^128·hi` with `lo < 2^128`, `hi < 2^126` (range checks) and, lexicographically,
/// `(hi, lo) < (r_hi, r_lo)`: `r_hi − hi` is range-checked to 126 bits, and when `hi = r_hi`,
/// `r_lo − 1 − lo` to 128 bits. So `lo + 2^128·hi < r` as integers: it is *the* value of `key`,
/// and `lo = path + 2^n·rest` with `path` split into `n` boolean bits gives its low bits.
pub fn canonical_low_bits(
    ctx: &mut Context<Fr>,
    range: &RangeChip<Fr>,
    key: AssignedValue<Fr>,
    n: usize,
) -> Vec<AssignedValue<Fr>> {
    assert!(
        n > 0 && n < LO_BITS,
        "path bits must lie within the low 128 bits of the key"
    );
    let gate = range.gate();
    let (lo, hi) = split128(key.value());
    let (path, rest) = (lo & ((1u128 << n) - 1), lo >> n);
    let [lo_c, hi_c, path_c, rest_c] =
        [lo, hi, path, rest].map(|v| ctx.load_witness(Fr::from_u128(v)));
    let two_128 = Fr::from_u128(1u128 << 64).square();
    let recomposed = gate.mul_add(ctx, hi_c, Constant(two_128), lo_c);
    ctx.constrain_equal(&recomposed, &key);
    let recomposed = gate.mul_add(ctx, rest_c, Constant(Fr::from_u128(1u128 << n)), path_c);
    ctx.constrain_equal(&recomposed, &lo_c);
    let bits = gate.num_to_bits(ctx, path_c, n);
    range.range_check(ctx, rest_c, LO_BITS - n);
    range.range_check(ctx, hi_c, HI_BITS);

    // (hi, lo) < (r_hi, r_lo); r − 1 ends in a zero byte, so r_lo = (r − 1)_lo + 1 exactly.
    let (r_lo_minus_1, r_hi) = split128(&-Fr::ONE);
    let (r_lo, r_hi) = (Fr::from_u128(r_lo_minus_1) + Fr::ONE, Fr::from_u128(r_hi));
    let hi_slack = gate.sub(ctx, Constant(r_hi), hi_c);
    range.range_check(ctx, hi_slack, HI_BITS);
    let hi_is_max = gate.is_equal(ctx, hi_c, Constant(r_hi));
    let lo_slack = gate.sub(ctx, Constant(r_lo - Fr::ONE), lo_c);
    let lo_slack = gate.select(ctx, lo_slack, Constant(Fr::ZERO), hi_is_max);
    range.range_check(ctx, lo_slack, LO_BITS);
    bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_base::utils::testing::base_test;

    /// The low bits of keys at the edges of the canonical range: 0, `r − 1` (where `hi = r_hi`
    /// and the `lo` slack is 0), and `r_hi · 2^128` (where `hi = r_hi`, `lo = 0`).
    #[test]
    fn canonical_low_bits_at_the_edges() {
        let (_, r_hi) = split128(&-Fr::ONE);
        let two_128 = Fr::from_u128(1u128 << 64).square();
        for key in [
            Fr::ZERO,
            -Fr::ONE,
            Fr::from_u128(r_hi) * two_128,
            Fr::from(0b1011),
        ] {
            let expected = split128(&key).0 & 0x7fff_ffff;
            let bits = base_test().k(12).lookup_bits(8).run(|ctx, range| {
                let key = ctx.load_witness(key);
                canonical_low_bits(ctx, range, key, 31)
                    .iter()
                    .map(|b| *b.value())
                    .collect::<Vec<_>>()
            });
            let got = bits
                .iter()
                .enumerate()
                .fold(0u128, |acc, (i, b)| acc | (u128::from(*b == Fr::ONE) << i));
            assert_eq!(got, expected, "key {key:?}");
        }
    }
}
