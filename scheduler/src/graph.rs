//! Task graphs: named closures with cost estimates and dependencies.
//!
//! A [`TaskGraph`] is built once, validated, and consumed by one
//! [`crate::executor::Executor::run`]. Each task is a `FnOnce` closure that may fail (return a
//! [`TaskError`]) or panic; the executor turns either into a [`crate::executor::RunError`] naming
//! the task.
//!
//! Tasks return values to the caller through what they capture: an `Arc<Mutex<Option<T>>>` slot,
//! a `crossbeam_channel::Sender`, or a shared vector. The crate-level example shows the pattern.
//!
//! The graph is a petgraph [`DiGraph`], so node indices are dense and stable (tasks are never
//! removed) and equal the task indices of the graph's [`DagShape`].

use std::collections::HashMap;
use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::analysis::{self, ReadyOrder};
use crate::shape::{DagShape, TaskShape};

/// The error a task returns when it fails without panicking.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TaskError(pub String);

impl TaskError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        TaskError(message.into())
    }
}

impl From<String> for TaskError {
    fn from(message: String) -> Self {
        TaskError(message)
    }
}

impl From<&str> for TaskError {
    fn from(message: &str) -> Self {
        TaskError(message.to_owned())
    }
}

/// The body of a task: runs once, on some worker thread.
pub(crate) type TaskFn = Box<dyn FnOnce() -> Result<(), TaskError> + Send + 'static>;

/// What the scheduler knows about a task's cost before running it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cost {
    /// Estimated single-thread running time, in seconds (finite, not negative).
    pub single_thread_s: f64,
    /// How many threads the task's own data parallelism can use well (at least 1).
    pub max_threads: usize,
    /// Estimated peak memory while running, in bytes (used by memory admission).
    pub peak_mem_bytes: u64,
    /// Preferred NUMA domain, if the task's inputs live there.
    pub locality: Option<usize>,
}

impl Cost {
    /// A single-threaded task of this estimated duration, no memory estimate, no locality.
    pub fn secs(single_thread_s: f64) -> Self {
        Cost {
            single_thread_s,
            ..Cost::default()
        }
    }

    /// The same cost with this thread count.
    pub fn with_threads(mut self, max_threads: usize) -> Self {
        self.max_threads = max_threads;
        self
    }

    /// The same cost with this peak memory estimate.
    pub fn with_mem(mut self, peak_mem_bytes: u64) -> Self {
        self.peak_mem_bytes = peak_mem_bytes;
        self
    }

    /// The same cost with this preferred domain.
    pub fn with_locality(mut self, domain: usize) -> Self {
        self.locality = Some(domain);
        self
    }
}

impl Default for Cost {
    /// Zero seconds, one thread, no memory, no locality.
    fn default() -> Self {
        Cost {
            single_thread_s: 0.0,
            max_threads: 1,
            peak_mem_bytes: 0,
            locality: None,
        }
    }
}

/// One node of a [`TaskGraph`].
pub(crate) struct Task {
    /// Unique name within the graph (errors, traces and reports use it).
    pub name: String,
    /// Free-form category (for example `witness`, `prove`); colours traces.
    pub kind: String,
    /// Cost estimate.
    pub cost: Cost,
    /// The work itself.
    pub work: TaskFn,
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

/// Handle of a task inside the [`TaskGraph`] that created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(usize);

impl TaskId {
    /// The task's index in the graph's [`DagShape`].
    pub fn index(self) -> usize {
        self.0
    }
}

/// Why a graph is not runnable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// The dependencies form a cycle; `tasks` lists it in order, first task repeated at the end.
    #[error("cycle: {}", .tasks.join(" -> "))]
    Cycle {
        /// Names along the cycle, e.g. `[a, b, c, a]`.
        tasks: Vec<String>,
    },
    /// Two tasks share a name.
    #[error("duplicate task name {name:?} (tasks #{first} and #{second})")]
    DuplicateName {
        /// The shared name.
        name: String,
        /// Index of the first task with it.
        first: usize,
        /// Index of the second.
        second: usize,
    },
    /// A [`TaskId`] that this graph did not create.
    #[error("unknown task id #{0} (the graph has {1} tasks)")]
    UnknownTask(usize, usize),
    /// A cost estimate that makes no sense.
    #[error("task {task:?}: invalid cost: {reason}")]
    InvalidCost {
        /// The task's name.
        task: String,
        /// What is wrong.
        reason: String,
    },
}

