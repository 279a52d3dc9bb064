//! `results.md` golden test and the `n/a` rendering of unmeasured values.
//!
//! To accept an intended change of the format: `UPDATE_GOLDEN=1 cargo test -p bench-suite
//! --test report_markdown`, then review the diff of `tests/report_fixtures/golden-results.md`.

mod report_fixtures;

use std::path::Path;

use bench_suite::report::markdown::render;
use bench_suite::report::PublishedTable;
use report_fixtures::{sample_results, sample_scaling};

#[test]
fn markdown_matches_golden_file() {
    let mut results = sample_results();
    results.scaling = sample_scaling();
    results.reps = Some(5);
    let published = PublishedTable::embedded().unwrap();
    let text = render(&results, &published);
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/report_fixtures/golden-results.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(
        text, expected,
        "results.md changed; see this file's docs to update the golden copy"
    );
    // Deterministic: rendering twice gives the same bytes.
    assert_eq!(render(&results, &published), text);
}

#[test]
fn published_columns_come_first_with_our_numbers() {
    let text = render(&sample_results(), &PublishedTable::embedded().unwrap());
    let first_table = text
        .find("| Operation Type | Previous Time | New Time | Improvement |")
        .unwrap();
    assert!(first_table < text.find("DAG vs rayon").unwrap());
    assert!(
        text.contains("| Simple Transfer | 2.00s | 1.25s | 37.5% |"),
        "{text}"
    );
    assert!(text.contains("| Simple Transfer | 2.3s | 1.4s | 39.1% | 2.00s | 1.25s | 37.5% |"));
    assert!(text.contains("- NUMA nodes: 2") && text.contains("- Git revision: abc1234"));
    assert!(
        !text.contains("## Thread scaling"),
        "no scaling section without scaling data"
    );
}

#[test]
fn unmeasured_values_print_as_na() {
    let mut results = sample_results();
    for row in &mut results.operations {
        row.lower_bound_s = 0.0;
        row.lower_bound_naive_s = 0.0;
        row.recompute();
    }
    results.calibration_s = 0.0;
    results.unmeasured = vec![
        "lower_bound_s".into(),
        "peak_rss_bytes".into(),
        "calibration_s".into(),
    ];
    let text = render(&results, &PublishedTable::embedded().unwrap());
    assert!(
        text.contains("| Simple Transfer | 2.00s | 1.50s | 1.25s | 1.20x | n/a | n/a | n/a | n/a | n/a | n/a |"),
        "{text}"
    );
    assert!(text.contains("- Calibration workload: n/a"));
    assert!(
        text.contains("- Not measured in this run: lower_bound_s, peak_rss_bytes, calibration_s")
    );
}
