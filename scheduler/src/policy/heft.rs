//! `heft`: follow a static plan computed before the run.
//!
//! The name is historical (it is what `results.json`, the reports and the CLI call the policy):
//! the plan does not come from HEFT but from [`crate::static_plan::solve`], which runs list
//! scheduling under several priority rules, a local search, and an exact branch and bound, and
//! stops at a proven lower bound. Real HEFT is `fallback_plan`: the textbook algorithm on
//! identical workers (upward rank = bottom level, earliest-finish-time worker selection, no
//! insertion), kept as the reference the tests compare against and as the plan used if the
//! planner rejects a shape.

use super::{order_or_index, Policy};
use crate::analysis::{self, ReadyOrder};
use crate::shape::{DagShape, Dispatch, StaticPlan};

/// Dispatches the static plan of [`crate::static_plan::solve`] (list scheduling, local search and
/// branch and bound); textbook HEFT (`fallback_plan`) only if the planner fails. Named `heft`
/// for the CLI and reports.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Heft;

impl Policy for Heft {
    fn name(&self) -> &'static str {
        "heft"
    }

    fn dispatch(&self, shape: &DagShape, workers: usize) -> Dispatch {
        let options = crate::static_plan::PlanOptions::default();
        match crate::static_plan::plan_with(shape, workers, &options) {
            Ok(plan) => Dispatch::Plan(plan),
            Err(e) => {
                log::warn!("heft: static planner failed ({e}); using textbook HEFT");
                Dispatch::Plan(fallback_plan(shape, workers))
            }
        }
    }
}

/// Textbook HEFT on identical workers (plain bottom-level list scheduling): repeatedly take the
/// ready task of largest bottom level
/// and put it on the worker where it can start (hence finish) earliest, at
/// `max(worker free, last predecessor finish)`.
///
/// Tasks are assigned in a topological order, so each worker's list is consistent with one
/// global topological order and the executor can run the plan without deadlock. On a cyclic
/// shape (never produced by a validated graph) it plans index order on worker 0.
///
/// # Complexity
/// O(|V| (log |V| + P) + |E|) for `P` workers.
pub(crate) fn fallback_plan(shape: &DagShape, workers: usize) -> StaticPlan {
    let p = workers.max(1);
    let n = shape.len();
    let Ok(levels) = analysis::bottom_levels(shape) else {
        let order = order_or_index(shape);
        let mut plan = StaticPlan {
            worker_of: vec![0; n],
            start_s: vec![0.0; n],
            order_per_worker: vec![Vec::new(); p],
            makespan_s: 0.0,
        };
        let mut t = 0.0;
        for task in order {
            plan.start_s[task] = t;
            t += shape.tasks[task].cost_s;
            plan.order_per_worker[0].push(task);
        }
        plan.makespan_s = t;
        return plan;
    };
    // The ready task of largest bottom level first: a topological order by priority.
    let in_degree = shape.preds.iter().map(Vec::len).collect();
    let order = analysis::kahn(in_degree, ReadyOrder::Priority(&levels), |t| {
        shape.succs[t].iter().copied()
    })
    .expect("bottom levels exist, so the shape is acyclic");
    let mut data_ready = vec![0.0f64; n];
    let mut free = vec![0.0f64; p];
    let mut plan = StaticPlan {
        worker_of: vec![0; n],
        start_s: vec![0.0; n],
        order_per_worker: vec![Vec::new(); p],
        makespan_s: 0.0,
    };
    for task in order {
        let (worker, start) = (0..p)
            .map(|w| (w, free[w].max(data_ready[task])))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("at least one worker");
        let finish = start + shape.tasks[task].cost_s;
        free[worker] = finish;
        plan.worker_of[task] = worker;
        plan.start_s[task] = start;
        plan.order_per_worker[worker].push(task);
        plan.makespan_s = plan.makespan_s.max(finish);
        for &s in &shape.succs[task] {
            data_ready[s] = data_ready[s].max(finish);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::TaskShape;

    fn shape(costs: &[f64], edges: &[(usize, usize)]) -> DagShape {
        let n = costs.len();
        let mut s = DagShape {
            tasks: costs
                .iter()
                .enumerate()
                .map(|(i, &cost_s)| TaskShape {
                    name: format!("t{i}"),
                    kind: "k".into(),
                    cost_s,
                    max_threads: 1,
                    peak_mem_bytes: 0,
                    locality: None,
                })
                .collect(),
            preds: vec![Vec::new(); n],
            succs: vec![Vec::new(); n],
        };
        for &(a, b) in edges {
            s.succs[a].push(b);
            s.preds[b].push(a);
        }
        s
    }

    #[test]
    fn plan_respects_dependencies_and_workers() {
        // Fork-join: 0 -> {1,2,3} -> 4.
        let s = shape(
            &[1.0, 3.0, 2.0, 2.0, 1.0],
            &[(0, 1), (0, 2), (0, 3), (1, 4), (2, 4), (3, 4)],
        );
        let plan = fallback_plan(&s, 2);
        for (b, preds) in s.preds.iter().enumerate() {
            for &a in preds {
                assert!(plan.start_s[a] + s.tasks[a].cost_s <= plan.start_s[b] + 1e-12);
            }
        }
        // Critical task 1 starts right after 0; 2 and 3 share the other worker or follow.
        assert_eq!(plan.start_s[1], 1.0);
        assert_eq!(plan.makespan_s, 6.0);
        let total: usize = plan.order_per_worker.iter().map(Vec::len).sum();
        assert_eq!(total, 5);
    }
}
