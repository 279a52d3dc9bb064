//! Fleet sizing: how long one block (or operation) takes to prove on a fleet of `W` worker
//! machines with `P` threads each, predicted by simulation. Nothing here runs a proof or talks
//! to a database: every number is **simulated** from the job's task graph and its cost model's
//! loaded costs (placeholders until `zkpar calibrate` has measured them), and the report says so ([`SizingReport::simulated`], the markdown title, the chart
//! caption).
//!
//! # The fleet model, step by step
//!
//! 1. **Lanes.** A fleet of `W` worker processes, each with `P` threads
//!    ([`FleetModel::threads_per_worker`]), runs `P` tasks at a time per worker: `W·P` lanes in
//!    all. A worker claims a task for each idle lane, so the fleet behaves like one machine with
//!    `W·P` identical single-threaded workers.
//! 2. **Task durations.** Every task runs on one lane at its single-thread *loaded* cost
//!    ([`circuits::pipeline::ProvingJob::loaded_costs`]: the cost measured while every core of
//!    the machine is busy, which is the steady state of a loaded worker). halo2's own nested
//!    parallelism is ignored: a proof that lands on an otherwise idle worker would really borrow
//!    that worker's idle cores and finish sooner, so near the end of a block (and in any fleet
//!    with more lanes than ready tasks) the real fleet is faster than predicted. The prediction
//!    is therefore **conservative**: an upper estimate of the schedule, not a best case.
//! 3. **Queue overhead.** Each task pays [`FleetModel::overhead_s`] on its lane on top of its
//!    cost: claiming it, fetching its predecessors' outputs and recording its completion (the
//!    round trips of `fleet::TaskDb::claim` and `fleet::TaskDb::complete`). It lengthens every
//!    task, on the critical path too.
//! 4. **Claim order.** Tasks are claimed from the central PostgreSQL queue highest bottom level
//!    first, across the whole fleet (critical path first). That is the `dag` policy's
//!    [`scheduler::shape::Dispatch::Priority`] with the job's own priorities
//!    ([`scheduler::spec::JobSpec::priorities`], which the fleet stores per task at submit
//!    time), simulated by [`scheduler::sim::simulate`] on `SimMachine::uniform(W·P)`
//!    ([`scheduler::sim::SimMachine::uniform`]): one shared queue, no stealing costs. With
//!    one domain and no latencies this is exactly Graham's list scheduling, and the result is
//!    the *simulated makespan* ([`SizingPoint::simulated_s`]).
//! 5. **Database throughput.** The database serialises claims and completions: it sustains at
//!    most [`FleetModel::db_tasks_per_s`] tasks per second (one claim plus one completion each).
//!    However many lanes there are, the block cannot finish faster than
//!    `tasks / db_tasks_per_s`, the *database floor* ([`SizingPoint::db_floor_s`]). The floor
//!    is a throughput bound, not a queueing model: close to it, claims also wait in line for
//!    longer than `overhead_s`, so where the two sides are near each other the prediction is
//!    optimistic; measure there before buying machines.
//! 6. **Prediction.** `predicted = max(schedule, database floor)`, and
//!    [`SizingPoint::bound_by`] names the side that bound it ([`BOUND_SCHEDULE`] or
//!    [`BOUND_DATABASE`]). The schedule side is the simulated makespan of the fleet, except in
//!    a list-scheduling anomaly (Graham 1969: with greedy claiming, *more* lanes can finish a
//!    graph *later*): then it is the makespan of the fastest smaller fleet of the sweep, because
//!    `W` machines can always run as that fleet by leaving the rest idle.
//!    [`SizingPoint::effective_workers`] says how many workers the prediction actually uses, so
//!    an anomaly is visible rather than hidden; predictions are therefore non-increasing in `W`.
//! 7. **Bounds and ratios.** [`SizingPoint::lower_bound_s`] is `max(work / lanes, critical
//!    path)` with the overhead added to every task: no schedule on `W·P` lanes can beat it, and
//!    every prediction is at least it. [`SizingPoint::speedup`] is the one-worker prediction
//!    divided by this one, and [`SizingPoint::efficiency`] is `speedup / W`.
//!
//! Lanes beyond the number of tasks never receive work (every ready task already starts the
//! moment it is released), so a fleet with more lanes than tasks is simulated with one lane per
//! task: the makespan is the same, and `W = 1000, P = 16` costs no more than `W·P = tasks`.
//!
//! # Defaults, and why
//!
//! * [`DEFAULT_THREADS_PER_WORKER`] `= 16`: a common prover instance size (16 vCPUs), and the
//!   loaded costs assume one task per hardware thread. Pass the workers' real thread count.
//! * [`DEFAULT_OVERHEAD_S`] `= 0.010`: a claim and a completion are each one short transaction
//!   with one round trip on a LAN (about 1–2 ms each with a synchronous commit), and a task's
//!   inputs are small (a witness task reads the execution summary, a prove task its witness
//!   data, the assembly every sub-proof: kilobytes to a few hundred kilobytes). 10 ms leaves
//!   room for a loaded database and a slower network. It is a placeholder of the right order,
//!   not a measurement: measure it on the fleet (task spans from `fleet::TaskDb::run_report`
//!   against the handler's own time) and pass it in.
//! * [`DEFAULT_DB_TASKS_PER_S`] `= 500`: one claim and one completion per task, each a
//!   transaction that locks and updates a few rows and waits for its WAL flush. A single
//!   PostgreSQL primary on an SSD commits a few thousand such transactions per second; 500
//!   tasks per second (1,000 transactions) is deliberately below that, for a shared or modest
//!   server. Again a placeholder: measure claim+complete throughput and pass it in. Use
//!   `f64::INFINITY` to model an unlimited database (written as `null` in JSON).
//!
//! # Example
//!
//! ```
//! use bench_suite::sizing::{predict, FleetModel};
//! use scheduler::graph::Cost;
//! use scheduler::spec::JobSpec;
//!
//! // execute -> four proofs -> assemble
//! let mut job = JobSpec::new("tiny");
//! let e = job.add_task("execute", "execute", Cost::secs(0.01), vec![]);
//! let a = job.add_task("assemble", "assemble", Cost::secs(0.01), vec![]);
//! let mut costs = vec![0.01, 0.01];
//! for i in 0..4 {
//!     let p = job.add_task(format!("prove {i}"), "prove", Cost::secs(1.0), vec![]);
//!     job.add_dependency(e, p)?;
//!     job.add_dependency(p, a)?;
//!     costs.push(1.0);
//! }
//! let model = FleetModel { threads_per_worker: 2, overhead_s: 0.0, db_tasks_per_s: f64::INFINITY };
//! let report = predict(&job, &costs, &model, &[1, 2])?;
//! assert!((report.points[0].predicted_s - 2.02).abs() < 1e-9); // 2 lanes: two rounds of proofs
//! assert!((report.points[1].predicted_s - 1.02).abs() < 1e-9); // 4 lanes: one round
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

