//! `zkpar gate --work` (the instruction-count layer) input handling, run through the built
//! binary. Counting itself runs in CI (`.ci/run`), not here: it takes minutes under Callgrind.

mod report_fixtures;

use std::path::{Path, PathBuf};

use report_fixtures::{code, stderr, stdout, zkpar};

/// A work baseline (the gate's instruction-count layer) with one row.
fn work_baseline(dir: &Path, name: &str, cpu: &str, kind: &str, instructions: u64) -> PathBuf {
    let path = dir.join(name);
    let json = serde_json::json!({
        "recorded_by": "test",
        "cpu": cpu,
        "tree_depth": 9,
        "rows": [{ "kind": kind, "instructions": instructions }],
    });
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

#[test]
fn a_malformed_work_baseline_is_named_before_anything_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{ not json").unwrap();
    let unknown = work_baseline(dir.path(), "unknown.json", "any", "sha256", 10);
    let zero = work_baseline(dir.path(), "zero.json", "any", "balance", 0);
    for (path, needle) in [
        (&garbage, "not a work baseline"),
        (&unknown, "unknown sub-circuit `sha256`"),
        (&zero, "0 instructions"),
    ] {
        let out = zkpar(&["gate", "--work", path.to_str().unwrap()], dir.path());
        assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(path.file_name().unwrap().to_str().unwrap()) && err.contains(needle),
            "{err}"
        );
    }
}

#[test]
fn a_work_baseline_from_another_cpu_model_is_not_judged() {
    let dir = tempfile::tempdir().unwrap();
    let other = work_baseline(
        dir.path(),
        "other.json",
        "a CPU no machine has",
        "balance",
        10,
    );
    let out = zkpar(&["gate", "--work", other.to_str().unwrap()], dir.path());
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("not judged, no baseline counted on this CPU model"),
        "{}",
        stdout(&out)
    );
}