/// A directed acyclic graph of tasks (acyclicity is checked by [`TaskGraph::validate`]).
#[derive(Default)]
pub struct TaskGraph {
    graph: DiGraph<Task, ()>,
}

impl fmt::Debug for TaskGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGraph")
            .field("tasks", &self.graph.node_count())
            .field("dependencies", &self.graph.edge_count())
            .finish()
    }
}

impl TaskGraph {
    /// An empty graph.
    pub fn new() -> Self {
        TaskGraph::default()
    }

    /// An empty graph with room for `tasks` tasks and `dependencies` edges.
    pub fn with_capacity(tasks: usize, dependencies: usize) -> Self {
        TaskGraph {
            graph: DiGraph::with_capacity(tasks, dependencies),
        }
    }

    /// Adds a task. Names must be unique (checked by [`TaskGraph::validate`]).
    ///
    /// # Complexity
    /// Amortised O(1).
    pub fn add_task<F>(
        &mut self,
        name: impl Into<String>,
        kind: impl Into<String>,
        cost: Cost,
        work: F,
    ) -> TaskId
    where
        F: FnOnce() -> Result<(), TaskError> + Send + 'static,
    {
        let task = Task {
            name: name.into(),
            kind: kind.into(),
            cost,
            work: Box::new(work),
        };
        TaskId(self.graph.add_node(task).index())
    }

    /// Declares that `after` may only start once `before` has finished. Adding the same
    /// dependency twice is harmless.
    ///
    /// # Complexity
    /// Amortised O(1) (duplicates are removed by [`TaskGraph::shape`]).
    pub fn add_dependency(&mut self, before: TaskId, after: TaskId) -> Result<(), GraphError> {
        let n = self.graph.node_count();
        for id in [before, after] {
            if id.0 >= n {
                return Err(GraphError::UnknownTask(id.0, n));
            }
        }
        self.graph
            .add_edge(NodeIndex::new(before.0), NodeIndex::new(after.0), ());
        Ok(())
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// True when the graph has no task.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Checks that names are unique, costs are sane and the dependencies are acyclic. A cycle
    /// is reported with the names along it (`cycle: a -> b -> c -> a`).
    ///
    /// # Complexity
    /// O(|V| + |E| log d) expected time (it builds the [`DagShape`]); no recursion, so any
    /// graph size is fine.
    pub fn validate(&self) -> Result<(), GraphError> {
        self.check_tasks()?;
        let (preds, succs) = self.edges();
        check_acyclic(&preds, &succs, |i| {
            self.graph[NodeIndex::new(i)].name.clone()
        })
    }

    /// Unique names and sane costs.
    fn check_tasks(&self) -> Result<(), GraphError> {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(self.len());
        for (i, task) in self.graph.node_weights().enumerate() {
            if let Some(&first) = seen.get(task.name.as_str()) {
                return Err(GraphError::DuplicateName {
                    name: task.name.clone(),
                    first,
                    second: i,
                });
            }
            seen.insert(&task.name, i);
            let c = &task.cost;
            let bad = |reason: String| GraphError::InvalidCost {
                task: task.name.clone(),
                reason,
            };
            if !c.single_thread_s.is_finite() || c.single_thread_s < 0.0 {
                return Err(bad(format!(
                    "single_thread_s = {} (must be finite and >= 0)",
                    c.single_thread_s
                )));
            }
            if c.max_threads == 0 {
                return Err(bad("max_threads = 0 (must be >= 1)".into()));
            }
        }
        Ok(())
    }

    /// Predecessor and successor lists, sorted, without duplicates.
    fn edges(&self) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let n = self.len();
        let (mut indeg, mut outdeg) = (vec![0usize; n], vec![0usize; n]);
        for e in self.graph.raw_edges() {
            outdeg[e.source().index()] += 1;
            indeg[e.target().index()] += 1;
        }
        // Exact capacities: one allocation per non-empty list.
        let mut preds: Vec<Vec<usize>> = indeg.iter().map(|&d| Vec::with_capacity(d)).collect();
        let mut succs: Vec<Vec<usize>> = outdeg.iter().map(|&d| Vec::with_capacity(d)).collect();
        for e in self.graph.raw_edges() {
            let (a, b) = (e.source().index(), e.target().index());
            succs[a].push(b);
            preds[b].push(a);
        }
        for list in preds.iter_mut().chain(succs.iter_mut()) {
            if list.len() > 1 {
                list.sort_unstable();
                list.dedup();
            }
        }
        (preds, succs)
    }
    /// The graph reduced to numbers (duplicate dependencies removed).
    ///
    /// # Complexity
    /// O(|V| + |E| log d) where d is the largest degree.
    pub fn shape(&self) -> DagShape {
        let tasks = self.graph.node_weights().map(task_shape).collect();
        let (preds, succs) = self.edges();
        DagShape {
            tasks,
            preds,
            succs,
        }
    }

