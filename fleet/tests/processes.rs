//! Real worker processes on loopback against a real PostgreSQL server: crashes (kill -9 and
//! self-abort), a PostgreSQL restart, and a 20,000-task stress run.

mod common;

use std::time::{Duration, Instant};

use fleet::{JobId, JobState, OutputSelection, SubmitOptions, TaskDb, TaskState, WaitOptions};
use scheduler::graph::Cost;
use scheduler::spec::JobSpec;

use common::{expected_outputs, random_job, Workers};

fn wait_done(db: &mut TaskDb, id: JobId, timeout: Duration) -> fleet::JobOutcome {
    let options = WaitOptions {
        poll: Duration::from_millis(100),
        timeout: Some(timeout),
        outputs: OutputSelection::All,
    };
    db.wait(id, &options, &mut |_| {}).unwrap()
}

fn scalar(db: &mut TaskDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).unwrap().get(0)
}

/// The invariants of a finished run, over every job in the database.
fn check_exactly_once_and_ordering(db: &mut TaskDb) {
    let tasks = scalar(db, "SELECT count(*) FROM tasks");
    let once = scalar(
        db,
        "SELECT count(*) FROM (SELECT job, idx FROM task_events GROUP BY job, idx \
          HAVING count(*) FILTER (WHERE event = 'done') = 1) s",
    );
    assert_eq!(once, tasks, "every task completed exactly once");
    let early = scalar(
        db,
        "SELECT count(*) FROM deps d \
           JOIN tasks b ON b.job = d.job AND b.idx = d.before \
           JOIN task_events e ON e.job = d.job AND e.idx = d.after AND e.event = 'claimed' \
          WHERE e.at < b.finished",
    );
    assert_eq!(
        early, 0,
        "no attempt started before all its predecessors finished"
    );
    let early = scalar(
        db,
        "SELECT count(*) FROM deps d \
           JOIN tasks b ON b.job = d.job AND b.idx = d.before \
           JOIN tasks a ON a.job = d.job AND a.idx = d.after WHERE a.started < b.finished",
    );
    assert_eq!(early, 0);
}

fn check_outputs(outcome: &fleet::JobOutcome, job: &JobSpec) {
    let expected = expected_outputs(job);
    assert_eq!(outcome.outputs.len(), expected.len());
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(&outcome.outputs[&i], e, "{}: task {i}", job.name);
    }
}

