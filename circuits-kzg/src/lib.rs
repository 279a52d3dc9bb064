//! zkpar's sub-circuits on the stack zkEVM provers use: `halo2-base` / `halo2-ecc` 0.5 on
//! `halo2-axiom` (bn256, KZG, SHPLONK), so that sub-proofs can later be aggregated with
//! `snark-verifier` into one final proof.
//!
//! This crate is the first step of the port (issue #10): the new circuits live *beside* the
//! Pasta/IPA ones in `circuits`, each with its native rules and its `MockProver` tests, until the
//! pipeline switches over.
#![deny(missing_docs)]

pub mod amm_swap;
pub mod balance;
pub mod event_log;
pub mod merkle;
pub mod params;
pub mod poseidon;
pub mod signature;
