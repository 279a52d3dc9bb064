//! The proving pipeline as data: jobs survive serialisation and run the same, the static plan
//! matches native execution for every shipped operation and block, and the handler names the
//! task and what is wrong on bad input.

mod common;

use circuits::block::BlockSpec;
use circuits::bundle::assemble_and_verify;
use circuits::cost::CostModel;
use circuits::pipeline::{Prover, Target};
use circuits::tasks::{self, execution_summary, ProvingHandler};
use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::policy::policy_by_name;
use scheduler::spec::{run_local, JobSpec, TaskHandler, TaskInput};
use scheduler::topology::Topology;
use std::path::Path;
use std::sync::OnceLock;

fn prover() -> &'static Prover {
    static PROVER: OnceLock<Prover> = OnceLock::new();
    PROVER.get_or_init(|| {
        let ops = common::shallow_operations();
        Prover::new(ops, CostModel::new(None))
    })
}

fn handler() -> ProvingHandler {
    ProvingHandler::new(prover().keys())
}

fn run(kind: &str, input: &[u8], deps: &[&[u8]]) -> Result<Vec<u8>, String> {
    handler()
        .run(&TaskInput {
            name: "the task",
            kind,
            input,
            deps,
        })
        .map_err(|e| e.to_string())
}

fn targets() -> Vec<Target> {
    let ops = prover().operations();
    let mut targets: Vec<Target> = ops
        .operations
        .iter()
        .map(|o| Target::Operation(o.id.clone()))
        .collect();
    let blocks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/blocks");
    for name in ["small", "mainnet-mix", "defi-heavy"] {
        let block = BlockSpec::load(blocks.join(format!("{name}.json")), ops).unwrap();
        targets.push(Target::Block(block));
    }
    targets
}

#[test]
fn the_static_plan_matches_native_execution_for_every_operation_and_block() {
    for target in targets() {
        let job = prover().job(&target, "dag", 2).unwrap();
        let execute = &job.spec.tasks[0];
        assert_eq!(execute.kind, tasks::EXECUTE);
        let output = run(tasks::EXECUTE, &execute.input, &[])
            .unwrap_or_else(|e| panic!("{}: {e}", target.id()));
        let summary = execution_summary(&output).unwrap();
        assert_eq!(
            summary.labels.len(),
            job.prove_tasks.len(),
            "{}",
            target.id()
        );
        // Every witness task finds its slot in the execution and yields a checked witness.
        for (i, t) in job.spec.tasks.iter().enumerate() {
            if t.kind == tasks::WITNESS {
                run(tasks::WITNESS, &t.input, &[&output])
                    .unwrap_or_else(|e| panic!("{} task {i}: {e}", target.id()));
            }
        }
    }
}

#[test]
fn a_job_runs_the_same_after_a_round_trip_through_json() {
    let target = Target::Operation("transfer".into());
    prover().warm_keys(&target).unwrap();
    let job = prover().job(&target, "dag", 2).unwrap();
    let json = serde_json::to_string(&job.spec).unwrap();
    let spec: JobSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(spec, job.spec);
    let executor = Executor::new(ExecutorConfig {
        topology: Topology::flat(2),
        threads: 2,
        mem_budget: None,
        pin: false,
    })
    .unwrap();
    let run = run_local(
        &spec,
        std::sync::Arc::new(handler()),
        &executor,
        policy_by_name("dag").unwrap().as_ref(),
        None,
    )
    .unwrap();
    let bundle = job.bundle(&run.outputs).unwrap();
    let report = assemble_and_verify(&bundle, prover().keys()).unwrap();
    assert_eq!((report.subproofs, report.transitions), (4, 2));
    assert_eq!(bundle.header.kind, "operation");
}

#[test]
fn bad_task_inputs_are_errors_that_name_the_task() {
    let job = prover()
        .job(&Target::Operation("erc20".into()), "dag", 2)
        .unwrap();
    let execute = &job.spec.tasks[0];
    let witness = &job.spec.tasks[1];
    let prove = &job.spec.tasks[2];

    let e = run("teleport", b"x", &[]).unwrap_err();
    assert!(
        e.contains("the task") && e.contains("unknown task kind `teleport`"),
        "{e}"
    );

    // A missing predecessor output is an error, and so is an empty one: never a default value.
    let e = run(tasks::WITNESS, &witness.input, &[]).unwrap_err();
    assert!(e.contains("predecessor outputs"), "{e}");
    let e = run(tasks::WITNESS, &witness.input, &[&[]]).unwrap_err();
    assert!(e.contains("the task") && e.contains("truncated"), "{e}");
    let e = run(&prove.kind, &prove.input, &[&[]]).unwrap_err();
    assert!(e.contains("empty payload"), "{e}");

    // Garbage input bytes name what could not be decoded.
    let e = run(tasks::EXECUTE, b"\x01\x02", &[]).unwrap_err();
    assert!(e.contains("cannot decode execute input"), "{e}");

    // A job planned with other slots than execution produces is refused by `execute`.
    let transfer = prover()
        .job(&Target::Operation("transfer".into()), "dag", 2)
        .unwrap();
    let mut mixed: tasks::ExecuteInput =
        bincode::deserialize(&transfer.spec.tasks[0].input).unwrap();
    mixed.operation_ids = vec!["erc20".into()];
    let e = run(tasks::EXECUTE, &bincode::serialize(&mixed).unwrap(), &[]).unwrap_err();
    assert!(e.contains("was planned with"), "{e}");

    // A witness of one sub-circuit handed to the prover of another is refused.
    let output = run(tasks::EXECUTE, &execute.input, &[]).unwrap();
    let witness_out = run(tasks::WITNESS, &witness.input, &[&output]).unwrap();
    let other_prove = job
        .spec
        .tasks
        .iter()
        .find(|t| t.kind != prove.kind && job.prove_tasks.values().any(|(k, _)| k.name() == t.kind))
        .unwrap();
    let e = run(&other_prove.kind, &other_prove.input, &[&witness_out]).unwrap_err();
    assert!(e.contains("the witness is for"), "{e}");
}
