//! The worker loop in-process: panics become task failures, stop requests drain or release.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fleet::synthetic::{encode_input, SyntheticHandler};
use fleet::worker::{self, StopSignal, WorkerConfig};
use fleet::{FleetError, JobState, SubmitOptions, TaskState, WaitOptions};
use scheduler::graph::Cost;
use scheduler::spec::JobSpec;

fn config(url: &str, name: &str, threads: usize) -> WorkerConfig {
    let mut c = WorkerConfig::new(url);
    c.name = name.into();
    c.threads = threads;
    c.lease = Duration::from_secs(5);
    c.poll_interval = Duration::from_millis(100);
    c
}

fn wait_opts() -> WaitOptions {
    WaitOptions {
        poll: Duration::from_millis(50),
        timeout: Some(Duration::from_secs(60)),
        ..WaitOptions::default()
    }
}

#[test]
fn a_panicking_handler_fails_its_task_not_the_worker() {
    let (server, mut db) = common::server();
    let stop = StopSignal::new();
    let handle = {
        let (stop, cfg) = (stop.clone(), config(&server.url(), "panicky", 2));
        std::thread::spawn(move || worker::run(cfg, Arc::new(SyntheticHandler::default()), &stop))
    };
    let mut bad = JobSpec::new("bad");
    bad.add_task("kaboom", "panic", Cost::secs(1.0), vec![]);
    let options = SubmitOptions {
        max_retries: 1,
        max_losses: 0,
    };
    let id = db.submit(&bad, &options).unwrap();
    let err = db
        .wait(id, &wait_opts(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("kaboom") && err.contains("kind panic") && err.contains("panicked"),
        "{err}"
    );
    // The same worker still runs the next job.
    let good = common::random_job("good", 50, 2, 100, 7);
    let id = db.submit(&good, &SubmitOptions::default()).unwrap();
    let outcome = db.wait(id, &wait_opts(), &mut |_| {}).unwrap();
    let expected = common::expected_outputs(&good);
    assert!(expected
        .iter()
        .enumerate()
        .all(|(i, e)| &outcome.outputs[&i] == e));
    stop.request();
    let summary = handle.join().unwrap().unwrap();
    assert_eq!((summary.completed, summary.failed), (50, 2));
    let report = db.run_report(id).unwrap();
    assert_eq!((report.domains, report.workers), (1, 2));
    let stopped: bool = db
        .client()
        .query_one(
            "SELECT stopped IS NOT NULL FROM workers WHERE name = 'panicky'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(stopped);
}

#[test]
fn first_stop_drains_second_stop_releases() {
    let (server, mut db) = common::server();
    let mut job = JobSpec::new("slow");
    job.add_task("slow0", "synth", Cost::secs(0.8), encode_input(800_000, 1));
    job.add_task("slow1", "synth", Cost::secs(0.8), encode_input(800_000, 2));
    let id = db.submit(&job, &SubmitOptions::default()).unwrap();
    let running = |db: &mut fleet::TaskDb| {
        db.tasks(id)
            .unwrap()
            .iter()
            .filter(|t| t.state == TaskState::Running)
            .count()
    };

    // Drain: both tasks are running; one stop request lets them finish.
    let stop = StopSignal::new();
    let handle = {
        let (stop, cfg) = (stop.clone(), config(&server.url(), "drainer", 2));
        std::thread::spawn(move || worker::run(cfg, Arc::new(SyntheticHandler::default()), &stop))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while running(&mut db) < 2 {
        assert!(Instant::now() < deadline, "tasks never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.request();
    let summary = handle.join().unwrap().unwrap();
    assert_eq!((summary.completed, summary.released), (2, 0));
    assert_eq!(db.job_status(id).unwrap().state, JobState::Done);

    // Release: a second request returns at once and hands the tasks back, no loss counted.
    let id = db.submit(&job, &SubmitOptions::default()).unwrap();
    let stop = StopSignal::new();
    let handle = {
        let (stop, cfg) = (stop.clone(), config(&server.url(), "quitter", 2));
        std::thread::spawn(move || worker::run(cfg, Arc::new(SyntheticHandler::default()), &stop))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while db
        .tasks(id)
        .unwrap()
        .iter()
        .filter(|t| t.state == TaskState::Running)
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "tasks never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let t0 = Instant::now();
    stop.request();
    stop.request();
    let summary = handle.join().unwrap().unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(700),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(summary.released, 2);
    let rows = db.tasks(id).unwrap();
    assert!(rows
        .iter()
        .all(|r| r.state == TaskState::Ready && r.losses == 0 && r.attempt == 1));
    // Someone else finishes the job; the quitter's lanes drop their results (fenced anyway).
    let stop = StopSignal::new();
    let handle = {
        let (stop, cfg) = (stop.clone(), config(&server.url(), "finisher", 2));
        std::thread::spawn(move || worker::run(cfg, Arc::new(SyntheticHandler::default()), &stop))
    };
    db.wait(id, &wait_opts(), &mut |_| {}).unwrap();
    stop.request();
    assert_eq!(handle.join().unwrap().unwrap().completed, 2);
    let done: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM task_events WHERE job = $1 AND event = 'done'",
            &[&id.0],
        )
        .unwrap()
        .get(0);
    assert_eq!(done, 2);
}

#[test]
fn a_worker_against_a_bad_database_fails_to_start_with_a_clear_error() {
    let cfg = config("postgres://x:pw@127.0.0.1:1/db", "nobody", 1);
    let err = worker::run(
        cfg,
        Arc::new(SyntheticHandler::default()),
        &StopSignal::new(),
    )
    .unwrap_err();
    assert!(matches!(err, FleetError::Unreachable { .. }), "{err}");
}
