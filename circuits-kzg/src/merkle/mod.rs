//! Poseidon sparse-Merkle leaf updates: the `account_update` and `storage_update` sub-circuits.
//!
//! # Statement (shared by both)
//! Public inputs (one instance column): `[old_root, new_root, leaf inputs…]`. The prover knows
//! siblings such that, along one path, the old leaf hashes up to `old_root` and the new leaf up
//! to `new_root`. A [`LeafSpec`] says what differs:
//! - which public inputs follow the roots, and how they make the two leaves and the low
//!   `depth − 1` path bits in circuit ([`account`]: leaves `Poseidon(balance, nonce)`, bits of
//!   the account index; [`storage`]: leaves are the values, bits are the canonical low bits of
//!   `Poseidon(contract, slot)`);
//! - which [`TreeHalf`] the leaf lives in: the top path bit is that half's constant, so
//!   accounts and storage can never write each other's leaves.
//!
//! Every path bit is constrained boolean and recomposed into the index (or key) it comes from.
//! This mirrors `LeafUpdateCircuit<S: LeafSpec>` of the Pasta circuits
//! (`circuits/src/subcircuits/leaf_update.rs`), on a halo2-base `BaseCircuitBuilder`.
//!
//! # Modules
//! [`native`]: the sparse Merkle tree; [`gadget`]: double-path hashing and canonical key bits;
//! [`account`], [`storage`]: the two specs.

pub mod account;
pub mod gadget;
pub mod native;
pub mod storage;

pub use account::{AccountLeaf, AccountUpdateCircuit, AccountUpdateWitness};
pub use native::{MerkleUpdateWitness, SparseMerkleTree, DEFAULT_DEPTH, MAX_DEPTH, MIN_DEPTH};
pub use storage::{StorageSlot, StorageUpdateCircuit, StorageUpdateWitness};

use crate::harness::BaseCircuit;
use crate::poseidon::PoseidonGadget;
use gadget::PathBit;
use halo2_base::gates::{RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::{AssignedValue, Context};
use std::fmt;

/// Instance rows shared by every leaf update.
pub mod row {
    /// The root before the update.
    pub const OLD_ROOT: usize = 0;
    /// The root after the update.
    pub const NEW_ROOT: usize = 1;
    /// The first of the spec's leaf inputs.
    pub const FIRST_LEAF_INPUT: usize = 2;
}

/// The half of the tree a leaf lives in, fixed by the top path bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeHalf {
    /// Top bit 0.
    Accounts,
    /// Top bit 1.
    Storage,
}

impl TreeHalf {
    /// The top path bit of this half.
    pub fn top_bit(self) -> bool {
        self == TreeHalf::Storage
    }

    /// Whether leaf `index` of a depth-`depth` tree lies in this half.
    pub fn contains(self, depth: usize, index: u64) -> bool {
        index >> (depth - 1) == u64::from(self.top_bit())
    }
}

impl fmt::Display for TreeHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TreeHalf::Accounts => "account",
            TreeHalf::Storage => "storage",
        })
    }
}

/// What a spec hands back from synthesis.
#[derive(Clone, Debug)]
pub struct LeafPath {
    /// The leaf hashed up to the old root.
    pub old_leaf: AssignedValue<Fr>,
    /// The leaf hashed up to the new root.
    pub new_leaf: AssignedValue<Fr>,
    /// Path bits `0..depth − 1`, constrained boolean and bound to the leaf inputs.
    pub low_bits: Vec<AssignedValue<Fr>>,
}

/// What one kind of leaf update adds to the shared statement (see the module docs).
pub trait LeafSpec: Clone + fmt::Debug {
    /// The sub-circuit's name.
    const NAME: &'static str;
    /// The half of the tree the leaf lives in.
    const HALF: TreeHalf;
    /// Range-check table bits, `None` if the spec has no range checks.
    const LOOKUP_BITS: Option<usize>;
    /// Everything the prover knows about one update.
    type Witness: Clone + fmt::Debug;

