//! The final proof: the aggregation tree of a job's sub-proofs, its `aggregate` tasks, and the
//! on-disk store of aggregation-node keys that provers and verifiers share.
//!
//! # From a plan to tasks
//! [`crate::pipeline::Prover::job`] with [`crate::pipeline::JobOptions::final_proof`] plans a tree
//! with [`circuits_kzg::aggregation::plan_tree`] from the leaves' estimates (loaded single-thread
//! seconds from the cost model, peak memory as the pipeline estimates it) within a memory budget
//! ([`DEFAULT_AGG_BUDGET`] unless the caller gives one), and adds one `aggregate` task per node.
//! The tree's leaves are the sub-proofs in *execution order* (the bundle's order, the order the
//! state roots chain in), so that the node circuits can check the chain.
//!
//! # An aggregate task
//! Input [`AggregateInput`] (its node, the agg `k`, its children), predecessor outputs = its
//! children's outputs in order (a leaf's [`ProvedSlot`], a child node's [`NodeOutput`]); output
//! a [`NodeOutput`]. Leaves become [`Child`]ren with [`leaf_child`] (params and verifying key
//! from the [`KeyCache`]), child nodes with [`node_child`] (their keys read from the store).
//!
//! # The node key store
//! A node's keys depend on its *key id*: the agg `k`, the KZG set-up (`s·g2`), and per child in
//! order either the leaf's sub-circuit, tree depth, `k` and verifying-key fingerprint, or the
//! child node's key id. Keys live in `<target>/zkpar-agg-keys/<key id>/`: the proving key and
//! layout written by [`keygen_cached`] (about 0.75 GB for a fan-in-2 node at `k = 18`) and
//! `node-vk.bin`, the verifying key alone, which the final verifier reads
//! ([`crate::bundle::verify_final`]). Nodes of one shape share one key.

use crate::codec;
use crate::keys::{workspace_target_dir, KeyCache};
use crate::kind::SubCircuitKind;
use crate::tasks::ProvedSlot;
use crate::Fr;
use circuits_kzg::aggregation::{
    self, keygen_cached, leaf_child, node_child, AggregationKeys, AggregationProof, Child,
    ChildRef, ChildShape, RootPositions, TreePlan,
};
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_base::halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams};
use std::collections::HashMap;
use std::fs;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Kind of aggregation tasks.
pub const AGGREGATE: &str = "aggregate";

/// The planning and admission budget when the caller gives none: 16 GiB. Under the measured
/// cost model ([`circuits_kzg::aggregation::AggCostModel::measured_2core`]) a node over a signature and a Merkle proof
/// already needs 8.6 GB (the transfer node of `reports/final/transfer.md` peaked at 10.6 GB),
/// so 8 GiB admits no tree at all; 16 GiB admits one node over each of transfer's and ERC-20's
/// sub-proofs (11.7 and 15.4 GB estimated) and leaves a third of the 24 GiB development
/// machine to the leaf proofs and the rest of the system. Larger operations get more levels.
pub const DEFAULT_AGG_BUDGET: u64 = 16 << 30;

/// Bytes of a sub-circuit's proof, for the planner's cost of verifying it in a node (a proof's
/// size counts its commitments and evaluations; see [`circuits_kzg::aggregation::plan`]).
/// Measured at the shipped tree depth (`reports/kzg/circuits.md`); a shallower tree changes a
/// Merkle circuit's `k`, not its columns, so its proof keeps this size.
pub fn leaf_proof_bytes(kind: SubCircuitKind) -> u64 {
    match kind {
        SubCircuitKind::Signature => 6_944,
        SubCircuitKind::AccountUpdate => 1_568,
        SubCircuitKind::StorageUpdate => 1_728,
        SubCircuitKind::Balance => 992,
        SubCircuitKind::AmmSwap => 992,
        SubCircuitKind::EventLog => 1_568,
    }
}

/// File of a node's verifying key inside its key directory.
const VK_FILE: &str = "node-vk.bin";

