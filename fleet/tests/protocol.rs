//! The task database's protocol, driven in-process against a real PostgreSQL server.

mod common;

use std::time::Duration;

use fleet::synthetic::{digest, encode_input};
use fleet::{FleetError, JobState, SubmitOptions, TaskDb, TaskState, WaitOptions};
use scheduler::graph::Cost;
use scheduler::spec::JobSpec;

const LEASE: Duration = Duration::from_secs(30);

fn chain(n: usize) -> JobSpec {
    let mut job = JobSpec::new("chain");
    for i in 0..n {
        job.add_task(
            format!("c{i}"),
            "synth",
            Cost::secs(0.001),
            encode_input(0, i as u64),
        );
        if i > 0 {
            job.add_dependency(i - 1, i).unwrap();
        }
    }
    job
}

#[test]
fn claim_complete_in_order_with_ordered_deps() {
    let (_server, mut db) = common::server();
    let mut job = JobSpec::new("diamond");
    let a = job.add_task("a", "synth", Cost::secs(1.0), encode_input(0, 1));
    let b = job.add_task("b", "synth", Cost::secs(2.0), encode_input(0, 2));
    let c = job.add_task("c", "synth", Cost::secs(1.0), encode_input(0, 3));
    // c receives b's output first, then a's, then b's again.
    job.add_dependency(b, c).unwrap();
    job.add_dependency(a, c).unwrap();
    job.add_dependency(b, c).unwrap();
    let id = db.submit(&job, &SubmitOptions::default()).unwrap();
    let expected = common::expected_outputs(&job);
    for _ in 0..3 {
        let t = db.claim("me", 0, LEASE).unwrap().expect("a ready task");
        assert_eq!(t.attempt, 1);
        let deps: Vec<&[u8]> = t.deps.iter().map(Vec::as_slice).collect();
        let out = digest(&t.input, &deps);
        assert!(db.complete(t.job, t.index, t.attempt, "me", &out).unwrap());
    }
    assert!(db.claim("me", 0, LEASE).unwrap().is_none());
    let outcome = db.wait(id, &WaitOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(outcome.status.state, JobState::Done);
    assert_eq!(outcome.status.counts.done, 3);
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(&outcome.outputs[&i], e, "task {i}");
    }
    let report = db.run_report(id).unwrap();
    assert_eq!(report.tasks.len(), 3);
    assert_eq!(report.domains, 1);
    assert!(report.tasks[c].start_s >= report.tasks[a].end_s);
    let trace = scheduler::trace::chrome_trace(&report);
    assert!(trace["traceEvents"].as_array().unwrap().len() >= 4);
}
