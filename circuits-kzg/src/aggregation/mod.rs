//! Aggregation: N SHPLONK proofs of this crate (sub-circuit *leaves*, or other aggregation
//! proofs) verified inside one `snark-verifier-sdk` [`AggregationCircuit`], which also checks
//! that their state roots chain and commits to everything else they expose.
//!
//! The sub-circuit proofs of this crate are already SHPLONK proofs with snark-verifier's Poseidon
//! transcript ([`crate::params::prove`]), so they are aggregated as they are.
//!
//! # Steps
//! 1. [`leaf_child`] turns a sub-circuit's (params, verifying key, public inputs, proof) into a
//!    [`Child`]: the proof is verified natively first (a bad proof is named here, not as a panic
//!    inside the SDK), then the SDK [`Snark`] is compiled with
//!    `Config::kzg().with_num_instance(..)`; [`RootPositions`] says where its `(pre, post)`
//!    roots sit among its public inputs (merkle updates: `pre = 0, post = 1`; signature, balance,
//!    amm_swap and event_log move no state: `None`).
//! 2. [`keygen`] (or [`keygen_cached`]) generates the node's proving key for the children's
//!    *shape*; [`prove`] checks the root chain natively, builds the circuit and proves it;
//!    [`node_child`] turns an [`AggregationProof`] into a [`Child`] for a parent node.
//! 3. [`verify`] is the final verifier: the public inputs must equal the expected
//!    [`NodeStatement`] (computed natively from the children with [`NodeStatement::of_children`]),
//!    the SHPLONK proof must verify, and the KZG accumulator in the public inputs must pass its
//!    pairing check (see below). [`plan_tree`] plans a whole tree within a memory budget.
//!
//! # Public instances of a node, step by step
//! One instance column of [`layout::NUM_INSTANCES`] = 17 cells:
//! 1. `0..12` — the KZG accumulator `(lhs, rhs)` the SDK exposes: `lhs.x, lhs.y, rhs.x, rhs.y`,
//!    each as 3 limbs of 88 bits (`LimbsEncoding<3, 88>`). It folds the children's own
//!    accumulators (an aggregation child's limbs are read through its protocol's
//!    `accumulator_indices`) and their proofs' KZG openings; the proof is valid only if
//!    `e(lhs, g2) = e(rhs, s·g2)`.
//! 2. `12` [`layout::PRE_ROOT`] — the first state-moving child's pre root;
//!    `13` [`layout::POST_ROOT`] — the last state-moving child's post root. In circuit, for
//!    consecutive state-moving children `a` before `b`, `post(a) == pre(b)` is a copy
//!    constraint on the SDK's `previous_instances`.
//! 3. `14` [`layout::MOVES_STATE`] — `1` if some child moves state. A node whose children move
//!    no state (e.g. two signatures) exposes the constants `pre = post = 0` and `moves_state = 0`,
//!    and gives its parent no [`RootPositions`]; a parent constrains an aggregation child's flag
//!    to the constant its shape says (`1` iff the child has roots).
//! 4. `15` [`layout::VK_COMMITMENT`] — `Poseidon(d_0, …, d_{n−1})`, `d_i = Poseidon(k_i ‖
//!    preprocessed_i ‖ [vk_commitment_i])`: child `i`'s `k`, its fixed commitments as limbs
//!    (`x` then `y`, 3 × 88 bits each) and transcript initial state, and for an aggregation
//!    child its own `vk_commitment`. With [`UNIVERSALITY`] `= Full` these are witnesses, so this
//!    is what binds *which* circuits were verified, down to the leaves.
//! 5. `16` [`layout::INPUTS_COMMITMENT`] — `Poseidon` of all children's *other* public inputs in
//!    order: a leaf's inputs but its two roots; an aggregation child's `inputs_commitment`.
//!    So the final proof binds e.g. the signed transaction fields.
//!
//! An aggregation proof therefore has [`layout::NODE_ROOTS`] `= RootPositions { pre: 12,
//! post: 13 }` for its parent when it moves state. The Poseidon is this crate's
//! ([`crate::poseidon`]), the same function natively and in circuit.
//!
//! # Final verification
//! [`verify_proof`] checks the SHPLONK proof with the Poseidon transcript against the node's
//! verifying key and all 17 public inputs, then decodes the 12 limbs with snark-verifier's
//! `LimbsEncoding::<3, 88>::from_repr` (limbs in range, points on the curve) and runs
//! `KzgAs::decide` with the deciding key `(g, g2, s·g2)` of the set-up: one pairing check that
//! covers every proof below the node. Skipping it would accept any child proof.
//!
//! # What a key is bound to
//! With `VerifierUniversality::Full` the children's fixed commitments, transcript initial state
//! and `k` are witnesses, so a node's key is bound only to its *shape*: the fan-in and, per
//! child in order, its constraint-system shape (columns, gates, queries — what
//! `PlonkProtocol` holds besides those values), instance count, kind (leaf or node) and root
//! positions, plus the node's own `k` and config. One key thus serves every node over children
//! of that shape, e.g. a parent of aggregation proofs of one config, whatever their own
//! children were; [`VerifyingKey`]s of the children are bound through `vk_commitment` instead,
//! which the final verifier recomputes. The key cache ([`keygen_cached`]) keys also on each
//! child's `k`, out of caution. All proofs must come from one KZG set-up (same `τ`); a child from
//! another is refused ([`AggError::SetupMismatch`]).
//!
//! [`AggregationCircuit`]: snark_verifier_sdk::halo2::aggregation::AggregationCircuit
//! [`Snark`]: snark_verifier_sdk::Snark
//! [`VerifyingKey`]: halo2_base::halo2_proofs::plonk::VerifyingKey

