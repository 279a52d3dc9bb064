//! Queue throughput: how many empty tasks per second the task database hands out and takes
//! back, through the real worker loop (claim, handler, complete).
//!
//! `cargo run --release -p fleet --example throughput -- --tasks 20000 --lanes 4`
//!
//! Starts a throwaway server, submits N independent empty tasks in one job, drains them with
//! one in-process worker of `--lanes` lanes, and prints submit time, claim+complete tasks/s
//! and the mean per-task queue overhead (lane-seconds per task).

use std::sync::Arc;
use std::time::{Duration, Instant};

use fleet::worker::{self, StopSignal, WorkerConfig};
use fleet::{OutputSelection, PgServer, SubmitOptions, TaskDb, WaitOptions};
use scheduler::graph::{Cost, TaskError};
use scheduler::spec::{JobSpec, TaskHandler, TaskInput};

struct Empty;

impl TaskHandler for Empty {
    fn run(&self, _task: &TaskInput<'_>) -> Result<Vec<u8>, TaskError> {
        Ok(Vec::new())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut tasks, mut lanes) = (20_000usize, 4usize);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: usize = args.next().ok_or("missing value")?.parse()?;
        match flag.as_str() {
            "--tasks" => tasks = value,
            "--lanes" => lanes = value,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let server = PgServer::start()?;
    let mut db = TaskDb::open(&server.url())?;
    let mut job = JobSpec::new("throughput");
    for i in 0..tasks {
        job.add_task(format!("t{i}"), "empty", Cost::secs(0.0), Vec::new());
    }
    let t0 = Instant::now();
    let id = db.submit(&job, &SubmitOptions::default())?;
    let submit_s = t0.elapsed().as_secs_f64();

    let stop = StopSignal::new();
    let mut config = WorkerConfig::new(server.url());
    config.name = "throughput".into();
    config.threads = lanes;
    let worker = {
        let stop = stop.clone();
        std::thread::spawn(move || worker::run(config, Arc::new(Empty), &stop))
    };
    let t1 = Instant::now();
    let options = WaitOptions {
        poll: Duration::from_millis(10),
        timeout: Some(Duration::from_secs(600)),
        outputs: OutputSelection::Nothing,
    };
    db.wait(id, &options, &mut |_| {})?;
    let drain_s = t1.elapsed().as_secs_f64();
    stop.request();
    let summary = worker.join().map_err(|_| "worker panicked")??;
    let report = db.run_report(id)?;
    let first_start = report
        .tasks
        .iter()
        .map(|t| t.start_s)
        .fold(f64::INFINITY, f64::min);
    let server_drain_s = report.makespan_s - first_start;
    println!("tasks {tasks}, lanes {lanes}");
    println!(
        "submit: {submit_s:.3} s ({:.0} tasks/s)",
        tasks as f64 / submit_s
    );
    println!(
        "drain: {drain_s:.3} s wall, {server_drain_s:.3} s first claim to last completion (server clock)"
    );
    println!(
        "claim+complete: {:.0} tasks/s; mean queue overhead {:.3} ms per task per lane",
        tasks as f64 / server_drain_s,
        server_drain_s * lanes as f64 / tasks as f64 * 1e3
    );
    println!(
        "worker: {} completed, {} fenced",
        summary.completed, summary.fenced
    );
    Ok(())
}
