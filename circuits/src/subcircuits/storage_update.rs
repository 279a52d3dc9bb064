//! `storage_update`: one contract storage slot of the world-state tree changes.
//!
//! # Statement
//! Public inputs (one instance column, in this order):
//! `[old_root, new_root, contract, slot_index, old_value, new_value]`.
//!
//! The prover knows siblings such that, with `key = Poseidon(contract, slot_index)` computed in
//! circuit and the path bits = the low `depth − 1` bits of `key` followed by a top bit 1,
//! `old_value` hashes up to `old_root` and `new_value` up to `new_root` along that path. The
//! top bit 1 keeps storage in the right half of the tree, disjoint from accounts (see
//! [`crate::state::smt`]).
//!
//! The circuit is the shared [`LeafUpdateCircuit`]; this module supplies its [`StorageSlot`]
//! spec.
//!
//! # Soundness of the path bits, and the one canonicity caveat
//! The key is decomposed by a running sum into 254 boolean bits with `key = Σ bᵢ·2ⁱ` and the
//! final remainder constrained to 0. Because `Σ bᵢ·2ⁱ < 2^254 < p` (Pallas' modulus is
//! `2^254 + ε`), this sum cannot wrap around the field, so the bits are *the* canonical
//! binary digits of the key and the prover has no choice of path. (A shorter decomposition
//! with an unchecked high part would not be sound: since `p ≡ 1 (mod 2^32)`, the aliased
//! representation `key + p` would shift the low bits by one and let a prover write a
//! neighbouring slot.)
//!
//! The price: a key in `[2^254, p)` has no 254-bit decomposition and cannot be proved. Such
//! keys occur with probability `ε / p ≈ 2^-129` per slot, so they never arise in practice;
//! [`StorageUpdateCircuit::new`] reports one as an error rather than building an unprovable
//! circuit.
//!
//! # Layout
//! The [`MerkleChip`](super::merkle::MerkleChip): the key hash on the old-path chip, the
//! 254-row decomposition, then per level one swap row and one permutation per chip.

use super::leaf_update::{self, LeafPath, LeafSpec, LeafUpdateCircuit, TreeHalf};
use super::merkle::{Cell, KCache, MerkleUpdateInstructions, Side};
use crate::state::smt::{storage_index_at, storage_slot_key, MerkleUpdateWitness};
use crate::Fp;
use ff::PrimeField;
use halo2_proofs::circuit::Layouter;
use halo2_proofs::plonk::Error;

/// Bits of the slot-key decomposition: the most that cannot wrap around the modulus.
pub const KEY_BITS: usize = 254;

/// Row of each public input in the instance column, after the two roots of
/// [`leaf_update::row`].
mod row {
    pub const CONTRACT: usize = 2;
    pub const SLOT: usize = 3;
    pub const OLD_VALUE: usize = 4;
    pub const NEW_VALUE: usize = 5;
    pub const COUNT: usize = 6;
}
const _: () = assert!(row::CONTRACT == leaf_update::row::FIRST_LEAF_INPUT);

/// Everything the prover knows about one storage write.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StorageUpdateWitness {
    /// The tree update (index = storage index of the slot key, leaves = old and new value).
    pub update: MerkleUpdateWitness,
    /// The contract's identifier.
    #[serde(with = "crate::codec::fp")]
    pub contract: Fp,
    /// The slot within the contract.
    #[serde(with = "crate::codec::fp")]
    pub slot_index: Fp,
}

/// Whether a slot key can be proved: its canonical value is below `2^254` (see the module docs;
/// false with probability about `2^-129`).
pub fn key_is_provable(key: Fp) -> bool {
    key.to_repr()[31] >> 6 == 0
}

/// A storage slot: the leaf is the value itself, at the index of `Poseidon(contract, slot)` in
/// the storage half of the tree.
#[derive(Debug, Clone, Copy)]
pub struct StorageSlot;

/// The `storage_update` sub-circuit (see the module docs).
pub type StorageUpdateCircuit = LeafUpdateCircuit<StorageSlot>;

impl LeafSpec for StorageSlot {
    const NAME: &'static str = "storage_update";
    const HALF: TreeHalf = TreeHalf::Storage;
    const PUBLIC_INPUTS: usize = row::COUNT;
    type Witness = StorageUpdateWitness;

    fn tree_update(witness: &StorageUpdateWitness) -> &MerkleUpdateWitness {
        &witness.update
    }

    fn check_leaves(w: &StorageUpdateWitness) -> Result<(), String> {
        let key = storage_slot_key(w.contract, w.slot_index);
        if !key_is_provable(key) {
            return Err(
                "slot key Poseidon(contract, slot) is >= 2^254 and has no canonical 254-bit \
                 decomposition (probability 2^-129; pick another slot)"
                    .into(),
            );
        }
        let expected = storage_index_at(w.update.depth, key).map_err(|e| e.to_string())?;
        if w.update.index != expected {
            return Err(format!(
                "index {} is not the storage index {expected} of Poseidon(contract, slot)",
                w.update.index
            ));
        }
        Ok(())
    }

