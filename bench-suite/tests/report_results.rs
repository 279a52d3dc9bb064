//! `results.json`: schema field names, round trip, derived fields and load errors.

mod report_fixtures;

use std::path::Path;

use bench_suite::report::results::{efficiency, improvement_pct, median, Results};
use bench_suite::report::ReportError;
use report_fixtures::{sample_results, sample_scaling};
use serde_json::Value;

fn keys(value: &Value) -> Vec<String> {
    let mut k: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

#[test]
fn serialized_field_names_are_exactly_the_schema() {
    let value: Value = serde_json::from_str(&sample_results().to_json_pretty()).unwrap();
    assert_eq!(
        keys(&value),
        sorted(&["machine", "git_rev", "date", "operations", "calibration_s"])
    );
    assert_eq!(
        keys(&value["machine"]),
        sorted(&["cpu", "cores", "numa_nodes", "topology_provider", "threads"])
    );
    let op = &value["operations"][0];
    assert_eq!(
        keys(op),
        sorted(&[
            "op",
            "previous_s",
            "rayon_s",
            "dag_s",
            "improvement_pct",
            "lower_bound_s",
            "lower_bound_naive_s",
            "efficiency",
            "peak_rss_bytes",
            "published"
        ])
    );
    assert_eq!(
        keys(&op["peak_rss_bytes"]),
        sorted(&["previous", "rayon", "dag"])
    );
    assert_eq!(keys(&op["published"]), sorted(&["previous_s", "new_s"]));
}

#[test]
fn round_trip_keeps_everything_including_extras() {
    let mut results = sample_results();
    results.scaling = sample_scaling();
    results.reps = Some(5);
    results.quick = Some(true);
    results.unmeasured = vec!["calibration_s".into()];
    results.operations[1].samples = Some(bench_suite::report::results::Samples {
        previous: vec![3.5, 3.6, 3.7],
        rayon: vec![2.6],
        dag: vec![2.2, 2.2],
    });
    let text = results.to_json_pretty();
    let back = Results::from_json_str(&text, Path::new("mem.json")).unwrap();
    assert_eq!(back, results);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert!(value["scaling"].is_array() && value["operations"][1]["samples"].is_object());
}

#[test]
fn derived_fields() {
    assert!((improvement_pct(2.3, 1.4) - 39.130_434_782_608_7).abs() < 1e-9);
    assert_eq!(improvement_pct(0.0, 1.0), 0.0);
    assert_eq!(efficiency(1.0, 1.25), 0.8);
    assert_eq!(efficiency(0.0, 1.25), 0.0);
    let row = &sample_results().operations[0];
    assert_eq!(row.improvement_pct, improvement_pct(2.0, 1.25));
    assert_eq!(row.efficiency, 0.8);
    assert_eq!(row.dag_speedup_over_rayon(), 1.2);
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[1.0, f64::NAN]), None);
}

fn load_err(edit: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(&sample_results().to_json_pretty()).unwrap();
    edit(&mut value);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    std::fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
    let err = Results::load(&path).unwrap_err();
    assert!(err.is_input_error());
    let msg = err.to_string();
    assert!(
        msg.contains("results.json"),
        "message names the file: {msg}"
    );
    msg
}

#[test]
fn missing_field_is_named_with_its_operation() {
    let msg = load_err(|v| {
        v["operations"][1].as_object_mut().unwrap().remove("dag_s");
    });
    assert!(msg.contains("operations[1] (op \"erc20\").dag_s"), "{msg}");
    assert!(msg.contains("is missing"), "{msg}");
}

#[test]
fn wrong_types_and_values_are_named() {
    let msg = load_err(|v| v["machine"]["cores"] = Value::from("many"));
    assert!(
        msg.contains("machine.cores") && msg.contains("integer"),
        "{msg}"
    );
    let msg = load_err(|v| v["operations"][0]["peak_rss_bytes"]["rayon"] = Value::from(-1));
    assert!(msg.contains("peak_rss_bytes.rayon"), "{msg}");
    let msg = load_err(|v| v["calibration_s"] = Value::Null);
    assert!(
        msg.contains("calibration_s") && msg.contains("non-negative number"),
        "{msg}"
    );
    let msg = load_err(|v| {
        v.as_object_mut().unwrap().remove("operations");
    });
    assert!(msg.contains("field `operations` is missing"), "{msg}");
    let msg = load_err(|v| v["operations"][2]["op"] = Value::from("transfer"));
    assert!(msg.contains("appears twice"), "{msg}");
}

#[test]
fn syntax_error_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.json");
    let text = sample_results().to_json_pretty();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let err = Results::load(&path).unwrap_err();
    assert!(matches!(err, ReportError::Syntax { .. }), "{err}");
    assert!(err.to_string().contains("partial.json"));
    let err = Results::load(&dir.path().join("absent.json")).unwrap_err();
    assert!(matches!(err, ReportError::Read { .. }));
    assert!(err.to_string().contains("absent.json"));
}
