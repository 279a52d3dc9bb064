//! Static analysis of a [`DagShape`]: levels, critical path and makespan lower bounds.
//!
//! The *bottom level* of a task is the length of the longest path from its start to the end of
//! the graph (its own cost included); the *top level* is the length of the longest path from the
//! start of the graph to the task's start. Critical-path-first scheduling runs the ready task of
//! largest bottom level first.
//!
//! All functions assume the shape is acyclic (a validated `TaskGraph` guarantees it) and return
//! an error naming a task on the cycle otherwise.

use crate::shape::{DagShape, TaskIndex};

/// The shape contains a cycle; `task` lies on it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("task graph has a cycle through task {task} ({name})")]
pub struct CycleError {
    /// Index of a task on the cycle.
    pub task: TaskIndex,
    /// Its name.
    pub name: String,
}

/// A topological order (Kahn's algorithm; among ready tasks the lowest index first, so the
/// order is deterministic).
///
/// # Complexity
/// O(|V| + |E|) time, O(|V|) extra space.
pub fn topological_order(shape: &DagShape) -> Result<Vec<TaskIndex>, CycleError> {
    let n = shape.len();
    let mut remaining: Vec<usize> = shape.preds.iter().map(Vec::len).collect();
    let mut ready: std::collections::VecDeque<TaskIndex> =
        (0..n).filter(|&i| remaining[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(task) = ready.pop_front() {
        order.push(task);
        for &succ in &shape.succs[task] {
            remaining[succ] -= 1;
            if remaining[succ] == 0 {
                ready.push_back(succ);
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        let task = (0..n).find(|&i| remaining[i] > 0).unwrap_or(0);
        Err(CycleError {
            task,
            name: shape.tasks[task].name.clone(),
        })
    }
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

/// Top level of every task: the longest cost path from any entry task to its start.
///
/// # Complexity
/// O(|V| + |E|).
pub fn top_levels(shape: &DagShape) -> Result<Vec<f64>, CycleError> {
    let order = topological_order(shape)?;
    let mut level = vec![0.0; shape.len()];
    for &task in &order {
        level[task] = shape.preds[task]
            .iter()
            .map(|&p| level[p] + shape.tasks[p].cost_s)
            .fold(0.0, f64::max);
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