    fn write_leaf_inputs(w: &StorageUpdateWitness, public: &mut [Fp]) {
        public[row::CONTRACT] = w.contract;
        public[row::SLOT] = w.slot_index;
        public[row::OLD_VALUE] = w.update.old_leaf;
        public[row::NEW_VALUE] = w.update.new_leaf;
    }

    fn leaves_and_path(
        chip: &impl MerkleUpdateInstructions,
        layouter: &mut impl Layouter<Fp>,
        leaf_inputs: &[Cell],
        low_bits: usize,
    ) -> Result<LeafPath, Error> {
        let [contract, slot, old_value, new_value] = leaf_inputs else {
            return Err(Error::Synthesis);
        };
        let key = chip.hash2(layouter, Side::Old, contract, slot)?;
        // All 254 bits, not just the path's: only the full decomposition is canonical (see the
        // module docs).
        let key_bits = chip.decompose(layouter, &key, KEY_BITS)?;
        Ok(LeafPath {
            old_leaf: old_value.clone(),
            new_leaf: new_value.clone(),
            low_bits: key_bits.into_iter().take(low_bits).collect(),
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
    use crate::state::smt::{account_index_at, account_leaf, SparseMerkleTree, DEFAULT_DEPTH};
    use crate::subcircuits::SubCircuit;
    use ff::Field;

    /// A tree with an account and a few slots; then slot `slot` of contract 42 goes 10 → 11.
    fn witness(depth: usize, slot: u64) -> StorageUpdateWitness {
        let contract = Fp::from(42);
        let mut tree = SparseMerkleTree::new(depth).unwrap();
        tree.update(account_index_at(depth, 3).unwrap(), account_leaf(100, 1))
            .unwrap();
        for other in [1u64, 2, 3] {
            let key = storage_slot_key(Fp::from(7), Fp::from(other));
            tree.update(storage_index_at(depth, key).unwrap(), Fp::from(other))
                .unwrap();
        }
        let index = storage_index_at(depth, storage_slot_key(contract, Fp::from(slot))).unwrap();
        tree.update(index, Fp::from(10)).unwrap();
        let update = tree.update(index, Fp::from(11)).unwrap();
        StorageUpdateWitness {
            update,
            contract,
            slot_index: Fp::from(slot),
        }
    }

    #[test]
    fn valid_update_is_accepted_at_k_and_k_minus_1_lacks_rows() {
        let circuit = StorageUpdateCircuit::new(witness(DEFAULT_DEPTH, 5)).unwrap();
        assert_accepted_at_minimal_k(&circuit);
    }

    #[test]
    fn bad_public_inputs_are_rejected() {
        let circuit = StorageUpdateCircuit::new(witness(8, 4)).unwrap();
        let cases = [
            (OLD_ROOT, "wrong old root"),
            (NEW_ROOT, "wrong new root"),
            (row::CONTRACT, "wrong contract"),
            (row::SLOT, "wrong slot"),
            (row::OLD_VALUE, "wrong old value"),
            (row::NEW_VALUE, "wrong new value"),
        ];
        assert_each_public_input_is_bound(&circuit, &cases);
    }

    #[test]
    fn bad_witness_is_rejected_by_the_circuit_and_by_new() {
        let good = witness(8, 4);
        let public = StorageUpdateCircuit::new(good.clone())
            .unwrap()
            .public_inputs()[0]
            .clone();
        let mut w = good.clone();
        w.update.siblings[0] += Fp::ONE;
        assert!(StorageUpdateCircuit::new(w.clone()).is_err());
        // Bypass the native check: the constraints alone must reject the wrong sibling.
        let circuit = StorageUpdateCircuit::unchecked(w);
        assert!(mock(&circuit, public).is_err());

        // A slot whose index is claimed elsewhere (the path bits would not match the key).
        let mut w = good;
        w.slot_index += Fp::ONE;
        let e = StorageUpdateCircuit::new(w).unwrap_err();
        assert!(e.to_string().contains("not the storage index"), "{e}");
        assert!(StorageUpdateCircuit::shape(65).is_err());
    }

    #[test]
    fn same_leaves_and_siblings_under_another_slot_are_rejected() {
        // Replay the exact tree update but claim another slot: unless the two keys share their
        // low depth−1 bits, the in-circuit key decomposition walks another path.
        let good = witness(8, 4);
        let circuit = StorageUpdateCircuit::unchecked(StorageUpdateWitness {
            slot_index: Fp::from(5),
            ..good.clone()
        });
        let other = storage_index_at(8, storage_slot_key(good.contract, Fp::from(5))).unwrap();
        assert_ne!(
            other, good.update.index,
            "pick slots with different indices"
        );
        assert!(mock(&circuit, circuit.public_inputs()[0].clone()).is_err());
        assert!(key_is_provable(storage_slot_key(
            good.contract,
            good.slot_index
        )));
        assert!(!key_is_provable(-Fp::ONE));
    }

    #[test]
    fn real_proof_round_trip() {
        let circuit = StorageUpdateCircuit::new(witness(DEFAULT_DEPTH, 9)).unwrap();
        assert_real_proof_round_trip(&circuit);
    }
}
