//! Empty-task dispatch throughput, printed rather than asserted (speed targets are never
//! checked by timed unit tests). Run with
//! `cargo test -p scheduler --release --test throughput -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use scheduler::graph::{Cost, TaskGraph, TaskId};
use scheduler::policy::PolicyName;

/// 1,000,000 empty tasks as a chain, a fan-out from one root, and 1,000 parallel chains.
fn graph(shape: &str, n: usize) -> TaskGraph {
    let mut g = TaskGraph::with_capacity(n, n);
    let mut ids: Vec<TaskId> = Vec::with_capacity(n);
    ids.push(g.add_task("0", "empty", Cost::default(), || Ok(())));
    for i in 1..n {
        // Varied costs give the priority queue several buckets to work with.
        let t = g.add_task(
            i.to_string(),
            "empty",
            Cost::secs((i % 7) as f64),
            || Ok(()),
        );
        match shape {
            "chain" => g.add_dependency(ids[i - 1], t).unwrap(),
            "wide" => g.add_dependency(ids[0], t).unwrap(),
            _ if i >= 1000 => g.add_dependency(ids[i - 1000], t).unwrap(),
            _ => {}
        }
        ids.push(t);
    }
    g
}

#[test]
#[ignore = "measurement, not a check; run in release"]
fn empty_task_throughput() {
    const N: usize = 1_000_000;
    let threads = 2;
    let ex = common::executor(threads, 1);
    for shape in ["chain", "wide", "chains1000"] {
        for p in PolicyName::ALL {
            let g = graph(shape, N);
            let t0 = Instant::now();
            let report = ex.run(g, p.policy().as_ref(), None).unwrap();
            let total = t0.elapsed().as_secs_f64();
            println!(
                "{shape:>10} {p:>8} on {threads} threads: makespan {:.3} s ({:.2} M tasks/s), whole run() {:.3} s ({:.2} M tasks/s)",
                report.makespan_s,
                N as f64 / report.makespan_s / 1e6,
                total,
                N as f64 / total / 1e6,
            );
        }
    }
}
