//! `account_update`: one account leaf of the world-state tree changes.
//!
//! # Statement
//! Public inputs (one instance column, in this order):
//! `[old_root, new_root, account_index, old_balance, old_nonce, new_balance, new_nonce]`.
//!
//! The prover knows siblings such that, along the path whose bits are the binary digits of
//! `account_index`,
//! - `Poseidon(old_balance, old_nonce)` hashes up to `old_root`, and
//! - `Poseidon(new_balance, new_nonce)` hashes up to `new_root`.
//!
//! The leaves are computed in circuit from the public balance and nonce, so the roots commit to
//! exactly those values. The low `depth − 1` path bits come from a running-sum decomposition of
//! `account_index` (which also proves `account_index < 2^(depth−1)`); the top bit is the
//! constant 0, which keeps every account in the left half of the tree, disjoint from storage
//! (see [`crate::state::smt`]). Balances and nonces are not range-checked here: the balance
//! sub-circuit owns arithmetic on them.
//!
//! The circuit is the shared [`LeafUpdateCircuit`]; this module supplies its [`AccountLeaf`]
//! spec.
//!
//! # Layout
//! The [`MerkleChip`](super::merkle::MerkleChip) (two Poseidon chips side by side): a
//! `(depth − 1)`-row decomposition, one leaf hash per chip, then per level one swap row and one
//! permutation per chip.

use super::leaf_update::{self, LeafPath, LeafSpec, LeafUpdateCircuit, TreeHalf};
use super::merkle::{Cell, KCache, MerkleUpdateInstructions, Side};
use crate::state::smt::{account_leaf, MerkleUpdateWitness};
use crate::Fp;
use halo2_proofs::circuit::Layouter;
use halo2_proofs::plonk::Error;

/// Row of each public input in the instance column, after the two roots of
/// [`leaf_update::row`].
mod row {
    pub const INDEX: usize = 2;
    pub const OLD_BALANCE: usize = 3;
    pub const OLD_NONCE: usize = 4;
    pub const NEW_BALANCE: usize = 5;
    pub const NEW_NONCE: usize = 6;
    pub const COUNT: usize = 7;
}
const _: () = assert!(row::INDEX == leaf_update::row::FIRST_LEAF_INPUT);

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

/// The account leaf `Poseidon(balance, nonce)`, at its index in the account half of the tree.
#[derive(Debug, Clone, Copy)]
pub struct AccountLeaf;

/// The `account_update` sub-circuit (see the module docs).
pub type AccountUpdateCircuit = LeafUpdateCircuit<AccountLeaf>;

impl LeafSpec for AccountLeaf {
    const NAME: &'static str = "account_update";
    const HALF: TreeHalf = TreeHalf::Accounts;
    const PUBLIC_INPUTS: usize = row::COUNT;
    type Witness = AccountUpdateWitness;

    fn tree_update(witness: &AccountUpdateWitness) -> &MerkleUpdateWitness {
        &witness.update
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

    fn write_leaf_inputs(w: &AccountUpdateWitness, public: &mut [Fp]) {
        public[row::INDEX] = Fp::from(w.update.index);
        public[row::OLD_BALANCE] = Fp::from(w.old_balance);
        public[row::OLD_NONCE] = Fp::from(w.old_nonce);
        public[row::NEW_BALANCE] = Fp::from(w.new_balance);
        public[row::NEW_NONCE] = Fp::from(w.new_nonce);
    }

    fn leaves_and_path(
        chip: &impl MerkleUpdateInstructions,
        layouter: &mut impl Layouter<Fp>,
        leaf_inputs: &[Cell],
        low_bits: usize,
    ) -> Result<LeafPath, Error> {
        let [index, old_balance, old_nonce, new_balance, new_nonce] = leaf_inputs else {
            return Err(Error::Synthesis);
        };
        // The index has exactly the low bits: the decomposition also proves it is below
        // 2^(depth−1), i.e. in the account half.
        let low_bits = chip.decompose(layouter, index, low_bits)?;
        // One leaf per Poseidon chip, so the two hashes share rows.
        let old_leaf = chip.hash2(layouter, Side::Old, old_balance, old_nonce)?;
        let new_leaf = chip.hash2(layouter, Side::New, new_balance, new_nonce)?;
        Ok(LeafPath {
            old_leaf,
            new_leaf,
            low_bits,
        })
    }

    fn k_cache() -> &'static KCache {
        static CACHE: KCache = KCache::new();
        &CACHE
    }
}

