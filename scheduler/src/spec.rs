//! Tasks as data: one job description, two engines.
//!
//! A [`JobSpec`] is a task graph whose nodes are *data*, not closures: each [`TaskSpec`] has a
//! kind (`"prove"`, `"witness"`, …), input bytes and a cost estimate, and each task's output bytes
//! feed its successors. A [`TaskHandler`] turns a kind, its input and its predecessors' outputs
//! into the task's output. Because nothing in a job is a pointer into one process, the same job
//! runs
//!
//! * on this machine's [`crate::executor::Executor`], through [`run_local`] (no database, the
//!   default), or
//! * on a fleet of worker processes that claim tasks from a shared task database (the `fleet`
//!   crate), each running what it claims on its own local executor.
//!
//! Predecessor outputs reach a handler in the order the dependencies were added
//! ([`JobSpec::add_dependency`]), so a handler can rely on "input 0 is the execution, inputs
//! 1.. are the sub-proofs".
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use scheduler::executor::{Executor, ExecutorConfig};
//! use scheduler::graph::{Cost, TaskError};
//! use scheduler::policy::policy_by_name;
//! use scheduler::spec::{run_local, JobSpec, TaskHandler, TaskInput};
//! use scheduler::topology::Topology;
//!
//! /// `num` outputs its input; `sum` adds its predecessors' outputs.
//! struct Arith;
//! impl TaskHandler for Arith {
//!     fn run(&self, task: &TaskInput<'_>) -> Result<Vec<u8>, TaskError> {
//!         match task.kind {
//!             "num" => Ok(task.input.to_vec()),
//!             "sum" => Ok(vec![task.deps.iter().map(|d| d[0]).sum()]),
//!             other => Err(TaskError::new(format!("unknown kind {other}"))),
//!         }
//!     }
//! }
//!
//! let mut job = JobSpec::new("example");
//! let a = job.add_task("a", "num", Cost::secs(0.001), vec![2]);
//! let b = job.add_task("b", "num", Cost::secs(0.001), vec![3]);
//! let s = job.add_task("s", "sum", Cost::secs(0.001), vec![]);
//! job.add_dependency(a, s)?;
//! job.add_dependency(b, s)?;
//!
//! let executor = Executor::new(ExecutorConfig { topology: Topology::flat(2), threads: 2, ..Default::default() })?;
//! let run = run_local(&job, Arc::new(Arith), &executor, policy_by_name("dag")?.as_ref(), None)?;
//! assert_eq!(run.outputs[s], vec![5]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::analysis::{self, CycleError};
use crate::executor::{CancelToken, Executor, RunError};
use crate::graph::{Cost, GraphError, TaskError, TaskGraph, TaskId};
use crate::metrics::RunReport;
use crate::policy::Policy;
use crate::shape::DagShape;

/// One task of a [`JobSpec`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Unique within the job; names the task in errors, traces and `zkpar jobs`.
    pub name: String,
    /// Which handler runs it (for example `execute`, `witness`, `prove`, `assemble`).
    pub kind: String,
    /// Cost estimate (priorities, admission, simulation).
    pub cost: Cost,
    /// The task's own input bytes.
    pub input: Vec<u8>,
}

/// A job: tasks as data and their dependencies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// A label for the whole job (for example the operation or block id).
    pub name: String,
    /// The tasks, indexed by position.
    pub tasks: Vec<TaskSpec>,
    /// `(before, after)` pairs, in the order they were added: that order is the order in which a
    /// task's predecessor outputs reach its handler.
    pub deps: Vec<(usize, usize)>,
}

impl JobSpec {
    /// An empty job.
    pub fn new(name: impl Into<String>) -> Self {
        JobSpec {
            name: name.into(),
            ..JobSpec::default()
        }
    }

    /// Adds a task; returns its index.
    pub fn add_task(
        &mut self,
        name: impl Into<String>,
        kind: impl Into<String>,
        cost: Cost,
        input: Vec<u8>,
    ) -> usize {
        self.tasks.push(TaskSpec {
            name: name.into(),
            kind: kind.into(),
            cost,
            input,
        });
        self.tasks.len() - 1
    }