mod chart;

pub use chart::{sizing_chart, sizing_svg};

use scheduler::analysis::{self, CycleError};
use scheduler::policy::policy_by_name;
use scheduler::sim::{simulate, SimError, SimMachine};
use scheduler::spec::JobSpec;

/// Default [`FleetModel::threads_per_worker`] (see the module docs).
pub const DEFAULT_THREADS_PER_WORKER: usize = 16;
/// Default [`FleetModel::overhead_s`], seconds per task (see the module docs).
pub const DEFAULT_OVERHEAD_S: f64 = 0.010;
/// Default [`FleetModel::db_tasks_per_s`] (see the module docs).
pub const DEFAULT_DB_TASKS_PER_S: f64 = 500.0;

/// [`SizingPoint::bound_by`] when the simulated schedule bounds the prediction.
pub const BOUND_SCHEDULE: &str = "schedule";
/// [`SizingPoint::bound_by`] when the database's throughput bounds the prediction.
pub const BOUND_DATABASE: &str = "database";

/// The policy whose claim order the fleet follows (critical path first).
const POLICY: &str = "dag";

/// The fleet's parameters (see the module docs for the model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetModel {
    /// Threads per worker process: tasks each worker runs at a time (at least 1).
    pub threads_per_worker: usize,
    /// Per-task queue overhead (claim + fetch inputs + complete), seconds; finite, not negative.
    pub overhead_s: f64,
    /// Claim+complete throughput of the task database, tasks per second; positive, may be
    /// `f64::INFINITY` (no limit), which JSON writes as `null`.
    #[serde(with = "unbounded_rate")]
    pub db_tasks_per_s: f64,
}

