//! The in-circuit Poseidon: halo2-base's Poseidon sponge with the crate's [`super::spec`].
//!
//! `PoseidonSponge::squeeze` and `PoseidonHasher::hash_fix_len_array` run the same
//! `fix_len_array_squeeze` from the same initial state `[2⁶⁴, 0, 0]`, so this gadget computes
//! exactly the hasher's function. It uses the sponge because the hasher's set-up also hashes the
//! empty message (about 2.2k cells, a sixth of the event_log circuit) that no circuit here needs;
//! the sponge only loads its three initial-state constants, once, and is reset between hashes.

use super::{spec, RATE, T};
use halo2_base::gates::GateInstructions;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::poseidon::hasher::PoseidonSponge;
use halo2_base::{AssignedValue, Context};
use std::fmt;

/// Hashes assigned cells with the crate's Poseidon; equal to [`super::native::hash_fields`].
pub struct PoseidonGadget {
    sponge: PoseidonSponge<Fr, T, RATE>,
}

impl fmt::Debug for PoseidonGadget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoseidonGadget")
            .field("T", &T)
            .field("RATE", &RATE)
            .finish()
    }
}

impl PoseidonGadget {
    /// A gadget whose initial-state constants live in `ctx`.
    pub fn new(ctx: &mut Context<Fr>) -> Self {
        Self {
            sponge: PoseidonSponge::from_spec(ctx, spec().clone()),
        }
    }

    /// `Poseidon(message)` for a message whose length is fixed by the circuit's shape.
    pub fn hash_fields(
        &mut self,
        ctx: &mut Context<Fr>,
        gate: &impl GateInstructions<Fr>,
        message: &[AssignedValue<Fr>],
    ) -> AssignedValue<Fr> {
        self.sponge.update(message);
        let hash = self.sponge.squeeze(ctx, gate);
        // Back to the initial state (the same constant cells) for the next, independent hash.
        self.sponge.clear();
        hash
    }

    /// The 2-to-1 hash `Poseidon(a, b)`.
    pub fn hash2(
        &mut self,
        ctx: &mut Context<Fr>,
        gate: &impl GateInstructions<Fr>,
        a: AssignedValue<Fr>,
        b: AssignedValue<Fr>,
    ) -> AssignedValue<Fr> {
        self.hash_fields(ctx, gate, &[a, b])
    }
}
