//! Memory-aware admission against measured memory: with each sub-circuit's peak memory measured
//! by calibration, a run under a budget adds no more than the budget to the process's resident
//! set. Alone in its own test binary, because resident memory is per process and other tests
//! running beside it would add theirs.

mod common;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::cost::CostModel;
use circuits::pipeline::{Prover, Target};
use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::policy::PolicyName;
use scheduler::topology::Topology;

#[test]
fn a_budgeted_run_stays_under_its_budget_in_measured_memory() {
    // Only transfer: calibration then measures only the kinds it proves.
    let mut ops = common::shallow_operations();
    ops.operations.retain(|op| op.id == "transfer");
    let uncalibrated = Prover::new(ops.clone(), CostModel::new(None));
    // One worker: only the alone timing and its peak memory are measured.
    let calibration = calibrate(
        &uncalibrated,
        CalibrationOptions {
            threads: 1,
            reps: 1,
        },
        |_, _| {},
    )
    .unwrap();
    for (kind, cost) in &calibration.kinds {
        let measured = cost.peak_mem_bytes.expect("peak memory measured");
        assert!(measured > 0, "{kind}: measured no memory");
    }
    let prover = Prover::new(ops, CostModel::new(Some(calibration)));
    let target = Target::Operation("transfer".into());
    prover.warm_keys(&target).unwrap();
    let job = prover.job(&target, "dag", 2).unwrap();
    let mut estimates: Vec<u64> = job
        .spec
        .tasks
        .iter()
        .map(|t| t.cost.peak_mem_bytes)
        .collect();
    estimates.sort_unstable();
    let (largest, second) = (
        estimates[estimates.len() - 1],
        estimates[estimates.len() - 2],
    );
    // Room for the largest proof, not for it and the next largest together: admission must
    // keep those two apart, and measured memory shows whether it did.
    let budget = largest + second / 2;
    let executor = Executor::new(ExecutorConfig {
        topology: Topology::detect(),
        threads: 2,
        mem_budget: Some(budget),
        pin: false,
    })
    .unwrap();
    let outcome = prover
        .prove(&target, PolicyName::Dag.policy().as_ref(), &executor)
        .unwrap();
    let added = outcome
        .peak_rss_bytes
        .saturating_sub(outcome.start_rss_bytes);
    eprintln!(
        "budget {} MiB (largest task {} MiB, next {} MiB); the run added {} MiB",
        budget >> 20,
        largest >> 20,
        second >> 20,
        added >> 20
    );
    assert!(added > 0, "the run's memory was not measured");
    assert!(
        added <= budget,
        "the budgeted run added {added} bytes to the resident set, over its budget of {budget}"
    );
}