/// A child of a node in a [`FinalTree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TreeChild {
    /// Sub-proof `i` of the bundle (execution order).
    Leaf(u32),
    /// Node `index` of level `level` (from 1).
    Node {
        /// Its level, from 1.
        level: u16,
        /// Its position in the level.
        index: u32,
    },
}

/// The shape of an aggregation tree: what a verifier needs to recompute the root's statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalTree {
    /// The aggregation `k` of every node.
    pub agg_k: u32,
    /// `levels[l][j]` = the children of node `j` of level `l + 1`, in order; the last level holds
    /// the root alone.
    pub levels: Vec<Vec<Vec<TreeChild>>>,
}

impl FinalTree {
    /// The tree of a plan.
    pub fn of_plan(plan: &TreePlan) -> Self {
        let child = |c: &ChildRef| match *c {
            ChildRef::Leaf(i) => TreeChild::Leaf(i as u32),
            ChildRef::Node { level, index } => TreeChild::Node {
                level: level as u16,
                index: index as u32,
            },
        };
        FinalTree {
            agg_k: plan.k,
            levels: plan
                .levels
                .iter()
                .map(|l| {
                    l.iter()
                        .map(|n| n.children.iter().map(child).collect())
                        .collect()
                })
                .collect(),
        }
    }

    /// `(level, index)` of the root (level from 1).
    pub fn root(&self) -> (usize, usize) {
        (self.levels.len(), 0)
    }

    /// The children of node `(level, index)`.
    pub fn children(&self, level: usize, index: usize) -> &[TreeChild] {
        &self.levels[level - 1][index]
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Why this is not a well-formed tree over `leaves` sub-proofs, if it is not: the last level
    /// must hold one node, every child must exist at a lower level, every node but the root
    /// must be used exactly once, and the leaves under the root must be `0..leaves` in order.
    pub fn check(&self, leaves: usize) -> Result<(), String> {
        if !(1..=64).contains(&self.agg_k) {
            return Err(format!("aggregation k = {} is out of range", self.agg_k));
        }
        match self.levels.last() {
            Some(top) if top.len() == 1 => {}
            _ => return Err("the last level must hold the root alone".into()),
        }
        let mut used: Vec<Vec<bool>> = self.levels.iter().map(|l| vec![false; l.len()]).collect();
        let mut seen_leaves = Vec::new();
        for (l, level) in self.levels.iter().enumerate() {
            for (j, node) in level.iter().enumerate() {
                if node.is_empty() {
                    return Err(format!("node {}/{j} has no children", l + 1));
                }
                for c in node {
                    match *c {
                        TreeChild::Leaf(i) => seen_leaves.push(i as usize),
                        TreeChild::Node { level, index } => {
                            let (level, index) = (level as usize, index as usize);
                            if level == 0 || level > l || index >= self.levels[level - 1].len() {
                                return Err(format!(
                                    "node {}/{j} names node {level}/{index}, which is not below it",
                                    l + 1
                                ));
                            }
                            if std::mem::replace(&mut used[level - 1][index], true) {
                                return Err(format!("node {level}/{index} has two parents"));
                            }
                        }
                    }
                }
            }
        }
        let last = used.len() - 1;
        used[last][0] = true;
        if let Some((l, j)) = used
            .iter()
            .enumerate()
            .find_map(|(l, u)| u.iter().position(|x| !x).map(|j| (l + 1, j)))
        {
            return Err(format!("node {l}/{j} has no parent"));
        }
        let mut in_order = Vec::new();
        self.leaves_under(self.root(), &mut in_order);
        if in_order != (0..leaves).collect::<Vec<_>>() || seen_leaves.len() != leaves {
            return Err(format!(
                "the leaves under the root are {in_order:?}, expected the {leaves} sub-proofs in order"
            ));
        }
        Ok(())
    }

    fn leaves_under(&self, (level, index): (usize, usize), out: &mut Vec<usize>) {
        for c in self.children(level, index) {
            match *c {
                TreeChild::Leaf(i) => out.push(i as usize),
                TreeChild::Node { level, index } => {
                    self.leaves_under((level as usize, index as usize), out)
                }
            }
        }
    }
}

/// A child of an aggregate task, as its input names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AggregateChild {
    /// A sub-proof.
    Leaf {
        /// Its slot label.
        label: String,
        /// Its sub-circuit.
        kind: SubCircuitKind,
    },
    /// An aggregation node below.
    Node {
        /// Its level, from 1.
        level: usize,
        /// Its position in the level.
        index: usize,
    },
}