#[cfg(test)]
mod tests {
    use super::leaf_update::row::{NEW_ROOT, OLD_ROOT};
    use super::leaf_update::test_support::{
        assert_accepted_at_minimal_k, assert_each_public_input_is_bound,
        assert_real_proof_round_trip, mock,
    };
    use super::*;
    use crate::state::smt::{account_index_at, storage_index_at, SparseMerkleTree, DEFAULT_DEPTH};
    use crate::subcircuits::SubCircuit;
    use ff::Field;

    /// A tree with a few accounts, then account `id` goes from (balance 500, nonce 3) to
    /// (balance 450, nonce 4).
    fn witness(depth: usize, id: u64) -> AccountUpdateWitness {
        let mut tree = SparseMerkleTree::new(depth).unwrap();
        for other in [1u64, 2, 9] {
            tree.update(
                account_index_at(depth, other).unwrap(),
                account_leaf(other * 10, 0),
            )
            .unwrap();
        }
        // One storage-half leaf too.
        tree.update(
            storage_index_at(depth, Fp::from(5)).unwrap(),
            Fp::from(1234),
        )
        .unwrap();
        let index = account_index_at(depth, id).unwrap();
        tree.update(index, account_leaf(500, 3)).unwrap();
        let update = tree.update(index, account_leaf(450, 4)).unwrap();
        AccountUpdateWitness {
            update,
            old_balance: 500,
            old_nonce: 3,
            new_balance: 450,
            new_nonce: 4,
        }
    }

    #[test]
    fn valid_update_is_accepted_at_k_and_k_minus_1_lacks_rows() {
        let circuit = AccountUpdateCircuit::new(witness(DEFAULT_DEPTH, 7)).unwrap();
        assert_accepted_at_minimal_k(&circuit);
    }

    #[test]
    fn bad_public_inputs_are_rejected() {
        let circuit = AccountUpdateCircuit::new(witness(8, 5)).unwrap();
        let cases = [
            (OLD_ROOT, "wrong old root"),
            (NEW_ROOT, "wrong new root"),
            (row::INDEX, "wrong account index"),
            (row::OLD_BALANCE, "wrong old balance"),
            (row::OLD_NONCE, "wrong old nonce"),
            (row::NEW_BALANCE, "wrong new balance"),
            (row::NEW_NONCE, "wrong new nonce"),
        ];
        assert_each_public_input_is_bound(&circuit, &cases);
        // An index in the storage half (top bit set) cannot pass the decomposition.
        let mut wrong = circuit.public_inputs()[0].clone();
        wrong[row::INDEX] += Fp::from(1 << 7);
        assert!(
            mock(&circuit, wrong).is_err(),
            "storage-half index accepted"
        );
    }

    #[test]
    fn bad_witness_is_rejected_by_the_circuit_and_by_new() {
        let good = witness(8, 5);
        let mut w = good.clone();
        w.update.siblings[3] += Fp::ONE;
        assert!(AccountUpdateCircuit::new(w.clone()).is_err());
        // Bypass the native check: the constraints alone must reject the wrong sibling.
        let circuit = AccountUpdateCircuit::unchecked(w);
        assert!(mock(&circuit, good_public(&good)).is_err());

        let mut w = good.clone();
        w.new_balance += 1;
        let e = AccountUpdateCircuit::new(w).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("account_update: invalid witness: new leaf"),
            "{e}"
        );
        let mut w = good;
        w.update.index |= 1 << 7;
        let e = AccountUpdateCircuit::new(w).unwrap_err();
        assert!(e.to_string().contains("not in the account half"), "{e}");
        assert!(AccountUpdateCircuit::shape(1).is_err());
    }

    fn good_public(w: &AccountUpdateWitness) -> Vec<Fp> {
        AccountUpdateCircuit::new(w.clone())
            .unwrap()
            .public_inputs()[0]
            .clone()
    }

    #[test]
    fn real_proof_round_trip() {
        let circuit = AccountUpdateCircuit::new(witness(DEFAULT_DEPTH, 3)).unwrap();
        assert_real_proof_round_trip(&circuit);
    }
}
