//! The Chrome trace of a real run has the shape Perfetto expects.

mod common;

use scheduler::graph::{Cost, TaskGraph};
use scheduler::policy::PolicyName;
use scheduler::trace::{chrome_trace, write_chrome_trace};
use serde_json::Value;

#[test]
fn trace_has_thread_names_and_one_complete_event_per_task() {
    let ex = common::executor(2, 2);
    let mut g = TaskGraph::new();
    let a = g.add_task("load", "witness", Cost::secs(1.0), || {
        std::thread::sleep(std::time::Duration::from_millis(2));
        Ok(())
    });
    let b = g.add_task("prove", "prove", Cost::secs(2.0), || Ok(()));
    g.add_dependency(a, b).unwrap();
    let report = ex.run(g, PolicyName::Dag.policy().as_ref(), None).unwrap();

    let mut bytes = Vec::new();
    write_chrome_trace(&report, &mut bytes).unwrap();
    let parsed: Value = serde_json::from_slice(&bytes).unwrap();
    // Same document as the in-memory value (compared as text: JSON float parsing may differ
    // from the original by an ulp).
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        chrome_trace(&report).to_string()
    );
    let events = parsed["traceEvents"].as_array().unwrap();

    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["worker 0 (domain 0)", "worker 1 (domain 1)"]);

    let tasks: Vec<&Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(tasks.len(), 2);
    let load = tasks.iter().find(|e| e["name"] == "load").unwrap();
    let prove = tasks.iter().find(|e| e["name"] == "prove").unwrap();
    assert_eq!(load["cat"], "witness");
    assert_eq!(load["pid"], 1);
    assert!(load["tid"].as_u64().unwrap() < 2);
    let (ts, dur) = (load["ts"].as_f64().unwrap(), load["dur"].as_f64().unwrap());
    assert!(dur >= 2000.0, "dur is in microseconds: {dur}");
    assert!(prove["ts"].as_f64().unwrap() >= ts + dur - 1e-6);
    for key in ["queue_wait_us", "stolen", "remote"] {
        assert!(!prove["args"][key].is_null(), "missing args.{key}");
    }
    // The report itself round-trips through serde.
    let json = report.to_json();
    let back: scheduler::metrics::RunReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.tasks.len(), 2);
    assert_eq!(back.tasks[1].name, "prove");
    assert!((back.makespan_s - report.makespan_s).abs() <= 1e-12 * report.makespan_s.max(1.0));
}
