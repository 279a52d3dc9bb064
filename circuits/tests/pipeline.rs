//! End to end: operation → task graph → executor → real halo2 proofs → bundle → verification,
//! and the tampering a verifier must catch.

mod common;

use circuits::bundle::{assemble_and_verify, fr_to_hex, Bundle, BundleError};
use circuits::cost::CostModel;
use circuits::keys::KeyCache;
use circuits::pipeline::{Prover, Target};
use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::policy::PolicyName;
use scheduler::topology::Topology;
use std::sync::OnceLock;

fn prover() -> &'static Prover {
    static PROVER: OnceLock<Prover> = OnceLock::new();
    PROVER.get_or_init(|| {
        let ops = common::shallow_operations();
        Prover::new(ops, CostModel::new(None))
    })
}

fn executor() -> Executor {
    Executor::new(ExecutorConfig {
        topology: Topology::flat(2),
        threads: 2,
        mem_budget: None,
        pin: false,
    })
    .unwrap()
}

/// One transfer bundle per policy, proved once and shared by the tests below.
fn transfer_bundle(policy: PolicyName) -> Bundle {
    let outcome = prover()
        .prove(
            &Target::Operation("transfer".into()),
            policy.policy().as_ref(),
            &executor(),
        )
        .unwrap();
    assert!(outcome.wall_s > 0.0 && outcome.lower_bound_s > 0.0);
    assert_eq!(
        outcome.run.tasks.len(),
        1 + 2 * 4 + 1,
        "execute, 4 witness + 4 prove, assemble"
    );
    outcome.bundle
}

fn dag_bundle() -> &'static Bundle {
    static BUNDLE: OnceLock<Bundle> = OnceLock::new();
    BUNDLE.get_or_init(|| transfer_bundle(PolicyName::Dag))
}

fn keys() -> &'static KeyCache {
    prover().keys()
}

#[test]
fn dag_and_previous_produce_bundles_that_verify() {
    let report = assemble_and_verify(dag_bundle(), keys()).unwrap();
    assert_eq!((report.subproofs, report.transitions), (4, 2));
    // `previous` is the other end of the design space (one proof at a time, halo2's own
    // threads); rayon and heft share dag's executor path and are covered by the scheduler's tests.
    let policy = PolicyName::Previous;
    let bundle = transfer_bundle(policy);
    assert_eq!(bundle.header.policy, policy.as_str());
    assemble_and_verify(&bundle, keys()).unwrap_or_else(|e| panic!("{policy}: {e}"));
    // Every policy proves the same statements.
    assert_eq!(bundle.header.final_root, dag_bundle().header.final_root);
}

#[test]
fn a_bundle_survives_the_file_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bundle");
    dag_bundle().write(&path).unwrap();
    let read = Bundle::read(&path).unwrap();
    assert_eq!(&read, dag_bundle());
    assert!(assemble_and_verify(&read, keys()).is_ok());
}

#[test]
fn a_tampered_proof_is_named() {
    let mut bundle = dag_bundle().clone();
    let last = bundle.proofs.len() - 1;
    let middle = bundle.proofs[last].proof.len() / 2;
    bundle.proofs[last].proof[middle] ^= 0x40;
    // Re-encoding recomputes the checksum, as an attacker would: verification itself must object.
    let reread = Bundle::from_bytes(&bundle.to_bytes()).unwrap();
    let e = assemble_and_verify(&reread, keys())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("sub-proof {last}")) && e.contains("does not verify"),
        "{e}"
    );
}

#[test]
fn wrong_public_inputs_are_rejected() {
    let mut bundle = dag_bundle().clone();
    let i = bundle
        .proofs
        .iter()
        .position(|p| p.kind.name() == "balance")
        .unwrap();
    let last = bundle.proofs[i].public_inputs[0].len() - 1;
    bundle.proofs[i].public_inputs[0][last] += circuits::Fr::from(1);
    let e = assemble_and_verify(&bundle, keys())
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not verify"), "{e}");
}

#[test]
fn a_broken_root_chain_is_rejected() {
    let mut bundle = dag_bundle().clone();
    bundle.header.initial_root = fr_to_hex(&circuits::Fr::from(7));
    let e = assemble_and_verify(&bundle, keys())
        .unwrap_err()
        .to_string();
    assert!(e.contains("state root chain broken at sub-proof"), "{e}");
    let mut bundle = dag_bundle().clone();
    let (a, b) = (1, 2);
    assert!(
        bundle.proofs[a].kind.name() == "account_update"
            && bundle.proofs[b].kind.name() == "account_update"
    );
    bundle.proofs.swap(a, b);
    bundle.header.subcircuits.swap(a, b);
    let e = assemble_and_verify(&bundle, keys())
        .unwrap_err()
        .to_string();
    assert!(e.contains("state root chain broken"), "{e}");
}

#[test]
fn a_wrong_key_fingerprint_or_truncated_inputs_are_rejected() {
    let mut bundle = dag_bundle().clone();
    bundle.header.subcircuits[0].vk_fingerprint = "00".repeat(32);
    let e = assemble_and_verify(&bundle, keys())
        .unwrap_err()
        .to_string();
    assert!(e.contains("verifying-key fingerprint"), "{e}");
    let mut bundle = dag_bundle().clone();
    bundle.proofs[0].public_inputs[0].pop();
    let e = assemble_and_verify(&bundle, keys())
        .unwrap_err()
        .to_string();
    assert!(e.contains("public inputs have shape"), "{e}");
}

#[test]
fn random_byte_flips_are_all_rejected() {
    let bytes = dag_bundle().to_bytes();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut tampered = bytes.clone();
        let at = (state % bytes.len() as u64) as usize;
        tampered[at] ^= 1 << ((state >> 60) % 8);
        match Bundle::from_bytes(&tampered) {
            Err(
                BundleError::Checksum | BundleError::Malformed(_) | BundleError::Version { .. },
            ) => {}
            other => panic!("flip at {at} gave {other:?}"),
        }
    }
}
