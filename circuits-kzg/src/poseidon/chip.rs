//! The in-circuit Poseidon: halo2-base's `PoseidonHasher` with the crate's [spec](super::spec).

use super::{spec, RATE, T};
use halo2_base::gates::GateInstructions;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::poseidon::hasher::PoseidonHasher;
use halo2_base::{AssignedValue, Context};

/// Hashes assigned cells with the crate's Poseidon; equal to [`super::native::hash_fields`].
///
/// Built once per circuit: construction loads the sponge's initial state as constants and
/// hashes the empty message once (halo2-base precomputes it; about one permutation of cells),
/// which every later hash reuses.
#[derive(Clone, Debug)]
pub struct PoseidonGadget {
    hasher: PoseidonHasher<Fr, T, RATE>,
}

impl PoseidonGadget {
    /// A gadget whose constants live in `ctx`.
    pub fn new(ctx: &mut Context<Fr>, gate: &impl GateInstructions<Fr>) -> Self {
        let mut hasher = PoseidonHasher::new(spec().clone());
        hasher.initialize_consts(ctx, gate);
        Self { hasher }
    }

    /// `Poseidon(message)` for a message whose length is fixed by the circuit's shape.
    pub fn hash_fields(
        &self,
        ctx: &mut Context<Fr>,
        gate: &impl GateInstructions<Fr>,
        message: &[AssignedValue<Fr>],
    ) -> AssignedValue<Fr> {
        self.hasher.hash_fix_len_array(ctx, gate, message)
    }

    /// The 2-to-1 hash `Poseidon(a, b)`.
    pub fn hash2(
        &self,
        ctx: &mut Context<Fr>,
        gate: &impl GateInstructions<Fr>,
        a: AssignedValue<Fr>,
        b: AssignedValue<Fr>,
    ) -> AssignedValue<Fr> {
        self.hash_fields(ctx, gate, &[a, b])
    }
}
