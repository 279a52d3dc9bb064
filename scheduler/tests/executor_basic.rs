//! End-to-end runs of every policy: ordering, failures, cancellation, memory, large graphs.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{executor, executor_with_budget, policies};
use scheduler::executor::{CancelToken, RunError};
use scheduler::graph::{Cost, TaskError, TaskGraph, TaskId};
use scheduler::policy::PolicyName;

/// A diamond-of-diamonds graph whose tasks log (name, start order, end order).
fn logged_graph(log: &Arc<Mutex<Vec<String>>>) -> (TaskGraph, Vec<(usize, usize)>) {
    let mut g = TaskGraph::new();
    let mut ids: Vec<TaskId> = Vec::new();
    for i in 0..12 {
        let log = Arc::clone(log);
        ids.push(g.add_task(
            format!("t{i}"),
            "k",
            Cost::secs(1.0 + i as f64),
            move || {
                std::thread::sleep(Duration::from_micros(200));
                log.lock().unwrap().push(format!("t{i}"));
                Ok(())
            },
        ));
    }
    let edges = vec![
        (0, 1),
        (0, 2),
        (1, 3),
        (2, 3),
        (3, 4),
        (3, 5),
        (4, 6),
        (5, 6),
        (6, 7),
        (8, 9),
        (9, 10),
        (10, 11),
        (2, 11),
    ];
    for &(a, b) in &edges {
        g.add_dependency(ids[a], ids[b]).unwrap();
    }
    (g, edges)
}

#[test]
fn every_policy_respects_dependencies_on_1_to_4_workers_and_2_domains() {
    for (threads, domains) in [(1, 1), (2, 1), (3, 1), (4, 1), (4, 2)] {
        let ex = executor(threads, domains);
        for policy in policies() {
            let log = Arc::new(Mutex::new(Vec::new()));
            let (g, edges) = logged_graph(&log);
            let report = ex.run(g, policy.as_ref(), None).unwrap();
            let log = log.lock().unwrap();
            assert_eq!(log.len(), 12, "{} on {threads}", policy.name());
            let pos = |i: usize| log.iter().position(|n| *n == format!("t{i}")).unwrap();
            for &(a, b) in &edges {
                assert!(pos(a) < pos(b), "{}: t{a} logged after t{b}", policy.name());
                let (ra, rb) = (&report.tasks[a], &report.tasks[b]);
                assert!(ra.end_s <= rb.start_s, "{}: record order", policy.name());
            }
            assert_eq!(report.policy, policy.name());
            assert_eq!(report.workers, threads);
            assert!(report.tasks.iter().all(|t| t.worker < threads));
            assert!(report.efficiency > 0.0);
        }
    }
}

