//! The native world state: native Poseidon, a Poseidon sparse Merkle tree, accounts, token
//! contracts and an AMM pair, matching what the circuits constrain.
pub mod poseidon;
pub mod smt;
