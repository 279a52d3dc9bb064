//! Deterministic KZG parameters, cached under the workspace's target/ and keyed by k; keygen, SHPLONK proving and verification.