fn failing_graph(
    fail: impl FnOnce() -> Result<(), TaskError> + Send + 'static,
) -> (TaskGraph, Arc<AtomicUsize>) {
    let dependents_ran = Arc::new(AtomicUsize::new(0));
    let mut g = TaskGraph::new();
    let a = g.add_task("ok", "k", Cost::secs(1.0), || Ok(()));
    let bad = g.add_task("bad apple", "k", Cost::secs(1.0), fail);
    g.add_dependency(a, bad).unwrap();
    let mut prev = bad;
    for i in 0..5 {
        let ran = Arc::clone(&dependents_ran);
        let t = g.add_task(format!("after {i}"), "k", Cost::secs(1.0), move || {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        g.add_dependency(prev, t).unwrap();
        prev = t;
    }
    (g, dependents_ran)
}

#[test]
fn panic_is_reported_dependents_skipped_and_executor_reusable() {
    let ex = executor(2, 1);
    for policy in policies() {
        let (g, ran) = failing_graph(|| panic!("boom at row 7"));
        let err = ex.run(g, policy.as_ref(), None).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("\"bad apple\" panicked: boom at row 7"),
            "{}: {msg}",
            policy.name()
        );
        assert!(
            matches!(
                err,
                RunError::TaskFailed {
                    panicked: true,
                    not_run: 5,
                    ..
                }
            ),
            "{msg}"
        );
        assert_eq!(ran.load(Ordering::SeqCst), 0, "{}", policy.name());
        // The same executor runs the next graph.
        let log = Arc::new(Mutex::new(Vec::new()));
        let (g, _) = logged_graph(&log);
        ex.run(g, policy.as_ref(), None).unwrap();
        assert_eq!(log.lock().unwrap().len(), 12);
    }
}

#[test]
fn task_error_is_reported() {
    let ex = executor(2, 1);
    for policy in policies() {
        let (g, ran) = failing_graph(|| Err(TaskError::new("constraint 3 unsatisfied")));
        let err = ex.run(g, policy.as_ref(), None).unwrap_err().to_string();
        assert_eq!(
            err,
            "task \"bad apple\" failed: constraint 3 unsatisfied (5 tasks not run)",
            "{}",
            policy.name()
        );
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn cancellation_skips_pending_tasks() {
    let ex = executor(2, 1);
    for policy in policies() {
        let cancel = CancelToken::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let mut g = TaskGraph::new();
        let mut prev: Option<TaskId> = None;
        for i in 0..50 {
            let (ran, cancel) = (Arc::clone(&ran), cancel.clone());
            let t = g.add_task(format!("t{i}"), "k", Cost::secs(1.0), move || {
                if ran.fetch_add(1, Ordering::SeqCst) == 3 {
                    cancel.cancel();
                }
                Ok(())
            });
            if let Some(p) = prev {
                g.add_dependency(p, t).unwrap();
            }
            prev = Some(t);
        }
        let err = ex.run(g, policy.as_ref(), Some(&cancel)).unwrap_err();
        assert!(
            matches!(
                err,
                RunError::Cancelled {
                    completed: 4,
                    not_run: 46
                }
            ),
            "{}: {err}",
            policy.name()
        );
        assert_eq!(ran.load(Ordering::SeqCst), 4);
        // Cancelled before start: nothing runs.
        let mut g = TaskGraph::new();
        g.add_task("never", "k", Cost::default(), || panic!("must not run"));
        let err = ex.run(g, policy.as_ref(), Some(&cancel)).unwrap_err();
        assert!(
            matches!(
                err,
                RunError::Cancelled {
                    completed: 0,
                    not_run: 1
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn invalid_graphs_are_errors_not_panics() {
    let ex = executor(2, 1);
    let mut g = TaskGraph::new();
    let a = g.add_task("a", "k", Cost::default(), || Ok(()));
    let b = g.add_task("b", "k", Cost::default(), || Ok(()));
    g.add_dependency(a, b).unwrap();
    g.add_dependency(b, a).unwrap();
    let err = ex
        .run(g, PolicyName::Dag.policy().as_ref(), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cycle: a -> b -> a") || err.contains("cycle: b -> a -> b"),
        "{err}"
    );
    let mut g = TaskGraph::new();
    g.add_task("twin", "k", Cost::default(), || Ok(()));
    g.add_task("twin", "k", Cost::default(), || Ok(()));
    let err = ex
        .run(g, PolicyName::Dag.policy().as_ref(), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate task name \"twin\""), "{err}");
}

#[test]
fn empty_graph_runs() {
    let ex = executor(2, 1);
    for policy in policies() {
        let report = ex.run(TaskGraph::new(), policy.as_ref(), None).unwrap();
        assert!(report.tasks.is_empty());
    }
}

/// Tasks add their estimate to a shared gauge while running; the gauge's maximum must stay
/// within the budget, except for the oversized task, which must run alone.
#[test]
fn memory_budget_is_never_exceeded() {
    const BUDGET: u64 = 100;
    let ex = executor_with_budget(4, BUDGET);
    for policy in policies() {
        let gauge = Arc::new(AtomicUsize::new(0));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let alone_violations = Arc::new(AtomicUsize::new(0));
        let mut g = TaskGraph::new();
        for i in 0..40u64 {
            let mem = if i == 17 { 250 } else { 10 + (i * 7) % 50 };
            let (gauge, running, peak, alone) = (
                Arc::clone(&gauge),
                Arc::clone(&running),
                Arc::clone(&peak),
                Arc::clone(&alone_violations),
            );
            g.add_task(
                format!("m{i}"),
                "k",
                Cost::secs(1.0).with_mem(mem),
                move || {
                    let now = gauge.fetch_add(mem as usize, Ordering::SeqCst) + mem as usize;
                    let others = running.fetch_add(1, Ordering::SeqCst);
                    if mem > BUDGET && others > 0 {
                        alone.fetch_add(1, Ordering::SeqCst);
                    }
                    if mem <= BUDGET {
                        peak.fetch_max(now, Ordering::SeqCst);
                    }
                    std::thread::sleep(Duration::from_micros(300));
                    if mem > BUDGET && running.load(Ordering::SeqCst) > 1 {
                        alone.fetch_add(1, Ordering::SeqCst);
                    }
                    running.fetch_sub(1, Ordering::SeqCst);
                    gauge.fetch_sub(mem as usize, Ordering::SeqCst);
                    Ok(())
                },
            );
        }
        ex.run(g, policy.as_ref(), None).unwrap();
        assert!(
            peak.load(Ordering::SeqCst) <= BUDGET as usize,
            "{}",
            policy.name()
        );
        if policy.name() != "previous" {
            // Sequential never overlaps tasks; the others must use the budget's room.
            assert!(
                peak.load(Ordering::SeqCst) > 60,
                "{}: no overlap",
                policy.name()
            );
        }
        assert_eq!(
            alone_violations.load(Ordering::SeqCst),
            0,
            "{}",
            policy.name()
        );
    }
}

/// One million empty tasks, as a chain and as a fan-out, with the work-stealing policy: no
/// stack overflow, every task runs.
#[test]
fn million_task_graphs_do_not_overflow() {
    const N: usize = 1_000_000;
    let ex = executor(2, 1);
    let count = Arc::new(AtomicUsize::new(0));
    for wide in [false, true] {
        let mut g = TaskGraph::with_capacity(N, N);
        let mut prev = None;
        let root = g.add_task("root", "k", Cost::default(), || Ok(()));
        for i in 1..N {
            let c = Arc::clone(&count);
            let t = g.add_task(i.to_string(), "k", Cost::default(), move || {
                c.fetch_add(1, Ordering::Relaxed);
                Ok(())
            });
            let before = if wide { root } else { prev.unwrap_or(root) };
            g.add_dependency(before, t).unwrap();
            prev = Some(t);
        }
        let report = ex.run(g, PolicyName::Dag.policy().as_ref(), None).unwrap();
        assert_eq!(report.tasks.len(), N);
    }
    assert_eq!(count.load(Ordering::Relaxed), 2 * (N - 1));
}

/// Inner rayon parallelism runs on the executor's threads.
#[test]
fn tasks_can_use_rayon_inside() {
    use rayon::prelude::*;
    let ex = executor(2, 1);
    for policy in policies() {
        let mut g = TaskGraph::new();
        let sums = Arc::new(Mutex::new(Vec::new()));
        for i in 0..4u64 {
            let sums = Arc::clone(&sums);
            g.add_task(
                format!("par{i}"),
                "k",
                Cost::secs(1.0).with_threads(2),
                move || {
                    let in_pool = rayon::current_thread_index().is_some();
                    let s: u64 = (0..10_000u64).into_par_iter().map(|x| x * i).sum();
                    sums.lock()
                        .unwrap()
                        .push((s, in_pool, rayon::current_num_threads()));
                    Ok(())
                },
            );
        }
        ex.run(g, policy.as_ref(), None).unwrap();
        for (s, in_pool, threads) in sums.lock().unwrap().iter() {
            assert!(*in_pool, "{}: task not on a pool thread", policy.name());
            assert!(
                *threads <= 2,
                "{}: task saw {threads} threads",
                policy.name()
            );
            assert_eq!(s % 49_995_000, 0);
        }
    }
}
