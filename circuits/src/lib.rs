//! zkpar's proving pipeline: the sub-circuits of `circuits_kzg` (halo2-base / halo2-ecc on bn256,
//! KZG with SHPLONK, the stack zkEVM provers use) composed into zkEVM-style operations, their
//! world state, the proving tasks and the proof bundles.
#![deny(missing_docs)]

pub mod any;
pub mod block;
pub mod bundle;
pub mod calibrate;
pub mod codec;
pub mod cost;
pub mod final_proof;
pub mod keys;
pub mod kind;
pub mod operations;
pub mod pipeline;
pub mod tasks;
pub mod world;

/// The circuit field: bn254's scalar field, over which every sub-circuit is built.
pub type Fr = halo2_base::halo2_proofs::halo2curves::bn256::Fr;