    /// `after` runs once `before` has finished, and receives `before`'s output as its next input.
    pub fn add_dependency(&mut self, before: usize, after: usize) -> Result<(), GraphError> {
        let n = self.tasks.len();
        for i in [before, after] {
            if i >= n {
                return Err(GraphError::UnknownTask(i, n));
            }
        }
        self.deps.push((before, after));
        Ok(())
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True when the job has no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Each task's predecessors, in the order their outputs reach its handler.
    ///
    /// # Complexity
    /// O(V + E).
    pub fn predecessors(&self) -> Vec<Vec<usize>> {
        let mut preds = vec![Vec::new(); self.tasks.len()];
        for &(before, after) in &self.deps {
            preds[after].push(before);
        }
        preds
    }

    /// The job as numbers (costs and edges), for policies, bounds and the simulator.
    ///
    /// # Complexity
    /// O(V + E).
    pub fn shape(&self) -> DagShape {
        let mut shape = DagShape {
            tasks: self
                .tasks
                .iter()
                .map(|t| crate::shape::TaskShape {
                    name: t.name.clone(),
                    kind: t.kind.clone(),
                    cost_s: t.cost.single_thread_s,
                    max_threads: t.cost.max_threads.max(1),
                    peak_mem_bytes: t.cost.peak_mem_bytes,
                    locality: t.cost.locality,
                })
                .collect(),
            preds: vec![Vec::new(); self.tasks.len()],
            succs: vec![Vec::new(); self.tasks.len()],
        };
        for &(before, after) in &self.deps {
            if !shape.preds[after].contains(&before) {
                shape.preds[after].push(before);
                shape.succs[before].push(after);
            }
        }
        shape
    }

    /// Bottom levels (critical-path-first priorities): the longest cost path from each task to
    /// an exit, its own cost included. The fleet claims ready tasks in this order.
    ///
    /// # Complexity
    /// O(V + E).
    pub fn priorities(&self) -> Result<Vec<f64>, CycleError> {
        analysis::bottom_levels(&self.shape())
    }

    /// Checks what [`TaskGraph::validate`] checks: unique names, sane costs, no cycle.
    ///
    /// # Complexity
    /// O(V + E); no task input is copied.
    pub fn validate(&self) -> Result<(), GraphError> {
        let mut graph = TaskGraph::with_capacity(self.tasks.len(), self.deps.len());
        let ids: Vec<TaskId> = self
            .tasks
            .iter()
            .map(|t| graph.add_task(t.name.clone(), t.kind.clone(), t.cost.clone(), || Ok(())))
            .collect();
        for &(before, after) in &self.deps {
            match (ids.get(before), ids.get(after)) {
                (Some(&b), Some(&a)) => graph.add_dependency(b, a)?,
                _ => return Err(GraphError::UnknownTask(before.max(after), ids.len())),
            }
        }
        graph.validate()
    }

    /// The job as a runnable [`TaskGraph`]: each closure calls `handler` with the task's input
    /// and its predecessors' outputs, and stores its own output in `outputs`.
    fn to_graph(
        &self,
        handler: Arc<dyn TaskHandler>,
        outputs: Arc<Vec<OnceLock<Arc<Vec<u8>>>>>,
    ) -> (TaskGraph, Vec<TaskId>) {
        let preds = self.predecessors();
        let mut graph = TaskGraph::with_capacity(self.tasks.len(), self.deps.len());
        let mut ids = Vec::with_capacity(self.tasks.len());
        for (i, (task, preds)) in self.tasks.iter().zip(preds).enumerate() {
            let (handler, outputs) = (Arc::clone(&handler), Arc::clone(&outputs));
            let spec = Arc::new(task.clone());
            let work = move || {
                let deps: Vec<Arc<Vec<u8>>> = preds
                    .iter()
                    .map(|&p| {
                        outputs[p].get().cloned().ok_or_else(|| {
                            TaskError::new(format!(
                                "{}: the output of task {p} is missing",
                                spec.name
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                let dep_slices: Vec<&[u8]> = deps.iter().map(|d| d.as_slice()).collect();
                let output = handler.run(&TaskInput {
                    name: &spec.name,
                    kind: &spec.kind,
                    input: &spec.input,
                    deps: &dep_slices,
                })?;
                outputs[i]
                    .set(Arc::new(output))
                    .map_err(|_| TaskError::new(format!("{}: completed twice", spec.name)))
            };
            ids.push(graph.add_task(
                task.name.clone(),
                task.kind.clone(),
                task.cost.clone(),
                work,
            ));
        }
        for &(before, after) in &self.deps {
            // Indices were checked by `add_dependency` (or come from a deserialised job, which
            // `validate` and the graph's own check cover).
            if let (Some(&b), Some(&a)) = (ids.get(before), ids.get(after)) {
                let _ = graph.add_dependency(b, a);
            }
        }
        (graph, ids)
    }
}

/// What a handler sees of one task.
#[derive(Clone, Copy, Debug)]
pub struct TaskInput<'a> {
    /// The task's name.
    pub name: &'a str,
    /// The task's kind.
    pub kind: &'a str,
    /// The task's own input bytes.
    pub input: &'a [u8],
    /// The outputs of its predecessors, in dependency order.
    pub deps: &'a [&'a [u8]],
}

/// Runs tasks of the kinds it knows. Shared by every thread of every engine, so it must be
/// `Send + Sync`; a handler that panics fails its task like one that returns an error.
pub trait TaskHandler: Send + Sync + 'static {
    /// Runs one task and returns its output bytes.
    fn run(&self, task: &TaskInput<'_>) -> Result<Vec<u8>, TaskError>;
}

/// The result of [`run_local`].
#[derive(Clone, Debug)]
pub struct LocalRun {
    /// Every task's output, indexed like [`JobSpec::tasks`].
    pub outputs: Vec<Vec<u8>>,
    /// The executor's report.
    pub report: RunReport,
}

/// Runs `job` on this machine: its tasks become closures over `handler` and run on `executor`
/// under `policy`.
pub fn run_local(
    job: &JobSpec,
    handler: Arc<dyn TaskHandler>,
    executor: &Executor,
    policy: &dyn Policy,
    cancel: Option<&CancelToken>,
) -> Result<LocalRun, RunError> {
    let outputs: Arc<Vec<OnceLock<Arc<Vec<u8>>>>> =
        Arc::new((0..job.len()).map(|_| OnceLock::new()).collect());
    let (graph, _) = job.to_graph(handler, Arc::clone(&outputs));
    let report = executor.run(graph, policy, cancel)?;
    let outputs = Arc::try_unwrap(outputs)
        .map(|cells| {
            cells
                .into_iter()
                .map(|c| {
                    c.into_inner()
                        .map(|o| Arc::try_unwrap(o).unwrap_or_else(|o| (*o).clone()))
                })
                .collect::<Option<Vec<_>>>()
        })
        .unwrap_or_else(|shared| {
            shared
                .iter()
                .map(|c| c.get().map(|o| (**o).clone()))
                .collect()
        })
        .ok_or(RunError::MissingOutput)?;
    Ok(LocalRun { outputs, report })
}
