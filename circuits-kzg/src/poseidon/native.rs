//! The native Poseidon sponge, equal to halo2-base's in-circuit `PoseidonHasher` (see the
//! [module docs](super)).
//!
//! halo2-base tests its gadget against `pse-poseidon`'s `Poseidon::<F, T, RATE>` sponge (a git
//! dependency, not on crates.io). This is the same sponge, written over the permutation of
//! `poseidon-primitives` 0.2.0 with the constants halo2-base generates its optimized spec
//! from; the tests of this module and `tests/poseidon.rs` check it against the gadget.

use super::{RATE, R_F, R_P, SECURE_MDS, T};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};
use poseidon_primitives::poseidon::primitives::{ConstantLength, Hash, Spec};
use std::marker::PhantomData;
use std::sync::OnceLock;

/// The unoptimized spec behind halo2-base's `OptimizedPoseidonSpec::new::<R_F, R_P, 0>()`:
/// same round counts, S-box and MDS index, hence the same Grain-generated constants.
#[derive(Debug)]
struct Pow5Spec<F>(PhantomData<F>);

impl Spec<Fr, T, RATE> for Pow5Spec<Fr> {
    fn full_rounds() -> usize {
        R_F
    }
    fn partial_rounds() -> usize {
        R_P
    }
    fn sbox(val: Fr) -> Fr {
        val.pow_vartime([5])
    }
    fn secure_mds() -> usize {
        SECURE_MDS
    }
}

/// A holder of the permutation's constants. `Hash::permute` ignores the domain (it only sets
/// the initial capacity of `Hash::hash`, which we do not use).
type Permutation = Hash<Fr, Pow5Spec<Fr>, ConstantLength<1>, T, RATE>;

fn permute(state: &mut [Fr; T]) {
    static PERMUTATION: OnceLock<Permutation> = OnceLock::new();
    PERMUTATION.get_or_init(Permutation::init).permute(state);
}

/// The sponge's initial capacity word, `2⁶⁴` (ePrint 2019/458 §4.2, one output), as
/// halo2-base's `PoseidonState::default`.
fn initial_state() -> [Fr; T] {
    let mut state = [Fr::ZERO; T];
    state[0] = Fr::from_u128(1u128 << 64);
    state
}

/// The hash of a message of any length: absorb in blocks of [`RATE`], pad with a single `1`
/// after the last word, output state word 1.
///
/// # Complexity
/// `⌊len / 2⌋ + 1` permutations.
pub fn hash_fields(message: &[Fr]) -> Fr {
    let mut state = initial_state();
    // An empty message, or one whose length is a multiple of the rate, needs a padding-only
    // block after the message blocks.
    let padding_block = message.len().is_multiple_of(RATE);
    for block in message.chunks(RATE) {
        for (word, m) in state[1..].iter_mut().zip(block) {
            *word += m;
        }
        if block.len() < RATE {
            state[1 + block.len()] += Fr::ONE;
        }
        permute(&mut state);
    }
    if padding_block {
        state[1] += Fr::ONE;
        permute(&mut state);
    }
    state[1]
}

/// The 2-to-1 hash `hash_fields(&[a, b])` (two permutations, see the [module docs](super)):
/// Merkle nodes, the account leaf `Poseidon(balance, nonce)` and the storage slot key
/// `Poseidon(contract, slot)`.
pub fn hash2(a: Fr, b: Fr) -> Fr {
    hash_fields(&[a, b])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_order_are_separated() {
        let (a, b) = (Fr::from(7), Fr::from(11));
        assert_ne!(hash2(a, b), hash2(b, a));
        assert_ne!(hash_fields(&[a, b, Fr::ZERO]), hash2(a, b));
        assert_ne!(hash_fields(&[a]), hash_fields(&[a, Fr::ZERO]));
        assert_ne!(hash_fields(&[]), hash_fields(&[Fr::ZERO]));
        // Deterministic, and not the identity on small inputs.
        assert_eq!(hash2(a, b), hash2(a, b));
        assert_ne!(hash2(Fr::ZERO, Fr::ZERO), Fr::ZERO);
    }
}
