//! The one plan check, used by the executor, the simulator and the planner's tests.
//!
//! A [`StaticPlan`] is *runnable* ([`check_runnable`]) when its per-worker lists name every task
//! exactly once, use no more workers than there are, and cannot deadlock: worker `w` runs its
//! list in order, each task once its predecessors are done, so the dependencies plus "runs after
//! on the same worker" must be acyclic. That is all the executor and the simulator need; both
//! reject exactly the same plans, so a plan that runs for real also runs in simulation.
//!
//! [`validate_plan`] also checks the plan's predicted timing (start times, `worker_of`,
//! makespan), which only the planner produces and the evaluation compares.

use crate::analysis::{self, ReadyOrder};
use crate::shape::{DagShape, StaticPlan, TaskIndex};

/// Why a plan cannot run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PlanFault {
    /// The lists do not match the graph or the workers.
    Invalid(String),
    /// The lists are consistent but some workers wait on each other forever.
    Deadlock(String),
}

impl std::fmt::Display for PlanFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanFault::Invalid(m) => f.write_str(m),
            PlanFault::Deadlock(m) => write!(f, "plan would deadlock: {m}"),
        }
    }
}

/// Checks that `plan` can run on `workers` workers (see the module docs; lists past `workers`
/// must be empty). Returns each task's worker. `shape.succs` must match `shape.preds`.
///
/// # Complexity
/// O(|V| + |E|).
pub(crate) fn check_runnable(
    shape: &DagShape,
    plan: &StaticPlan,
    workers: usize,
) -> Result<Vec<usize>, PlanFault> {
    let n = shape.len();
    let lists = &plan.order_per_worker;
    if let Some(last) = lists.iter().rposition(|l| !l.is_empty()) {
        if last >= workers {
            return Err(PlanFault::Invalid(format!(
                "plan uses {} workers but only {workers} are available",
                last + 1
            )));
        }
    }
    let mut owner = vec![usize::MAX; n];
    for (w, list) in lists.iter().enumerate() {
        for &t in list {
            if t >= n {
                return Err(PlanFault::Invalid(format!(
                    "worker {w} lists task {t}, out of range 0..{n}"
                )));
            }
            if owner[t] != usize::MAX {
                return Err(PlanFault::Invalid(format!(
                    "task {t} ({}) is listed twice",
                    shape.tasks[t].name
                )));
            }
            owner[t] = w;
        }
    }
    if let Some(t) = owner.iter().position(|&w| w == usize::MAX) {
        return Err(PlanFault::Invalid(format!(
            "task {t} ({}) is not scheduled",
            shape.tasks[t].name
        )));
    }
    // The dependencies plus "runs after on the same worker" must be acyclic.
    let mut next_on_worker = vec![usize::MAX; n];
    let mut in_degree: Vec<usize> = shape.preds.iter().map(Vec::len).collect();
    for pair in lists.iter().flat_map(|l| l.windows(2)) {
        next_on_worker[pair[0]] = pair[1];
        in_degree[pair[1]] += 1;
    }
    let after = |t: TaskIndex| {
        let next = next_on_worker[t];
        shape.succs[t]
            .iter()
            .copied()
            .chain((next != usize::MAX).then_some(next))
    };
    if let Err(left) = analysis::kahn(in_degree, ReadyOrder::Fifo, after) {
        let stuck: Vec<String> = lists
            .iter()
            .enumerate()
            .filter_map(|(w, list)| {
                list.iter()
                    .find(|&&t| left[t] > 0)
                    .map(|&t| format!("worker {w} waits on task {t} ({})", shape.tasks[t].name))
            })
            .collect();
        return Err(PlanFault::Deadlock(stuck.join(", ")));
    }
    Ok(owner)
}

