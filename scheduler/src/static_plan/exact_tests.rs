//! Tests of the exact search and the bounds against brute force.

use std::collections::HashMap;

use proptest::prelude::{any, prop_assert, proptest, ProptestConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::bnb::improve;
use super::bounds::{root_bound, Windows};
use super::budget::WorkMeter;
use super::problem::Problem;
use super::reduced::Reduced;
use super::{makespan_lower_bound, solve, validate_plan, PlanOptions};
use crate::shape::{DagShape, TaskShape};

fn dag(costs: &[f64], preds: Vec<Vec<usize>>) -> DagShape {
    let n = costs.len();
    let mut succs = vec![Vec::new(); n];
    for (j, ps) in preds.iter().enumerate() {
        for &p in ps {
            succs[p].push(j);
        }
    }
    DagShape {
        tasks: costs
            .iter()
            .enumerate()
            .map(|(i, &c)| TaskShape {
                name: format!("t{i}"),
                kind: "test".into(),
                cost_s: c,
                max_threads: 1,
                peak_mem_bytes: 0,
                locality: None,
            })
            .collect(),
        preds,
        succs,
    }
}

/// A random DAG of `n` tasks (edges from lower to higher index) with costs from `costs`.
fn random_dag(n: usize, density: f64, costs: &[f64], seed: u64) -> DagShape {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let c: Vec<f64> = (0..n)
        .map(|_| costs[rng.gen_range(0..costs.len())])
        .collect();
    let preds = (0..n)
        .map(|i| (0..i).filter(|_| rng.gen_bool(density)).collect())
        .collect();
    dag(&c, preds)
}

/// The exact optimum for integer costs, by dynamic programming over every integer time step
/// and every set of ready tasks started at it (zero-cost tasks need no worker: the relaxation
/// the bounds and the search reason about). Independent of active-schedule theory.
fn brute_integer(shape: &DagShape, cap: usize) -> f64 {
    let n = shape.tasks.len();
    let d: Vec<u64> = shape.tasks.iter().map(|t| t.cost_s as u64).collect();
    let horizon: u64 = d.iter().sum::<u64>() + 1;
    fn rec(
        t: u64,
        end: &[Option<u64>],
        d: &[u64],
        preds: &[Vec<usize>],
        cap: usize,
        horizon: u64,
        memo: &mut HashMap<(u64, Vec<Option<u64>>), u64>,
    ) -> u64 {
        let n = d.len();
        if t > horizon {
            return u64::MAX;
        }
        // Finished tasks only matter as finished: the makespan is set by later ones.
        let key: Vec<Option<u64>> = end
            .iter()
            .map(|e| e.map(|e| if e <= t { 0 } else { e }))
            .collect();
        if let Some(&v) = memo.get(&(t, key.clone())) {
            return v;
        }
        let ready: Vec<usize> = (0..n)
            .filter(|&i| key[i].is_none() && preds[i].iter().all(|&p| key[p] == Some(0)))
            .collect();
        let running = (0..n).filter(|&i| key[i].is_some_and(|e| e > t)).count();
        let free = cap - running;
        let mut best = u64::MAX;
        let mut next = key.clone();
        for mask in 0u32..(1 << ready.len()) {
            let chosen: Vec<usize> = (0..ready.len())
                .filter(|&k| mask & (1 << k) != 0)
                .map(|k| ready[k])
                .collect();
            if chosen.iter().filter(|&&i| d[i] > 0).count() > free {
                continue;
            }
            next.clone_from(&key);
            for &i in &chosen {
                next[i] = Some(t + d[i]);
            }
            let v = if next.iter().all(Option::is_some) {
                next.iter().map(|e| e.unwrap()).max().unwrap_or(0).max(t)
            } else if !chosen.is_empty() && chosen.iter().all(|&i| d[i] == 0) {
                // Zero-cost tasks end at once: their successors may start at t too.
                rec(t, &next, d, preds, cap, horizon, memo)
            } else {
                rec(t + 1, &next, d, preds, cap, horizon, memo)
            };
            best = best.min(v);
        }
        memo.insert((t, key), best);
        best
    }
    let end = vec![None; n];
    let mut memo = HashMap::new();
    rec(0, &end, &d, &shape.preds, cap, horizon, &mut memo) as f64
}

/// The exact optimum for any costs: the best over every topological order of a serial
/// decoding (each task at the earliest time capacity allows); every active schedule, hence
/// an optimal one, is some order's decoding.
fn brute_orders(shape: &DagShape, cap: usize) -> f64 {
    let n = shape.tasks.len();
    let d: Vec<f64> = shape.tasks.iter().map(|t| t.cost_s).collect();
    fn rec(
        placed: &mut Vec<(usize, f64)>,
        d: &[f64],
        preds: &[Vec<usize>],
        cap: usize,
        best: &mut f64,
    ) {
        let n = d.len();
        if placed.len() == n {
            let ms = placed.iter().map(|&(i, s)| s + d[i]).fold(0.0, f64::max);
            *best = best.min(ms);
            return;
        }
        for j in 0..n {
            if placed.iter().any(|&(i, _)| i == j)
                || !preds[j]
                    .iter()
                    .all(|p| placed.iter().any(|&(i, _)| i == *p))
            {
                continue;
            }
            let ready = preds[j]
                .iter()
                .map(|&p| {
                    placed
                        .iter()
                        .find(|x| x.0 == p)
                        .map(|x| x.1 + d[p])
                        .unwrap()
                })
                .fold(0.0, f64::max);
            let mut times: Vec<f64> = placed
                .iter()
                .map(|&(i, s)| s + d[i])
                .filter(|&e| e > ready)
                .collect();
            times.push(ready);
            times.sort_by(f64::total_cmp);
            let fits = |s: f64| {
                // Usage only rises at starts, so checking s and the starts inside is enough.
                let mut points = vec![s];
                points.extend(
                    placed
                        .iter()
                        .map(|x| x.1)
                        .filter(|&x| x > s && x < s + d[j]),
                );
                points.iter().all(|&t| {
                    placed
                        .iter()
                        .filter(|&&(i, st)| d[i] > 0.0 && st <= t && t < st + d[i])
                        .count()
                        < cap
                }) || d[j] == 0.0
            };
            let s = times.into_iter().find(|&s| fits(s)).unwrap();
            placed.push((j, s));
            rec(placed, d, preds, cap, best);
            placed.pop();
        }
    }
    let mut best = f64::INFINITY;
    rec(&mut Vec::new(), &d, &shape.preds, cap, &mut best);
    if n == 0 {
        0.0
    } else {
        best
    }
}

/// Checks that reduced start times form a feasible schedule of `red`; returns its makespan.
fn check_reduced(red: &Reduced, starts: &[f64]) -> f64 {
    for j in 0..red.n {
        for &p in &red.preds[j] {
            assert!(
                starts[j] + 1e-9 >= starts[p] + red.dur[p],
                "precedence {p} -> {j}"
            );
        }
        let s = starts[j];
        let overlap = (0..red.n)
            .filter(|&i| starts[i] <= s + 1e-9 && s < starts[i] + red.dur[i] - 1e-9)
            .count();
        assert!(overlap <= red.cap, "{overlap} tasks at {s}");
    }
    (0..red.n)
        .map(|i| starts[i] + red.dur[i])
        .fold(0.0, f64::max)
}

/// Runs the search to the end from the root bound and checks it against `opt`.
fn search_is_exact(shape: &DagShape, cap: usize, opt: f64) {
    let pb = Problem::new(shape, cap).unwrap();
    let red = Reduced::new(&pb).unwrap();
    let total: f64 = red.dur.iter().sum();
    let ub = total + 1.0;
    let w = Windows::of_reduced(&red);
    let root = root_bound(red.instance(), &w, ub, &mut WorkMeter::new(u64::MAX, 0, 0));
    assert!(root <= opt + 1e-9, "root bound {root} > optimum {opt}");
    for i in 0..red.n {
        assert!(w.head[i] + red.dur[i] + w.tail[i] <= opt + 1e-9);
    }
    let found = improve(&red, &w, root, ub, 10_000_000);
    let starts = found.starts.expect("a schedule below the trivial bound");
    let ms = check_reduced(&red, &starts);
    assert!((ms - opt).abs() < 1e-6, "search found {ms}, optimum {opt}");
    assert!(
        (found.lower - opt).abs() < 1e-6,
        "search proved {}, optimum {opt}",
        found.lower
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn search_matches_brute_force_on_integer_costs(
        n in 1usize..8, density in 0.0f64..0.5, cap in 1usize..4, seed in any::<u64>()
    ) {
        let shape = random_dag(n, density, &[0.0, 1.0, 2.0, 3.0, 4.0, 4.0], seed);
        let opt = brute_integer(&shape, cap);
        if shape.tasks.iter().all(|t| t.cost_s == 0.0) {
            return Ok(());
        }
        search_is_exact(&shape, cap, opt);
        // Every bound the public API reports stays below the optimum, whatever the budget
        // (zero-cost tasks only make the real problem harder than the relaxation solved).
        prop_assert!(makespan_lower_bound(&shape, cap).unwrap() <= opt + 1e-9);
        for nodes in [0, 1, 5, 50, 1_000_000] {
            let options = PlanOptions { max_iterations: 0, max_search_nodes: nodes, ..PlanOptions::default() };
            let sol = solve(&shape, cap, &options).unwrap();
            validate_plan(&shape, &sol.plan).unwrap();
            prop_assert!(sol.lower_bound <= opt + 1e-9, "bound {} > optimum {opt}", sol.lower_bound);
            prop_assert!(sol.plan.makespan_s + 1e-9 >= sol.lower_bound);
        }
    }

    #[test]
    fn search_matches_brute_force_on_fractional_costs(
        n in 1usize..7, density in 0.0f64..0.5, cap in 1usize..4, seed in any::<u64>()
    ) {
        let shape = random_dag(n, density, &[0.5, 0.75, 1.25, 2.0, 2.5], seed);
        let opt = brute_orders(&shape, cap);
        search_is_exact(&shape, cap, opt);
        prop_assert!(makespan_lower_bound(&shape, cap).unwrap() <= opt + 1e-9);
        let options = PlanOptions { max_iterations: 0, ..PlanOptions::default() };
        let sol = solve(&shape, cap, &options).unwrap();
        validate_plan(&shape, &sol.plan).unwrap();
        prop_assert!(sol.lower_bound <= opt + 1e-9);
        prop_assert!((sol.plan.makespan_s - opt).abs() < 1e-6, "plan {} vs optimum {opt}", sol.plan.makespan_s);
    }
}

#[test]
fn brute_forces_agree() {
    for seed in 0..30 {
        let shape = random_dag(6, 0.3, &[1.0, 2.0, 3.0], seed);
        for cap in 1..=3 {
            assert_eq!(
                brute_integer(&shape, cap),
                brute_orders(&shape, cap),
                "seed {seed}"
            );
        }
    }
}

#[test]
fn layered_graph_bound_sees_whole_layers() {
    // Two layers of five unit tasks, fully connected, on two workers: each layer needs
    // three steps, so the optimum is 6, while W / P = 5 and the critical path is 2.
    let mut preds = vec![Vec::new(); 5];
    preds.extend((0..5).map(|_| (0..5).collect::<Vec<_>>()));
    let shape = dag(&[1.0; 10], preds);
    assert_eq!(makespan_lower_bound(&shape, 2).unwrap(), 6.0);
    let sol = solve(&shape, 2, &PlanOptions::default()).unwrap();
    assert!(sol.is_optimal());
    assert_eq!(sol.plan.makespan_s, 6.0);
}

#[test]
fn dominance_keeps_interchangeable_tasks_in_index_order() {
    // Four identical independent tasks: each dominates the later ones, and precedence plus
    // dominance still has a topological order.
    let shape = dag(&[2.0; 4], vec![Vec::new(); 4]);
    let pb = Problem::new(&shape, 2).unwrap();
    let red = Reduced::new(&pb).unwrap();
    assert_eq!(red.dominators, vec![0, 1, 2, 3]);
    search_is_exact(&shape, 2, 4.0);
}
