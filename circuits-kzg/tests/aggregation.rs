//! One real aggregation: two chained `account_update` proofs on a depth-2 tree, aggregated at
//! [`AGG_K`] into a proof the final verifier accepts; then what it must reject, each for its
//! own reason: a tampered leaf proof, leaves out of order (a broken root chain), a flipped byte
//! of the final proof, a changed public input, and an accumulator that fails its pairing.
//!
//! With `ZKPAR_AGG_CACHE_KEYS=1` the aggregation key (~0.75 GB) is cached under
//! `target/zkpar-kzg/agg-keys` (keyed by the node's shape), so only the first run pays key
//! generation. Set `ZKPAR_AGG_K` to try another `k`.

use circuits_kzg::aggregation::{
    self, decide_accumulator, keygen_cached, layout, leaf_child, prove, verify, verify_proof,
    AggError, AggregationProof, Child, NodeStatement, RootPositions,
};
use circuits_kzg::harness::{self, BaseCircuit};
use circuits_kzg::merkle::native::{account_index_at, account_leaf};
use circuits_kzg::merkle::{
    AccountUpdateCircuit, AccountUpdateWitness, SparseMerkleTree, MIN_DEPTH,
};
use circuits_kzg::params::test_params;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use std::time::Instant;

/// The aggregation `k` of the test (see `reports/kzg/aggregation.md` for why).
const AGG_K: u32 = 18;

/// Merkle updates expose `old_root` at 0 and `new_root` at 1.
const MERKLE_ROOTS: RootPositions = RootPositions { pre: 0, post: 1 };

/// Two chained updates of account 1 on a depth-`MIN_DEPTH` tree: (500, 3) → (450, 4) → (400, 5).
fn two_chained_updates() -> [AccountUpdateCircuit; 2] {
    let depth = MIN_DEPTH;
    let mut tree = SparseMerkleTree::new(depth).unwrap();
    let index = account_index_at(depth, 1).unwrap();
    tree.update(index, account_leaf(500, 3)).unwrap();
    let mut step = |(ob, on): (u64, u64), (nb, nn): (u64, u64)| {
        let update = tree.update(index, account_leaf(nb, nn)).unwrap();
        AccountUpdateCircuit::new(AccountUpdateWitness {
            update,
            old_balance: ob,
            old_nonce: on,
            new_balance: nb,
            new_nonce: nn,
        })
        .unwrap()
    };
    let first = step((500, 3), (450, 4));
    let second = step((450, 4), (400, 5));
    [first, second]
}

fn agg_k() -> u32 {
    std::env::var("ZKPAR_AGG_K")
        .ok()
        .map(|k| k.parse().expect("ZKPAR_AGG_K is a number"))
        .unwrap_or(AGG_K)
}

