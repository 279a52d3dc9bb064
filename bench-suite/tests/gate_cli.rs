//! `zkpar gate` exit codes, run through the built binary.

mod report_fixtures;

use std::path::{Path, PathBuf};

use bench_suite::report::Results;
use report_fixtures::{code, sample_results, stderr, stdout, zkpar};

fn write(dir: &Path, name: &str, results: &Results) -> PathBuf {
    let path = dir.join(name);
    results.save(&path).unwrap();
    path
}

fn gate(dir: &Path, baseline: &Path, current: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "gate",
        "--baseline",
        baseline.to_str().unwrap(),
        "--current",
        current.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    zkpar(&args, dir)
}

#[test]
fn same_file_passes() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "results.json", &sample_results());
    let out = gate(dir.path(), &file, &file, &[]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let table = stdout(&out);
    assert!(
        table.contains("dag/previous") && table.contains("dag/calibration"),
        "{table}"
    );
    assert_eq!(
        table.matches(" ok").count(),
        8,
        "two ratios for each of four ops: {table}"
    );
    assert!(table.contains("gate: pass"));
}

#[test]
fn faster_baseline_makes_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let current = write(dir.path(), "current.json", &sample_results());
    let mut faster = sample_results();
    for op in faster
        .operations
        .iter_mut()
        .filter(|o| o.op == "erc20" || o.op == "defi")
    {
        op.dag_s *= 0.8;
        op.recompute();
    }
    let baseline = write(dir.path(), "baseline.json", &faster);
    let out = gate(dir.path(), &baseline, &current, &[]);
    assert_eq!(code(&out), 3, "{}{}", stdout(&out), stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("erc20") && err.contains("defi") && !err.contains("transfer"),
        "{err}"
    );
    assert!(stdout(&out).contains("+25.0%"), "{}", stdout(&out));
    // A looser threshold accepts the same change.
    let out = gate(dir.path(), &baseline, &current, &["--max-regression", "30"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn calibrated_ratio_alone_can_regress() {
    // Both policies 20% slower: dag/previous is unchanged, dag/calibration grows 20%.
    let dir = tempfile::tempdir().unwrap();
    let baseline = write(dir.path(), "baseline.json", &sample_results());
    let mut slower = sample_results();
    for op in &mut slower.operations {
        op.previous_s *= 1.2;
        op.dag_s *= 1.2;
        op.recompute();
    }
    let current = write(dir.path(), "current.json", &slower);
    let out = gate(dir.path(), &baseline, &current, &[]);
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    // Without a calibration the second ratio is not judged (and says so).
    slower.calibration_s = 0.0;
    let current = write(dir.path(), "current.json", &slower);
    let out = gate(dir.path(), &baseline, &current, &[]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("not judged (current has no calibration)"));
}

#[test]
fn malformed_or_missing_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", &sample_results());
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"machine\": {}}").unwrap();
    let out = gate(dir.path(), &good, &bad, &[]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.starts_with("error: reading the current results"),
        "{err}"
    );
    assert!(
        err.contains("bad.json") && err.contains("machine.cpu"),
        "{err}"
    );
    assert!(!err.contains("panicked"));

    let out = gate(dir.path(), &dir.path().join("absent.json"), &good, &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("absent.json"));

    let out = zkpar(&["gate", "--baseline", "x.json"], dir.path());
    assert_eq!(code(&out), 2, "usage error");
}

#[test]
fn operation_missing_from_current_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = write(dir.path(), "baseline.json", &sample_results());
    let mut partial = sample_results();
    partial.operations.retain(|o| o.op != "multicall");
    let current = write(dir.path(), "current.json", &partial);
    let out = gate(dir.path(), &baseline, &current, &[]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("`multicall`") && err.contains("missing from the current"),
        "{err}"
    );
}

#[test]
fn update_baseline_copies_current() {
    let dir = tempfile::tempdir().unwrap();
    let mut faster = sample_results();
    faster.operations[0].dag_s *= 0.5;
    faster.operations[0].recompute();
    let baseline = write(dir.path(), "baseline.json", &faster);
    let current = write(dir.path(), "current.json", &sample_results());
    let out = gate(dir.path(), &baseline, &current, &["--update-baseline"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("REGRESSED"),
        "the comparison is still printed"
    );
    assert_eq!(
        std::fs::read(&baseline).unwrap(),
        std::fs::read(&current).unwrap()
    );
    // Updating a baseline with itself leaves it intact.
    let out = gate(dir.path(), &baseline, &baseline, &["--update-baseline"]);
    assert_eq!(code(&out), 0);
    assert_eq!(Results::load(&baseline).unwrap(), sample_results());
}
