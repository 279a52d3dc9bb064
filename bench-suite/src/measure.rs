//! Measuring proving runs: the shared code behind `zkpar reproduce`, `zkpar scale` and the
//! criterion benches, so all three time exactly the same thing.
//!
//! A measurement is one call of [`circuits::pipeline::Prover::prove`] on an [`Executor`] built for
//! the requested thread count: native execution, witness generation, every sub-circuit proof and
//! assembly, as the chosen policy schedules them. Keys are generated before timing starts.

use crate::report::charts::GanttTask;
use crate::report::results::{Machine, ScalingPoint};
use anyhow::Context;
use circuits::pipeline::{ProveOutcome, Prover, Target};
use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::metrics::RunReport;
use scheduler::policy::PolicyName;
use scheduler::topology::Topology;
use std::time::Instant;

/// The policies of the published comparison, in table order.
pub const TABLE_POLICIES: [PolicyName; 3] =
    [PolicyName::Previous, PolicyName::Rayon, PolicyName::Dag];

/// An executor with `threads` workers on `topology` (0 = every CPU), pinned.
pub fn executor(topology: &Topology, threads: usize) -> anyhow::Result<Executor> {
    executor_with_budget(topology, threads, None)
}

/// [`executor`] whose memory admission keeps to `mem_budget` bytes, if given.
pub fn executor_with_budget(
    topology: &Topology,
    threads: usize,
    mem_budget: Option<u64>,
) -> anyhow::Result<Executor> {
    Executor::new(ExecutorConfig {
        topology: topology.clone(),
        threads,
        mem_budget,
        pin: true,
    })
    .with_context(|| format!("cannot start an executor with {threads} threads"))
}

/// Proves one operation once with `policy`.
pub fn prove_once(
    prover: &Prover,
    executor: &Executor,
    op: &str,
    policy: PolicyName,
) -> anyhow::Result<ProveOutcome> {
    prover
        .prove(
            &Target::Operation(op.to_string()),
            policy.policy().as_ref(),
            executor,
        )
        .with_context(|| format!("proving {op} with the {policy} policy"))
}

/// One timing, in seconds, of the fixed single-thread kernel the regression gate divides by:
/// native Poseidon hashing, the same field arithmetic proving is made of, but independent of
/// zkpar's scheduling code.
pub fn calibration_kernel_once() -> f64 {
    // 4,000 bn254 Poseidon 2-to-1 hashes (circuits_kzg's native hash, the one the world state
    // uses; 20,000 took 6.6-6.9 s on the idle 2-core Xeon): about 1.4 s, long enough that one
    // timing is not at the mercy of a single scheduler tick, short enough to repeat before every
    // round. Changing the count changes every recorded `calibration_s`, so the gate's
    // baselines must then be recorded again.
    const HASHES: u64 = 4_000;
    let started = Instant::now();
    let mut acc = circuits::Fr::from(1);
    for i in 0..HASHES {
        acc = circuits_kzg::poseidon::native::hash2(acc, circuits::Fr::from(i));
    }
    std::hint::black_box(acc);
    started.elapsed().as_secs_f64()
}

/// The machine description for `results.json`.
pub fn machine(topology: &Topology, threads: usize) -> Machine {
    let mut machine = crate::report::provenance::basic_machine();
    machine.cores = topology.num_cpus() as u64;
    machine.numa_nodes = topology.domains.len() as u64;
    machine.topology_provider = topology.provider.clone();
    machine.threads = threads as u64;
    machine
}

/// Thread counts for a sweep up to `max`: powers of two, plus `max` itself.
pub fn sweep_threads(max: usize) -> Vec<usize> {
    let mut threads: Vec<usize> = std::iter::successors(Some(1usize), |t| Some(t * 2))
        .take_while(|t| *t <= max)
        .collect();
    if threads.last() != Some(&max) && max > 0 {
        threads.push(max);
    }
    threads
}

/// Median seconds of `reps` runs of `op` with each policy at each thread count.
pub fn scaling_sweep(
    prover: &Prover,
    topology: &Topology,
    op: &str,
    threads: &[usize],
    policies: &[PolicyName],
    reps: usize,
    mut progress: impl FnMut(&ScalingPoint),
) -> anyhow::Result<Vec<ScalingPoint>> {
    let mut points = Vec::new();
    for &t in threads {
        let executor = executor(topology, t)?;
        // A fresh executor's first run pays for thread start-up and first-touch page faults;
        // keep that out of whichever policy happens to come first.
        prove_once(prover, &executor, op, PolicyName::Dag)?;
        for &policy in policies {
            let mut seconds: Vec<f64> = (0..reps.max(1))
                .map(|_| prove_once(prover, &executor, op, policy).map(|o| o.wall_s))
                .collect::<Result<_, _>>()?;
            seconds.sort_by(f64::total_cmp);
            let point = ScalingPoint {
                op: op.to_string(),
                policy: policy.as_str().to_string(),
                threads: t as u64,
                seconds: seconds[seconds.len() / 2],
            };
            progress(&point);
            points.push(point);
        }
    }
    Ok(points)
}

/// The tasks of a run as Gantt bars: one lane per worker, coloured by task kind (the sub-circuit
/// name for proofs; `execute`, `witness`, `assemble` otherwise).
pub fn gantt_tasks(report: &RunReport) -> Vec<GanttTask> {
    report
        .tasks
        .iter()
        .map(|t| GanttTask {
            worker: t.worker,
            start_s: t.start_s,
            end_s: t.end_s.max(t.start_s),
            label: t.name.clone(),
            category: t.kind.clone(),
        })
        .collect()
}
