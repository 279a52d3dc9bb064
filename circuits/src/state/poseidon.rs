//! Native Poseidon, bit-for-bit the function the circuits constrain.
//!
//! Every hash in zkpar is Poseidon with the `P128Pow5T3` parameters (width 3, rate 2, x⁵ S-box,
//! 8 full and 56 partial rounds; 128-bit security over the Pasta fields) in the
//! `ConstantLength<L>` sponge domain: the capacity element starts as `L · 2⁶⁴`, so inputs of
//! different lengths never share a permutation, and the input is zero-padded to a multiple of
//! the rate. This is exactly what `halo2_gadgets::poseidon::Hash` with a `Pow5Chip` computes in
//! circuit, so a value hashed here equals the value the corresponding circuit cell holds.
//!
//! Uses:
//! - [`hash2`]: the 2-to-1 compression of the sparse Merkle tree, the account leaf
//!   `Poseidon(balance, nonce)` and the storage slot key `Poseidon(contract, slot)`;
//! - [`hash_fields`]: fixed-length messages such as a log event (see
//!   [`crate::subcircuits::event_log`]).

use crate::Fp;
use halo2_gadgets::poseidon::primitives::{self as poseidon, ConstantLength, Domain, P128Pow5T3};

/// The Poseidon parameter set used everywhere in zkpar.
pub type Spec = P128Pow5T3;

/// Width of the Poseidon state (rate + capacity).
pub const WIDTH: usize = 3;

/// Number of field elements absorbed per permutation.
pub const RATE: usize = 2;

/// Hashes a fixed-length message: `Poseidon_ConstantLength<L>(input)`.
///
/// # Complexity
/// `⌈L / 2⌉` permutations (one per rate-2 block, the last zero-padded).
pub fn hash_fields<const L: usize>(input: [Fp; L]) -> Fp {
    poseidon::Hash::<Fp, Spec, ConstantLength<L>, WIDTH, RATE>::init().hash(input)
}

/// The 2-to-1 hash `Poseidon_ConstantLength<2>(a, b)`: one permutation of the state
/// `[a, b, 2·2⁶⁴]`, output its first word.
pub fn hash2(a: Fp, b: Fp) -> Fp {
    hash_fields([a, b])
}

/// The initial capacity element of the `ConstantLength<L>` domain (`L · 2⁶⁴`), which circuits
/// that drive the permutation directly place in the last state word.
pub fn constant_length_capacity<const L: usize>() -> Fp {
    <ConstantLength<L> as Domain<Fp, RATE>>::initial_capacity_element()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::{Field, PrimeField};

    #[test]
    fn hash2_matches_the_orchard_test_vector() {
        // First `orchard_poseidon/hash/fp.py` vector from zcash-test-vectors: Poseidon(0, 1),
        // the same P128Pow5T3 / ConstantLength<2> function the `Pow5Chip` gadget is tested against.
        let expected = Fp::from_repr([
            0x83, 0x58, 0xd7, 0x11, 0xa0, 0x32, 0x9d, 0x38, 0xbe, 0xcd, 0x54, 0xfb, 0xa7, 0xc2,
            0x83, 0xed, 0x3e, 0x08, 0x9a, 0x39, 0xc9, 0x1b, 0x6a, 0x9d, 0x10, 0xef, 0xb0, 0x2b,
            0xc3, 0xf1, 0x2f, 0x06,
        ])
        .unwrap();
        assert_eq!(hash2(Fp::ZERO, Fp::ONE), expected);
    }

    #[test]
    fn lengths_and_order_are_separated() {
        let (a, b) = (Fp::from(7), Fp::from(11));
        assert_ne!(hash2(a, b), hash2(b, a));
        assert_ne!(hash_fields([a, b, Fp::ZERO]), hash2(a, b));
        assert_eq!(constant_length_capacity::<2>(), Fp::from_u128(2u128 << 64));
    }
}
