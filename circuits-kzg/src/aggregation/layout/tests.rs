//! The statement in circuit (MockProver on small circuits, no proofs) equals the native one,
//! and the root chain and flags are constraints.

use super::*;
use crate::aggregation::child::ChildKind;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::GateChip;
use halo2_base::halo2_proofs::dev::MockProver;

const K: u32 = 10;

/// A child's instance cells and vk-word cells.
type Assigned = (Vec<AssignedValue<Fr>>, Vec<AssignedValue<Fr>>);

fn leaf(roots: Option<RootPositions>, n: usize) -> ChildShape {
    ChildShape {
        kind: ChildKind::Leaf,
        roots,
        num_instances: n,
    }
}

fn node(moves: bool) -> ChildShape {
    ChildShape {
        kind: ChildKind::Node,
        roots: moves.then_some(NODE_ROOTS),
        num_instances: NUM_INSTANCES,
    }
}

const MERKLE: Option<RootPositions> = Some(RootPositions { pre: 0, post: 1 });

/// Runs `constrain_statement` on witness cells with the given values; returns the MockProver's
/// verdict against `public` (defaults to the computed statement) and the statement's values.
fn run(
    children: &[(ChildShape, Vec<Fr>, Vec<Fr>)],
    public: Option<Vec<Fr>>,
) -> (Result<(), String>, Vec<Fr>) {
    let mut builder = BaseCircuitBuilder::new(false)
        .use_k(K as usize)
        .use_instance_columns(1);
    let gate = GateChip::<Fr>::default();
    let ctx = builder.main(0);
    let assigned: Vec<Assigned> = children
        .iter()
        .map(|(_, inst, vk)| {
            (
                ctx.assign_witnesses(inst.iter().copied()),
                ctx.assign_witnesses(vk.iter().copied()),
            )
        })
        .collect();
    let cells: Vec<ChildCells<'_>> = children
        .iter()
        .zip(&assigned)
        .map(|((shape, _, _), (inst, vk))| ChildCells {
            shape: *shape,
            instances: inst,
            vk_words: vk.clone(),
        })
        .collect();
    let out = constrain_statement(builder.main(0), &gate, &cells);
    let values: Vec<Fr> = out.iter().map(|c| *c.value()).collect();
    builder.assigned_instances[0] = out.to_vec();
    builder.calculate_params(Some(9));
    let public = public.unwrap_or_else(|| values.clone());
    let verdict = MockProver::run(K, &builder, vec![public])
        .map_err(|e| format!("{e:?}"))
        .and_then(|p| p.verify().map_err(|e| format!("{} failures", e.len())));
    (verdict, values)
}

fn f(v: u64) -> Fr {
    Fr::from(v)
}

/// A leaf (pre, post, tx fields...) moving `pre → post`.
fn merkle(pre: u64, post: u64, tag: u64) -> Vec<Fr> {
    vec![f(pre), f(post), f(tag), f(tag + 1)]
}

/// An aggregation child's instances: accumulator limbs, then the statement.
fn agg(pre: u64, post: u64, moves: bool) -> Vec<Fr> {
    let mut v: Vec<Fr> = (0..ACCUMULATOR_LIMBS as u64).map(|i| f(1000 + i)).collect();
    v.extend([f(pre), f(post), f(u64::from(moves)), f(77), f(88)]);
    v
}

#[test]
fn chained_children_give_the_first_pre_and_last_post_root() {
    let vk = vec![f(12), f(3), f(4)];
    let children = vec![
        (leaf(MERKLE, 4), merkle(1, 2, 10), vk.clone()),
        (leaf(None, 2), vec![f(5), f(6)], vk.clone()),
        (leaf(MERKLE, 4), merkle(2, 3, 20), vk.clone()),
    ];
    let (verdict, values) = run(&children, None);
    assert_eq!(verdict, Ok(()));
    assert_eq!(&values[..3], &[f(1), f(3), f(1)]);
    // The same statement natively: inputs commitment over the non-root inputs, in order.
    let expected_inputs = hash_fields(&[f(10), f(11), f(5), f(6), f(20), f(21)]);
    assert_eq!(values[4], expected_inputs);
    let digest = hash_fields(&vk);
    assert_eq!(values[3], hash_fields(&[digest, digest, digest]));
}

