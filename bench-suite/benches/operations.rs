//! `cargo bench --bench operations`: each operation proved under `previous`, `rayon` and `dag`.
//!
//! One criterion group per operation (`transfer`, `erc20`, `defi`, `multicall`), one bench id per
//! policy, so `zkpar report` finds `target/criterion/<op>/<policy>/new/estimates.json`.
//! Proofs take seconds, so: the minimum sample count, flat sampling, keys generated in set-up.
//! `ZKPAR_BENCH_OPS=transfer,erc20` limits the operations; `ZKPAR_BENCH_THREADS=N` the workers.

use bench_suite::measure::{self, TABLE_POLICIES};
use circuits::cost::CostModel;
use circuits::operations::{default_operations_path, OperationsFile};
use circuits::pipeline::{Prover, Target};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use scheduler::topology::Topology;
use std::time::Duration;

fn operations(c: &mut Criterion) {
    let ops = OperationsFile::load(default_operations_path()).expect("datasets/operations.toml");
    let wanted: Option<Vec<String>> = std::env::var("ZKPAR_BENCH_OPS")
        .ok()
        .map(|s| s.split(',').map(str::to_string).collect());
    let topology = Topology::detect();
    let threads = std::env::var("ZKPAR_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let executor = measure::executor(&topology, threads).expect("executor");
    let prover = Prover::new(ops.clone(), CostModel::from_default_file());
    for op in &ops.operations {
        if wanted.as_ref().is_some_and(|w| !w.contains(&op.id)) {
            continue;
        }
        prover
            .warm_keys(&Target::Operation(op.id.clone()))
            .expect("key generation");
        let mut group = c.benchmark_group(&op.id);
        // Criterion's minimum; each sample is one full proving run of several seconds.
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(Duration::from_secs(20));
        for policy in TABLE_POLICIES {
            group.bench_function(policy.as_str(), |b| {
                b.iter(|| measure::prove_once(&prover, &executor, &op.id, policy).expect("proving"))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, operations);
criterion_main!(benches);
