//! The final proof, end to end, and the tampering a checksum cannot catch. Ignored by
//! `cargo test --workspace` (an aggregation costs minutes on 2 cores); CI's final-proof step
//! runs it with `-- --ignored` after `zkpar prove --final`, passing that bundle in
//! `$ZKPAR_FINAL_BUNDLE` so nothing is proved twice. Without it, the test proves a transfer of
//! two account updates on a depth-4 tree itself.
//!
//! Each tampered bundle is re-encoded (a fresh checksum), so only [`verify_final`] can catch it,
//! and must name it: a flipped byte of the final proof (the SHPLONK verifier), a changed
//! initial or final root in the header (pre/post root), a changed sub-proof public input (the
//! inputs commitment).

use circuits::bundle::{fr_to_hex, verify_final, Bundle};
use circuits::cost::CostModel;
use circuits::keys::KeyCache;
use circuits::operations::OperationsFile;
use circuits::pipeline::{JobOptions, Prover, Target};
use circuits::Fr;
use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::policy::policy_by_name;
use scheduler::topology::Topology;
use std::path::Path;
use std::time::Instant;

const OPERATIONS: &str = r#"
[genesis]
tree_depth = 4
accounts = [
  { name = "alice", id = 1, balance = 1_000_000_000, nonce = 0 },
  { name = "bob",   id = 2, balance =   250_000_000, nonce = 7 },
]
tokens = []
pools = []

[[operation]]
id = "transfer"
label = "Simple Transfer"
description = "Two account leaves updated; signature and balance not proved."
  [[operation.step]]
  action = "transfer"
  from = "alice"
  to = "bob"
  amount = 1_500_000
  fee = 21_000
  prove = ["account_update@sender", "account_update@recipient"]
"#;

fn bundle() -> Bundle {
    if let Some(path) = std::env::var_os("ZKPAR_FINAL_BUNDLE") {
        return Bundle::read(Path::new(&path)).unwrap();
    }
    let ops = OperationsFile::parse(Path::new("final_proof.toml"), OPERATIONS).unwrap();
    let prover = Prover::new(ops, CostModel::new(None));
    let executor = Executor::new(ExecutorConfig {
        topology: Topology::detect(),
        threads: 2,
        mem_budget: None,
        pin: false,
    })
    .unwrap();
    let options = JobOptions {
        final_proof: true,
        ..JobOptions::default()
    };
    let policy = policy_by_name("dag").unwrap();
    let outcome = prover
        .prove_with(
            &Target::Operation("transfer".into()),
            policy.as_ref(),
            &executor,
            &options,
        )
        .unwrap();
    eprintln!(
        "proved with a final proof in {:.1} s (final proof at {:?} s)",
        outcome.wall_s, outcome.final_proof_s
    );
    outcome.bundle
}

/// `b` re-encoded and read back: a fresh checksum, every structural check passed.
fn reencoded(b: &Bundle) -> Bundle {
    Bundle::from_bytes(&b.to_bytes()).unwrap()
}

fn rejection(b: &Bundle) -> String {
    verify_final(&reencoded(b), KeyCache::global())
        .unwrap_err()
        .to_string()
}

#[test]
#[ignore = "aggregates for minutes; CI's final-proof step runs it"]
fn the_final_proof_verifies_alone_and_tampering_is_named() {
    let good = bundle();
    let keys = KeyCache::global();
    let fp = good.final_proof.as_ref().expect("a final proof");
    assert!(fp.proof.len() > 1000, "{} bytes", fp.proof.len());
    let started = Instant::now();
    let report = verify_final(&good, keys).unwrap();
    eprintln!(
        "verify_final: {:.1} ms ({report:?})",
        started.elapsed().as_secs_f64() * 1e3
    );
    assert!(report.moves_state);
    assert_eq!(report.subproofs, good.proofs.len());

    let mut b = good.clone();
    let p = &mut b.final_proof.as_mut().unwrap().proof;
    let at = p.len() / 2;
    p[at] ^= 1;
    let e = rejection(&b);
    assert!(e.contains("SHPLONK"), "flipped proof byte: {e}");

    let mut b = good.clone();
    b.header.initial_root = fr_to_hex(&Fr::from(12345));
    let e = rejection(&b);
    assert!(
        e.contains("pre root is not the header's initial root"),
        "{e}"
    );

    let mut b = good.clone();
    b.header.final_root = fr_to_hex(&Fr::from(12345));
    let e = rejection(&b);
    assert!(
        e.contains("post root is not the header's final root"),
        "{e}"
    );

    // A public input that is not a root (account update: [old_root, new_root, index, ...]).
    let mut b = good.clone();
    let column = &mut b.proofs[0].public_inputs[0];
    column[2] += Fr::one();
    let e = rejection(&b);
    assert!(e.contains("inputs commitment mismatch"), "{e}");
}
