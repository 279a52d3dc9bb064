//! Tests of the planner's public entry points on random graphs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::analysis;
use crate::shape::{DagShape, StaticPlan, TaskShape};
use proptest::prelude::{any, proptest, ProptestConfig};

/// A random DAG: edges only from lower to higher indices; some costs zero, some fractional.
fn random_dag(n: usize, density: f64, seed: u64) -> DagShape {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut shape = DagShape::default();
    for i in 0..n {
        let cost = match rng.gen_range(0..10) {
            0 => 0.0,
            1 => rng.gen_range(0.1..5.0),
            _ => rng.gen_range(1..=10) as f64,
        };
        shape.tasks.push(TaskShape {
            name: format!("t{i}"),
            kind: "test".into(),
            cost_s: cost,
            max_threads: 1,
            peak_mem_bytes: 0,
            locality: None,
        });
        let preds: Vec<usize> = (0..i).filter(|_| rng.gen_bool(density)).collect();
        shape.preds.push(preds);
    }
    shape.succs = vec![Vec::new(); n];
    for i in 0..n {
        for &p in &shape.preds[i].clone() {
            shape.succs[p].push(i);
        }
    }
    shape
}

fn check(shape: &DagShape, workers: usize, plan: &StaticPlan) {
    validate_plan(shape, plan).unwrap();
    assert_eq!(plan.order_per_worker.len(), workers.max(1));
    let lb = analysis::lower_bound(shape, workers).unwrap();
    let own = makespan_lower_bound(shape, workers).unwrap();
    assert!(own >= lb - 1e-9);
    assert!(
        plan.makespan_s >= own - 1e-9,
        "{} < bound {own}",
        plan.makespan_s
    );
    let bl = analysis::bottom_levels(shape).unwrap();
    let plain = list_schedule(shape, workers, &bl);
    validate_plan(shape, &plain).unwrap();
    assert!(plan.makespan_s <= plain.makespan_s + 1e-9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn plans_are_valid_and_never_worse_than_list_scheduling(
        n in 0usize..30, density in 0.0f64..0.3, seed in any::<u64>()
    ) {
        let shape = random_dag(n, density, seed);
        let options = PlanOptions {
            max_iterations: 100,
            restart_after: 30,
            seed,
            ..PlanOptions::default()
        };
        for workers in 1..=8 {
            let plan = plan_with(&shape, workers, &options).unwrap();
            check(&shape, workers, &plan);
        }
    }
}

#[test]
fn default_plan_is_valid_for_every_worker_count() {
    for seed in 0..6 {
        let shape = random_dag(40, 0.1, seed);
        for workers in 1..=8 {
            check(&shape, workers, &plan(&shape, workers));
        }
    }
}

#[test]
fn plan_is_deterministic() {
    let shape = random_dag(40, 0.08, 7);
    assert_eq!(plan(&shape, 3), plan(&shape, 3));
}

#[test]
fn empty_graph_and_zero_workers() {
    let empty = DagShape::default();
    let p = plan(&empty, 4);
    assert_eq!(p.makespan_s, 0.0);
    assert_eq!(p.order_per_worker.len(), 4);
    validate_plan(&empty, &p).unwrap();
    let shape = random_dag(10, 0.2, 1);
    let p = plan(&shape, 0);
    assert_eq!(p.order_per_worker.len(), 1);
    validate_plan(&shape, &p).unwrap();
    assert!((p.makespan_s - analysis::total_work(&shape)).abs() < 1e-9);
}

#[test]
fn zero_cost_tasks_get_a_free_worker() {
    // Two long tasks fill both workers over [0, 10); a zero-cost task released at 5 by a
    // short task cannot sit in the middle of them.
    let mut shape = random_dag(0, 0.0, 0);
    let costs = [10.0, 10.0, 5.0, 0.0, 1.0];
    for (i, c) in costs.iter().enumerate() {
        shape.tasks.push(TaskShape {
            name: format!("t{i}"),
            kind: "test".into(),
            cost_s: *c,
            max_threads: 1,
            peak_mem_bytes: 0,
            locality: None,
        });
    }
    shape.preds = vec![vec![], vec![], vec![], vec![2], vec![3]];
    shape.succs = vec![vec![], vec![], vec![3], vec![4], vec![]];
    for workers in 1..=3 {
        let p = plan(&shape, workers);
        validate_plan(&shape, &p).unwrap();
    }
}

#[test]
fn energy_bound_beats_the_simple_bound() {
    // A root of cost 2 releases three tasks of cost 2, on 2 workers: W / P = C = 4, but the
    // three children all have to fit in [2, T], which needs T >= 5 (energy), and two of them
    // share a worker (pigeonhole), which needs T >= 6: the optimum.
    let mut shape = DagShape::default();
    for i in 0..4 {
        shape.tasks.push(TaskShape {
            name: format!("t{i}"),
            kind: "test".into(),
            cost_s: 2.0,
            max_threads: 1,
            peak_mem_bytes: 0,
            locality: None,
        });
    }
    shape.preds = vec![vec![], vec![0], vec![0], vec![0]];
    shape.succs = vec![vec![1, 2, 3], vec![], vec![], vec![]];
    assert_eq!(analysis::lower_bound(&shape, 2).unwrap(), 4.0);
    assert_eq!(makespan_lower_bound(&shape, 2).unwrap(), 6.0);
    assert_eq!(plan(&shape, 2).makespan_s, 6.0);
}

#[test]
fn validate_plan_rejects_broken_plans() {
    let shape = random_dag(12, 0.3, 3);
    let good = plan(&shape, 2);
    let mut bad = good.clone();
    bad.makespan_s += 1.0;
    assert!(validate_plan(&shape, &bad)
        .unwrap_err()
        .contains("makespan"));
    let mut bad = good.clone();
    let t = bad
        .order_per_worker
        .iter()
        .flatten()
        .copied()
        .next()
        .unwrap();
    bad.order_per_worker
        .iter_mut()
        .find(|l| !l.is_empty())
        .unwrap()
        .retain(|&x| x != t);
    assert!(validate_plan(&shape, &bad)
        .unwrap_err()
        .contains("not scheduled"));
    let mut bad = good.clone();
    let late = (0..12).find(|&t| !shape.preds[t].is_empty()).unwrap();
    bad.start_s[late] = 0.0;
    assert!(validate_plan(&shape, &bad).is_err());
}

#[test]
fn cycles_and_bad_costs_are_errors() {
    let mut shape = random_dag(3, 0.0, 0);
    shape.preds = vec![vec![2], vec![0], vec![1]];
    shape.succs = vec![vec![1], vec![2], vec![0]];
    assert!(matches!(
        plan_with(&shape, 2, &PlanOptions::default()),
        Err(PlanError::Cycle(_))
    ));
    let mut shape = random_dag(3, 0.0, 0);
    shape.tasks[1].cost_s = f64::NAN;
    let err = plan_with(&shape, 2, &PlanOptions::default()).unwrap_err();
    assert!(err.to_string().contains("task 1"), "{err}");
    let shape = random_dag(3, 0.0, 0);
    assert!(try_list_schedule(&shape, 2, &[1.0]).is_err());
}

/// The simulator's priority dispatch on one domain without stealing costs is exactly Graham's
/// list scheduling, start time for start time.
#[test]
fn simulated_priority_dispatch_is_list_scheduling() {
    use crate::shape::Dispatch;
    use crate::sim::{simulate, SimMachine};
    for seed in 0..5 {
        let mut shape = random_dag(70, 0.1, seed);
        for t in &mut shape.tasks {
            // Positive integer costs: the simulator and Graham break ties alike only then.
            t.cost_s = t.cost_s.ceil().max(1.0);
        }
        let priority = analysis::bottom_levels(&shape).unwrap();
        for workers in [2, 4, 8] {
            let planned = list_schedule(&shape, workers, &priority);
            let dispatch = Dispatch::Priority {
                priority: priority.clone(),
                locality: false,
            };
            let report = simulate(&shape, &dispatch, &SimMachine::uniform(workers), 0).unwrap();
            assert_eq!(report.makespan_s, planned.makespan_s);
            for t in 0..shape.len() {
                assert_eq!(report.tasks[t].start_s, planned.start_s[t]);
            }
        }
    }
}
