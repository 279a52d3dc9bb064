//! The prover pipeline: an operation or a block → a task graph → the scheduler → a proof bundle.
//!
//! ```text
//!                 execute                        native execution of every operation, in order
//!      ┌─────────────────┤
//!      ▼                 ▼
//! witness(slot i) …  witness(slot j) …          one per sub-circuit, independent
//!      ▼                 ▼
//! prove(slot i)  …   prove(slot j)  …           one halo2 proof each, keys from the cache
//!      └────────┬────────┘
//!               ▼
//!           assemble                             bundle + root-chain check
//! ```
//!
//! The graph is a [`JobSpec`]: tasks as data, run by [`crate::tasks::ProvingHandler`] (see
//! [`crate::tasks`] for each kind's input and output). [`Prover::job`] builds it from the
//! operations file alone (which sub-circuits each step proves); native execution runs once,
//! inside the `execute` task. [`Prover::prove`] runs the job on this machine's executor; a fleet
//! runs the very same job on its workers.
//!
//! Key generation is set-up: [`Prover::warm_keys`] runs it before timing starts and reports it
//! separately. Assembly (the root chain) is [`crate::bundle::assemble`], inside the job;
//! verification is [`crate::bundle::assemble_and_verify`], run by `zkpar verify`
//! and by callers that want it, not inside the timed graph. Cost learning is an explicit call
//! ([`Prover::learn_costs`]), so one timed run never silently steers the next.

mod job;

