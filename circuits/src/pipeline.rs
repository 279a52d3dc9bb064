//! The prover pipeline: an operation or a block → a task graph → the scheduler → a proof bundle.
//!
//! ```text
//! execute(op 1) ─▶ execute(op 2) ─▶ …            native execution, sequential (roots chain)
//!      │                 │
//!      ▼                 ▼
//! witness(slot i) …  witness(slot j) …          one per sub-circuit, independent
//!      ▼                 ▼
//! prove(slot i)  …   prove(slot j)  …           one halo2 proof each, keys from the cache
//!      └────────┬────────┘
//!               ▼
//!           assemble                             bundle + root-chain check
//! ```
//!
//! The graph's shape (how many slots, of which sub-circuit) comes from a planning pass: the same
//! deterministic native execution run once before the graph is built. The `execute` tasks inside
//! the graph run it again for real and check they produce the planned slots.
//!
//! Key generation is set-up: [`Prover::warm_keys`] runs it before timing starts and reports it
//! separately. Verification (`BatchVerifier`) is [`crate::bundle::assemble_and_verify`], run by
//! `zkpar verify` and by callers that want it, not inside the timed graph.

use crate::any::AnyCircuit;
use crate::block::BlockSpec;
use crate::bundle::{fp_to_hex, Bundle, BundleHeader, SubProof, SubProofHeader, BUNDLE_VERSION};
use crate::cost::{CostModel, ShapeStats};
use crate::keys::KeyCache;
use crate::kind::SubCircuitKind;
use crate::operations::OperationsFile;
use crate::world::{Slot, WorldState};
use crate::Fp;
use parking_lot::Mutex;
use rand::SeedableRng;
use scheduler::analysis;
use scheduler::executor::Executor;
use scheduler::graph::{Cost, TaskError, TaskGraph};
use scheduler::metrics::RunReport;
use scheduler::policy::Policy;
use scheduler::shape::DagShape;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// What to prove.
#[derive(Clone, Debug)]
pub enum Target {
    /// One operation by id.
    Operation(String),
    /// A block of operations.
    Block(BlockSpec),
}

impl Target {
    fn id(&self) -> &str {
        match self {
            Target::Operation(id) => id,
            Target::Block(b) => &b.id,
        }
    }

    fn operation_ids(&self) -> Vec<String> {
        match self {
            Target::Operation(id) => vec![id.clone()],
            Target::Block(b) => b.operations.clone(),
        }
    }
}

/// Pipeline failures; each names the operation, slot or task involved.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The operation or block is not valid on the state.
    #[error(transparent)]
    Spec(#[from] crate::operations::SpecError),
    /// Native execution failed.
    #[error(transparent)]
    Execution(#[from] crate::world::ExecutionError),
    /// Key generation failed.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    /// The scheduler reported a failed, cancelled or invalid run.
    #[error("scheduler: {0}")]
    Run(String),
}

/// Busy seconds per phase (summed task durations, so they can exceed the wall time).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PhaseTimes {
    /// Native execution.
    pub execute_s: f64,
    /// Witness generation.
    pub witness_s: f64,
    /// Proving.
    pub prove_s: f64,
    /// Assembly.
    pub assemble_s: f64,
}

/// Everything a proving run produced and measured.
#[derive(Debug)]
pub struct ProveOutcome {
    /// The bundle.
    pub bundle: Bundle,
    /// The scheduler's report (per-task records, steals, utilisation).
    pub run: RunReport,
    /// Wall-clock seconds of the run (the graph's makespan as the caller sees it).
    pub wall_s: f64,
    /// Busy seconds per phase.
    pub phases: PhaseTimes,
    /// `max(W/P, C)` with loaded single-thread costs: the honest limit on this machine.
    pub lower_bound_s: f64,
    /// The same bound with costs measured alone: what an idle machine would allow.
    pub lower_bound_naive_s: f64,
    /// `lower_bound_s / wall_s`.
    pub efficiency: f64,
    /// Peak resident memory of the process during the run, in bytes (0 if unknown).
    pub peak_rss_bytes: u64,
    /// Seconds spent in planning (the dry native execution) before the run.
    pub plan_s: f64,
}

/// The pipeline's long-lived parts: operations, keys and costs.
pub struct Prover {
    ops: OperationsFile,
    keys: &'static KeyCache,
    costs: Arc<CostModel>,
}

/// A slot in the plan with its estimated costs.
struct PlannedSlot {
    slot: Slot,
    kind: SubCircuitKind,
    shape: ShapeStats,
    circuit_k: u32,
}

