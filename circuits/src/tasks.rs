//! The proving pipeline's tasks as data, and the handler that runs them.
//!
//! Every node of a proving job is a [`scheduler::spec::TaskSpec`]: a kind, input bytes, and the
//! outputs of its predecessors. Nothing refers to memory of the process that planned the job, so
//! the same job runs on this machine ([`scheduler::spec::run_local`]) or on a fleet of workers,
//! and [`ProvingHandler`] runs its tasks in either place.
//!
//! | kind | input | predecessor outputs | output |
//! |---|---|---|---|
//! | `execute` | [`ExecuteInput`]: the operations file's text, the operations, the planned slot labels | — | framed: [`ExecutionSummary`], then one [`Slot`] per slot |
//! | `witness` | [`WitnessInput`]: a slot label | the execution | [`WitnessData`] (signed, checked) |
//! | sub-circuit name (`signature`, …): prove | [`ProveInput`] | the witness | [`ProvedSlot`] |
//! | `aggregate` | [`crate::final_proof::AggregateInput`]: its node, agg `k`, children | each child's output in order ([`ProvedSlot`] or [`crate::final_proof::NodeOutput`]) | [`crate::final_proof::NodeOutput`] |
//! | `assemble` | [`AssembleInput`] | the execution, then every proved slot, then (with a final proof) the root node's output | a bundle file's bytes |
//!
//! Native execution runs once per job, inside the `execute` task; the job's shape (which slots,
//! of which sub-circuit) is known from the operations file alone, and `execute` checks that the
//! execution produced exactly the planned slots. Prove tasks carry their sub-circuit's name as
//! kind so traces and charts colour them by sub-circuit.

use crate::any::WitnessData;
use crate::bundle::{self, FinalProof, Statement, SubProof};
use crate::codec::{self, frames_encode, frames_get};
use crate::final_proof::{FinalTree, NodeOutput};
use crate::keys::KeyCache;
use crate::kind::SubCircuitKind;
use crate::operations::OperationsFile;
use crate::world::{Slot, WorldState};
use crate::Fr;
use scheduler::graph::TaskError;
use scheduler::spec::{TaskHandler, TaskInput};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Kind of the native-execution task.
pub const EXECUTE: &str = "execute";
/// Kind of witness-generation tasks.
pub const WITNESS: &str = "witness";
/// Kind of the assembly task.
pub const ASSEMBLE: &str = "assemble";
/// Kind of aggregation tasks (one per node of the final proof's tree).
pub const AGGREGATE: &str = crate::final_proof::AGGREGATE;

/// Input of the `execute` task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExecuteInput {
    /// Where the operations file came from (errors only).
    pub operations_path: String,
    /// Its text.
    pub operations_toml: String,
    /// The operations to run in order (one for an operation, several for a block).
    pub operation_ids: Vec<String>,
    /// The tree depth to execute at (the file's, or the one the job was built for).
    pub tree_depth: usize,
    /// The slot labels the job was planned with, in any order.
    pub planned: Vec<String>,
}

/// Frame 0 of the `execute` task's output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionSummary {
    /// State root before.
    #[serde(with = "circuits_kzg::serde_fields::fr")]
    pub initial_root: Fr,
    /// State root after.
    #[serde(with = "circuits_kzg::serde_fields::fr")]
    pub final_root: Fr,
    /// Slot labels in execution order (the order state transitions chain in).
    pub labels: Vec<String>,
}

/// Input of a `witness` task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WitnessInput {
    /// The slot (`op/step/role`).
    pub label: String,
}

/// Input of a prove task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProveInput {
    /// The slot.
    pub label: String,
    /// Its sub-circuit.
    pub kind: SubCircuitKind,
    /// Tree depth (selects the key).
    pub tree_depth: usize,
}

/// Output of a prove task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProvedSlot {
    /// The slot.
    pub label: String,
    /// Its sub-circuit.
    pub kind: SubCircuitKind,
    /// Degree parameter.
    pub k: u32,
    /// Public inputs.
    #[serde(with = "circuits_kzg::serde_fields::fr_columns")]
    pub public_inputs: Vec<Vec<Fr>>,
    /// The halo2 proof.
    pub proof: Vec<u8>,
    /// Fingerprint of the verifying key it was proved against.
    pub vk_fingerprint: String,
}

