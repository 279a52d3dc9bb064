//! The scheduling view of a task graph: the plain data that policies, the executor's dispatcher,
//! the simulator and the Standard Task Graph Set evaluation all work on.
//!
//! A [`crate::graph::TaskGraph`] owns closures and cannot be copied or simulated; its
//! [`DagShape`] is the same graph stripped to numbers, so one policy decision can drive either a
//! real run or a simulated one.

use serde::{Deserialize, Serialize};

/// Index of a task inside a [`DagShape`] (and of the node inside the `TaskGraph` it came from).
pub(crate) type TaskIndex = usize;

/// What the scheduler knows about one task before running it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskShape {
    /// Human-readable, unique within a graph (used in errors, traces and reports).
    pub name: String,
    /// Free-form category (for example `witness`, `prove`, `assemble`); colours traces and charts.
    pub kind: String,
    /// Estimated single-thread running time, in seconds.
    pub cost_s: f64,
    /// How many threads the task's own data parallelism can use well (at least 1).
    pub max_threads: usize,
    /// Estimated peak memory while running, in bytes.
    pub peak_mem_bytes: u64,
    /// Preferred NUMA domain, if the task's inputs live there.
    pub locality: Option<usize>,
}

/// A task graph reduced to numbers. `preds[i]` and `succs[i]` list the dependencies of task `i`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DagShape {
    /// One entry per task.
    pub tasks: Vec<TaskShape>,
    /// Direct predecessors of each task.
    pub preds: Vec<Vec<usize>>,
    /// Direct successors of each task.
    pub succs: Vec<Vec<usize>>,
}

impl DagShape {
    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True when the graph has no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

/// A static schedule: which worker runs each task, in which order, and when (predicted).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StaticPlan {
    /// Worker that runs each task.
    pub worker_of: Vec<usize>,
    /// Predicted start time of each task, in seconds from the start of the run.
    pub start_s: Vec<f64>,
    /// The tasks of each worker, in the order it runs them.
    pub order_per_worker: Vec<Vec<usize>>,
    /// Predicted makespan (finish time of the last task), in seconds.
    pub makespan_s: f64,
}

/// How a policy wants a graph dispatched. The executor and the simulator both interpret it.
#[derive(Clone, Debug, PartialEq)]
pub enum Dispatch {
    /// One task at a time in this (topological) order; each task may use every worker for its own
    /// data parallelism. This is how a plain halo2 user proves sub-circuits one after another.
    Sequential {
        /// A topological order of all tasks.
        order: Vec<usize>,
    },
    /// Every ready task is handed to a shared pool as soon as it is released, first come first
    /// served, with no priorities and no locality: what plain `rayon::scope` spawning gives.
    Fifo,
    /// Ready tasks are taken highest priority first from per-domain queues, with work stealing
    /// (inside the domain first), locality hints and memory admission.
    Priority {
        /// Priority of each task; higher runs first.
        priority: Vec<f64>,
        /// Whether to honour [`TaskShape::locality`] hints.
        locality: bool,
    },
    /// Follow a precomputed plan: each worker runs its own list in order, each task as soon as its
    /// predecessors are done.
    Plan(StaticPlan),
}

/// A ready task in a max-heap of ready tasks: highest priority first, then lowest index, so the
/// order is total and deterministic (shared by the reference HEFT plan and the simulator).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyTask {
    /// Priority (for example the bottom level); higher pops first.
    pub(crate) priority: f64,
    /// The task.
    pub(crate) task: TaskIndex,
}

impl PartialEq for ReadyTask {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for ReadyTask {}

impl PartialOrd for ReadyTask {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ReadyTask {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.priority
            .total_cmp(&other.priority)
            .then_with(|| other.task.cmp(&self.task))
    }
}