mod child;
mod circuit;
pub mod layout;
pub mod plan;
mod verify;

pub use child::{leaf_child, node_child, protocol_vk_words, Child, ChildKind, RootPositions};
pub use circuit::{
    keygen, keygen_cached, node_cells, prove, AggregationKeys, AggregationProof, NodeCells,
};
pub use layout::{ChildShape, NodeStatement};
pub use plan::{plan_tree, AggCostModel, ChildRef, LeafEstimate, PlanError, PlannedNode, TreePlan};
pub use verify::{decide_accumulator, verify, verify_proof};

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use snark_verifier_sdk::halo2::aggregation::VerifierUniversality;

/// The universality of every node: children's fixed commitments and `k` are witnesses.
pub const UNIVERSALITY: VerifierUniversality = VerifierUniversality::Full;

/// Why aggregation, its keys or its verification failed.
#[derive(Debug, thiserror::Error)]
pub enum AggError {
    /// No children.
    #[error("an aggregation node needs at least one child")]
    NoChildren,
    /// A child's proof does not verify natively.
    #[error("{what}: proof rejected: {reason}")]
    ChildProof {
        /// Which child (e.g. `leaf` or `child 1`).
        what: String,
        /// The verifier's reason.
        reason: String,
    },
    /// A child's public inputs or root positions are malformed.
    #[error("{what}: {reason}")]
    ChildInputs {
        /// Which child.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// Two consecutive state-moving children do not chain.
    #[error(
        "root chain broken: child {prev}'s post root {post:?} != child {next}'s pre root {pre:?}"
    )]
    RootChain {
        /// The earlier state-moving child.
        prev: usize,
        /// The next state-moving child.
        next: usize,
        /// The earlier child's post root.
        post: Fr,
        /// The next child's pre root.
        pre: Fr,
    },
    /// A child was proved under another KZG set-up than the node's parameters.
    #[error("child {child} comes from another KZG set-up (its s·g2 differs from the node's)")]
    SetupMismatch {
        /// The child.
        child: usize,
    },
    /// The children do not have the shape the keys were generated for.
    #[error("children do not match the key's shape: {0}")]
    ShapeMismatch(String),
    /// Key generation failed.
    #[error("aggregation key generation failed: {0}")]
    Keygen(String),
    /// Proving failed.
    #[error("aggregation proving failed: {0}")]
    Prove(String),
    /// The key cache could not be read or written.
    #[error("aggregation key cache {path}: {reason}")]
    Cache {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A public input of an aggregation proof differs from the expected statement.
    #[error("public input {field} (instance {index}) is {found:?}, expected {expected:?}")]
    Statement {
        /// Its name.
        field: &'static str,
        /// Its position.
        index: usize,
        /// In the proof.
        found: Fr,
        /// Expected.
        expected: Fr,
    },
    /// The SHPLONK proof of a node does not verify.
    #[error("aggregation proof rejected by the SHPLONK verifier: {0}")]
    FinalProof(String),
    /// The KZG accumulator in the public inputs is malformed or fails its pairing check.
    #[error("KZG accumulator rejected: {0}")]
    Accumulator(String),
}