use crate::block::BlockSpec;
use crate::bundle::Bundle;
use crate::codec;
use crate::cost::{CostModel, ShapeStats};
use crate::final_proof::{AggregateChild, AggregateInput, FinalTree, DEFAULT_AGG_BUDGET};
use crate::keys::KeyCache;
use crate::kind::SubCircuitKind;
use crate::operations::OperationsFile;
use crate::tasks::{self, AssembleInput, ExecuteInput, ProveInput, ProvingHandler, WitnessInput};
use circuits_kzg::aggregation::{plan_tree, AggCostModel, ChildRef, LeafEstimate, TreePlan};
use scheduler::analysis;
use scheduler::executor::{Executor, RunError};
use scheduler::graph::Cost;
use scheduler::metrics::RunReport;
use scheduler::policy::Policy;
use scheduler::shape::DagShape;
use scheduler::spec::{run_local, JobSpec};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
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
    /// The operation or block id.
    pub fn id(&self) -> &str {
        match self {
            Target::Operation(id) => id,
            Target::Block(b) => &b.id,
        }
    }

    /// `operation` or `block` (the bundle header's kind).
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Operation(_) => "operation",
            Target::Block(_) => "block",
        }
    }

    /// The operations it runs, in order.
    pub fn operation_ids(&self) -> Vec<String> {
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
    /// The job could not be built (a dependency out of range: a bug, named).
    #[error("building the task graph: {0}")]
    Graph(#[from] scheduler::graph::GraphError),
    /// The scheduler reported a failed, cancelled or invalid run.
    #[error("scheduler: {0}")]
    Run(#[from] RunError),
    /// The run's assembled bundle does not decode.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// A calibration measurement failed outside any run (witness or proof of a sample).
    #[error("calibration: {0}")]
    Calibration(String),
    /// The job's plan disagrees with native execution (a bug, named).
    #[error("building the job: {0}")]
    Job(String),
    /// No aggregation tree fits the memory budget (or there is nothing to aggregate).
    #[error("planning the final proof: {0}")]
    FinalPlan(#[from] circuits_kzg::aggregation::PlanError),
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
    /// Aggregation (the final proof's nodes).
    pub aggregate_s: f64,
}

impl PhaseTimes {
    /// Sums a run's task durations by task kind (prove tasks carry their sub-circuit's name).
    pub fn of(run: &RunReport) -> Self {
        let mut phases = PhaseTimes::default();
        for t in &run.tasks {
            let d = t.end_s - t.start_s;
            match t.kind.as_str() {
                tasks::EXECUTE => phases.execute_s += d,
                tasks::WITNESS => phases.witness_s += d,
                tasks::ASSEMBLE => phases.assemble_s += d,
                tasks::AGGREGATE => phases.aggregate_s += d,
                _ => phases.prove_s += d,
            }
        }
        phases
    }
}

/// One proof's measured duration, what [`Prover::learn_costs`] folds into the cost model.
#[derive(Clone, Debug)]
pub struct ProveSample {
    /// The sub-circuit.
    pub kind: SubCircuitKind,
    /// Its shape.
    pub shape: ShapeStats,
    /// Seconds the prove task ran.
    pub seconds: f64,
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
    /// Resident memory of the process when the run started (keys and parameters loaded), in
    /// bytes: `peak_rss_bytes - start_rss_bytes` is what the run's tasks added, the quantity a
    /// memory budget bounds.
    pub start_rss_bytes: u64,
    /// Seconds spent building the job (planning; native execution runs inside the job).
    pub plan_s: f64,
    /// The policy that ran it.
    pub policy: String,
    /// Each prove task's duration, for [`Prover::learn_costs`].
    pub prove_samples: Vec<ProveSample>,
    /// Seconds from the start of the run to the end of the final proof's root task (when the
    /// job aggregates).
    pub final_proof_s: Option<f64>,
}

/// A proving job ready to run on either engine, with what the caller needs to read its result.
#[derive(Clone, Debug)]
pub struct ProvingJob {
    /// The tasks as data.
    pub spec: JobSpec,
    /// Index of the `assemble` task, whose output is the bundle.
    pub assemble_task: usize,
    /// Per prove task (by task index): its sub-circuit and shape.
    pub prove_tasks: BTreeMap<usize, (SubCircuitKind, ShapeStats)>,
    /// Per task: single-thread cost measured with every core busy (bounds).
    pub loaded_costs: Vec<f64>,
    /// Per task: single-thread cost measured alone.
    pub naive_costs: Vec<f64>,
    /// The final proof's tree and the index of each node's `aggregate` task (by level, then
    /// position), when the job aggregates.
    pub final_proof: Option<(TreePlan, Vec<Vec<usize>>)>,
}

/// How [`Prover::job_with`] builds a job.
#[derive(Clone, Debug, Default)]
pub struct JobOptions {
    /// Aggregate the sub-proofs into one final proof (aggregate tasks after the prove tasks).
    pub final_proof: bool,
    /// Memory budget for planning the aggregation tree, in bytes: the executor's budget when it
    /// has one; [`DEFAULT_AGG_BUDGET`] when `None`.
    pub mem_budget: Option<u64>,
    /// The aggregation cost model; [`AggCostModel::measured_2core`] when `None`.
    pub agg_model: Option<AggCostModel>,
}

impl JobOptions {
    /// The budget an executor running this job should admit tasks within: the given one, or,
    /// for a final proof, [`DEFAULT_AGG_BUDGET`], the budget its tree is planned under.
    pub fn admission_budget(&self) -> Option<u64> {
        self.mem_budget
            .or(self.final_proof.then_some(DEFAULT_AGG_BUDGET))
    }
}

impl ProvingJob {
    /// The index of the final proof's root task, when the job aggregates.
    pub fn final_task(&self) -> Option<usize> {
        self.final_proof
            .as_ref()
            .and_then(|(_, tasks)| tasks.last().and_then(|l| l.first()).copied())
    }
}

impl ProvingJob {
    /// `max(W/P, C)` over `workers` with loaded and with naive costs.
    pub fn lower_bounds(&self, workers: usize) -> (f64, f64) {
        let shape = self.spec.shape();
        (
            bound_with_costs(&shape, &self.loaded_costs, workers),
            bound_with_costs(&shape, &self.naive_costs, workers),
        )
    }

    /// The bundle in a finished job's outputs.
    pub fn bundle(&self, outputs: &[Vec<u8>]) -> Result<Bundle, PipelineError> {
        let bytes = outputs.get(self.assemble_task).ok_or_else(|| {
            crate::bundle::BundleError::Malformed("the job has no assemble output".into())
        })?;
        Ok(Bundle::from_bytes(bytes)?)
    }
}

/// Estimated seconds of native execution per operation: a few Poseidon hashes per touched leaf,
/// measured at 1–4 ms per operation on the 2-core development machine; only its order of
/// magnitude matters (it sits at the head of the critical path either way).
const EXECUTE_S_PER_OPERATION: f64 = 0.003;

/// Estimated seconds of assembly: decoding the sub-proofs and checking the root chain.
const ASSEMBLE_S: f64 = 0.001;

/// The pipeline's long-lived parts: operations, keys and costs.
pub struct Prover {
    ops: OperationsFile,
    keys: &'static KeyCache,
    costs: Arc<CostModel>,
    handler: Arc<ProvingHandler>,
}

impl Prover {
    /// A prover over these operations, with the process-wide key cache.
    pub fn new(ops: OperationsFile, costs: CostModel) -> Self {
        Self::with_keys(ops, costs, KeyCache::global())
    }

    /// A prover over these operations with this key cache (e.g. one reading ceremony
    /// parameters, [`KeyCache::with_params_dir`]).
    pub fn with_keys(ops: OperationsFile, costs: CostModel, keys: &'static KeyCache) -> Self {
        Prover {
            ops,
            keys,
            costs: Arc::new(costs),
            handler: Arc::new(ProvingHandler::new(keys)),
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

    /// The handler that runs this prover's tasks (on this machine or a fleet worker).
    pub fn handler(&self) -> Arc<ProvingHandler> {
        Arc::clone(&self.handler)
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

    /// Builds `target`'s job: `execute → witness(slot) → prove(slot) → assemble`, with costs for
    /// `workers` threads. The slots come from the operations file (which sub-circuits each step
    /// proves); native execution happens once, inside the job's `execute` task.
    pub fn job(
        &self,
        target: &Target,
        policy: &str,
        workers: usize,
    ) -> Result<ProvingJob, PipelineError> {
        self.job_with(target, policy, workers, &JobOptions::default())
    }

    /// Proves `target` with `policy` on `executor`. Keys are generated first if needed (not
    /// timed). The cost model is not changed: call [`Prover::learn_costs`] to fold the run in.
    pub fn prove(
        &self,
        target: &Target,
        policy: &dyn Policy,
        executor: &Executor,
    ) -> Result<ProveOutcome, PipelineError> {
        self.prove_with(target, policy, executor, &JobOptions::default())
    }

    /// [`Prover::prove`] of the job [`Prover::job_with`] builds (e.g. with a final proof; pass
    /// the executor's memory budget in `options`).
    pub fn prove_with(
        &self,
        target: &Target,
        policy: &dyn Policy,
        executor: &Executor,
        options: &JobOptions,
    ) -> Result<ProveOutcome, PipelineError> {
        self.warm_keys(target)?;
        let plan_started = Instant::now();
        let workers = executor.workers();
        // Plan the tree under the budget the executor admits within, so that the nodes the
        // plan puts side by side are the ones admission lets run side by side.
        let mut options = options.clone();
        options.mem_budget = options.mem_budget.or(executor.mem_budget());
        if options.final_proof && executor.mem_budget().is_none() {
            log::warn!(
                "the executor has no memory budget: aggregation nodes of gigabytes may run side \
                 by side (give the executor `JobOptions::admission_budget`)"
            );
        }
        let job = self.job_with(target, policy.name(), workers, &options)?;
        let plan_s = plan_started.elapsed().as_secs_f64();
        let (lower_bound_s, lower_bound_naive_s) = job.lower_bounds(workers);

        reset_peak_rss();
        let start_rss_bytes = current_rss_bytes();
        let started = Instant::now();
        let run = run_local(&job.spec, self.handler(), executor, policy, None)?;
        let wall_s = started.elapsed().as_secs_f64();
        let peak_rss_bytes = peak_rss_bytes();

        let bundle = job.bundle(&run.outputs)?;
        let prove_samples = job
            .prove_tasks
            .iter()
            .map(|(&i, (kind, shape))| ProveSample {
                kind: *kind,
                shape: shape.clone(),
                seconds: run.report.tasks[i].end_s - run.report.tasks[i].start_s,
            })
            .collect();
        Ok(ProveOutcome {
            bundle,
            wall_s,
            phases: PhaseTimes::of(&run.report),
            lower_bound_s,
            lower_bound_naive_s,
            efficiency: if wall_s > 0.0 {
                lower_bound_s / wall_s
            } else {
                0.0
            },
            peak_rss_bytes,
            start_rss_bytes,
            plan_s,
            policy: policy.name().to_string(),
            prove_samples,
            final_proof_s: job.final_task().map(|i| run.report.tasks[i].end_s),
            run: run.report,
        })
    }

    /// Refines the cost model's scheduling estimates from a run's proofs; returns how many it
    /// used. Only runs that kept every worker busy with its own proof count: under `previous`
    /// each proof had all the threads, so its duration is not a loaded single-thread cost.
    pub fn learn_costs(&self, outcome: &ProveOutcome) -> usize {
        if !matches!(outcome.policy.as_str(), "dag" | "rayon" | "heft") {
            return 0;
        }
        for s in &outcome.prove_samples {
            self.costs.observe(s.kind, &s.shape, s.seconds);
        }
        outcome.prove_samples.len()
    }
}

fn bound_with_costs(shape: &DagShape, costs: &[f64], workers: usize) -> f64 {
    let mut shape = shape.clone();
    for (task, cost) in shape.tasks.iter_mut().zip(costs) {
        task.cost_s = *cost;
    }
    analysis::lower_bound(&shape, workers).unwrap_or(0.0)
}

/// Resets the kernel's peak-RSS counter for this process (Linux; ignored elsewhere), after
/// handing memory the allocator holds but no longer uses back to the kernel: otherwise pages
/// freed by an earlier run stay resident, the next run reuses them without the resident set
/// growing, and what a run adds to it is understated.
pub fn reset_peak_rss() {
    release_free_memory();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: glibc's malloc_trim only returns free heap pages to the kernel; it takes the
    // arenas' own locks and touches no memory the program owns.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// Peak resident set size of this process since the last reset, in bytes (0 if unknown).
pub fn peak_rss_bytes() -> u64 {
    proc_status_bytes("VmHWM:")
}

/// Resident set size of this process now, in bytes (0 if unknown).
pub fn current_rss_bytes() -> u64 {
    proc_status_bytes("VmRSS:")
}

fn proc_status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
