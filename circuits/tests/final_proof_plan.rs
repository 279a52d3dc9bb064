//! The final proof as tasks, without proving: the job holds the planned aggregate tasks, each
//! depending on its children in order, costed with the plan's seconds and memory; `assemble`
//! takes the root last; a budget too small for any tree is a clear error.

mod common;

use circuits::cost::CostModel;
use circuits::final_proof::{AggregateChild, AggregateInput, FinalTree, DEFAULT_AGG_BUDGET};
use circuits::pipeline::{JobOptions, PipelineError, Prover, Target};
use circuits::tasks::{self, AssembleInput};
use circuits_kzg::aggregation::{AggCostModel, ChildRef, PlanError};
use std::sync::OnceLock;

fn prover() -> &'static Prover {
    static PROVER: OnceLock<Prover> = OnceLock::new();
    PROVER.get_or_init(|| Prover::new(common::shallow_operations(), CostModel::new(None)))
}

fn final_options(budget: Option<u64>) -> JobOptions {
    JobOptions {
        final_proof: true,
        mem_budget: budget,
        agg_model: None,
    }
}

#[test]
fn without_the_option_there_are_no_aggregate_tasks() {
    let job = prover()
        .job(&Target::Operation("transfer".into()), "dag", 2)
        .unwrap();
    assert!(job.final_proof.is_none() && job.final_task().is_none());
    assert!(job.spec.tasks.iter().all(|t| t.kind != tasks::AGGREGATE));
}

#[test]
fn erc20_gets_the_planned_tree_as_tasks_with_deps_in_order_and_costs_with_memory() {
    // A budget below the one node over all six sub-proofs: the planner must build a deeper
    // tree.
    let model = AggCostModel::measured_2core();
    let all_six = model.node_cells(&[6_944, 1_568, 1_728, 1_728, 992, 1_568]);
    let single = model
        .k_range
        .clone()
        .map(|k| model.peak_bytes_of(all_six, k))
        .min()
        .unwrap();
    let budget = single - 1;
    let job = prover()
        .job_with(
            &Target::Operation("erc20".into()),
            "dag",
            2,
            &final_options(Some(budget)),
        )
        .unwrap();
    let (plan, node_tasks) = job.final_proof.as_ref().unwrap();
    let leaves = job.prove_tasks.len();
    assert_eq!(leaves, 6);
    assert!(plan.fan_in < 6, "the single node does not fit the budget");
    assert!(plan.levels.len() >= 2 && plan.node_count() >= 2);
    assert_eq!(
        plan.leaves_under(plan_root(plan)),
        (0..leaves).collect::<Vec<_>>()
    );

    // The prove tasks in execution order: the i-th leaf of the tree is the i-th sub-proof.
    let proves: Vec<usize> = leaf_tasks(&job);
    for (l, level) in plan.levels.iter().enumerate() {
        for (j, node) in level.iter().enumerate() {
            let task = &job.spec.tasks[node_tasks[l][j]];
            assert_eq!(task.kind, tasks::AGGREGATE);
            assert_eq!(task.cost.peak_mem_bytes, node.peak_bytes);
            assert!(task.cost.peak_mem_bytes <= budget && task.cost.peak_mem_bytes > 1 << 30);
            assert_eq!(task.cost.single_thread_s, node.seconds);
            assert_eq!(task.cost.max_threads, 2);
            let expected: Vec<usize> = node
                .children
                .iter()
                .map(|c| match *c {
                    ChildRef::Leaf(i) => proves[i],
                    ChildRef::Node { level, index } => node_tasks[level - 1][index],
                })
                .collect();
            assert_eq!(
                deps_of(&job.spec, node_tasks[l][j]),
                expected,
                "node {}/{j}: deps in child order",
                l + 1
            );
            let input: AggregateInput = circuits::codec::decode(&task.input, "input").unwrap();
            assert_eq!((input.level, input.index, input.agg_k), (l + 1, j, plan.k));
            assert_eq!(input.tree_depth, common::TEST_TREE_DEPTH);
            for (c, child) in node.children.iter().zip(&input.children) {
                match (*c, child) {
                    (ChildRef::Leaf(i), AggregateChild::Leaf { label, kind }) => {
                        let prove = &job.spec.tasks[proves[i]];
                        assert_eq!(prove.name, format!("prove {label}"));
                        assert_eq!(prove.kind, kind.name());
                    }
                    (
                        ChildRef::Node { level, index },
                        AggregateChild::Node {
                            level: l2,
                            index: i2,
                        },
                    ) => {
                        assert_eq!((level, index), (*l2, *i2));
                    }
                    other => panic!("child kinds differ: {other:?}"),
                }
            }
        }
    }
    // The assemble task takes the root last and carries the tree.
    let assemble = &job.spec.tasks[job.assemble_task];
    assert_eq!(
        deps_of(&job.spec, job.assemble_task).last().copied(),
        job.final_task()
    );
    let input: AssembleInput = circuits::codec::decode(&assemble.input, "input").unwrap();
    let tree = input.final_tree.unwrap();
    assert_eq!(tree, FinalTree::of_plan(plan));
    tree.check(leaves).unwrap();
    assert_eq!(job.loaded_costs.len(), job.spec.tasks.len());
}

/// The prove tasks in the order of the assemble task's dependencies (execution order).
fn leaf_tasks(job: &circuits::pipeline::ProvingJob) -> Vec<usize> {
    deps_of(&job.spec, job.assemble_task)
        .into_iter()
        .filter(|d| job.prove_tasks.contains_key(d))
        .collect()
}

/// The predecessors of `task`, in the order their outputs reach its handler.
fn deps_of(spec: &scheduler::spec::JobSpec, task: usize) -> Vec<usize> {
    spec.deps
        .iter()
        .filter(|(_, after)| *after == task)
        .map(|(before, _)| *before)
        .collect()
}

fn plan_root(plan: &circuits_kzg::aggregation::TreePlan) -> ChildRef {
    ChildRef::Node {
        level: plan.levels.len(),
        index: 0,
    }
}

#[test]
fn the_leaves_are_in_execution_order_so_the_roots_chain() {
    // transfer's prove list is signature, sender, recipient, balance; the tree's leaves must be
    // in the order native execution emits them, the bundle's order.
    let job = prover()
        .job_with(
            &Target::Operation("transfer".into()),
            "dag",
            2,
            &final_options(None),
        )
        .unwrap();
    let names: Vec<String> = leaf_tasks(&job)
        .iter()
        .map(|&t| job.spec.tasks[t].name.clone())
        .collect();
    let mut world = circuits::world::WorldState::genesis(&prover().operations().genesis).unwrap();
    let op = prover().operations().operation("transfer").unwrap();
    let expected: Vec<String> = world
        .execute(op, "transfer")
        .unwrap()
        .slots
        .iter()
        .map(|s| format!("prove {}", s.label()))
        .collect();
    assert_eq!(names, expected);
    let (plan, _) = job.final_proof.as_ref().unwrap();
    assert!(plan.root().peak_bytes <= DEFAULT_AGG_BUDGET);
}

#[test]
fn a_budget_too_small_for_any_node_is_a_clear_error() {
    let err = prover()
        .job_with(
            &Target::Operation("transfer".into()),
            "dag",
            2,
            &final_options(Some(1 << 30)),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            PipelineError::FinalPlan(PlanError::OverBudget { fan_in: 2, .. })
        ),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("planning the final proof") && message.contains("memory budget"),
        "{message}"
    );
}