impl Prover {
    /// A prover over these operations, with the process-wide key cache.
    pub fn new(ops: OperationsFile, costs: CostModel) -> Self {
        Prover {
            ops,
            keys: KeyCache::global(),
            costs: Arc::new(costs),
        }
    }

    /// The operations file.
    pub fn operations(&self) -> &OperationsFile {
        &self.ops
    }

    /// The key cache.
    pub fn keys(&self) -> &'static KeyCache {
        self.keys
    }

    /// The cost model.
    pub fn costs(&self) -> &CostModel {
        &self.costs
    }

    /// Generates (or fetches) every key `target` needs; returns the seconds spent.
    pub fn warm_keys(&self, target: &Target) -> Result<f64, PipelineError> {
        let started = Instant::now();
        let mut kinds: Vec<SubCircuitKind> = Vec::new();
        for id in target.operation_ids() {
            for step in &self.ops.operation(&id)?.steps {
                kinds.extend(step.prove.iter().map(|p| p.subcircuit));
            }
        }
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            self.keys.get(kind, self.ops.genesis.tree_depth)?;
        }
        Ok(started.elapsed().as_secs_f64())
    }

    fn plan(&self, target: &Target) -> Result<(Vec<PlannedSlot>, Vec<usize>), PipelineError> {
        let mut world = WorldState::genesis(&self.ops.genesis)?;
        let ids = target.operation_ids();
        let mut planned = Vec::new();
        let mut per_op = Vec::new();
        let mut shapes: BTreeMap<SubCircuitKind, (ShapeStats, u32)> = BTreeMap::new();
        for (i, id) in ids.iter().enumerate() {
            let op = self.ops.operation(id)?;
            let execution = world.execute(op, &op_label(&ids, i))?;
            per_op.push(execution.slots.len());
            for slot in execution.slots {
                let kind = slot.input.kind();
                if let std::collections::btree_map::Entry::Vacant(entry) = shapes.entry(kind) {
                    let depth = self.ops.genesis.tree_depth;
                    let c = AnyCircuit::shape(kind, depth).map_err(|message| {
                        crate::keys::KeyError {
                            kind,
                            depth,
                            message,
                        }
                    })?;
                    entry.insert((ShapeStats::of(&c), c.k()));
                }
                let (shape, circuit_k) = shapes[&kind].clone();
                planned.push(PlannedSlot {
                    slot,
                    kind,
                    shape,
                    circuit_k,
                });
            }
        }
        Ok((planned, per_op))
    }

    /// Proves `target` with `policy` on `executor`. Keys are generated first if needed (not timed).
    pub fn prove(
        &self,
        target: &Target,
        policy: &dyn Policy,
        executor: &Executor,
    ) -> Result<ProveOutcome, PipelineError> {
        self.warm_keys(target)?;
        let plan_started = Instant::now();
        let (planned, per_op) = self.plan(target)?;
        let plan_s = plan_started.elapsed().as_secs_f64();
        let depth = self.ops.genesis.tree_depth;
        let workers = executor.workers();
        let ids = target.operation_ids();

        let n = planned.len();
        let slots: Arc<Vec<OnceLock<Slot>>> = Arc::new((0..n).map(|_| OnceLock::new()).collect());
        let circuits: Arc<Vec<Mutex<Option<AnyCircuit>>>> =
            Arc::new((0..n).map(|_| Mutex::new(None)).collect());
        let proofs: Arc<Vec<OnceLock<SubProof>>> =
            Arc::new((0..n).map(|_| OnceLock::new()).collect());
        let bundle_out: Arc<OnceLock<Bundle>> = Arc::new(OnceLock::new());
        let world = Arc::new(Mutex::new(WorldState::genesis(&self.ops.genesis)?));
        let initial_root = world.lock().root();
        let final_root: Arc<OnceLock<Fp>> = Arc::new(OnceLock::new());

        let mut graph = TaskGraph::with_capacity(3 * n + ids.len() + 1, 3 * n + ids.len());
        let mut previous_exec = None;
        let mut first_slot = 0;
        let mut prove_tasks = Vec::with_capacity(n);
        // Report index of each prove task → its planned slot.
        let mut prove_index: BTreeMap<usize, usize> = BTreeMap::new();
        let mut naive_costs = Vec::new();
        let mut loaded_costs = Vec::new();
        let execute_cost = plan_s / ids.len().max(1) as f64;
        for (i, id) in ids.iter().enumerate() {
            let op = self.ops.operation(id)?.clone();
            let label = op_label(&ids, i);
            let range = first_slot..first_slot + per_op[i];
            let expected: Vec<String> = planned[range.clone()]
                .iter()
                .map(|p| p.slot.label())
                .collect();
            let (world_e, slots_e, final_root_e) =
                (world.clone(), slots.clone(), final_root.clone());
            let last = i + 1 == ids.len();
            let exec_label = label.clone();
            let exec = graph.add_task(
                format!("execute {label}"),
                "execute",
                Cost::secs(execute_cost),
                move || {
                    let mut world = world_e.lock();
                    let execution = world
                        .execute(&op, &exec_label)
                        .map_err(|e| TaskError::new(e.to_string()))?;
                    let got: Vec<String> = execution.slots.iter().map(Slot::label).collect();
                    if got != expected {
                        return Err(TaskError::new(format!(
                            "execution of {exec_label} diverged from its plan"
                        )));
                    }
                    for (offset, slot) in execution.slots.into_iter().enumerate() {
                        let _ = slots_e[range.start + offset].set(slot);
                    }
                    if last {
                        let _ = final_root_e.set(world.root());
                    }
                    Ok(())
                },
            );
            naive_costs.push(execute_cost);
            loaded_costs.push(execute_cost);
            if let Some(prev) = previous_exec {
                graph
                    .add_dependency(prev, exec)
                    .map_err(|e| PipelineError::Run(e.to_string()))?;
            }
            previous_exec = Some(exec);

            for j in first_slot..first_slot + per_op[i] {
                let p = &planned[j];
                let name = p.slot.label();
                let witness_s = self.costs.witness_s(p.kind);
                let (slots_w, circuits_w) = (slots.clone(), circuits.clone());
                let witness = graph.add_task(
                    format!("witness {name}"),
                    "witness",
                    Cost::secs(witness_s),
                    move || {
                        let slot = slots_w[j]
                            .get()
                            .ok_or_else(|| TaskError::new("slot missing: execution did not run"))?;
                        let circuit = slot
                            .input
                            .clone()
                            .into_circuit()
                            .map_err(|e| TaskError::new(format!("{}: {e}", slot.label())))?;
                        *circuits_w[j].lock() = Some(circuit);
                        Ok(())
                    },
                );
                graph
                    .add_dependency(exec, witness)
                    .map_err(|e| PipelineError::Run(e.to_string()))?;
                let loaded = self.costs.loaded_s(p.kind, &p.shape);
                let alone = self.costs.alone_s(p.kind, &p.shape);
                naive_costs.extend([witness_s, alone]);
                loaded_costs.extend([witness_s, loaded]);
                let key = self.keys.get(p.kind, depth)?;
                let (circuits_p, proofs_p) = (circuits.clone(), proofs.clone());
                let label_p = name.clone();
                let cost = Cost::secs(self.costs.scheduling_s(p.kind, &p.shape))
                    .with_threads(workers)
                    .with_mem(estimated_peak_mem(&p.shape));
                let prove =
                    graph.add_task(format!("prove {name}"), p.kind.name(), cost, move || {
                        let circuit = circuits_p[j].lock().take().ok_or_else(|| {
                            TaskError::new("circuit missing: witness did not run")
                        })?;
                        let rng = rand::rngs::StdRng::seed_from_u64(j as u64);
                        let proof = circuit.prove(&key.params, &key.pk, rng).map_err(|e| {
                            TaskError::new(format!("{label_p}: halo2 proving failed: {e:?}"))
                        })?;
                        let _ = proofs_p[j].set(SubProof {
                            label: label_p,
                            kind: circuit.kind(),
                            k: circuit.k(),
                            public_inputs: circuit.public_inputs(),
                            proof,
                        });
                        Ok(())
                    });
                graph
                    .add_dependency(witness, prove)
                    .map_err(|e| PipelineError::Run(e.to_string()))?;
                prove_tasks.push(prove);
                prove_index.insert(prove.index(), j);
            }
            first_slot += per_op[i];
        }

        let fingerprints: Vec<(String, u32)> = planned
            .iter()
            .map(|p| {
                Ok((
                    self.keys.get(p.kind, depth)?.fingerprint.clone(),
                    p.circuit_k,
                ))
            })
            .collect::<Result<_, PipelineError>>()?;
        let header_base = BundleHeader {
            format_version: BUNDLE_VERSION,
            kind: match target {
                Target::Operation(_) => "operation".into(),
                Target::Block(_) => "block".into(),
            },
            id: target.id().to_string(),
            tree_depth: depth,
            initial_root: fp_to_hex(&initial_root),
            final_root: String::new(),
            policy: policy.name().to_string(),
            subcircuits: Vec::new(),
        };
        let (proofs_a, bundle_a, final_a) =
            (proofs.clone(), bundle_out.clone(), final_root.clone());
        let assemble = graph.add_task("assemble", "assemble", Cost::secs(0.001), move || {
            let proofs: Vec<SubProof> = proofs_a
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    p.get()
                        .cloned()
                        .ok_or_else(|| TaskError::new(format!("sub-proof {j} missing")))
                })
                .collect::<Result<_, _>>()?;
            let final_root = *final_a
                .get()
                .ok_or_else(|| TaskError::new("final root missing"))?;
            let mut header = header_base;
            header.final_root = fp_to_hex(&final_root);
            header.subcircuits = proofs
                .iter()
                .zip(&fingerprints)
                .map(|(p, (fp, _))| SubProofHeader {
                    label: p.label.clone(),
                    name: p.kind.name().into(),
                    k: p.k,
                    vk_fingerprint: fp.clone(),
                })
                .collect();
            // The root chain is checked here, cheaply; the proofs themselves by `zkpar verify`.
            let mut root = initial_root;
            for p in &proofs {
                if let Some((pre, post)) = crate::bundle::state_transition(p) {
                    if pre != root {
                        return Err(TaskError::new(format!(
                            "{}: pre-root does not chain",
                            p.label
                        )));
                    }
                    root = post;
                }
            }
            if root != final_root {
                return Err(TaskError::new("state roots do not chain to the final root"));
            }
            let _ = bundle_a.set(Bundle { header, proofs });
            Ok(())
        });
        naive_costs.push(0.001);
        loaded_costs.push(0.001);
        for prove in &prove_tasks {
            graph
                .add_dependency(*prove, assemble)
                .map_err(|e| PipelineError::Run(e.to_string()))?;
        }

        let shape = graph.shape();
        let lower_bound_s = bound_with_costs(&shape, &loaded_costs, workers);
        let lower_bound_naive_s = bound_with_costs(&shape, &naive_costs, workers);

        reset_peak_rss();
        let started = Instant::now();
        let run = executor
            .run(graph, policy, None)
            .map_err(|e| PipelineError::Run(e.to_string()))?;
        let wall_s = started.elapsed().as_secs_f64();
        let peak_rss_bytes = peak_rss_bytes();

        // Refine the scheduling estimates from this run's proofs, but only from runs that kept
        // every worker busy with its own proof: under `previous` each proof had all the threads,
        // so its duration is not a loaded single-thread cost.
        let refine = matches!(policy.name(), "dag" | "rayon" | "heft");
        let mut phases = PhaseTimes::default();
        for (i, t) in run.tasks.iter().enumerate() {
            let d = t.end_s - t.start_s;
            if refine {
                if let Some(p) = prove_index.get(&i).map(|&j| &planned[j]) {
                    self.costs.observe(p.kind, &p.shape, d);
                }
            }
            match t.kind.as_str() {
                "execute" => phases.execute_s += d,
                "witness" => phases.witness_s += d,
                "assemble" => phases.assemble_s += d,
                _ => phases.prove_s += d,
            }
        }
        let bundle = Arc::try_unwrap(bundle_out)
            .ok()
            .and_then(OnceLock::into_inner)
            .ok_or_else(|| PipelineError::Run("the run finished without a bundle".into()))?;
        Ok(ProveOutcome {
            bundle,
            wall_s,
            phases,
            lower_bound_s,
            lower_bound_naive_s,
            efficiency: if wall_s > 0.0 {
                lower_bound_s / wall_s
            } else {
                0.0
            },
            peak_rss_bytes,
            plan_s,
            run,
        })
    }
}

