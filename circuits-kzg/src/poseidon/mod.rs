//! Poseidon over bn256 `Fr`: the native function and the in-circuit gadget, bit for bit equal.
//!
//! # The function
//! Every hash of this crate is halo2-base's sponge with `OptimizedPoseidonSpec::<Fr, 3, 2>`
//! built as `new::<8, 57, 0>()`: width [`T`] = 3, rate [`RATE`] = 2, x⁵ S-box, [`R_F`] = 8
//! full and [`R_P`] = 57 partial rounds, constants from the Grain LFSR of
//! `poseidon-primitives` 0.2.0 (the generator halo2-base itself uses). The signature
//! sub-circuit hashes transaction fields with exactly this spec, so all sub-circuits agree.
//!
//! The sponge (halo2-base's `PoseidonHasher::hash_fix_len_array`, natively
//! [`native::hash_fields`]): the state starts as `[2⁶⁴, 0, 0]`; the message is absorbed in
//! blocks of two words added to state words 1 and 2, each block followed by one permutation; a
//! `1` is added right after the last word — in the last, short block, or in an extra block of
//! its own when the length is a multiple of the rate — and the output is state word 1. The
//! padding makes messages of different lengths hash differently.
//!
//! # Cost, and the tuning left on the table
//! A 2-to-1 hash ([`native::hash2`]) absorbs a full block, so it takes *two* permutations
//! (the second one absorbs only the padding). With `T = 4, RATE = 3` a 2-to-1 hash is one
//! permutation: a depth-32 double-path Merkle update drops from about 291k to 189k advice
//! cells. We stay with `T = 3` so that the Merkle and event hashes are the same function as the
//! signature circuit's transaction hash; switching both at once is a possible later tuning.
//!
//! # Modules
//! - [`native`]: the native sponge, `hash2` and `hash_fields`;
//! - [`chip`]: the in-circuit gadget on halo2-base's Poseidon sponge (the `PoseidonHasher`'s function);
//! - [`crate::harness`]: how every sub-circuit of this crate is laid out on a `BaseCircuitBuilder`,
//!   sized (cells, minimal `k`) and run on the `MockProver`. It lives here only because this
//!   crate's module list is owned elsewhere; it has no Poseidon-specific code.

pub mod chip;
pub mod native;

pub use chip::PoseidonGadget;
pub use native::{hash2, hash_fields};

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::poseidon::hasher::spec::OptimizedPoseidonSpec;
use std::sync::OnceLock;

/// Width of the Poseidon state (rate + one capacity word).
pub const T: usize = 3;
/// Field elements absorbed per permutation.
pub const RATE: usize = 2;
/// Full rounds: 8, the standard choice for x⁵ over a 254-bit field (statistical attacks).
pub const R_F: usize = 8;
/// Partial rounds: 57, the 128-bit-security count for width 3 over bn256 (Poseidon paper,
/// table 2, plus the usual margin); the signature circuit uses the same.
pub const R_P: usize = 57;
/// Index of the MDS matrix picked by the reference generator: 0, as in every deployed spec.
pub const SECURE_MDS: usize = 0;

/// The optimized in-circuit spec, built once: generating the constants and the sparse matrices
/// takes milliseconds, too slow to repeat per hash.
pub fn spec() -> &'static OptimizedPoseidonSpec<Fr, T, RATE> {
    static SPEC: OnceLock<OptimizedPoseidonSpec<Fr, T, RATE>> = OnceLock::new();
    SPEC.get_or_init(OptimizedPoseidonSpec::new::<R_F, R_P, SECURE_MDS>)
}