/// Input of the `assemble` task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AssembleInput {
    /// `operation` or `block`.
    pub kind: String,
    /// Operation or block id.
    pub id: String,
    /// Tree depth.
    pub tree_depth: usize,
    /// Policy or engine name for the header.
    pub policy: String,
    /// The final proof's tree, when the job aggregates: the root node's output is then the
    /// task's last predecessor output.
    pub final_tree: Option<FinalTree>,
}

/// Runs every kind of proving task. Keys come from a [`KeyCache`] (generated on first use, so a
/// fresh fleet worker pays key generation once).
pub struct ProvingHandler {
    keys: &'static KeyCache,
}

impl ProvingHandler {
    /// A handler over this key cache.
    pub fn new(keys: &'static KeyCache) -> Self {
        ProvingHandler { keys }
    }
}

impl TaskHandler for ProvingHandler {
    fn run(&self, task: &TaskInput<'_>) -> Result<Vec<u8>, TaskError> {
        let named = |e: String| TaskError::new(format!("{}: {e}", task.name));
        match task.kind {
            EXECUTE => execute(task.input).map_err(named),
            WITNESS => witness(task.input, dep(task, 0)?).map_err(named),
            ASSEMBLE => assemble(task.input, task.deps).map_err(named),
            AGGREGATE => {
                crate::final_proof::aggregate(self.keys, task.input, task.deps).map_err(named)
            }
            other => match other.parse::<SubCircuitKind>() {
                Ok(_) => self.prove(task.input, dep(task, 0)?).map_err(named),
                Err(_) => Err(named(format!("unknown task kind `{other}`"))),
            },
        }
    }
}

fn dep<'a>(task: &TaskInput<'a>, i: usize) -> Result<&'a [u8], TaskError> {
    task.deps.get(i).copied().ok_or_else(|| {
        TaskError::new(format!(
            "{}: expected at least {} predecessor outputs, got {}",
            task.name,
            i + 1,
            task.deps.len()
        ))
    })
}

fn text(e: impl ToString) -> String {
    e.to_string()
}

fn execute(input: &[u8]) -> Result<Vec<u8>, String> {
    let input: ExecuteInput = codec::decode(input, "execute input").map_err(text)?;
    let ops = OperationsFile::parse(Path::new(&input.operations_path), &input.operations_toml)
        .and_then(|ops| ops.with_tree_depth(input.tree_depth))
        .map_err(text)?;
    let mut world = WorldState::genesis(&ops.genesis).map_err(text)?;
    let initial_root = world.root();
    let mut slots: Vec<Slot> = Vec::new();
    for (i, id) in input.operation_ids.iter().enumerate() {
        let op = ops.operation(id).map_err(text)?;
        let label = operation_label(&input.operation_ids, i);
        slots.extend(world.execute(op, &label).map_err(text)?.slots);
    }
    let labels: Vec<String> = slots.iter().map(Slot::label).collect();
    let (mut got, mut planned) = (labels.clone(), input.planned);
    got.sort();
    planned.sort();
    if got != planned {
        return Err(format!(
            "native execution produced slots {got:?}, but the job was planned with {planned:?}"
        ));
    }
    let summary = ExecutionSummary {
        initial_root,
        final_root: world.root(),
        labels,
    };
    let mut frames = vec![codec::encode(&summary)];
    frames.extend(slots.iter().map(codec::encode));
    Ok(frames_encode(&frames))
}

/// Frame 0 of an `execute` output.
pub fn execution_summary(output: &[u8]) -> Result<ExecutionSummary, String> {
    codec::decode(
        frames_get(output, 0, "execution").map_err(text)?,
        "execution summary",
    )
    .map_err(text)
}

fn witness(input: &[u8], execution: &[u8]) -> Result<Vec<u8>, String> {
    let input: WitnessInput = codec::decode(input, "witness input").map_err(text)?;
    let summary = execution_summary(execution)?;
    let at = summary
        .labels
        .iter()
        .position(|l| *l == input.label)
        .ok_or_else(|| format!("slot {} is not in the execution", input.label))?;
    let slot: Slot = codec::decode(
        frames_get(execution, at + 1, "execution").map_err(text)?,
        "slot",
    )
    .map_err(text)?;
    let data = slot
        .input
        .into_witness()
        .map_err(|e| format!("{}: {e}", input.label))?;
    // Build the circuit once here: its constructor checks the witness natively, so a bad witness
    // fails this task (naming the slot) instead of a prove task seconds later.
    data.clone()
        .into_circuit()
        .map_err(|e| format!("{}: {e}", input.label))?;
    Ok(codec::encode(&data))
}

