//! `storage_update`: one contract storage slot changes.
//!
//! Public inputs: `[old_root, new_root, contract, slot_index, old_value, new_value]`. With
//! `key = Poseidon(contract, slot_index)` hashed in circuit, the path bits are the low
//! `depth − 1` bits of the *canonical* value of `key` ([`super::gadget::canonical_low_bits`])
//! followed by a top bit 1 (the storage half); `old_value` hashes up to `old_root` and
//! `new_value` to `new_root` along that path.
//!
//! Unlike the Pasta circuit (a 254-bit running sum, sound there because the Pallas modulus
//! exceeds `2^254`, and unable to prove keys in `[2^254, p)`), every key is provable here: the
//! bn256 modulus is below `2^254`, so canonicity is a lexicographic comparison with the
//! modulus instead.

use super::gadget::canonical_low_bits;
use super::native::{storage_index_at, storage_slot_key, MerkleUpdateWitness};
use super::{LeafPath, LeafSpec, LeafUpdateCircuit, TreeHalf};
use crate::poseidon::PoseidonGadget;
use halo2_base::gates::{RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::{AssignedValue, Context};

/// Instance rows after the two roots.
pub mod row {
    /// The contract.
    pub const CONTRACT: usize = 2;
    /// The slot within the contract.
    pub const SLOT: usize = 3;
    /// Value before.
    pub const OLD_VALUE: usize = 4;
    /// Value after.
    pub const NEW_VALUE: usize = 5;
}

/// Everything the prover knows about one storage write.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StorageUpdateWitness {
    /// The tree update (index = storage index of the key, leaves = the values).
    pub update: MerkleUpdateWitness,
    /// The contract identifier.
    #[serde(with = "crate::serde_fields::fr")]
    pub contract: Fr,
    /// The slot within the contract.
    #[serde(with = "crate::serde_fields::fr")]
    pub slot_index: Fr,
}

/// The storage slot spec.
#[derive(Debug, Clone, Copy)]
pub struct StorageSlot;

/// The `storage_update` sub-circuit.
pub type StorageUpdateCircuit = LeafUpdateCircuit<StorageSlot>;

impl LeafSpec for StorageSlot {
    const NAME: &'static str = "storage_update";
    const HALF: TreeHalf = TreeHalf::Storage;
    /// 8 bits: the key checks (126 and 128 bits, and `128 − (depth − 1)`) cost about 45
    /// lookups, negligible next to the ~290k cells of the paths, and a `2^8`-row table fits at
    /// any `k` the paths need.
    const LOOKUP_BITS: Option<usize> = Some(8);
    type Witness = StorageUpdateWitness;

    fn tree_update(w: &StorageUpdateWitness) -> &MerkleUpdateWitness {
        &w.update
    }

    fn check_leaves(w: &StorageUpdateWitness) -> Result<(), String> {
        let key = storage_slot_key(w.contract, w.slot_index);
        let expected = storage_index_at(w.update.depth, key).map_err(|e| e.to_string())?;
        if w.update.index != expected {
            return Err(format!(
                "index {} is not the storage index {expected} of Poseidon(contract, slot)",
                w.update.index
            ));
        }
        Ok(())
    }

    fn leaf_inputs(w: &StorageUpdateWitness) -> Vec<Fr> {
        vec![
            w.contract,
            w.slot_index,
            w.update.old_leaf,
            w.update.new_leaf,
        ]
    }

    fn leaves_and_path(
        ctx: &mut Context<Fr>,
        range: &RangeChip<Fr>,
        poseidon: &mut PoseidonGadget,
        inputs: &[AssignedValue<Fr>],
        low_bits: usize,
    ) -> LeafPath {
        let &[contract, slot, old_value, new_value] = inputs else {
            panic!("storage_update has four leaf inputs");
        };
        let key = poseidon.hash2(ctx, range.gate(), contract, slot);
        LeafPath {
            old_leaf: old_value,
            new_leaf: new_value,
            low_bits: canonical_low_bits(ctx, range, key, low_bits),
        }
    }
}