/// Checks that `plan` is a valid schedule of `shape`: it is runnable on its own workers (every
/// task listed once, no deadlock: the check the executor and the simulator run); each task is on
/// the worker `worker_of` names and starts after its predecessors finish; tasks of one worker
/// run one after another in the listed order; and `makespan_s` is the last finish time. Times
/// are compared with a relative tolerance of 1e-9.
///
/// # Complexity
/// O(|V| + |E|).
pub fn validate_plan(shape: &DagShape, plan: &StaticPlan) -> Result<(), String> {
    let n = shape.tasks.len();
    if plan.worker_of.len() != n || plan.start_s.len() != n {
        return Err(format!(
            "plan covers {} workers-of and {} start times for {n} tasks",
            plan.worker_of.len(),
            plan.start_s.len()
        ));
    }
    let checked = DagShape {
        tasks: shape.tasks.clone(),
        preds: shape.preds.clone(),
        succs: analysis::checked_succs(shape)?,
    };
    let owner =
        check_runnable(&checked, plan, plan.order_per_worker.len()).map_err(|e| e.to_string())?;
    let tol = 1e-9 * plan.makespan_s.abs().max(1.0);
    let finish = |t: TaskIndex| plan.start_s[t] + shape.tasks[t].cost_s;
    for (t, (&w, &o)) in plan.worker_of.iter().zip(&owner).enumerate() {
        if w != o {
            return Err(format!(
                "task {t} is listed on worker {o} but worker_of says {w}"
            ));
        }
        let s = plan.start_s[t];
        if !s.is_finite() || s < -tol {
            return Err(format!("task {t} has invalid start time {s}"));
        }
    }
    for (w, list) in plan.order_per_worker.iter().enumerate() {
        for pair in list.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if plan.start_s[b] + tol < finish(a) {
                return Err(format!(
                    "task {b} starts at {} on worker {w} before the previous task ends at {}",
                    plan.start_s[b],
                    finish(a)
                ));
            }
        }
    }
    for (t, ps) in shape.preds.iter().enumerate() {
        for &p in ps {
            if plan.start_s[t] + tol < finish(p) {
                return Err(format!(
                    "task {t} ({}) starts at {} before its predecessor {p} ({}) ends at {}",
                    shape.tasks[t].name,
                    plan.start_s[t],
                    shape.tasks[p].name,
                    finish(p)
                ));
            }
        }
    }
    let last = (0..n).map(finish).fold(0.0, f64::max);
    if (last - plan.makespan_s).abs() > tol {
        return Err(format!(
            "makespan is {} but the last task ends at {last}",
            plan.makespan_s
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::TaskShape;

    /// A chain `0 -> 1 -> 2 -> 3` of unit tasks.
    fn chain() -> DagShape {
        DagShape {
            tasks: (0..4)
                .map(|i| TaskShape {
                    name: format!("t{i}"),
                    kind: "k".into(),
                    cost_s: 1.0,
                    max_threads: 1,
                    peak_mem_bytes: 0,
                    locality: None,
                })
                .collect(),
            preds: vec![vec![], vec![0], vec![1], vec![2]],
            succs: vec![vec![1], vec![2], vec![3], vec![]],
        }
    }

    fn lists(order_per_worker: Vec<Vec<TaskIndex>>) -> StaticPlan {
        StaticPlan {
            order_per_worker,
            ..StaticPlan::default()
        }
    }

    #[test]
    fn runnable_plans_pass_and_name_their_owners() {
        let shape = chain();
        let plan = lists(vec![vec![0, 2], vec![1, 3], vec![]]);
        // An empty list past the worker count is harmless.
        assert_eq!(check_runnable(&shape, &plan, 2).unwrap(), vec![0, 1, 0, 1]);
    }

    #[test]
    fn deadlocks_and_bad_lists_are_rejected() {
        let shape = chain();
        let err = check_runnable(&shape, &lists(vec![vec![2, 0], vec![3, 1]]), 2).unwrap_err();
        assert!(matches!(&err, PlanFault::Deadlock(m) if m.contains("worker 0 waits on task 2")));
        // The same worker running a successor before its predecessor deadlocks too.
        let err = check_runnable(&shape, &lists(vec![vec![1, 0, 2, 3]]), 1).unwrap_err();
        assert!(matches!(err, PlanFault::Deadlock(_)), "{err}");
        for (plan, workers, what) in [
            (
                lists(vec![vec![0, 1], vec![2, 3]]),
                1,
                "only 1 are available",
            ),
            (lists(vec![vec![0, 1, 2, 3, 3]]), 1, "listed twice"),
            (lists(vec![vec![0, 1, 2]]), 1, "not scheduled"),
            (lists(vec![vec![0, 1, 2, 3, 9]]), 1, "out of range"),
        ] {
            let err = check_runnable(&shape, &plan, workers).unwrap_err();
            assert!(err.to_string().contains(what), "{err}");
        }
    }

    #[test]
    fn validate_plan_rejects_a_deadlock_with_consistent_times() {
        // Zero-cost tasks make every start time 0 consistent, yet worker 0 runs 1 before 0.
        let mut shape = chain();
        shape.tasks.iter_mut().for_each(|t| t.cost_s = 0.0);
        let plan = StaticPlan {
            worker_of: vec![0; 4],
            start_s: vec![0.0; 4],
            order_per_worker: vec![vec![1, 0, 2, 3]],
            makespan_s: 0.0,
        };
        assert!(validate_plan(&shape, &plan)
            .unwrap_err()
            .contains("deadlock"));
    }
}
