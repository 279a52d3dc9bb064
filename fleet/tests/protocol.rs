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

fn events(db: &mut TaskDb, job: fleet::JobId, idx: i32, event: &str) -> i64 {
    db.client()
        .query_one(
            "SELECT count(*) FROM task_events WHERE job = $1 AND idx = $2 AND event = $3",
            &[&job.0, &idx, &event],
        )
        .unwrap()
        .get(0)
}

#[test]
fn late_completion_after_a_lost_lease_is_fenced() {
    let (_server, mut db) = common::server();
    let id = db.submit(&chain(1), &SubmitOptions::default()).unwrap();
    let first = db
        .claim("slow", 0, Duration::from_millis(100))
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(250));
    // The next claim reaps the expired lease and hands the task out again.
    let second = db.claim("fast", 0, LEASE).unwrap().unwrap();
    assert_eq!((second.index, second.attempt), (first.index, 2));
    let good = digest(&second.input, &[]);
    assert!(db.complete(id, 0, second.attempt, "fast", &good).unwrap());
    // The slow worker finishes late: rejected, and the output stays the accepted one.
    assert!(!db.complete(id, 0, first.attempt, "slow", b"stale").unwrap());
    assert!(!db.fail(id, 0, first.attempt, "slow", "late error").unwrap());
    let outcome = db.wait(id, &WaitOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(outcome.outputs[&0], good);
    let row = &db.tasks(id).unwrap()[0];
    assert_eq!((row.attempt, row.losses, row.errors), (2, 1, 0));
    assert_eq!(row.worker.as_deref(), Some("fast"));
    assert_eq!(events(&mut db, id, 0, "done"), 1);
    assert_eq!(events(&mut db, id, 0, "fenced"), 2);
    assert_eq!(events(&mut db, id, 0, "lost"), 1);
    let fenced = FleetError::Fenced {
        job: id,
        task: 0,
        attempt: 1,
    };
    assert!(fenced
        .to_string()
        .contains("attempt 1 no longer holds the task"));
}

#[test]
fn a_failing_task_fails_its_job_after_its_retries() {
    let (_server, mut db) = common::server();
    let mut job = chain(2);
    let bad = job.add_task("bad apple", "fail", Cost::secs(5.0), vec![]);
    job.add_dependency(bad, 1).unwrap();
    let options = SubmitOptions {
        max_retries: 2,
        max_losses: 3,
    };
    let id = db.submit(&job, &options).unwrap();
    for attempt in 1..=3 {
        let t = db.claim("w", 0, LEASE).unwrap().unwrap();
        assert_eq!(
            (t.index, t.attempt),
            (bad, attempt),
            "highest bottom level first"
        );
        assert!(db.fail(id, bad, t.attempt, "w", "boom").unwrap());
        let state = db.job_status(id).unwrap().state;
        let expect = if attempt < 3 {
            JobState::Running
        } else {
            JobState::Failed
        };
        assert_eq!(state, expect, "after error {attempt}");
    }
    let err = db
        .wait(id, &WaitOptions::default(), &mut |_| {})
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, FleetError::JobFailed { .. }), "{text}");
    assert!(
        text.contains("bad apple") && text.contains("kind fail") && text.contains("boom"),
        "{text}"
    );
    let rows = db.tasks(id).unwrap();
    assert_eq!(rows[bad].state, TaskState::Failed);
    assert_eq!(rows[bad].errors, 3);
    assert!(rows.iter().all(|r| r.state != TaskState::Ready));
    assert!(db.claim("w", 0, LEASE).unwrap().is_none());
}

#[test]
fn lost_too_often_fails_the_job_naming_the_task() {
    let (_server, mut db) = common::server();
    let options = SubmitOptions {
        max_retries: 5,
        max_losses: 1,
    };
    let id = db.submit(&chain(1), &options).unwrap();
    for _ in 0..2 {
        db.claim("crashy", 0, Duration::from_millis(50))
            .unwrap()
            .unwrap();
        std::thread::sleep(Duration::from_millis(120));
    }
    let opts = WaitOptions {
        timeout: Some(Duration::from_secs(10)),
        ..WaitOptions::default()
    };
    let err = db.wait(id, &opts, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("c0") && err.contains("lost 2 times"), "{err}");
    let row = &db.tasks(id).unwrap()[0];
    assert_eq!((row.losses, row.errors), (2, 0));
}

#[test]
fn cancel_stops_claims_and_rejects_late_completions() {
    let (_server, mut db) = common::server();
    let mut other = chain(1);
    other.name = "other".into();
    let id = db.submit(&chain(3), &SubmitOptions::default()).unwrap();
    let t = db.claim("w", 0, LEASE).unwrap().unwrap();
    assert_eq!(t.job, id);
    let other_id = db.submit(&other, &SubmitOptions::default()).unwrap();
    assert!(db.cancel(id).unwrap());
    assert!(!db.cancel(id).unwrap(), "already cancelled");
    assert!(!db.complete(id, t.index, t.attempt, "w", b"late").unwrap());
    // Only the other job's task is still claimable.
    let t2 = db.claim("w", 0, LEASE).unwrap().unwrap();
    assert_eq!(t2.job, other_id);
    assert!(db.claim("w", 0, LEASE).unwrap().is_none());
    let err = db
        .wait(id, &WaitOptions::default(), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, FleetError::Cancelled(j) if j == id), "{err}");
    let rows = db.tasks(id).unwrap();
    assert!(rows.iter().all(|r| r.state == TaskState::Cancelled));
    assert!(rows[0].finished_s.is_some());
    assert!(matches!(
        db.cancel(fleet::JobId(9999)),
        Err(FleetError::UnknownJob(_))
    ));
}