#[test]
fn a_worker_killed_mid_task_loses_only_one_lease() {
    let (server, mut db) = common::server();
    let lease = Duration::from_millis(1000);
    let mut job = JobSpec::new("kill");
    let long = job.add_task(
        "long",
        "synth",
        Cost::secs(1.0),
        fleet::synthetic::encode_input(1_000_000, 1),
    );
    for i in 0..5 {
        let t = job.add_task(
            format!("after{i}"),
            "synth",
            Cost::secs(0.001),
            fleet::synthetic::encode_input(1000, i),
        );
        job.add_dependency(long, t).unwrap();
    }
    let mut workers = Workers::new(&server.url(), lease.as_millis() as u64, 1, 0.0);
    workers.spawn();
    workers.spawn();
    let id = db.submit(&job, &SubmitOptions::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let owner = loop {
        let row = db.tasks(id).unwrap().remove(long);
        if row.state == TaskState::Running {
            break row.worker.unwrap();
        }
        assert!(Instant::now() < deadline, "the long task never started");
        std::thread::sleep(Duration::from_millis(10));
    };
    let victim = workers
        .children
        .iter()
        .position(|(n, _)| *n == owner)
        .unwrap();
    workers.kill(victim);
    let killed = Instant::now();
    let outcome = wait_done(&mut db, id, Duration::from_secs(30));
    let took = killed.elapsed();
    check_outputs(&outcome, &job);
    // One lease to notice, one task time to redo it, plus slack for a loaded 2-core box.
    assert!(
        took < lease + Duration::from_millis(1000 + 2500),
        "{took:?}"
    );
    let row = &db.tasks(id).unwrap()[long];
    assert_eq!((row.attempt, row.losses, row.errors), (2, 1, 0));
    assert_ne!(row.worker.as_deref(), Some(owner.as_str()));
    check_exactly_once_and_ordering(&mut db);
    eprintln!("killed worker's task recovered in {took:?}");
}

#[test]
fn restarting_postgresql_mid_job_loses_nothing() {
    let (mut server, mut db) = common::server();
    let job = random_job("restart", 400, 3, 4000, 11);
    let mut workers = Workers::new(&server.url(), 3000, 2, 0.0);
    workers.spawn();
    workers.spawn();
    let id = db.submit(&job, &SubmitOptions::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.job_status(id).unwrap().counts.done < 50 {
        assert!(Instant::now() < deadline, "no progress before the restart");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.restart().unwrap();
    let mut db = TaskDb::connect(&server.url()).unwrap();
    let done_after_restart = db.job_status(id).unwrap().counts.done;
    assert!(
        done_after_restart >= 50,
        "committed work survived the restart"
    );
    let outcome = wait_done(&mut db, id, Duration::from_secs(90));
    check_outputs(&outcome, &job);
    check_exactly_once_and_ordering(&mut db);
    // SIGTERM once: the workers drain and exit by themselves.
    workers.signal_all(libc::SIGTERM);
    assert!(
        workers.wait_all(Duration::from_secs(20)),
        "workers did not stop"
    );
    let stopped = scalar(
        &mut db,
        "SELECT count(*) FROM workers WHERE stopped IS NOT NULL",
    );
    assert_eq!(stopped, 2);
}

#[test]
fn stress_20000_tasks_four_crashing_workers() {
    let (server, mut db) = common::server();
    let jobs: Vec<JobSpec> = (0..4)
        .map(|j| random_job(&format!("stress{j}"), 5000, 3, 300, 100 + j))
        .collect();
    let options = SubmitOptions {
        max_retries: 0,
        // Generous: on a loaded 2-core machine a live worker can miss a heartbeat too.
        max_losses: 50,
    };
    let t0 = Instant::now();
    let ids: Vec<JobId> = jobs
        .iter()
        .map(|j| db.submit(j, &options).unwrap())
        .collect();
    let submit = t0.elapsed();
    assert!(
        submit < Duration::from_secs(20),
        "submitting 20,000 tasks took {submit:?}"
    );

    let mut workers = Workers::new(&server.url(), 1500, 2, 0.0002);
    for _ in 0..4 {
        workers.spawn();
    }
    let deadline = Instant::now() + Duration::from_secs(170);
    let mut next_kill = Instant::now() + Duration::from_secs(3);
    let (mut kills, mut respawns) = (0, 0);
    loop {
        let statuses: Vec<_> = ids.iter().map(|&id| db.job_status(id).unwrap()).collect();
        assert!(
            statuses.iter().all(|s| s.state != JobState::Failed),
            "{statuses:?}"
        );
        if statuses.iter().all(|s| s.state == JobState::Done) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stress run too slow: {statuses:?}"
        );
        respawns += workers.respawn_dead();
        if Instant::now() >= next_kill && kills < 4 {
            let victim = kills % workers.children.len();
            workers.kill(victim);
            workers.spawn();
            kills += 1;
            next_kill = Instant::now() + Duration::from_secs(3);
        }
        db.reap().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = t0.elapsed();
    for (job, &id) in jobs.iter().zip(&ids) {
        check_outputs(&wait_done(&mut db, id, Duration::from_secs(10)), job);
    }
    check_exactly_once_and_ordering(&mut db);
    let report = db.run_report(ids[0]).unwrap();
    assert_eq!(report.tasks.len(), 5000);
    assert!(
        report.domains >= 4,
        "one lane group per worker process: {}",
        report.domains
    );
    assert!(report.tasks.iter().all(|t| t.worker < report.workers));
    assert!(report
        .worker_stats
        .iter()
        .all(|w| w.worker < report.workers));
    let lost = scalar(
        &mut db,
        "SELECT count(*) FROM task_events WHERE event = 'lost'",
    );
    let fenced = scalar(
        &mut db,
        "SELECT count(*) FROM task_events WHERE event = 'fenced'",
    );
    assert!(kills > 0 || respawns > 0);
    eprintln!(
        "stress: 20000 tasks in {took:?} (submit {submit:?}); {kills} kill -9, {respawns} \
         self-aborts, {lost} leases lost, {fenced} late reports fenced"
    );
}