/// Input of an `aggregate` task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AggregateInput {
    /// Level of the node, from 1.
    pub level: usize,
    /// Position in the level.
    pub index: usize,
    /// Levels of the whole tree (the root is the node of the last level).
    pub tree_levels: usize,
    /// Aggregation `k`.
    pub agg_k: u32,
    /// Tree depth of the leaves' state (selects their keys).
    pub tree_depth: usize,
    /// Its children, in order (the task's predecessor outputs come in this order).
    pub children: Vec<AggregateChild>,
}

/// Output of an `aggregate` task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeOutput {
    /// Level, from 1.
    pub level: usize,
    /// Position in the level.
    pub index: usize,
    /// Aggregation `k`.
    pub agg_k: u32,
    /// The node's key id (its directory in the store).
    pub key_id: String,
    /// Its 17 public inputs.
    #[serde(with = "circuits_kzg::serde_fields::fr_vec")]
    pub instances: Vec<Fr>,
    /// The SHPLONK proof.
    pub proof: Vec<u8>,
    /// Seconds spent on keys (0 when read from the store, apart from reading).
    pub keygen_s: f64,
    /// Seconds spent proving.
    pub prove_s: f64,
}

/// Where a leaf's `(pre, post)` roots sit: both Merkle updates expose `[old_root, new_root, ..]`.
pub fn leaf_roots(kind: SubCircuitKind) -> Option<RootPositions> {
    match kind {
        SubCircuitKind::AccountUpdate | SubCircuitKind::StorageUpdate => {
            Some(RootPositions { pre: 0, post: 1 })
        }
        _ => None,
    }
}

/// The directory of the node key store: `$ZKPAR_AGG_KEY_DIR`, else `zkpar-agg-keys` under the
/// workspace target directory.
pub fn agg_key_dir() -> PathBuf {
    std::env::var_os("ZKPAR_AGG_KEY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_target_dir().join("zkpar-agg-keys"))
}

/// How a node's key id names one child.
pub fn leaf_key_word(kind: SubCircuitKind, depth: usize, k: u32, fingerprint: &str) -> String {
    format!("leaf:{kind}:d{depth}:k{k}:{fingerprint}")
}

/// The key id of a node at `agg_k` under `params` over children named by `words`
/// ([`leaf_key_word`], or `node:<key id>`).
pub fn node_key_id(
    params: &ParamsKZG<halo2_base::halo2_proofs::halo2curves::bn256::Bn256>,
    words: &[String],
) -> String {
    use halo2_base::halo2_proofs::poly::commitment::Params as _;
    let mut h = blake2b_simd::Params::new()
        .hash_length(16)
        .personal(b"zkpar-agg-key-v1")
        .to_state();
    h.update(format!("k{}|{:?}", params.k(), params.s_g2()).as_bytes());
    for w in words {
        h.update(b"|");
        h.update(w.as_bytes());
    }
    let hex: String = h
        .finalize()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("agg-k{}-n{}-{hex}", params.k(), words.len())
}

/// One lock per key id in this process, so two nodes of one shape generate their key once.
fn key_lock(key_id: &str) -> Arc<Mutex<()>> {
    static LOCKS: Mutex<Option<HashMap<String, Arc<Mutex<()>>>>> = Mutex::new(None);
    let mut locks = LOCKS.lock();
    Arc::clone(
        locks
            .get_or_insert_with(HashMap::new)
            .entry(key_id.to_string())
            .or_default(),
    )
}

/// The keys of a node over `children` (from the store, or generated into it), with the
/// seconds spent. Also writes the node's verifying key alone, for the final verifier.
pub fn node_keys(
    params: &ParamsKZG<halo2_base::halo2_proofs::halo2curves::bn256::Bn256>,
    key_id: &str,
    children: &[Child],
) -> Result<(AggregationKeys, f64), String> {
    let started = Instant::now();
    let lock = key_lock(key_id);
    let _guard = lock.lock();
    let dir = agg_key_dir().join(key_id);
    let (keys, _cached) = keygen_cached(params, children, Some(&dir)).map_err(|e| e.to_string())?;
    let vk_path = dir.join(VK_FILE);
    if !vk_path.is_file() {
        let tmp = dir.join(format!("{VK_FILE}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut w = BufWriter::new(fs::File::create(&tmp)?);
            keys.pk.get_vk().write(&mut w, SerdeFormat::RawBytes)?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            fs::rename(&tmp, &vk_path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("{}: {e}", vk_path.display())
        })?;
    }
    Ok((keys, started.elapsed().as_secs_f64()))
}

/// The layout file [`keygen_cached`] wrote in `dir` (`<stem>.json` beside `<stem>.pk`).
fn layout_file(dir: &Path) -> Result<PathBuf, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "json") && p.with_extension("pk").is_file())
        .ok_or_else(|| format!("{}: no node key (a .pk with its .json)", dir.display()))
}

