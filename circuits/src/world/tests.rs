//! Every operation executes, chains its roots and builds circuits that satisfy their constraints.

use super::*;
use crate::operations::default_operations_path;

fn ops() -> OperationsFile {
    OperationsFile::load(default_operations_path()).unwrap()
}

/// Every slot builds a circuit whose public inputs have the advertised shape, and the
/// state-changing slots chain from the initial root to the final one.
fn check_execution(execution: &Execution) -> Vec<AnyCircuit> {
    let mut root = execution.initial_root;
    let mut circuits = Vec::new();
    for slot in &execution.slots {
        let circuit = slot
            .input
            .clone()
            .into_circuit()
            .unwrap_or_else(|e| panic!("{}: {e}", slot.label()));
        assert_eq!(circuit.kind(), slot.input.kind());
        let lens: Vec<usize> = circuit.public_inputs().iter().map(Vec::len).collect();
        let shape = AnyCircuit::shape(circuit.kind(), 32).unwrap();
        let expected: Vec<usize> = shape.public_inputs().iter().map(Vec::len).collect();
        assert_eq!(lens, expected, "{}", slot.label());
        if let Some((pre, post)) = circuit.state_transition() {
            assert_eq!(pre, root, "{} does not chain", slot.label());
            root = post;
        }
        circuits.push(circuit);
    }
    assert_eq!(root, execution.final_root);
    circuits
}

#[test]
fn every_operation_executes_and_chains_its_roots() {
    let ops = ops();
    for op in &ops.operations {
        let mut world = WorldState::genesis(&ops.genesis).unwrap();
        let execution = world.execute(op, &op.id).unwrap();
        let planned: usize = op.steps.iter().map(|s| s.prove.len()).sum();
        assert_eq!(execution.slots.len(), planned, "{}", op.id);
        check_execution(&execution);
    }
}

#[test]
fn one_witness_of_every_kind_satisfies_its_circuit() {
    let ops = ops();
    let mut world = WorldState::genesis(&ops.genesis).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for op in &ops.operations {
        for circuit in check_execution(&world.execute(op, &op.id).unwrap()) {
            if seen.insert(circuit.kind()) {
                circuit
                    .mock_check()
                    .unwrap_or_else(|e| panic!("{}: {e}", circuit.kind()));
            }
        }
    }
    assert_eq!(seen.len(), SubCircuitKind::ALL.len());
}

#[test]
fn a_block_chains_operations_and_signatures_differ() {
    let ops = ops();
    let ids: Vec<String> = ["transfer", "transfer", "erc20", "defi"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let execution = execute_block(&ops, &ids).unwrap();
    let circuits = check_execution(&execution);
    let msgs: Vec<Vec<Fr>> = circuits
        .iter()
        .filter(|c| c.kind() == SubCircuitKind::Signature)
        .map(|c| c.public_inputs()[0].clone())
        .collect();
    assert_eq!(msgs.len(), 4);
    assert_ne!(
        msgs[0], msgs[1],
        "the second transfer has a new nonce, so a new message"
    );
    assert!(execution.slots.iter().any(|s| s.op == "transfer#2"));
}

#[test]
fn invalid_actions_are_named() {
    let mut ops = ops();
    if let Action::Transfer { amount, .. } = &mut ops.operations[0].steps[0].action {
        *amount = u64::MAX;
    }
    let mut world = WorldState::genesis(&ops.genesis).unwrap();
    let e = world
        .execute(&ops.operations[0], "transfer")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("transfer, step 1:"), "{e}");
}

#[test]
fn storage_keys_that_share_a_leaf_are_an_error_not_a_merge() {
    // Depth 4: seven storage leaves for a dozen genesis slots, so two keys must collide.
    let ops = ops().with_tree_depth(4).unwrap();
    let e = WorldState::genesis(&ops.genesis).unwrap_err().to_string();
    assert!(
        e.starts_with("genesis, step 0:")
            && e.contains("share leaf index")
            && e.contains("too shallow"),
        "{e}"
    );
}

#[test]
fn every_operation_and_block_runs_without_collisions_at_the_depths_runs_use() {
    // 12: quick reproductions and the test suite; 16: an intermediate depth; 32: the shipped file.
    for depth in [12, 16, 32] {
        let ops = ops().with_tree_depth(depth).unwrap();
        let blocks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/blocks");
        let mut targets: Vec<Vec<String>> =
            ops.operations.iter().map(|o| vec![o.id.clone()]).collect();
        for entry in std::fs::read_dir(blocks).unwrap() {
            let block = crate::block::BlockSpec::load(entry.unwrap().path(), &ops).unwrap();
            targets.push(block.operations);
        }
        for ids in targets {
            execute_block(&ops, &ids).unwrap_or_else(|e| panic!("depth {depth}, {ids:?}: {e}"));
        }
    }
}
