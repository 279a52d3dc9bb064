//! zkpar's circuits: real halo2 sub-circuits over the Pasta curves (IPA, no trusted setup),
//! composed into zkEVM-style operations.
#![deny(missing_docs)]

pub mod any;
pub mod block;
pub mod bundle;
pub mod calibrate;
pub mod codec;
pub mod cost;
pub mod keys;
pub mod kind;
pub mod operations;
pub mod pipeline;
pub mod proving;
pub mod state;
pub mod subcircuits;
pub mod tasks;
pub mod world;

/// The circuit field: the base field of Pallas (= the scalar field of Vesta), over which halo2
/// proofs with `vesta::Affine` commitments are built.
pub type Fp = pasta_curves::pallas::Base;
