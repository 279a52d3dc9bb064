//! What a run did: per-task records, per-worker utilisation, steal counts and efficiency
//! against the makespan lower bound.
//!
//! Times are seconds since the start of the run (the moment [`crate::executor::Executor::run`]
//! released the first task). Reports serialise to JSON with serde and export to Chrome traces
//! with [`crate::trace`].

use serde::{Deserialize, Serialize};

/// One task's execution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The task's name.
    pub name: String,
    /// The task's kind.
    pub kind: String,
    /// Worker (global index) that ran it.
    pub worker: usize,
    /// Domain of that worker.
    pub domain: usize,
    /// Start time, seconds since the start of the run.
    pub start_s: f64,
    /// End time, seconds since the start of the run.
    pub end_s: f64,
    /// Time between the task becoming ready (all predecessors done) and its start.
    pub queue_wait_s: f64,
    /// Ran on a worker other than the one that made it ready (or, for an entry task, other
    /// than the one it was first offered to).
    pub stolen: bool,
    /// Ran outside the domain it was queued in.
    pub remote: bool,
}

/// One worker's utilisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerRecord {
    /// Global worker index.
    pub worker: usize,
    /// Its domain.
    pub domain: usize,
    /// Tasks it ran.
    pub tasks: usize,
    /// Seconds spent running tasks (nested tasks count twice, see the executor docs).
    pub busy_s: f64,
    /// `makespan - busy`, at least 0.
    pub idle_s: f64,
}

/// The result of a successful run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Policy name.
    pub policy: String,
    /// Number of worker threads.
    pub workers: usize,
    /// Number of domains they were grouped in.
    pub domains: usize,
    /// Wall-clock time from the first task's release to the last task's end, in seconds.
    pub makespan_s: f64,
    /// One record per task, indexed like the graph's [`crate::shape::DagShape`].
    pub tasks: Vec<TaskRecord>,
    /// One record per worker.
    pub worker_stats: Vec<WorkerRecord>,
    /// Tasks stolen within their domain.
    pub local_steals: usize,
    /// Tasks run outside the domain they were queued in.
    pub remote_steals: usize,
    /// `max(W / P, C)` from the graph's cost estimates (see [`crate::analysis::lower_bound`]).
    pub lower_bound_s: f64,
    /// `lower_bound_s / makespan_s` (0 when the makespan is 0). Only as meaningful as the cost
    /// estimates.
    pub efficiency: f64,
}

impl RunReport {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}
