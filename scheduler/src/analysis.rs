//! Static analysis of a [`DagShape`]: levels, critical path and makespan lower bounds.
//!
//! The *bottom level* of a task is the length of the longest path from its start to the end of
//! the graph (its own cost included); the *top level* is the length of the longest path from the
//! start of the graph to the task's start. Critical-path-first scheduling runs the ready task of
//! largest bottom level first.
//!
//! [`topological_order`] is the crate's one topological sort (Kahn's algorithm): the planner,
//! graph validation and plan checks all use the same routine with the ready order they need.
//!
//! All functions assume the shape is acyclic (a validated `TaskGraph` guarantees it) and return
//! an error naming a task on the cycle otherwise.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::shape::{DagShape, ReadyTask, TaskIndex};

/// The shape contains a cycle; `task` lies on it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("task graph has a cycle through task {task} ({name})")]
pub struct CycleError {
    /// Index of a task on the cycle.
    pub task: usize,
    /// Its name.
    pub name: String,
}

/// Which ready task [`kahn`] takes next.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ReadyOrder<'a> {
    /// First released, first taken (entry tasks in index order).
    Fifo,
    /// The lowest index first.
    LowestIndex,
    /// The highest priority first, ties by lowest index (the order of [`ReadyTask`]).
    Priority(&'a [f64]),
}

