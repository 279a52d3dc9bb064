//! `account_update`: one account leaf changes.
//!
//! Public inputs: `[old_root, new_root, account_index, old_balance, old_nonce, new_balance,
//! new_nonce]`. The leaves `Poseidon(old_balance, old_nonce)` and `Poseidon(new_balance,
//! new_nonce)` are hashed in circuit from the public values; the low `depth − 1` path bits are
//! the boolean decomposition of `account_index` (which also proves `account_index <
//! 2^(depth−1)`), the top bit is the constant 0 (the account half). Balances and nonces are not
//! range-checked here: the balance sub-circuit owns arithmetic on them.

use super::native::{account_leaf, MerkleUpdateWitness};
use super::{LeafPath, LeafSpec, LeafUpdateCircuit, TreeHalf};
use crate::poseidon::PoseidonGadget;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::{AssignedValue, Context};

/// Instance rows after the two roots.
pub mod row {
    /// The account index.
    pub const INDEX: usize = 2;
    /// Balance before.
    pub const OLD_BALANCE: usize = 3;
    /// Nonce before.
    pub const OLD_NONCE: usize = 4;
    /// Balance after.
    pub const NEW_BALANCE: usize = 5;
    /// Nonce after.
    pub const NEW_NONCE: usize = 6;
}

/// Everything the prover knows about one account update.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountUpdateWitness {
    /// The tree update (index = account index, leaves = account leaves).
    pub update: MerkleUpdateWitness,
    /// Balance before.
    pub old_balance: u64,
    /// Nonce before.
    pub old_nonce: u64,
    /// Balance after.
    pub new_balance: u64,
    /// Nonce after.
    pub new_nonce: u64,
}

/// The account leaf spec.
#[derive(Debug, Clone, Copy)]
pub struct AccountLeaf;

/// The `account_update` sub-circuit.
pub type AccountUpdateCircuit = LeafUpdateCircuit<AccountLeaf>;

impl LeafSpec for AccountLeaf {
    const NAME: &'static str = "account_update";
    const HALF: TreeHalf = TreeHalf::Accounts;
    /// No range checks: the index decomposition is a boolean sum, not a lookup.
    const LOOKUP_BITS: Option<usize> = None;
    type Witness = AccountUpdateWitness;

    fn tree_update(w: &AccountUpdateWitness) -> &MerkleUpdateWitness {
        &w.update
    }

    fn check_leaves(w: &AccountUpdateWitness) -> Result<(), String> {
        if w.update.old_leaf != account_leaf(w.old_balance, w.old_nonce) {
            return Err("old leaf is not Poseidon(old_balance, old_nonce)".into());
        }
        if w.update.new_leaf != account_leaf(w.new_balance, w.new_nonce) {
            return Err("new leaf is not Poseidon(new_balance, new_nonce)".into());
        }
        Ok(())
    }

    fn leaf_inputs(w: &AccountUpdateWitness) -> Vec<Fr> {
        [
            w.update.index,
            w.old_balance,
            w.old_nonce,
            w.new_balance,
            w.new_nonce,
        ]
        .map(Fr::from)
        .to_vec()
    }

    fn leaves_and_path(
        ctx: &mut Context<Fr>,
        range: &RangeChip<Fr>,
        poseidon: &mut PoseidonGadget,
        inputs: &[AssignedValue<Fr>],
        low_bits: usize,
    ) -> LeafPath {
        let &[index, old_balance, old_nonce, new_balance, new_nonce] = inputs else {
            panic!("account_update has five leaf inputs");
        };
        let gate = range.gate();
        // Exactly the low bits: the decomposition also proves the index is in the account half.
        let low_bits = gate.num_to_bits(ctx, index, low_bits);
        LeafPath {
            old_leaf: poseidon.hash2(ctx, gate, old_balance, old_nonce),
            new_leaf: poseidon.hash2(ctx, gate, new_balance, new_nonce),
            low_bits,
        }
    }
}
