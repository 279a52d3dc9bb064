//! Native Poseidon that agrees with halo2-base's in-circuit PoseidonHasher.
