//! The work budget on graphs hard enough that the search runs until the budget stops it:
//! the plan is valid, the budget holds, and plans are reproducible. (Planning *time* is
//! measured by `zkpar stg`, not here: a timed unit test would fail on a slow or busy machine.)

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::budget::Charges;
use super::*;
use crate::shape::{DagShape, TaskShape};

/// A random layered graph of `n` positive-cost tasks, communication-free: layers of
/// `widths` tasks, each task with 1..=3 predecessors in the layer before, and a zero-cost
/// barrier task after every layer (so each layer is its own packing problem, which the path
/// and work bounds do not see). Costs are log-uniform in 1..=`max_cost` (integers).
fn layered_graph(
    n: usize,
    widths: std::ops::RangeInclusive<usize>,
    max_cost: f64,
    seed: u64,
) -> DagShape {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut shape = DagShape::default();
    let add = |shape: &mut DagShape, cost: f64, preds: Vec<usize>| {
        let id = shape.tasks.len();
        shape.tasks.push(TaskShape {
            name: format!("t{id}"),
            kind: "test".into(),
            cost_s: cost,
            max_threads: 1,
            peak_mem_bytes: 0,
            locality: None,
        });
        shape.preds.push(preds);
        id
    };
    let (mut placed, mut previous) = (0, Vec::<usize>::new());
    while placed < n {
        let width = rng.gen_range(widths.clone()).min(n - placed);
        let mut layer = Vec::with_capacity(width);
        for _ in 0..width {
            let mut preds = Vec::new();
            if !previous.is_empty() {
                let want = rng.gen_range(1..=3usize).min(previous.len());
                while preds.len() < want {
                    let p = previous[rng.gen_range(0..previous.len())];
                    if !preds.contains(&p) {
                        preds.push(p);
                    }
                }
                preds.sort_unstable();
            }
            let cost = rng.gen_range(0.0..max_cost.ln()).exp().round().max(1.0);
            layer.push(add(&mut shape, cost, preds));
        }
        placed += width;
        previous = if placed < n {
            vec![add(&mut shape, 0.0, layer)]
        } else {
            layer
        };
    }
    shape.succs = vec![Vec::new(); shape.tasks.len()];
    for (t, preds) in shape.preds.iter().enumerate() {
        for &p in preds {
            shape.succs[p].push(t);
        }
    }
    shape
}

/// The most one local-search iteration charges: its decode and bookkeeping, then (after a
/// stall) a restart's decode, each followed by up to four justification rounds.
fn one_iteration(shape: &DagShape) -> u64 {
    let edges = shape.preds.iter().map(Vec::len).sum();
    let c = Charges::new(shape.len(), edges);
    2 * c.decode + c.justify_round / 2 + 8 * c.justify_round
}

#[test]
fn a_hard_5000_task_graph_stops_at_the_work_budget() {
    let shape = layered_graph(5000, 60..=120, 1000.0, 11);
    let workers = 16;
    // Construction alone misses the bound: the graph is hard enough for the search to run.
    let first = solve(
        &shape,
        workers,
        &PlanOptions {
            max_work: 0,
            ..PlanOptions::default()
        },
    )
    .unwrap();
    assert!(!first.is_optimal(), "the generated graph is too easy");
    assert_eq!(first.search_iterations, 0);

    // A tenth of the default budget keeps this test quick in a debug build; the default is
    // exercised by `zkpar stg` in release mode.
    let options = PlanOptions {
        max_work: PlanOptions::default().max_work / 10,
        ..PlanOptions::default()
    };
    let solution = solve(&shape, workers, &options).unwrap();
    validate_plan(&shape, &solution.plan).unwrap();
    assert!(solution.plan.makespan_s >= solution.lower_bound);
    assert!(solution.plan.makespan_s <= first.plan.makespan_s);
    // The local search ran and the budget, not the iteration limit, stopped it.
    assert!(solution.search_iterations > 0);
    assert!(solution.search_iterations < options.max_iterations);
    assert!(solution.work >= options.max_work);
    assert!(
        solution.work <= options.max_work + one_iteration(&shape),
        "{} units spent for a budget of {}",
        solution.work,
        options.max_work
    );
    // Counted in work units, not time: the same inputs give the same plan.
    assert_eq!(solve(&shape, workers, &options).unwrap(), solution);
}

#[test]
fn the_branch_and_bound_stops_at_the_work_budget() {
    // Small enough for the exact search (at most 400 positive-cost tasks), hard enough that
    // neither construction nor the bound settles it.
    let shape = layered_graph(300, 5..=9, 20.0, 5);
    let options = PlanOptions {
        max_iterations: 0,
        max_work: 50_000_000,
        ..PlanOptions::default()
    };
    let solution = solve(&shape, 3, &options).unwrap();
    validate_plan(&shape, &solution.plan).unwrap();
    assert!(solution.search_nodes > 0, "the exact search did not run");
    assert!(solution.search_nodes < options.max_search_nodes);
    let positive: Vec<usize> = (0..shape.len())
        .filter(|&t| shape.tasks[t].cost_s > 0.0)
        .collect();
    // Every node is charged at least n² for the reduced problem's n tasks.
    let node_floor = (positive.len() * positive.len()) as u64;
    assert!(solution.search_nodes * node_floor <= options.max_work);
    assert!(solution.work <= options.max_work);
    assert_eq!(solve(&shape, 3, &options).unwrap(), solution);
}

#[test]
fn a_zero_budget_still_plans() {
    let shape = layered_graph(400, 5..=9, 20.0, 3);
    let options = PlanOptions {
        max_work: 0,
        ..PlanOptions::default()
    };
    let solution = solve(&shape, 3, &options).unwrap();
    validate_plan(&shape, &solution.plan).unwrap();
    assert_eq!((solution.search_iterations, solution.search_nodes), (0, 0));
}
