//! `zkpar prove` and `zkpar verify` through the built binary: real proofs of the `transfer`
//! operation (4 sub-proofs, on the shallow test tree) under two policies, then every kind of bad input a user can hand
//! them, each of which must be one `error:` line and a non-zero exit, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

mod cli_common;

use circuits::bundle::{fr_to_hex, Bundle};
use serde_json::Value;

/// Parameters cached where the rest of the workspace caches them, so tests do not regenerate
/// them; proving keys are regenerated per process anyway.
const KEY_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/zkpar-keys");

fn zkpar(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkpar"))
        .args(args)
        .current_dir(dir)
        .env("ZKPAR_KEY_DIR", KEY_DIR)
        // No calibration file: the run must work (and say so) with shape estimates.
        .env("ZKPAR_CALIBRATION", dir.join("no-calibration.json"))
        .output()
        .expect("the zkpar binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Asserts a clean input error: exit 2, one `error:` line on stderr mentioning every needle.
fn assert_input_error(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", show(out));
    assert!(!err.contains("panicked"), "{}", show(out));
    assert_eq!(err.lines().count(), 1, "{}", show(out));
    assert!(err.starts_with("error: "), "{}", show(out));
    for needle in needles {
        assert!(err.contains(needle), "`{needle}` missing: {}", show(out));
    }
}

/// Proves `transfer` under `policy` into `<dir>/<name>` and checks the JSON summary.
fn prove(dir: &Path, policy: &str, name: &str) -> PathBuf {
    let out = zkpar(
        &[
            "prove", "--op", "transfer", "--policy", policy, "--out", name, "--json",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {}", show(&out)));
    assert_eq!(summary["id"], "transfer");
    assert_eq!(summary["policy"], policy);
    assert_eq!(summary["subproofs"], 4);
    assert_eq!(
        summary["tasks"], 10,
        "execute, 4 witness, 4 prove, assemble"
    );
    assert!(summary["wall_s"].as_f64().unwrap() > 0.0);
    assert!(summary["keygen_s"].as_f64().unwrap() >= 0.0);
    assert!(summary["phases"]["prove_s"].as_f64().unwrap() > 0.0);
    // Uncalibrated: no bound is claimed.
    assert_eq!(summary["calibrated"], false);
    assert!(summary["efficiency"].is_null());
    assert_eq!(summary["bundle"], name);
    dir.join(name)
}

/// One dag-proved bundle shared by the tampering tests (proving is the slow part).
fn dag_bundle() -> &'static Path {
    static BUNDLE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BUNDLE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            cli_common::shallow_datasets(dir.path());
            std::fs::create_dir(dir.path().join("tmp")).unwrap();
            let path = prove(dir.path(), "dag", "tmp/b");
            (dir, path)
        })
        .1
}

#[test]
fn dag_bundle_verifies() {
    let bundle = dag_bundle();
    let dir = bundle.parent().unwrap();
    let out = zkpar(&["verify", bundle.to_str().unwrap(), "--json"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["id"], "transfer");
    assert_eq!(report["subproofs"], 4);
    assert_eq!(report["transitions"], 2);
    assert!(report.get("error").is_none(), "{report}");
}

#[test]
fn previous_bundle_verifies_with_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    cli_common::shallow_datasets(dir.path());
    let out = zkpar(
        &[
            "prove",
            "--op",
            "transfer",
            "--policy",
            "previous",
            "--threads",
            "2",
            "--trace",
            "trace.json",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let summary = text(&out.stdout);
    for needle in [
        "wall time",
        "key generation",
        "sub-proofs",
        "transfer.bundle",
    ] {
        assert!(summary.contains(needle), "{needle}: {summary}");
    }
    let trace: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("trace.json")).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    assert_eq!(
        events.iter().filter(|e| e["ph"] == "X").count(),
        10,
        "one complete event per task"
    );
    // Default output name: `<op>.bundle` in the current directory.
    let out = zkpar(&["verify", "transfer.bundle"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text(&out.stdout).starts_with("ok: "), "{}", show(&out));
}

#[test]
fn unknown_operation_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = zkpar(&["prove", "--op", "teleport"], dir.path());
    assert_input_error(&out, &["teleport", "unknown operation", "transfer"]);
}

#[test]
fn a_missing_params_dir_is_named() {
    let dir = tempfile::tempdir().unwrap();
    cli_common::shallow_datasets(dir.path());
    let out = zkpar(
        &["prove", "--op", "transfer", "--params", "no-such-dir"],
        dir.path(),
    );
    assert_input_error(&out, &["no-such-dir", "--params"]);
    let out = zkpar(
        &["verify", "x.bundle", "--params", "no-such-dir"],
        dir.path(),
    );
    assert_input_error(&out, &["no-such-dir", "--params"]);
}

#[test]
fn a_final_proof_budget_no_tree_fits_is_named_before_key_generation() {
    let dir = tempfile::tempdir().unwrap();
    cli_common::shallow_datasets(dir.path());
    let started = std::time::Instant::now();
    let out = zkpar(
        &["prove", "--op", "transfer", "--final", "--mem-budget", "1G"],
        dir.path(),
    );
    // Without a calibration file the run logs that on one INFO line first; the error is one line.
    let err = text(&out.stderr);
    let errors: Vec<&str> = err.lines().filter(|l| !l.starts_with("[INFO")).collect();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert_eq!(errors.len(), 1, "{}", show(&out));
    for needle in ["error: ", "--mem-budget", "final proof", "memory budget"] {
        assert!(errors[0].contains(needle), "`{needle}`: {}", show(&out));
    }
    assert!(
        started.elapsed().as_secs() < 20,
        "planned after key generation?"
    );
}

#[test]
fn unknown_policy_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = zkpar(
        &["prove", "--op", "transfer", "--policy", "fastest"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("fastest") && err.contains("previous, rayon, dag, heft"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn malformed_block_file_names_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("block.json"),
        r#"{"id": "b", "description": "d", "basis": "b",
            "operations": [{"op": "transfer", "count": 1}, {"op": "erc20", "count": -3}]}"#,
    )
    .unwrap();
    let out = zkpar(&["prove", "--block", "block.json"], dir.path());
    assert_input_error(&out, &["block.json", "operations entry 2", "count"]);

    std::fs::write(dir.path().join("broken.json"), "{\"id\": ").unwrap();
    let out = zkpar(&["prove", "--block", "broken.json"], dir.path());
    assert_input_error(&out, &["broken.json", "JSON syntax"]);
}

/// Writes `bytes` next to the shared bundle and runs `zkpar verify` on it.
fn verify_bytes(name: &str, bytes: &[u8]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    zkpar(&["verify", name], dir.path())
}

fn good_bytes() -> Vec<u8> {
    std::fs::read(dag_bundle()).unwrap()
}

fn good_bundle() -> Bundle {
    Bundle::read(dag_bundle()).unwrap()
}

#[test]
fn truncated_bundle_is_rejected() {
    let bytes = good_bytes();
    for len in [0, 5, 9, 200, bytes.len() / 2, bytes.len() - 1] {
        let out = verify_bytes("cut.bundle", &bytes[..len]);
        assert_input_error(&out, &["cut.bundle"]);
    }
}

#[test]
fn flipped_bytes_are_rejected() {
    let bytes = good_bytes();
    for at in [20, bytes.len() / 2, bytes.len() - 40, bytes.len() - 1] {
        let mut tampered = bytes.clone();
        tampered[at] ^= 0x10;
        let out = verify_bytes("flip.bundle", &tampered);
        assert_input_error(&out, &["flip.bundle"]);
    }
}

#[test]
fn wrong_version_is_named() {
    let mut bytes = good_bytes();
    bytes[8] = 7; // the u16 version right after the 8 magic bytes
    let out = verify_bytes("v7.bundle", &bytes);
    assert_input_error(&out, &["v7.bundle", "unsupported bundle version 7"]);
}

#[test]
fn swapped_subproofs_are_rejected() {
    // Re-encoded through the library, so the checksum is fresh: only the content is wrong.
    let mut bundle = good_bundle();
    bundle.proofs.swap(1, 2);
    let out = verify_bytes("swap.bundle", &bundle.to_bytes());
    assert_input_error(&out, &["swap.bundle", "reordered or swapped"]);

    // Swapping the header entries too passes the structure check; the root chain catches it.
    let mut bundle = good_bundle();
    bundle.proofs.swap(1, 2);
    bundle.header.subcircuits.swap(1, 2);
    let out = verify_bytes("swap2.bundle", &bundle.to_bytes());
    assert_input_error(&out, &["swap2.bundle", "bundle rejected"]);
}

#[test]
fn broken_root_chain_and_bad_proof_are_rejected() {
    let mut bundle = good_bundle();
    bundle.header.initial_root = fr_to_hex(&circuits::Fr::from(7));
    let out = verify_bytes("chain.bundle", &bundle.to_bytes());
    assert_input_error(&out, &["chain.bundle", "state root chain broken"]);

    let mut bundle = good_bundle();
    let last = bundle.proofs.len() - 1;
    let middle = bundle.proofs[last].proof.len() / 2;
    bundle.proofs[last].proof[middle] ^= 0x40;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("proof.bundle"), bundle.to_bytes()).unwrap();
    let out = zkpar(&["verify", "proof.bundle", "--json"], dir.path());
    assert_input_error(&out, &["proof.bundle", "does not verify"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["id"], "transfer");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains(&format!("sub-proof {last}")),
        "{report}"
    );
}

#[test]
fn missing_and_foreign_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = zkpar(&["verify", "nowhere.bundle"], dir.path());
    assert_input_error(&out, &["nowhere.bundle", "cannot read"]);

    let out = verify_bytes("notes.txt", b"these are not the proofs you are looking for");
    assert_input_error(&out, &["notes.txt", "not a zkpar bundle"]);
}
