//! The sub-circuits, one module each. Every one implements [`SubCircuit`].

use crate::Fp;
use halo2_proofs::plonk::Circuit;

pub mod account_update;
pub mod amm_swap;
pub mod balance;
pub mod event_log;
pub mod leaf_update;
pub mod merkle;
pub mod range;
pub mod rows;
pub mod signature;
pub mod storage_update;

/// What the prover pipeline needs of a sub-circuit beyond halo2's [`Circuit`].
pub trait SubCircuit: Circuit<Fp> + Clone + Send + Sync + 'static {
    /// Stable name, as used in `datasets/operations.toml` and in proof bundles.
    const NAME: &'static str;

    /// The degree parameter: the smallest `k` whose `2^k` rows hold this circuit's real rows
    /// (gates, lookup tables and halo2's blinding rows). Depends only on the circuit's shape
    /// (for example the Merkle depth), never on the witness.
    fn k(&self) -> u32;

    /// The public inputs, one vector per instance column, in column order.
    fn public_inputs(&self) -> Vec<Vec<Fp>>;

    /// The state roots `(pre, post)` this sub-circuit proves a transition between, if it touches
    /// the world state; `None` for sub-circuits that do not (signature, balance, swap, log).
    fn state_transition(&self) -> Option<(Fp, Fp)> {
        None
    }
}