    /// Validates the graph and splits it into its shape and the task bodies (indexed alike).
    /// Cheaper than [`TaskGraph::validate`] plus [`TaskGraph::shape`]: names move into the shape
    /// instead of being copied.
    pub(crate) fn into_parts(self) -> Result<(DagShape, Vec<TaskFn>), GraphError> {
        self.check_tasks()?;
        let (preds, succs) = self.edges();
        check_acyclic(&preds, &succs, |i| {
            self.graph[NodeIndex::new(i)].name.clone()
        })?;
        let (nodes, _) = self.graph.into_nodes_edges();
        let mut tasks = Vec::with_capacity(nodes.len());
        let mut work = Vec::with_capacity(nodes.len());
        for node in nodes {
            let Task {
                name,
                kind,
                cost,
                work: body,
            } = node.weight;
            tasks.push(TaskShape {
                name,
                kind,
                cost_s: cost.single_thread_s,
                max_threads: cost.max_threads,
                peak_mem_bytes: cost.peak_mem_bytes,
                locality: cost.locality,
            });
            work.push(body);
        }
        Ok((
            DagShape {
                tasks,
                preds,
                succs,
            },
            work,
        ))
    }
}

fn task_shape(t: &Task) -> TaskShape {
    TaskShape {
        name: t.name.clone(),
        kind: t.kind.clone(),
        cost_s: t.cost.single_thread_s,
        max_threads: t.cost.max_threads,
        peak_mem_bytes: t.cost.peak_mem_bytes,
        locality: t.cost.locality,
    }
}