#[test]
fn missing_predecessor_output_is_an_error_not_an_empty_payload() {
    let (_server, mut db) = common::server();
    let id = db.submit(&chain(2), &SubmitOptions::default()).unwrap();
    let a = db.claim("w", 0, LEASE).unwrap().unwrap();
    assert!(
        db.complete(id, a.index, a.attempt, "w", &[]).unwrap(),
        "an empty output is fine"
    );
    // Simulate a lost blob (the schema's CHECK forbids it, so drop it first).
    db.client()
        .batch_execute(
            "ALTER TABLE tasks DROP CONSTRAINT tasks_check; \
             UPDATE tasks SET output = NULL WHERE idx = 0",
        )
        .unwrap();
    let err = db.claim("w", 0, LEASE).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, FleetError::MissingOutput { .. }), "{text}");
    assert!(
        text.contains("c1") && text.contains("c0") && text.contains("missing"),
        "{text}"
    );
    let row = &db.tasks(id).unwrap()[1];
    assert_eq!(row.errors, 1);
    assert!(row.error.as_deref().unwrap().contains("missing"));
    assert!(matches!(
        db.outputs(id, &fleet::OutputSelection::Tasks(vec![0])),
        Err(FleetError::MissingOutput { .. })
    ));
}

#[test]
fn ready_tasks_are_claimed_highest_bottom_level_first() {
    let (_server, mut db) = common::server();
    let mut job = JobSpec::new("levels");
    let x = job.add_task("x", "synth", Cost::secs(1.0), vec![]);
    let y = job.add_task("y", "synth", Cost::secs(5.0), vec![]);
    let z = job.add_task("z", "synth", Cost::secs(3.0), vec![]);
    let w = job.add_task("w", "synth", Cost::secs(10.0), vec![]);
    job.add_dependency(z, w).unwrap();
    let id = db.submit(&job, &SubmitOptions::default()).unwrap();
    let mut order = Vec::new();
    while let Some(t) = db.claim("solo", 0, LEASE).unwrap() {
        order.push(t.index);
        assert!(db.complete(id, t.index, t.attempt, "solo", b"").unwrap());
    }
    // Bottom levels: z 13, w 10, y 5, x 1 — but w is only ready after z.
    assert_eq!(order, vec![z, w, y, x]);
}

#[test]
fn release_heartbeat_and_invalid_jobs() {
    let (_server, mut db) = common::server();
    let id = db.submit(&chain(2), &SubmitOptions::default()).unwrap();
    db.register_worker("w", 1).unwrap();
    let t = db
        .claim("w", 0, Duration::from_millis(200))
        .unwrap()
        .unwrap();
    assert_eq!(db.heartbeat("w", LEASE).unwrap(), 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(db.reap().unwrap(), 0, "the heartbeat renewed the lease");
    assert_eq!(db.release("w").unwrap(), 1);
    let row = &db.tasks(id).unwrap()[0];
    assert_eq!((row.state, row.losses), (TaskState::Ready, 0));
    assert!(!db.complete(id, t.index, t.attempt, "w", b"x").unwrap());
    let mut cyclic = chain(2);
    cyclic.add_dependency(1, 0).unwrap();
    let err = db.submit(&cyclic, &SubmitOptions::default()).unwrap_err();
    assert!(matches!(err, FleetError::InvalidJob(_)), "{err}");
    let empty = db
        .submit(&JobSpec::new("empty"), &SubmitOptions::default())
        .unwrap();
    assert_eq!(db.job_status(empty).unwrap().state, JobState::Done);
    assert!(
        db.migrate().unwrap().is_empty(),
        "migrations are idempotent"
    );
    assert_eq!(db.list_jobs().unwrap().len(), 2);
}

#[test]
fn bad_urls_unreachable_servers_and_foreign_schemas_are_clear_errors() {
    let err = TaskDb::connect("postgres://bob:s3cret@localhost:notaport/db")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.starts_with("malformed database URL postgres://bob:***@localhost"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    eprintln!("{err}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = std::time::Instant::now();
    let err = TaskDb::connect(&format!("postgres://bob:s3cret@127.0.0.1:{port}/db"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "cannot reach the task database at 127.0.0.1:{port}: "
        )),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
    eprintln!("{err}");

    let (server, mut db) = common::server();
    db.client()
        .execute("INSERT INTO schema_version (version) VALUES (999)", &[])
        .unwrap();
    let err = TaskDb::connect(&server.url()).err().unwrap();
    assert!(matches!(
        err,
        FleetError::SchemaTooNew {
            found: 999,
            supported: 1
        }
    ));
    let text = err.to_string();
    assert!(text.contains("999") && text.contains("up to 1"), "{text}");
    eprintln!("{text}");
    db.client()
        .batch_execute("DROP TABLE schema_version")
        .unwrap();
    let err = TaskDb::connect(&server.url()).err().unwrap().to_string();
    assert!(err.contains("not a fleet task database"), "{err}");
    eprintln!("{err}");
}
