//! Stress: many small random graphs on one executor, some with panicking tasks. Every run must
//! end (no hang), succeed exactly when no task panicked, and never run a dependent of a failed
//! task.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rand::{Rng, SeedableRng};

/// Keeps the expected panics of doomed tasks from flooding the test output.
fn quiet_doomed_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let doomed = info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|m| m.starts_with("doomed task"));
        if !doomed {
            default(info);
        }
    }));
}
use rand_chacha::ChaCha8Rng;
use scheduler::executor::RunError;
use scheduler::graph::{Cost, TaskGraph};

#[test]
fn many_small_graphs_with_random_panics() {
    quiet_doomed_panics();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let policies = common::policies();
    let (mut ok_runs, mut failed_runs) = (0, 0);
    for (threads, domains) in [(2, 1), (3, 1), (4, 2)] {
        let ex = common::executor(threads, domains);
        for round in 0..600 {
            let n = rng.gen_range(1..40);
            let doomed = if rng.gen_bool(0.3) {
                Some(rng.gen_range(0..n))
            } else {
                None
            };
            let ran: Arc<Vec<AtomicUsize>> =
                Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
            let mut g = TaskGraph::new();
            let ids: Vec<_> = (0..n)
                .map(|i| {
                    let ran = Arc::clone(&ran);
                    let spin = rng.gen_range(0..2000u64);
                    g.add_task(
                        format!("r{round}t{i}"),
                        "k",
                        Cost::secs(spin as f64),
                        move || {
                            ran[i].fetch_add(1, Ordering::SeqCst);
                            std::hint::black_box((0..spin).sum::<u64>());
                            if Some(i) == doomed {
                                panic!("doomed task {i}");
                            }
                            Ok(())
                        },
                    )
                })
                .collect();
            let mut edges = Vec::new();
            for b in 1..n {
                for _ in 0..rng.gen_range(0..3) {
                    let a = rng.gen_range(0..b);
                    g.add_dependency(ids[a], ids[b]).unwrap();
                    edges.push((a, b));
                }
            }
            let policy = &policies[round % policies.len()];
            match (ex.run(g, policy.as_ref(), None), doomed) {
                (Ok(report), None) => {
                    ok_runs += 1;
                    assert_eq!(report.tasks.len(), n);
                }
                (
                    Err(RunError::TaskFailed {
                        task,
                        panicked: true,
                        ..
                    }),
                    Some(d),
                ) => {
                    failed_runs += 1;
                    assert_eq!(task, format!("r{round}t{d}"));
                    // Nothing downstream of the doomed task ran.
                    let mut downstream = vec![false; n];
                    downstream[d] = true;
                    for &(a, b) in &edges {
                        downstream[b] |= downstream[a];
                    }
                    for i in (0..n).filter(|&i| downstream[i] && i != d) {
                        assert_eq!(
                            ran[i].load(Ordering::SeqCst),
                            0,
                            "{}: t{i} ran after t{d} failed",
                            policy.name()
                        );
                    }
                }
                (other, d) => panic!(
                    "{}: unexpected outcome {other:?} (doomed {d:?})",
                    policy.name()
                ),
            }
            assert!((0..n).all(|i| ran[i].load(Ordering::SeqCst) <= 1));
        }
    }
    // Both outcomes were exercised many times.
    assert!(
        ok_runs > 500 && failed_runs > 300,
        "{ok_runs} ok, {failed_runs} failed"
    );
}
