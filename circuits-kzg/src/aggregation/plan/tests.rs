//! The planner's unit and property tests (no proofs).

use super::*;
use proptest::prelude::*;

/// A model with round numbers: 1M cells per child, 0.5M base, 1 µs per area cell.
fn model() -> AggCostModel {
    AggCostModel {
        cells_base: 500_000.0,
        cells_per_child: 1_000_000.0,
        cells_per_proof_byte: 0.0,
        proof_bytes_base: 0.0,
        proof_bytes_per_column: 300.0,
        secs_base: 1.0,
        secs_per_area: 1e-6,
        bytes_base: 100e6,
        bytes_per_area: 1_000.0,
        ref_threads: 2,
        k_range: 17..=20,
        max_fan_in: 8,
    }
}

fn leaves(n: usize) -> Vec<LeafEstimate> {
    (0..n)
        .map(|i| LeafEstimate {
            seconds: 1.0 + (i % 3) as f64,
            peak_bytes: 50_000_000,
            proof_bytes: 0,
        })
        .collect()
}

/// Checks every invariant of a plan for `n` leaves under `budget`.
fn check_plan(plan: &TreePlan, n: usize, budget: u64) {
    let root = plan.levels.last().expect("a level");
    assert_eq!(root.len(), 1, "one root");
    let covered = plan.leaves_under(ChildRef::Node {
        level: plan.levels.len(),
        index: 0,
    });
    assert_eq!(
        covered,
        (0..n).collect::<Vec<_>>(),
        "order kept, each leaf once"
    );
    let mut referenced = 0;
    for (l, level) in plan.levels.iter().enumerate() {
        for node in level {
            assert!(node.peak_bytes <= budget, "node over budget");
            assert!(node.children.len() <= plan.fan_in);
            assert!(n == 1 || node.children.len() >= 2, "no pass-through nodes");
            for c in &node.children {
                if let ChildRef::Node { level, .. } = *c {
                    assert!(level <= l, "children come from lower levels");
                    referenced += 1;
                }
            }
        }
    }
    assert_eq!(
        referenced + 1,
        plan.node_count(),
        "every node but the root used once"
    );
    assert!(plan.makespan_s > 0.0);
}

#[test]
fn five_leaves_at_fan_in_two_keep_order_and_promote_the_odd_one() {
    let mut m = model();
    m.max_fan_in = 2;
    m.k_range = 18..=18;
    let plan = plan_tree(&leaves(5), &m, u64::MAX, 2).unwrap();
    assert_eq!((plan.fan_in, plan.k), (2, 18));
    let shape: Vec<Vec<Vec<ChildRef>>> = plan
        .levels
        .iter()
        .map(|l| l.iter().map(|n| n.children.clone()).collect())
        .collect();
    use ChildRef::{Leaf, Node};
    assert_eq!(
        shape,
        vec![
            vec![vec![Leaf(0), Leaf(1)], vec![Leaf(2), Leaf(3)]],
            vec![vec![
                Node { level: 1, index: 0 },
                Node { level: 1, index: 1 }
            ]],
            vec![vec![Node { level: 2, index: 0 }, Leaf(4)]],
        ]
    );
    check_plan(&plan, 5, u64::MAX);
}

#[test]
fn a_single_leaf_still_gets_a_root_node() {
    let plan = plan_tree(&leaves(1), &model(), u64::MAX, 1).unwrap();
    assert_eq!(plan.levels.len(), 1);
    assert_eq!(plan.root().children, vec![ChildRef::Leaf(0)]);
}

#[test]
fn a_tight_budget_forces_a_smaller_fan_in() {
    let m = model();
    let budget = (2..=8)
        .map(|f| m.peak_bytes(f, 18))
        .find(|&b| b > m.peak_bytes(2, 18))
        .unwrap()
        - 1;
    let plan = plan_tree(&leaves(16), &m, budget, 2).unwrap();
    check_plan(&plan, 16, budget);
    assert!(plan.levels.iter().flatten().all(|n| n.peak_bytes <= budget));
}