/// Kahn's algorithm ([`analysis::kahn`]); if some tasks are never freed, walk predecessor links among them until a
/// task repeats: every unfreed task has an unfreed predecessor, so the walk finds a cycle.
fn check_acyclic(
    preds: &[Vec<usize>],
    succs: &[Vec<usize>],
    name: impl Fn(usize) -> String,
) -> Result<(), GraphError> {
    let n = preds.len();
    let in_degree = preds.iter().map(Vec::len).collect();
    let Err(remaining) = analysis::kahn(in_degree, ReadyOrder::Fifo, |t| succs[t].iter().copied())
    else {
        return Ok(());
    };
    let start = (0..n)
        .find(|&i| remaining[i] > 0)
        .expect("an unfreed task exists");
    // position[t] = place of t in the walk, to detect the first repetition.
    let mut position: HashMap<usize, usize> = HashMap::new();
    let mut walk = Vec::new();
    let mut t = start;
    while !position.contains_key(&t) {
        position.insert(t, walk.len());
        walk.push(t);
        t = *preds[t]
            .iter()
            .find(|&&p| remaining[p] > 0)
            .expect("an unfreed task has an unfreed predecessor");
    }
    // walk[position[t]..] follows predecessor links: reverse it to get the forward cycle.
    let mut cycle: Vec<String> = walk[position[&t]..]
        .iter()
        .rev()
        .map(|&i| name(i))
        .collect();
    cycle.push(cycle[0].clone());
    Err(GraphError::Cycle { tasks: cycle })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop() -> Result<(), TaskError> {
        Ok(())
    }

    #[test]
    fn cycle_names_its_tasks() {
        let mut g = TaskGraph::new();
        let x = g.add_task("x", "k", Cost::default(), noop);
        let a = g.add_task("a", "k", Cost::default(), noop);
        let b = g.add_task("b", "k", Cost::default(), noop);
        let c = g.add_task("c", "k", Cost::default(), noop);
        g.add_dependency(x, a).unwrap();
        g.add_dependency(a, b).unwrap();
        g.add_dependency(b, c).unwrap();
        g.add_dependency(c, a).unwrap();
        let err = g.validate().unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cycle: "), "{msg}");
        let GraphError::Cycle { tasks } = err else {
            panic!("not a cycle error")
        };
        assert_eq!(tasks.len(), 4);
        assert_eq!(tasks.first(), tasks.last());
        let mut inner = tasks[..3].to_vec();
        inner.sort();
        assert_eq!(inner, ["a", "b", "c"]);
        // Consecutive names must follow real edges.
        for w in tasks.windows(2) {
            let pos = |n: &str| ["a", "b", "c"].iter().position(|&m| m == n).unwrap();
            assert_eq!((pos(&w[0]) + 1) % 3, pos(&w[1]), "{msg}");
        }
    }

    #[test]
    fn self_loop_is_a_cycle() {
        let mut g = TaskGraph::new();
        let a = g.add_task("a", "k", Cost::default(), noop);
        g.add_dependency(a, a).unwrap();
        assert_eq!(g.validate().unwrap_err().to_string(), "cycle: a -> a");
    }

    #[test]
    fn duplicate_names_and_bad_ids_and_costs() {
        let mut g = TaskGraph::new();
        g.add_task("a", "k", Cost::default(), noop);
        g.add_task("a", "k", Cost::default(), noop);
        let msg = g.validate().unwrap_err().to_string();
        assert!(msg.contains("duplicate task name \"a\""), "{msg}");
        assert!(matches!(
            g.add_dependency(TaskId(0), TaskId(7)),
            Err(GraphError::UnknownTask(7, 2))
        ));
        let mut g = TaskGraph::new();
        g.add_task("slow", "k", Cost::secs(f64::NAN), noop);
        let msg = g.validate().unwrap_err().to_string();
        assert!(
            msg.contains("\"slow\"") && msg.contains("single_thread_s"),
            "{msg}"
        );
    }

    #[test]
    fn shape_dedups_edges() {
        let mut g = TaskGraph::new();
        let a = g.add_task("a", "k", Cost::secs(1.0).with_mem(5), noop);
        let b = g.add_task("b", "k", Cost::secs(2.0).with_locality(1), noop);
        g.add_dependency(a, b).unwrap();
        g.add_dependency(a, b).unwrap();
        let s = g.shape();
        assert_eq!(s.succs, vec![vec![1], vec![]]);
        assert_eq!(s.preds, vec![vec![], vec![0]]);
        assert_eq!(s.tasks[0].peak_mem_bytes, 5);
        assert_eq!(s.tasks[1].locality, Some(1));
    }
}