fn op_label(ids: &[String], i: usize) -> String {
    if ids.len() == 1 {
        ids[0].clone()
    } else {
        format!("{}#{}", ids[i], i + 1)
    }
}

fn bound_with_costs(shape: &DagShape, costs: &[f64], workers: usize) -> f64 {
    let mut shape = shape.clone();
    for (task, cost) in shape.tasks.iter_mut().zip(costs) {
        task.cost_s = *cost;
    }
    analysis::lower_bound(&shape, workers).unwrap_or(0.0)
}

/// Peak memory of one proof, estimated from its shape: halo2 keeps every advice, fixed and lookup
/// polynomial in coefficient and Lagrange form plus the extended-domain evaluations of the quotient.
fn estimated_peak_mem(shape: &ShapeStats) -> u64 {
    let rows = 1u64 << shape.k.min(40);
    let polys = (shape.advice_columns
        + shape.fixed_columns
        + 3 * shape.lookups
        + shape.instance_columns
        + 4) as u64;
    let extension = (shape.degree.saturating_sub(1).max(1)).next_power_of_two() as u64;
    rows * polys * 32 * (2 + extension)
}

/// Resets the kernel's peak-RSS counter for this process (Linux; ignored elsewhere).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set size of this process since the last reset, in bytes (0 if unknown).
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
