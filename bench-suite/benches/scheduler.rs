//! `cargo bench --bench scheduler`: dispatch overhead. The same number of empty tasks through the
//! zkpar executor (`dag` and `rayon` policies) and through a plain `rayon::scope` spawn loop, in
//! the same run, reported as tasks per second (target: at least 1,000,000 per second on 2 cores).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::graph::{Cost, TaskGraph};
use scheduler::policy::PolicyName;
use scheduler::topology::Topology;

/// Enough tasks that per-run set-up is amortised, few enough for a quick bench.
const TASKS: usize = 100_000;

/// `TASKS` independent empty tasks hanging off one root, so every one is released by the root's
/// completion and dispatch (not dependency bookkeeping) dominates.
fn fan_out() -> TaskGraph {
    let mut g = TaskGraph::with_capacity(TASKS + 1, TASKS);
    let root = g.add_task("root", "empty", Cost::default(), || Ok(()));
    for i in 0..TASKS {
        let t = g.add_task(format!("t{i}"), "empty", Cost::default(), || Ok(()));
        g.add_dependency(root, t).expect("valid ids");
    }
    g
}

fn dispatch(c: &mut Criterion) {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let executor = Executor::new(ExecutorConfig {
        topology: Topology::detect(),
        threads,
        mem_budget: None,
        pin: false,
    })
    .expect("executor");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    let mut group = c.benchmark_group("dispatch");
    group
        .throughput(Throughput::Elements(TASKS as u64))
        .sample_size(20);
    for policy in [PolicyName::Dag, PolicyName::Rayon] {
        group.bench_function(BenchmarkId::new("zkpar", policy.as_str()), |b| {
            b.iter_batched(
                fan_out,
                |g| {
                    executor
                        .run(g, policy.policy().as_ref(), None)
                        .expect("run")
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.bench_function(BenchmarkId::new("rayon_scope", "spawn"), |b| {
        b.iter(|| {
            pool.scope(|s| {
                for _ in 0..TASKS {
                    s.spawn(|_| {});
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