impl Default for FleetModel {
    fn default() -> Self {
        FleetModel {
            threads_per_worker: DEFAULT_THREADS_PER_WORKER,
            overhead_s: DEFAULT_OVERHEAD_S,
            db_tasks_per_s: DEFAULT_DB_TASKS_PER_S,
        }
    }
}

impl FleetModel {
    /// Checks the parameters' ranges.
    pub fn validate(&self) -> Result<(), SizingError> {
        if self.threads_per_worker == 0 {
            return Err(SizingError::Model(
                "threads_per_worker must be at least 1".into(),
            ));
        }
        if !self.overhead_s.is_finite() || self.overhead_s < 0.0 {
            return Err(SizingError::Model(format!(
                "overhead_s = {} must be finite and non-negative",
                self.overhead_s
            )));
        }
        if self.db_tasks_per_s.is_nan() || self.db_tasks_per_s <= 0.0 {
            return Err(SizingError::Model(format!(
                "db_tasks_per_s = {} must be positive (or infinite for no limit)",
                self.db_tasks_per_s
            )));
        }
        Ok(())
    }

    /// `tasks / db_tasks_per_s`: the database's floor under any makespan, seconds.
    pub fn db_floor_s(&self, tasks: usize) -> f64 {
        if self.db_tasks_per_s.is_infinite() {
            0.0
        } else {
            tasks as f64 / self.db_tasks_per_s
        }
    }
}

/// Writes an infinite rate as `null` (JSON has no infinity) and reads `null` back as infinity.
mod unbounded_rate {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(rate: &f64, s: S) -> Result<S::Ok, S::Error> {
        if rate.is_finite() {
            s.serialize_some(rate)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
    }
}

/// The prediction for one fleet size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SizingPoint {
    /// Worker processes `W`.
    pub workers: usize,
    /// Lanes `W·P`.
    pub lanes: usize,
    /// Predicted seconds for the job: `max(schedule, db_floor_s)` (module docs, step 6).
    pub predicted_s: f64,
    /// Simulated makespan of critical-path-first claiming on `lanes` lanes, seconds.
    pub simulated_s: f64,
    /// `tasks / db_tasks_per_s`, seconds (0 for an unlimited database).
    pub db_floor_s: f64,
    /// `max(work / lanes, critical path)` with the overhead added to every task, seconds.
    pub lower_bound_s: f64,
    /// [`BOUND_SCHEDULE`] or [`BOUND_DATABASE`]: which side of the `max` is larger (ties go to
    /// the schedule).
    pub bound_by: String,
    /// Workers whose schedule the prediction uses: `workers`, or fewer when a smaller fleet of
    /// the sweep simulated faster (a list-scheduling anomaly, module docs step 6).
    pub effective_workers: usize,
    /// The one-worker prediction divided by this one (1 when both are 0).
    pub speedup: f64,
    /// `speedup / workers`.
    pub efficiency: f64,
}

/// Predictions for a range of fleet sizes, written as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SizingReport {
    /// The job's name (for example `block mainnet-mix`).
    pub target: String,
    /// Number of tasks.
    pub tasks: usize,
    /// The fleet parameters.
    pub model: FleetModel,
    /// The claim order simulated (`dag`: highest bottom level first).
    pub policy: String,
    /// Total work with overhead: the sum of loaded costs plus `tasks · overhead_s`, seconds.
    pub total_work_s: f64,
    /// Critical path with overhead (every task on it pays `overhead_s`), seconds.
    pub critical_path_s: f64,
    /// The prediction for one worker (the base of [`SizingPoint::speedup`]), seconds.
    pub baseline_s: f64,
    /// One point per worker count, ascending.
    pub points: Vec<SizingPoint>,
    /// Always `true`: every number is simulated, none measured on a fleet.
    pub simulated: bool,
    /// Where the numbers come from, in one sentence.
    pub note: String,
}

