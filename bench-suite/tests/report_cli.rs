//! `zkpar report` from a fake criterion directory, and the CLI frame's error handling.

mod report_fixtures;

use std::path::Path;

use bench_suite::report::Results;
use report_fixtures::{code, sample_results, stderr, stdout, zkpar};

/// Writes `<dir>/<op>/<policy>/new/estimates.json` with a median of `seconds`.
fn fake_estimate(dir: &Path, op: &str, policy: &str, seconds: f64) {
    let path = dir.join(op).join(policy).join("new");
    std::fs::create_dir_all(&path).unwrap();
    let ns = seconds * 1e9;
    let estimate = |v: f64| {
        serde_json::json!({
            "confidence_interval": {"confidence_level": 0.95, "lower_bound": v * 0.99, "upper_bound": v * 1.01},
            "point_estimate": v,
            "standard_error": v * 0.005
        })
    };
    let json = serde_json::json!({
        "mean": estimate(ns * 1.01),
        "median": estimate(ns),
        "median_abs_dev": estimate(ns * 0.01),
        "slope": null,
        "std_dev": estimate(ns * 0.02)
    });
    std::fs::write(path.join("estimates.json"), json.to_string()).unwrap();
}

fn fake_criterion(dir: &Path, ops: &[(&str, [f64; 3])]) {
    for (op, times) in ops {
        for (policy, s) in ["previous", "rayon", "dag"].iter().zip(times) {
            fake_estimate(dir, op, policy, *s);
        }
    }
}

#[test]
fn report_from_criterion_without_earlier_results() {
    let dir = tempfile::tempdir().unwrap();
    let crit = dir.path().join("criterion");
    fake_criterion(
        &crit,
        &[("transfer", [2.0, 1.5, 1.2]), ("defi", [10.0, 7.0, 6.0])],
    );
    let out = zkpar(
        &["report", "--criterion", "criterion", "--out", "reports"],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reports = dir.path().join("reports");
    for file in ["results.json", "results.md", "comparison.svg"] {
        assert!(reports.join(file).is_file(), "{file}");
        assert!(stdout(&out).contains(file));
    }
    let results = Results::load(&reports.join("results.json")).unwrap();
    let ops: Vec<&str> = results.operations.iter().map(|o| o.op.as_str()).collect();
    assert_eq!(
        ops,
        ["transfer", "defi"],
        "published order, only measured ops"
    );
    let defi = results.operation("defi").unwrap();
    assert!((defi.previous_s - 10.0).abs() < 1e-9 && (defi.dag_s - 6.0).abs() < 1e-9);
    assert!((defi.improvement_pct - 40.0).abs() < 1e-9);
    assert_eq!(
        (defi.published.previous_s, defi.published.new_s),
        (12.8, 7.7)
    );
    assert_eq!(
        (defi.lower_bound_s, defi.efficiency, results.calibration_s),
        (0.0, 0.0, 0.0)
    );
    for field in ["lower_bound_s", "peak_rss_bytes", "calibration_s"] {
        assert!(results.is_unmeasured(field), "{field} marked unmeasured");
    }
    let md = std::fs::read_to_string(reports.join("results.md")).unwrap();
    assert!(
        md.contains("| Complex DeFi Interaction | 10.00s | 6.00s | 40.0% |"),
        "{md}"
    );
}

#[test]
fn report_keeps_what_criterion_cannot_measure() {
    let dir = tempfile::tempdir().unwrap();
    let crit = dir.path().join("criterion");
    fake_criterion(&crit, &[("erc20", [4.0, 3.0, 2.5])]);
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let earlier = sample_results();
    earlier.save(&reports.join("results.json")).unwrap();
    let out = zkpar(
        &["report", "--criterion", "criterion", "--out", "reports"],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let results = Results::load(&reports.join("results.json")).unwrap();
    let row = results.operation("erc20").unwrap();
    let old = earlier.operation("erc20").unwrap();
    assert_eq!(row.lower_bound_s, old.lower_bound_s);
    assert_eq!(row.peak_rss_bytes, old.peak_rss_bytes);
    assert!(
        (row.efficiency - old.lower_bound_s / 2.5).abs() < 1e-9,
        "recomputed for the new time"
    );
    assert_eq!(results.calibration_s, earlier.calibration_s);
    assert_eq!(results.machine, earlier.machine);
    assert!(results.unmeasured.is_empty(), "{:?}", results.unmeasured);
}

#[test]
fn missing_criterion_data_says_to_run_the_bench() {
    let dir = tempfile::tempdir().unwrap();
    let out = zkpar(&["report", "--criterion", "nothing-here"], dir.path());
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("cargo bench --bench operations"), "{err}");
    assert!(!dir.path().join("reports").exists(), "nothing written");
}

#[test]
fn incomplete_or_bad_criterion_data_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let crit = dir.path().join("criterion");
    fake_criterion(&crit, &[("transfer", [2.0, 1.5, 1.2])]);
    std::fs::remove_dir_all(crit.join("transfer/rayon")).unwrap();
    let out = zkpar(&["report", "--criterion", "criterion"], dir.path());
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("transfer/rayon/new/estimates.json"),
        "{}",
        stderr(&out)
    );

    fake_estimate(&crit, "transfer", "rayon", 1.5);
    std::fs::write(
        crit.join("transfer/dag/new/estimates.json"),
        r#"{"median": {}}"#,
    )
    .unwrap();
    let out = zkpar(&["report", "--criterion", "criterion"], dir.path());
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("median.point_estimate"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn malformed_earlier_results_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    fake_criterion(
        &dir.path().join("criterion"),
        &[("transfer", [2.0, 1.5, 1.2])],
    );
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(reports.join("results.json"), "{").unwrap();
    let out = zkpar(
        &["report", "--criterion", "criterion", "--out", "reports"],
        dir.path(),
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("move `"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(reports.join("results.json")).unwrap(),
        "{"
    );
}

#[test]
fn size_errors_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = zkpar(
        &["prove", "--op", "erc20", "--mem-budget", "12XB"],
        dir.path(),
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown unit `XB`"),
        "{}",
        stderr(&out)
    );
    let out = zkpar(&["--help"], dir.path());
    assert_eq!(code(&out), 0);
    for sub in [
        "ops",
        "topology",
        "prove",
        "verify",
        "calibrate",
        "stg",
        "reproduce",
        "scale",
        "report",
        "gate",
    ] {
        assert!(stdout(&out).contains(sub), "help lists {sub}");
    }
}
