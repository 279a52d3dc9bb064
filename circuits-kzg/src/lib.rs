//! zkpar's sub-circuits on the stack zkEVM provers use: `halo2-base` / `halo2-ecc` 0.5 on
//! `halo2-axiom` (bn256, KZG, SHPLONK), so that sub-proofs can later be aggregated with
//! `snark-verifier` into one final proof.
//!
//! This crate is the first step of the port (issue #10): the new circuits live *beside* the
//! Pasta/IPA ones in `circuits`, each with its native rules and its `MockProver` tests, until the
//! pipeline switches over.
//!
//! | module | proves |
//! |---|---|
//! | [`signature`] | ECDSA over secp256k1, the message bound to `Poseidon(transaction fields)` |
//! | [`merkle`] | Poseidon sparse-Merkle leaf updates: accounts, storage slots |
//! | [`balance`] | transfer arithmetic with 64-bit range checks |
//! | [`amm_swap`] | a constant-product swap with a fee |
//! | [`event_log`] | the Poseidon hash of an event's topics and data |
//! | [`aggregation`] | N sub-proofs (or aggregation proofs) in one, with the root chain checked in circuit |
//!
//! [`params`] holds the deterministic KZG set-up (tests and benchmarks only) and the SHPLONK
//! prover with snark-verifier's Poseidon transcript; [`harness`] lays a circuit out on
//! halo2-base and finds its minimal `k`; [`poseidon`] is the native hash that agrees with the
//! in-circuit one.
#![deny(missing_docs)]

pub mod aggregation;
pub mod amm_swap;
pub mod balance;
pub mod event_log;
mod fast_setup;
pub mod harness;
pub mod merkle;
pub mod params;
pub mod poseidon;
pub mod serde_fields;
pub mod signature;
pub mod verifier_params;