/// Why a sizing could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum SizingError {
    /// A fleet parameter is out of range.
    #[error("invalid fleet model: {0}")]
    Model(String),
    /// The costs do not match the job.
    #[error("{costs} loaded costs for a job of {tasks} tasks")]
    CostCount {
        /// Costs given.
        costs: usize,
        /// Tasks in the job.
        tasks: usize,
    },
    /// A loaded cost is negative, infinite or NaN.
    #[error(
        "task {index} (`{name}`) has loaded cost {cost} s; costs must be finite and non-negative"
    )]
    BadCost {
        /// Task index.
        index: usize,
        /// Task name.
        name: String,
        /// The cost.
        cost: f64,
    },
    /// The worker list is empty or holds 0, or `W·P` overflows.
    #[error("invalid worker counts: {0}")]
    Workers(String),
    /// The job has a cycle.
    #[error(transparent)]
    Cycle(#[from] CycleError),
    /// The simulator refused the job.
    #[error("simulation: {0}")]
    Sim(#[from] SimError),
}

/// The worker counts of a default sweep: 1, 2, 4, …, 512, then 1000.
pub fn default_worker_counts() -> Vec<usize> {
    (0..10).map(|k| 1usize << k).chain([1000]).collect()
}

/// Predicts the proving time of `spec` on a fleet of each size in `workers` (sorted and
/// deduplicated in the report), with `loaded_costs[i]` the loaded single-thread cost of task
/// `i`. See the module docs for the model.
///
/// # Complexity
/// One simulation per distinct `min(W·P, tasks)` plus one for `W = 1`, each
/// O((V + E) log V + events · min(W·P, V)).
pub fn predict(
    spec: &JobSpec,
    loaded_costs: &[f64],
    model: &FleetModel,
    workers: &[usize],
) -> Result<SizingReport, SizingError> {
    model.validate()?;
    let n = spec.len();
    if loaded_costs.len() != n {
        return Err(SizingError::CostCount {
            costs: loaded_costs.len(),
            tasks: n,
        });
    }
    if let Some(index) = loaded_costs.iter().position(|c| !c.is_finite() || *c < 0.0) {
        return Err(SizingError::BadCost {
            index,
            name: spec.tasks[index].name.clone(),
            cost: loaded_costs[index],
        });
    }
    let mut counts = workers.to_vec();
    counts.sort_unstable();
    counts.dedup();
    if counts.is_empty() {
        return Err(SizingError::Workers("no worker count given".into()));
    }
    if counts[0] == 0 {
        return Err(SizingError::Workers(
            "a fleet needs at least 1 worker".into(),
        ));
    }
    let p = model.threads_per_worker;
    let lanes_of = |w: usize| {
        w.checked_mul(p)
            .ok_or_else(|| SizingError::Workers(format!("{w} workers × {p} threads overflows")))
    };

    // The durations the fleet sees; the claim order it uses (its stored priorities).
    let order_shape = spec.shape();
    let mut shape = order_shape.clone();
    for (task, cost) in shape.tasks.iter_mut().zip(loaded_costs) {
        task.cost_s = cost + model.overhead_s;
    }
    let total_work_s = analysis::total_work(&shape);
    let critical_path_s = analysis::critical_path(&shape)?;
    let policy = policy_by_name(POLICY).map_err(|e| SizingError::Model(e.to_string()))?;

    // Simulated makespans, memoised by the lanes actually simulated.
    let mut memo: Vec<(usize, f64)> = Vec::new();
    let mut makespan = |lanes: usize| -> Result<f64, SizingError> {
        let sim_lanes = lanes.min(n);
        if sim_lanes == 0 {
            return Ok(0.0);
        }
        if let Some(&(_, m)) = memo.iter().find(|(l, _)| *l == sim_lanes) {
            return Ok(m);
        }
        let dispatch = policy.dispatch(&order_shape, sim_lanes);
        let m = simulate(&shape, &dispatch, &SimMachine::uniform(sim_lanes), 0)?.makespan_s;
        memo.push((sim_lanes, m));
        Ok(m)
    };

    let db_floor_s = model.db_floor_s(n);
    let baseline_s = makespan(p)?.max(db_floor_s);
    let mut points = Vec::with_capacity(counts.len());
    // The fastest schedule so far and the fleet size that achieves it.
    let mut best: Option<(f64, usize)> = None;
    for &w in &counts {
        let lanes = lanes_of(w)?;
        let simulated_s = makespan(lanes)?;
        let (schedule_s, effective_workers) = match best {
            Some((s, bw)) if s < simulated_s => (s, bw),
            _ => (simulated_s, w),
        };
        best = Some((schedule_s, effective_workers));
        let (predicted_s, bound_by) = if db_floor_s > schedule_s {
            (db_floor_s, BOUND_DATABASE)
        } else {
            (schedule_s, BOUND_SCHEDULE)
        };
        let speedup = if predicted_s > 0.0 {
            baseline_s / predicted_s
        } else {
            1.0
        };
        points.push(SizingPoint {
            workers: w,
            lanes,
            predicted_s,
            simulated_s,
            db_floor_s,
            lower_bound_s: (total_work_s / lanes as f64).max(critical_path_s),
            bound_by: bound_by.into(),
            effective_workers,
            speedup,
            efficiency: speedup / w as f64,
        });
    }
    Ok(SizingReport {
        target: spec.name.clone(),
        tasks: n,
        model: model.clone(),
        policy: POLICY.into(),
        total_work_s,
        critical_path_s,
        baseline_s,
        points,
        simulated: true,
        note: "Simulated, not measured: zkpar's discrete-event simulator on the job's task graph \
               with the cost model's loaded costs (calibrated when a calibration was loaded); no \
               fleet or database was run."
            .into(),
    })
}

/// [`predict`] for a proving job built by [`circuits::pipeline::Prover::job`], with its loaded
/// costs.
pub fn predict_job(
    job: &circuits::pipeline::ProvingJob,
    model: &FleetModel,
    workers: &[usize],
) -> Result<SizingReport, SizingError> {
    predict(&job.spec, &job.loaded_costs, model, workers)
}

/// Seconds with about four significant digits, without exponent notation.
fn fmt_s(s: f64) -> String {
    if s == 0.0 {
        "0".into()
    } else if s >= 100.0 {
        format!("{s:.1}")
    } else if s >= 1.0 {
        format!("{s:.3}")
    } else {
        format!("{s:.4}")
    }
}

/// The rate as written in tables: a number or `unlimited`.
fn fmt_rate(rate: f64) -> String {
    if rate.is_finite() {
        format!("{rate:.0} tasks/s")
    } else {
        "unlimited".into()
    }
}

/// A markdown section: a title saying "simulated", the model parameters, and one table row per
/// fleet size.
pub fn sizing_markdown(report: &SizingReport) -> String {
    let m = &report.model;
    let mut out = format!(
        "## Fleet sizing (simulated): {}\n\n\
         {}\n\n\
         Model: {} tasks; {} threads per worker (lanes = workers × {}); per-task queue overhead \
         {} s; database throughput {}; claim order `{}` (highest bottom level first); loaded \
         single-thread costs, halo2's nested parallelism ignored (conservative). Total work \
         {} s and critical path {} s, overhead included. One worker: {} s.\n\n\
         | workers | lanes | predicted s | simulated makespan s | database floor s | lower bound s | bound by | speedup | efficiency |\n\
         |---:|---:|---:|---:|---:|---:|---|---:|---:|\n",
        report.target,
        report.note,
        report.tasks,
        m.threads_per_worker,
        m.threads_per_worker,
        fmt_s(m.overhead_s),
        fmt_rate(m.db_tasks_per_s),
        report.policy,
        fmt_s(report.total_work_s),
        fmt_s(report.critical_path_s),
        fmt_s(report.baseline_s),
    );
    for p in &report.points {
        let bound = if p.effective_workers == p.workers {
            p.bound_by.clone()
        } else {
            format!("{} (as {} workers)", p.bound_by, p.effective_workers)
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1}x | {:.0}% |\n",
            p.workers,
            p.lanes,
            fmt_s(p.predicted_s),
            fmt_s(p.simulated_s),
            fmt_s(p.db_floor_s),
            fmt_s(p.lower_bound_s),
            bound,
            p.speedup,
            100.0 * p.efficiency,
        ));
    }
    if report
        .points
        .iter()
        .any(|p| p.effective_workers != p.workers)
    {
        out.push_str(
            "\n\"as N workers\": greedy claiming on more lanes simulated slower (a list-scheduling \
             anomaly); the prediction is that of the smaller fleet, which the larger one can \
             always run as.\n",
        );
    }
    out
}