impl ProvingHandler {
    fn prove(&self, input: &[u8], witness: &[u8]) -> Result<Vec<u8>, String> {
        let input: ProveInput = codec::decode(input, "prove input").map_err(text)?;
        let data: WitnessData = codec::decode(witness, "witness").map_err(text)?;
        let circuit = data.into_circuit()?;
        if circuit.kind() != input.kind {
            return Err(format!(
                "{}: the witness is for {}, the task proves {}",
                input.label,
                circuit.kind(),
                input.kind
            ));
        }
        let key = self.keys.get(input.kind, input.tree_depth).map_err(text)?;
        let proof = circuit
            .prove(&key.params, &key.keys)
            .map_err(|e| format!("{}: {e}", input.label))?;
        Ok(codec::encode(&ProvedSlot {
            label: input.label,
            kind: input.kind,
            k: key.k,
            public_inputs: circuit.public_inputs(),
            proof,
            vk_fingerprint: key.fingerprint.clone(),
        }))
    }
}

fn assemble(input: &[u8], deps: &[&[u8]]) -> Result<Vec<u8>, String> {
    let input: AssembleInput = codec::decode(input, "assemble input").map_err(text)?;
    let (execution, mut proved) = deps
        .split_first()
        .ok_or("the assemble task needs the execution's output")?;
    let mut root: Option<NodeOutput> = None;
    if input.final_tree.is_some() {
        let (last, rest) = proved
            .split_last()
            .ok_or("the assemble task needs the root node's output")?;
        root = Some(codec::decode(last, "the root node's output").map_err(text)?);
        proved = rest;
    }
    let summary = execution_summary(execution)?;
    let mut by_label: BTreeMap<String, ProvedSlot> = BTreeMap::new();
    for (i, bytes) in proved.iter().enumerate() {
        let p: ProvedSlot = codec::decode(bytes, &format!("proved slot {i}")).map_err(text)?;
        if let Some(dup) = by_label.insert(p.label.clone(), p) {
            return Err(format!("slot {} was proved twice", dup.label));
        }
    }
    let mut proofs = Vec::with_capacity(summary.labels.len());
    for label in &summary.labels {
        let p = by_label
            .remove(label)
            .ok_or_else(|| format!("sub-proof of {label} missing"))?;
        proofs.push((
            SubProof {
                label: p.label,
                kind: p.kind,
                k: p.k,
                public_inputs: p.public_inputs,
                proof: p.proof,
            },
            p.vk_fingerprint,
        ));
    }
    if let Some(extra) = by_label.keys().next() {
        return Err(format!(
            "sub-proof of {extra} is not a slot of the execution"
        ));
    }
    let statement = Statement {
        kind: input.kind,
        id: input.id,
        tree_depth: input.tree_depth,
        initial_root: summary.initial_root,
        final_root: summary.final_root,
        policy: input.policy,
    };
    let mut bundle = bundle::assemble(statement, proofs).map_err(text)?;
    if let (Some(tree), Some(root)) = (input.final_tree, root) {
        if (root.level, root.index) != tree.root() {
            return Err(format!(
                "the last predecessor is node {}/{}, not the root {:?}",
                root.level,
                root.index,
                tree.root()
            ));
        }
        bundle.final_proof = Some(FinalProof {
            tree,
            instances: root.instances,
            proof: root.proof,
        });
        // The same structural and root checks a reader makes, so a bad job fails here.
        bundle.check_final_section().map_err(text)?;
    }
    Ok(bundle.to_bytes())
}

/// How slots name an operation: its id alone, or `id#position` inside a block.
pub fn operation_label(ids: &[String], i: usize) -> String {
    if ids.len() == 1 {
        ids[0].clone()
    } else {
        format!("{}#{}", ids[i], i + 1)
    }
}