/// Kahn's algorithm, the crate's one topological sort. `in_degree[t]` counts the nodes that
/// must come before `t`, and `after(t)` lists the nodes that must come after it (each once per
/// unit of in-degree it accounts for). Returns the order, or, when some nodes are never
/// released (they lie on or behind a cycle), the in-degrees left over: exactly those nodes keep a
/// positive count, whatever the [`ReadyOrder`].
///
/// The ready order matters to callers that use the order as a tie-breaker: plans built from it
/// depend on it, so each caller keeps the discipline it was tuned with.
///
/// # Complexity
/// O(|V| + |E|) with [`ReadyOrder::Fifo`], O((|V| + |E|) log |V|) with the other two.
pub(crate) fn kahn<I>(
    mut in_degree: Vec<usize>,
    ready_order: ReadyOrder<'_>,
    mut after: impl FnMut(TaskIndex) -> I,
) -> Result<Vec<TaskIndex>, Vec<usize>>
where
    I: IntoIterator<Item = TaskIndex>,
{
    enum Ready<'a> {
        Fifo(VecDeque<TaskIndex>),
        Lowest(BinaryHeap<Reverse<TaskIndex>>),
        Priority(BinaryHeap<ReadyTask>, &'a [f64]),
    }
    impl Ready<'_> {
        fn push(&mut self, task: TaskIndex) {
            match self {
                Ready::Fifo(q) => q.push_back(task),
                Ready::Lowest(h) => h.push(Reverse(task)),
                Ready::Priority(h, p) => h.push(ReadyTask {
                    priority: p[task],
                    task,
                }),
            }
        }
        fn pop(&mut self) -> Option<TaskIndex> {
            match self {
                Ready::Fifo(q) => q.pop_front(),
                Ready::Lowest(h) => h.pop().map(|Reverse(t)| t),
                Ready::Priority(h, _) => h.pop().map(|r| r.task),
            }
        }
    }
    let n = in_degree.len();
    let mut ready = match ready_order {
        ReadyOrder::Fifo => Ready::Fifo(VecDeque::new()),
        ReadyOrder::LowestIndex => Ready::Lowest(BinaryHeap::new()),
        ReadyOrder::Priority(p) => Ready::Priority(BinaryHeap::new(), p),
    };
    for t in (0..n).filter(|&t| in_degree[t] == 0) {
        ready.push(t);
    }
    let mut order = Vec::with_capacity(n);
    while let Some(t) = ready.pop() {
        order.push(t);
        for s in after(t) {
            in_degree[s] -= 1;
            if in_degree[s] == 0 {
                ready.push(s);
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        Err(in_degree)
    }
}

/// Kahn's algorithm on predecessor and successor lists (FIFO ready order), naming a task on a
/// cycle on failure.
pub(crate) fn topo_order_of(
    preds: &[Vec<TaskIndex>],
    succs: &[Vec<TaskIndex>],
    name: impl Fn(TaskIndex) -> String,
) -> Result<Vec<TaskIndex>, CycleError> {
    kahn(
        preds.iter().map(Vec::len).collect(),
        ReadyOrder::Fifo,
        |t| succs[t].iter().copied(),
    )
    .map_err(|left| {
        let task = left.iter().position(|&d| d > 0).unwrap_or(0);
        CycleError {
            task,
            name: name(task),
        }
    })
}

/// A topological order (Kahn's algorithm, first released first; entry tasks in index order, so
/// the order is deterministic).
///
/// # Complexity
/// O(|V| + |E|) time, O(|V|) extra space.
pub fn topological_order(shape: &DagShape) -> Result<Vec<usize>, CycleError> {
    topo_order_of(&shape.preds, &shape.succs, |t| shape.tasks[t].name.clone())
}

/// Checks what every consumer of a [`DagShape`] relies on: one predecessor list per task,
/// predecessors in range, finite non-negative costs. Returns the successor lists rebuilt from
/// the predecessor lists (so a hand-built shape with stale `succs` is still read consistently).
///
/// # Complexity
/// O(|V| + |E|).
pub(crate) fn checked_succs(shape: &DagShape) -> Result<Vec<Vec<TaskIndex>>, String> {
    let n = shape.tasks.len();
    if shape.preds.len() != n {
        return Err(format!(
            "{n} tasks but {} predecessor lists",
            shape.preds.len()
        ));
    }
    for (i, t) in shape.tasks.iter().enumerate() {
        if !t.cost_s.is_finite() || t.cost_s < 0.0 {
            return Err(format!(
                "task {i} ({}) has cost {} s; costs must be finite and non-negative",
                t.name, t.cost_s
            ));
        }
    }
    let mut succs = vec![Vec::new(); n];
    for (i, ps) in shape.preds.iter().enumerate() {
        for &p in ps {
            if p >= n {
                return Err(format!(
                    "task {i} ({}) has predecessor {p}, out of range 0..{n}",
                    shape.tasks[i].name
                ));
            }
            succs[p].push(i);
        }
    }
    Ok(succs)
}

/// Bottom level of every task: its cost plus the longest cost path through its successors.
///
/// # Complexity
/// O(|V| + |E|).
pub fn bottom_levels(shape: &DagShape) -> Result<Vec<f64>, CycleError> {
    let order = topological_order(shape)?;
    let mut level = vec![0.0; shape.len()];
    for &task in order.iter().rev() {
        let tail = shape.succs[task]
            .iter()
            .map(|&s| level[s])
            .fold(0.0, f64::max);
        level[task] = shape.tasks[task].cost_s + tail;
    }
    Ok(level)
}

/// Total work `W`: the sum of all single-thread costs.
///
/// # Complexity
/// O(|V|).
pub fn total_work(shape: &DagShape) -> f64 {
    shape.tasks.iter().map(|t| t.cost_s).sum()
}

/// Critical path length `C`: the largest bottom level.
///
/// # Complexity
/// O(|V| + |E|).
pub fn critical_path(shape: &DagShape) -> Result<f64, CycleError> {
    Ok(bottom_levels(shape)?.into_iter().fold(0.0, f64::max))
}

/// Makespan lower bound on `workers` identical workers: `LB(P) = max(W / P, C)`.
///
/// No schedule can beat it: the work must be shared by `P` workers, and the tasks of the critical
/// path run one after another. (A task whose own data parallelism uses several workers can beat
/// `C` in principle; the bound is for tasks run single-threaded, which is how costs are measured.)
///
/// # Complexity
/// O(|V| + |E|).
pub fn lower_bound(shape: &DagShape, workers: usize) -> Result<f64, CycleError> {
    let workers = workers.max(1) as f64;
    Ok((total_work(shape) / workers).max(critical_path(shape)?))
}
