//! Property test: on random DAGs, every policy on 1 to 4 workers runs every task exactly once
//! and never before all of its predecessors finished.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::prelude::*;
use scheduler::graph::{Cost, TaskGraph};

/// A random DAG: `n` tasks, each edge `(a, b)` with `a < b` (so acyclic), random costs.
fn dag() -> impl Strategy<Value = (usize, Vec<(usize, usize)>, Vec<f64>)> {
    (1usize..60).prop_flat_map(|n| {
        let edges = proptest::collection::vec((0..n, 0..n), 0..(2 * n))
            .prop_map(|e| e.into_iter().filter(|(a, b)| a < b).collect::<Vec<_>>());
        let costs = proptest::collection::vec(0.0f64..10.0, n);
        (Just(n), edges, costs)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn tasks_run_once_after_their_predecessors((n, edges, costs) in dag(), threads in 1usize..=4) {
        let ex = common::executor(threads, if threads == 4 { 2 } else { 1 });
        for policy in common::policies() {
            // clock: a global event counter; start[i]/end[i]: the ticks of task i's start/end.
            let clock = Arc::new(AtomicUsize::new(1));
            let start: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
            let end: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
            let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
            let mut g = TaskGraph::new();
            let ids: Vec<_> = (0..n)
                .map(|i| {
                    let (clock, start, end, runs) =
                        (clock.clone(), start.clone(), end.clone(), runs.clone());
                    g.add_task(format!("t{i}"), "k", Cost::secs(costs[i]), move || {
                        runs[i].fetch_add(1, Ordering::SeqCst);
                        start[i].store(clock.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
                        std::hint::black_box((0..200).sum::<u64>());
                        end[i].store(clock.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
                        Ok(())
                    })
                })
                .collect();
            for &(a, b) in &edges {
                g.add_dependency(ids[a], ids[b]).unwrap();
            }
            let report = ex.run(g, policy.as_ref(), None).unwrap();
            prop_assert_eq!(report.tasks.len(), n);
            for i in 0..n {
                prop_assert_eq!(runs[i].load(Ordering::SeqCst), 1, "{} ran {} times under {}", i, runs[i].load(Ordering::SeqCst), policy.name());
            }
            for &(a, b) in &edges {
                prop_assert!(
                    end[a].load(Ordering::SeqCst) < start[b].load(Ordering::SeqCst),
                    "{}: t{} started before its predecessor t{} ended", policy.name(), b, a
                );
            }
        }
    }
}