type Layout = (
    AggregationConfigParams,
    MultiPhaseThreadBreakPoints,
    Vec<ChildShape>,
);

fn read_layout(path: &Path) -> Result<Layout, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The keys of node `key_id` from the store (a child node's, for [`node_child`]).
pub fn stored_node_keys(key_id: &str) -> Result<AggregationKeys, String> {
    let meta = layout_file(&agg_key_dir().join(key_id))?;
    let (config, break_points, shape) = read_layout(&meta)?;
    let pk_path = meta.with_extension("pk");
    let file = fs::File::open(&pk_path).map_err(|e| format!("{}: {e}", pk_path.display()))?;
    let pk = ProvingKey::read::<_, AggregationCircuit>(
        &mut BufReader::with_capacity(1 << 20, file),
        SerdeFormat::RawBytesUnchecked,
        config,
    )
    .map_err(|e| format!("{}: {e}", pk_path.display()))?;
    Ok(AggregationKeys {
        pk,
        config,
        break_points,
        shape,
    })
}

/// The verifying key of node `key_id` from the store, or `None` if the store lacks it.
pub fn stored_node_vk(key_id: &str) -> Result<Option<VerifyingKey<G1Affine>>, String> {
    let dir = agg_key_dir().join(key_id);
    let vk_path = dir.join(VK_FILE);
    if !vk_path.is_file() {
        return Ok(None);
    }
    let (config, _, _) = read_layout(&layout_file(&dir)?)?;
    let file = fs::File::open(&vk_path).map_err(|e| format!("{}: {e}", vk_path.display()))?;
    VerifyingKey::read::<_, AggregationCircuit>(
        &mut BufReader::new(file),
        SerdeFormat::RawBytes,
        config,
    )
    .map(Some)
    .map_err(|e| format!("{}: {e}", vk_path.display()))
}

/// Runs an `aggregate` task: children → [`Child`]ren, keys, proof.
pub fn aggregate(keys: &KeyCache, input: &[u8], deps: &[&[u8]]) -> Result<Vec<u8>, String> {
    let input: AggregateInput =
        codec::decode(input, "aggregate input").map_err(|e| e.to_string())?;
    if deps.len() != input.children.len() {
        return Err(format!(
            "node {}/{} has {} children but {} predecessor outputs",
            input.level,
            input.index,
            input.children.len(),
            deps.len()
        ));
    }
    let params = keys.params(input.agg_k)?;
    let mut children = Vec::with_capacity(deps.len());
    let mut words = Vec::with_capacity(deps.len());
    for (i, (child, bytes)) in input.children.iter().zip(deps).enumerate() {
        match child {
            AggregateChild::Leaf { label, kind } => {
                let p: ProvedSlot = codec::decode(bytes, &format!("child {i} ({label})"))
                    .map_err(|e| e.to_string())?;
                if p.label != *label || p.kind != *kind {
                    return Err(format!(
                        "child {i} should be {label} ({kind}), got {} ({})",
                        p.label, p.kind
                    ));
                }
                let key = keys
                    .get(*kind, input.tree_depth)
                    .map_err(|e| e.to_string())?;
                let [public] = p.public_inputs.as_slice() else {
                    return Err(format!("{label}: expected one instance column"));
                };
                children.push(
                    leaf_child(
                        &key.params,
                        key.keys.pk.get_vk(),
                        public,
                        p.proof,
                        leaf_roots(*kind),
                    )
                    .map_err(|e| format!("{label}: {e}"))?,
                );
                words.push(leaf_key_word(
                    *kind,
                    input.tree_depth,
                    key.k,
                    &key.fingerprint,
                ));
            }
            AggregateChild::Node { level, index } => {
                let o: NodeOutput =
                    codec::decode(bytes, &format!("child {i} (node {level}/{index})"))
                        .map_err(|e| e.to_string())?;
                if (o.level, o.index) != (*level, *index) || o.agg_k != input.agg_k {
                    return Err(format!(
                        "child {i} should be node {level}/{index} at k = {}, got node {}/{} at k = {}",
                        input.agg_k, o.level, o.index, o.agg_k
                    ));
                }
                let child_keys = stored_node_keys(&o.key_id)?;
                let proof = AggregationProof {
                    proof: o.proof,
                    instances: o.instances,
                };
                children.push(
                    node_child(&params, &child_keys, &proof)
                        .map_err(|e| format!("node {level}/{index}: {e}"))?,
                );
                words.push(format!("node:{}", o.key_id));
            }
        }
    }
    let key_id = node_key_id(&params, &words);
    let (agg_keys, keygen_s) = node_keys(&params, &key_id, &children)?;
    let started = Instant::now();
    let proof = aggregation::prove(&params, &agg_keys, &children).map_err(|e| e.to_string())?;
    Ok(codec::encode(&NodeOutput {
        level: input.level,
        index: input.index,
        agg_k: input.agg_k,
        key_id,
        instances: proof.instances,
        proof: proof.proof,
        keygen_s,
        prove_s: started.elapsed().as_secs_f64(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u32) -> TreeChild {
        TreeChild::Leaf(i)
    }

    #[test]
    fn tree_checks_name_what_is_wrong() {
        let node = |level, index| TreeChild::Node { level, index };
        // 3 leaves, fan-in 2: level 1 = [0, 1], leaf 2 moves up; level 2 = [node 1/0, leaf 2].
        let good = FinalTree {
            agg_k: 17,
            levels: vec![
                vec![vec![leaf(0), leaf(1)]],
                vec![vec![node(1, 0), leaf(2)]],
            ],
        };
        good.check(3).unwrap();
        assert!(good.check(4).unwrap_err().contains("expected the 4"));
        let mut swapped = good.clone();
        swapped.levels[0][0].swap(0, 1);
        assert!(swapped.check(3).unwrap_err().contains("[1, 0, 2]"));
        let mut orphan = good.clone();
        orphan.levels[0].push(vec![leaf(2)]);
        orphan.levels[1][0][1] = node(1, 0);
        assert!(orphan.check(3).is_err());
        let mut upward = good.clone();
        upward.levels[0][0][0] = node(2, 0);
        assert!(upward.check(3).unwrap_err().contains("not below it"));
        let two_roots = FinalTree {
            agg_k: 17,
            levels: vec![vec![vec![leaf(0)], vec![leaf(1)]]],
        };
        assert!(two_roots.check(2).unwrap_err().contains("root alone"));
    }
}