#[test]
fn a_broken_chain_is_rejected_by_the_constraints() {
    let vk = vec![f(12)];
    let children = vec![
        (leaf(MERKLE, 4), merkle(1, 2, 10), vk.clone()),
        (leaf(MERKLE, 4), merkle(9, 3, 20), vk.clone()),
    ];
    let (verdict, _) = run(&children, None);
    assert!(verdict.is_err(), "a non-chaining pair was accepted");
}

#[test]
fn a_node_without_state_moves_exposes_zeros_and_a_zero_flag() {
    let vk = vec![f(12)];
    let children = vec![
        (leaf(None, 2), vec![f(5), f(6)], vk.clone()),
        (node(false), agg(0, 0, false), vk.clone()),
    ];
    let (verdict, values) = run(&children, None);
    assert_eq!(verdict, Ok(()));
    assert_eq!(&values[..3], &[f(0), f(0), f(0)]);
    // The aggregation child contributes its inputs commitment only, and its vk commitment to
    // its digest.
    assert_eq!(values[4], hash_fields(&[f(5), f(6), f(88)]));
    assert_eq!(
        values[3],
        hash_fields(&[hash_fields(&vk), hash_fields(&[f(12), f(77)])])
    );
}

#[test]
fn an_aggregation_child_flag_must_match_its_shape() {
    let vk = vec![f(12)];
    // Shape says it moves state, its flag says 0.
    let children = vec![(node(true), agg(1, 2, false), vk.clone())];
    assert!(run(&children, None).0.is_err());
    let children = vec![
        (node(true), agg(1, 2, true), vk.clone()),
        (leaf(MERKLE, 4), merkle(2, 5, 1), vk),
    ];
    let (verdict, values) = run(&children, None);
    assert_eq!(verdict, Ok(()));
    assert_eq!(&values[..3], &[f(1), f(5), f(1)]);
}

#[test]
fn each_statement_instance_is_bound() {
    let vk = vec![f(12)];
    let children = vec![(leaf(MERKLE, 4), merkle(1, 2, 10), vk)];
    let (_, values) = run(&children, None);
    for i in 0..5 {
        let mut wrong = values.clone();
        wrong[i] += Fr::one();
        assert!(
            run(&children, Some(wrong)).0.is_err(),
            "instance {i} unbound"
        );
    }
}

#[test]
fn shapes_are_checked_and_split_by_role() {
    assert!(leaf(Some(RootPositions { pre: 1, post: 1 }), 4)
        .check()
        .is_err());
    assert!(leaf(Some(RootPositions { pre: 0, post: 4 }), 4)
        .check()
        .is_err());
    assert!(leaf(MERKLE, 4).check().is_ok());
    let mut bad = node(true);
    bad.roots = MERKLE;
    assert!(bad.check().is_err());
    bad = node(false);
    bad.num_instances = 16;
    assert!(bad.check().is_err());
    let parts = leaf(Some(RootPositions { pre: 3, post: 1 }), 4).split(&[0, 1, 2, 3]);
    assert_eq!(parts.roots, Some((3, 1)));
    assert_eq!(parts.other, vec![0, 2]);
    let inst: Vec<usize> = (0..NUM_INSTANCES).collect();
    let parts = node(true).split(&inst);
    assert_eq!(parts.roots, Some((PRE_ROOT, POST_ROOT)));
    assert_eq!(parts.flag, Some(MOVES_STATE));
    assert_eq!(parts.vk_commitment, Some(VK_COMMITMENT));
    assert_eq!(parts.other, vec![INPUTS_COMMITMENT]);
    assert_eq!(NUM_INSTANCES, 17);
}
