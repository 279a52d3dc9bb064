//! Poseidon sparse-Merkle leaf updates: the account and storage update sub-circuits.