#[test]
fn when_even_fan_in_two_does_not_fit_the_error_says_so() {
    let m = model();
    let cheapest = m.k_range.clone().map(|k| m.peak_bytes(2, k)).min().unwrap();
    let err = plan_tree(&leaves(4), &m, cheapest - 1, 2).unwrap_err();
    match &err {
        PlanError::OverBudget {
            fan_in,
            needed,
            budget,
            ..
        } => {
            assert_eq!((*fan_in, *needed, *budget), (2, cheapest, cheapest - 1));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("even a fan-in 2 node"), "{err}");
    // And exactly at the cheapest node's need, it plans.
    plan_tree(&leaves(4), &m, cheapest, 2).unwrap();
}

#[test]
fn bad_inputs_are_named() {
    assert_eq!(
        plan_tree(&[], &model(), 1 << 40, 2),
        Err(PlanError::NoLeaves)
    );
    assert_eq!(
        plan_tree(&leaves(2), &model(), 1 << 40, 0),
        Err(PlanError::NoThreads)
    );
    let mut m = model();
    m.max_fan_in = 1;
    assert!(matches!(
        plan_tree(&leaves(2), &m, 1 << 40, 2),
        Err(PlanError::EmptyModel { .. })
    ));
    let mut big = leaves(3);
    big[1].peak_bytes = 1 << 41;
    assert!(matches!(
        plan_tree(&big, &model(), 1 << 40, 2),
        Err(PlanError::LeafOverBudget { index: 1, .. })
    ));
}

#[test]
fn four_threads_finish_twenty_leaves_no_later_than_one() {
    let one = plan_tree(&leaves(20), &model(), u64::MAX, 1).unwrap();
    let four = plan_tree(&leaves(20), &model(), u64::MAX, 4).unwrap();
    assert!(four.makespan_s <= one.makespan_s);
}

#[test]
fn the_measured_model_reproduces_its_measurement_and_refuses_a_3_gb_budget() {
    let m = AggCostModel::measured_xeon_2core();
    // The measured node: fan-in 2 at k = 18 is 33 advice + 5 lookup columns, 241.6 s with 2
    // threads, 4.27 GB. The model lumps advice and lookup cells into 37 columns, so it lands
    // within 3% of the measurement.
    assert_eq!(m.area(2, 18), 37.0 * (1u64 << 18) as f64);
    assert!((m.seconds(2, 18, 2) / 241.6 - 1.0).abs() < 0.03);
    assert!((m.peak_bytes(2, 18) as f64 / 4.27e9 - 1.0).abs() < 0.03);
    let plan = plan_tree(&leaves(2), &m, 8_000_000_000, 2).unwrap();
    assert_eq!(
        plan.root().children,
        vec![ChildRef::Leaf(0), ChildRef::Leaf(1)]
    );
    assert!(plan.root().peak_bytes <= 8_000_000_000);
    let err = plan_tree(&leaves(8), &m, 3_000_000_000, 2).unwrap_err();
    assert!(
        matches!(err, PlanError::OverBudget { fan_in: 2, .. }),
        "{err}"
    );
}

#[test]
fn the_default_model_reproduces_the_measured_node_layouts() {
    let m = AggCostModel::measured_2core();
    let (sig, account, storage, event, balance) = (6_944, 1_568, 1_728, 1_568, 992);
    for (children, columns) in [
        (vec![sig, account, account, balance], 187.0),
        (vec![sig, account, storage], 164.0),
        (vec![storage, event, balance], 95.0),
    ] {
        let found = m.columns_of(m.node_cells(&children), 17);
        assert!(
            (found / columns - 1.0).abs() < 0.04,
            "{children:?}: {found} columns"
        );
    }
    let transfer = m.node_cells(&[sig, account, account, balance]);
    assert!((m.seconds_of(transfer, 17, 2) / 538.8 - 1.0).abs() < 0.03);
    assert!(m.peak_bytes_of(transfer, 17) as f64 >= 10.557e9 * 0.97);
    // A node over a node: transfer's two-level tree at k = 20 (`reports/final/transfer-10gib.md`):
    // its first node's 19 columns make a proof the model sizes; the root over it and balance
    // measured 15 columns.
    let first = m.node_proof_bytes(19.0 * ((1u64 << 20) - 9) as f64, 20);
    let root = m.columns_of(m.node_cells(&[first, balance]), 20);
    assert!((root / 15.0 - 1.0).abs() < 0.1, "{root} columns");
    // The same cells in fewer, longer columns: a smaller proof, cheaper for the parent.
    assert!(m.node_proof_bytes(transfer, 21) * 10 < m.node_proof_bytes(transfer, 17));
}

#[test]
fn big_proofs_cost_more_to_aggregate() {
    let m = AggCostModel::measured_2core();
    let small: Vec<LeafEstimate> = leaves(4);
    let mut heavy = leaves(4);
    for leaf in &mut heavy {
        leaf.proof_bytes = 6_944;
    }
    let budget = 16u64 << 30;
    let cheap = plan_tree(&small, &m, budget, 2).unwrap();
    let dear = plan_tree(&heavy, &m, budget, 2).unwrap();
    check_plan(&cheap, 4, budget);
    check_plan(&dear, 4, budget);
    assert!(dear.makespan_s > cheap.makespan_s);
    assert!(dear.root().peak_bytes <= budget && dear.root().proof_bytes > 0);
}

proptest! {
    #[test]
    fn plans_keep_order_cover_each_leaf_once_and_respect_the_budget(
        n in 1usize..120,
        max_fan_in in 2usize..9,
        threads in 1usize..9,
        budget_mb in 100u64..40_000,
        seconds in proptest::collection::vec(0.1f64..100.0, 120),
    ) {
        let mut m = model();
        m.max_fan_in = max_fan_in;
        let budget = budget_mb * 1_000_000;
        let leaves: Vec<LeafEstimate> = seconds[..n]
            .iter()
            .map(|&s| LeafEstimate { seconds: s, peak_bytes: 50_000_000, proof_bytes: 0 })
            .collect();
        match plan_tree(&leaves, &m, budget, threads) {
            Ok(plan) => {
                check_plan(&plan, n, budget);
                prop_assert!(plan.fan_in <= max_fan_in);
                prop_assert!(m.k_range.contains(&plan.k));
            }
            Err(PlanError::OverBudget { fan_in, .. }) => {
                // Refused only when the smallest node the tree needs fits at no k.
                let smallest = if n == 1 { 1 } else { 2 };
                prop_assert_eq!(fan_in, smallest);
                for k in m.k_range.clone() {
                    prop_assert!(m.peak_bytes(smallest, k) > budget);
                }
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}