#[test]
fn two_chained_merkle_proofs_aggregate_and_tampering_is_rejected_for_its_reason() {
    let start = Instant::now();
    let circuits = two_chained_updates();
    let k = harness::min_k(&circuits[0]);
    let leaf_params = test_params(k).unwrap();
    let leaf_keys = harness::keygen(&circuits[0], &leaf_params).unwrap();
    let vk = leaf_keys.pk.get_vk();
    let mut proofs = Vec::new();
    for c in &circuits {
        proofs.push(harness::prove(c, &leaf_params, &leaf_keys).unwrap());
    }
    let publics: Vec<Vec<Fr>> = circuits.iter().map(|c| c.public_inputs()).collect();
    assert_eq!(publics[0][1], publics[1][0], "the leaves chain");
    let child = |i: usize| {
        leaf_child(
            &leaf_params,
            vk,
            &publics[i],
            proofs[i].clone(),
            Some(MERKLE_ROOTS),
        )
        .unwrap()
    };
    let children: Vec<Child> = vec![child(0), child(1)];
    eprintln!("leaves (k = {k}): {:.1} s", start.elapsed().as_secs_f64());

    // A tampered leaf proof never reaches the circuit.
    let mut bad = proofs[0].clone();
    bad[40] ^= 1;
    let err = leaf_child(&leaf_params, vk, &publics[0], bad, Some(MERKLE_ROOTS)).unwrap_err();
    assert!(matches!(err, AggError::ChildProof { .. }), "{err}");

    let params = test_params(agg_k()).unwrap();
    let t = Instant::now();
    // The key (~0.75 GB) is cached only on request: `ZKPAR_AGG_CACHE_KEYS=1`.
    let (keys, cached) = if std::env::var_os("ZKPAR_AGG_CACHE_KEYS").is_some_and(|v| v == "1") {
        keygen_cached(&params, &children, None).unwrap()
    } else {
        (aggregation::keygen(&params, &children).unwrap(), false)
    };
    eprintln!(
        "agg keygen (k = {}, cached: {cached}): {:.1} s, {:?}",
        agg_k(),
        t.elapsed().as_secs_f64(),
        keys.config
    );

    // Leaves out of order do not chain: refused before proving, naming the two children.
    let swapped = [children[1].clone(), children[0].clone()];
    let err = prove(&params, &keys, &swapped).unwrap_err();
    match &err {
        AggError::RootChain {
            prev,
            next,
            post,
            pre,
        } => {
            assert_eq!((*prev, *next), (0, 1));
            assert_eq!((*post, *pre), (publics[1][1], publics[0][0]));
        }
        other => panic!("expected a root-chain error, got {other}"),
    }
    assert!(err.to_string().contains("root chain broken"), "{err}");

    let t = Instant::now();
    let proof = prove(&params, &keys, &children).unwrap();
    eprintln!(
        "agg prove: {:.1} s, {} proof bytes",
        t.elapsed().as_secs_f64(),
        proof.proof.len()
    );

    // The final verifier accepts it against the statement it computes from the leaves.
    let expected = NodeStatement::of_children(&children).unwrap();
    assert_eq!(expected.pre_root, publics[0][0]);
    assert_eq!(expected.post_root, publics[1][1]);
    assert!(expected.moves_state);
    let t = Instant::now();
    verify(&params, keys.pk.get_vk(), &proof, &expected).unwrap();
    eprintln!("final verify: {:.3} s", t.elapsed().as_secs_f64());

    // A flipped byte of the final proof: the SHPLONK verifier rejects it.
    let mut flipped = proof.clone();
    let middle = flipped.proof.len() / 2;
    flipped.proof[middle] ^= 1;
    let err = verify(&params, keys.pk.get_vk(), &flipped, &expected).unwrap_err();
    assert!(matches!(err, AggError::FinalProof(_)), "{err}");

    // A changed public input: named against the expected statement, and rejected by the proof
    // itself when the verifier has no expectation.
    let mut changed = proof.clone();
    changed.instances[layout::POST_ROOT] += Fr::one();
    let err = verify(&params, keys.pk.get_vk(), &changed, &expected).unwrap_err();
    assert!(
        matches!(
            err,
            AggError::Statement {
                field: "post_root",
                ..
            }
        ),
        "{err}"
    );
    let err = verify_proof(&params, keys.pk.get_vk(), &changed).unwrap_err();
    assert!(matches!(err, AggError::FinalProof(_)), "{err}");
    let mut limb = proof.clone();
    limb.instances[0] += Fr::one();
    let err = verify_proof(&params, keys.pk.get_vk(), &limb).unwrap_err();
    assert!(matches!(err, AggError::FinalProof(_)), "{err}");

    // The accumulator check is not vacuous: the proof's own accumulator passes, the same two
    // points swapped (still well-formed) fail the pairing.
    decide_accumulator(&params, proof.accumulator()).unwrap();
    let acc = proof.accumulator();
    let swapped_acc: Vec<Fr> = acc[6..].iter().chain(&acc[..6]).copied().collect();
    let err = decide_accumulator(&params, &swapped_acc).unwrap_err();
    assert!(err.to_string().contains("pairing check failed"), "{err}");
    let err = decide_accumulator(&params, &[Fr::one(); 12]).unwrap_err();
    assert!(err.to_string().contains("do not encode"), "{err}");

    // The proof is a valid child for a parent node (its roots at 12, 13).
    let node = aggregation::node_child(&params, &keys, &proof).unwrap();
    assert_eq!(node.shape.roots, Some(layout::NODE_ROOTS));
    assert_eq!(node.roots(), Some((publics[0][0], publics[1][1])));
    let wrong: AggregationProof = changed;
    assert!(aggregation::node_child(&params, &keys, &wrong).is_err());
    eprintln!("total: {:.1} s", start.elapsed().as_secs_f64());
}