    /// The tree update inside the witness.
    fn tree_update(witness: &Self::Witness) -> &MerkleUpdateWitness;
    /// Native checks beyond the shared ones: the leaves and index derive from the leaf inputs.
    fn check_leaves(witness: &Self::Witness) -> Result<(), String>;
    /// The leaf inputs, in instance order after the roots.
    fn leaf_inputs(witness: &Self::Witness) -> Vec<Fr>;
    /// From the leaf-input cells, the two leaves and `low_bits` path bits, in circuit.
    fn leaves_and_path(
        ctx: &mut Context<Fr>,
        range: &RangeChip<Fr>,
        poseidon: &mut PoseidonGadget,
        leaf_inputs: &[AssignedValue<Fr>],
        low_bits: usize,
    ) -> LeafPath;
}

/// A witness the native rule rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{circuit}: invalid witness: {reason}")]
pub struct WitnessError {
    /// The sub-circuit.
    pub circuit: &'static str,
    /// Why.
    pub reason: String,
}

/// The leaf-update sub-circuit of kind `S` (see the module docs).
#[derive(Clone, Debug)]
pub struct LeafUpdateCircuit<S: LeafSpec> {
    witness: S::Witness,
}

impl<S: LeafSpec> LeafUpdateCircuit<S> {
    /// A circuit for `witness`, after the native checks (depth, tree half, leaves, both paths).
    pub fn new(witness: S::Witness) -> Result<Self, WitnessError> {
        let err = |reason: String| WitnessError {
            circuit: S::NAME,
            reason,
        };
        let u = S::tree_update(&witness);
        if !(MIN_DEPTH..=MAX_DEPTH).contains(&u.depth) {
            return Err(err(format!(
                "tree depth {} is not in {MIN_DEPTH}..={MAX_DEPTH}",
                u.depth
            )));
        }
        if !S::HALF.contains(u.depth, u.index) {
            return Err(err(format!(
                "index {} is not in the {} half of a depth-{} tree",
                u.index,
                S::HALF,
                u.depth
            )));
        }
        S::check_leaves(&witness).map_err(err)?;
        u.verify().map_err(err)?;
        Ok(Self { witness })
    }

    /// A circuit without the native checks, so tests can show that the constraints alone reject
    /// a bad witness.
    pub fn unchecked(witness: S::Witness) -> Self {
        Self { witness }
    }

    /// The tree depth.
    pub fn depth(&self) -> usize {
        S::tree_update(&self.witness).depth
    }
}

impl<S: LeafSpec> BaseCircuit for LeafUpdateCircuit<S> {
    const NAME: &'static str = S::NAME;

    fn lookup_bits(&self) -> Option<usize> {
        S::LOOKUP_BITS
    }

    fn synthesize(&self, ctx: &mut Context<Fr>, range: &RangeChip<Fr>) -> Vec<AssignedValue<Fr>> {
        let u = S::tree_update(&self.witness);
        let mut poseidon = PoseidonGadget::new(ctx);
        let inputs = ctx.assign_witnesses(S::leaf_inputs(&self.witness));
        let path = S::leaves_and_path(ctx, range, &mut poseidon, &inputs, u.depth - 1);
        let mut bits: Vec<PathBit> = path.low_bits.into_iter().map(PathBit::Cell).collect();
        bits.push(PathBit::Constant(S::HALF.top_bit()));
        let siblings = ctx.assign_witnesses(u.siblings.iter().copied());
        let (old_root, new_root) = gadget::update_roots(
            ctx,
            range.gate(),
            &mut poseidon,
            path.old_leaf,
            path.new_leaf,
            &bits,
            &siblings,
        );
        [old_root, new_root].into_iter().chain(inputs).collect()
    }

    fn public_inputs(&self) -> Vec<Fr> {
        let u = S::tree_update(&self.witness);
        [u.old_root, u.new_root]
            .into_iter()
            .chain(S::leaf_inputs(&self.witness))
            .collect()
    }
}
