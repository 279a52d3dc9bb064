//! `zkpar fleet-report`: the fleet's figures on this machine, measured in one run, and the
//! simulated sizing curve they calibrate. Writes `fleet.json`, `fleet.md`, Gantt charts of the
//! two-worker runs, and `sizing.{json,md,svg}` into `--out`.
//!
//! 1. **Queue.** Empty tasks through the real worker loop in this process: claim+complete
//!    throughput with two lanes, and the per-task queue overhead (lane-seconds per task) with
//!    one lane.
//! 2. **Costs.** A quick calibration of every sub-circuit on this machine (alone and loaded).
//! 3. **Local.** Each target proved by the local `dag` executor on `--threads` threads.
//! 4. **Fleet.** The same targets on a fleet of one, then two `zkpar worker` processes of one
//!    thread each (real processes on loopback; keys warmed before they claim), timed from
//!    submission to the finished job.
//! 5. **Prediction.** The simulator's prediction for each fleet run, from the calibrated costs
//!    and the measured overhead and throughput, beside the measurement.
//! 6. **Sizing.** The simulated curve for `--sizing-block` on 1 to 1,000 workers × `--sizing-threads`.
//!
//! The database is a throwaway PostgreSQL server unless `--db` names one.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use circuits::block::BlockSpec;
use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::cost::CostModel;
use circuits::pipeline::{Prover, Target};
use fleet::worker::{StopSignal, WorkerConfig};
use fleet::{OutputSelection, PgServer, SubmitOptions, TaskDb, WaitOptions};
use scheduler::graph::{Cost, TaskError};
use scheduler::policy::PolicyName;
use scheduler::spec::{JobSpec, TaskHandler, TaskInput};
use scheduler::topology::Topology;
use serde::Serialize;

use super::ops::{load_operations, spec_error};
use super::Outcome;
use crate::cli::FleetReportArgs;
use crate::measure;
use crate::report::charts::gantt_chart;
use crate::sizing::{self, FleetModel};

/// Empty tasks for the throughput measurement: enough that start-up and the last poll are a
/// small share of the drain, few enough to take seconds on two cores.
const THROUGHPUT_TASKS: usize = 4_000;
/// Empty tasks for the one-lane overhead measurement.
const OVERHEAD_TASKS: usize = 1_000;
/// Lease of the report's workers, seconds: short, so the recovery measurement (a killed
/// worker's task waits out its lease) takes seconds, yet far above a heartbeat's period.
const LEASE_S: u64 = 5;

/// One target's measurements.
#[derive(Debug, Serialize)]
struct TargetFigures {
    target: String,
    tasks: usize,
    subproofs: usize,
    local_dag_s: f64,
    local_threads: usize,
    /// (workers, measured seconds, predicted seconds)
    fleet: Vec<FleetRun>,
}

#[derive(Debug, Serialize)]
struct FleetRun {
    workers: usize,
    threads_per_worker: usize,
    measured_s: f64,
    predicted_s: f64,
    /// Seconds of the slowest prove task, server clock.
    slowest_prove_s: f64,
}

#[derive(Debug, Serialize)]
struct FleetFigures {
    machine: crate::report::results::Machine,
    command: String,
    queue_tasks_per_s: f64,
    queue_overhead_ms: f64,
    mean_prove_s: f64,
    targets: Vec<TargetFigures>,
    recovery: Recovery,
}

/// A worker killed (SIGKILL) while it holds a prove task; the other finishes the job.
#[derive(Debug, Serialize)]
struct Recovery {
    target: String,
    lease_s: u64,
    killed_task: String,
    /// Seconds from the kill to the finished job.
    kill_to_done_s: f64,
    /// Seconds from submission to the finished job.
    total_s: f64,
    /// The same job on two healthy workers, earlier in this run.
    healthy_s: f64,
    /// Attempts and losses of the killed task afterwards.
    attempts: i32,
    losses: i32,
}

struct Empty;

impl TaskHandler for Empty {
    fn run(&self, _task: &TaskInput<'_>) -> Result<Vec<u8>, TaskError> {
        Ok(vec![1])
    }
}

/// Drains `tasks` empty tasks with `lanes` in-process lanes; returns seconds from the first
/// claim to the last completion (server clock).
fn drain_empty(url: &str, tasks: usize, lanes: usize) -> anyhow::Result<f64> {
    let mut db = TaskDb::open(url)?;
    let mut job = JobSpec::new(format!("queue {tasks} empty tasks, {lanes} lanes"));
    for i in 0..tasks {
        job.add_task(format!("t{i}"), "empty", Cost::secs(0.0), Vec::new());
    }
    let id = db.submit(&job, &SubmitOptions::default())?;
    let stop = StopSignal::new();
    let config = WorkerConfig {
        name: format!("queue-probe-{lanes}"),
        threads: lanes,
        ..WorkerConfig::new(url)
    };
    let worker = {
        let stop = stop.clone();
        std::thread::spawn(move || fleet::worker::run(config, Arc::new(Empty), &stop))
    };
    let options = WaitOptions {
        poll: Duration::from_millis(20),
        timeout: Some(Duration::from_secs(600)),
        outputs: OutputSelection::Nothing,
    };
    let waited = db.wait(id, &options, &mut |_| {});
    stop.request();
    let joined = worker.join();
    waited?;
    joined.map_err(|_| anyhow::anyhow!("the queue probe's worker panicked"))??;
    let report = db.run_report(id)?;
    let first = report
        .tasks
        .iter()
        .map(|t| t.start_s)
        .fold(f64::INFINITY, f64::min);
    Ok(report.makespan_s - first)
}

/// `zkpar worker` processes, stopped (SIGTERM, then killed) when dropped.
struct Fleet(Vec<Child>);

impl Fleet {
    fn grow(&mut self, url: &str, data: &Path, db: &mut TaskDb) -> anyhow::Result<()> {
        let name = format!("fleet-report-w{}", self.0.len() + 1);
        let child = Command::new(std::env::current_exe()?)
            .args(["worker", "--db", url, "--threads", "1", "--name", &name])
            .args(["--lease-secs", &LEASE_S.to_string()])
            .arg("--data")
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting a zkpar worker")?;
        self.0.push(child);
        // Ready once registered: it registers after warming its keys.
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let n: i64 = db
                .client()
                .query_one("SELECT count(*) FROM workers WHERE name = $1", &[&name])?
                .get(0);
            if n == 1 {
                return Ok(());
            }
            if let Some(status) = self.0.last_mut().and_then(|c| c.try_wait().ok().flatten()) {
                anyhow::bail!("worker {name} exited before registering ({status})");
            }
            anyhow::ensure!(Instant::now() < deadline, "worker {name} never registered");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for child in &mut self.0 {
            // SAFETY: kill(2) on a child's pid with SIGTERM: no memory is touched.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        }
        for child in &mut self.0 {
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `zkpar fleet-report`.
pub fn run(args: &FleetReportArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let data = crate::data::datasets_dir(args.data.as_deref())?;
    let ops = load_operations(Some(&data))?;
    let mut targets: Vec<Target> = args
        .ops
        .iter()
        .map(|op| {
            ops.operation(op).map_err(spec_error)?;
            Ok(Target::Operation(op.clone()))
        })
        .collect::<anyhow::Result<_>>()?;
    for block in &args.blocks {
        targets.push(Target::Block(
            BlockSpec::load(block, &ops).map_err(spec_error)?,
        ));
    }
    let sizing_block = BlockSpec::load(&args.sizing_block, &ops).map_err(spec_error)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let server = match &args.db {
        Some(_) => None,
        None => Some(PgServer::start()?),
    };
    let url = args
        .db
        .clone()
        .or_else(|| server.as_ref().map(PgServer::url))
        .expect("a database");
    let mut db = TaskDb::open(&url)?;

    eprintln!("queue: {THROUGHPUT_TASKS} empty tasks on 2 lanes, {OVERHEAD_TASKS} on 1 lane...");
    let queue_tasks_per_s = THROUGHPUT_TASKS as f64 / drain_empty(&url, THROUGHPUT_TASKS, 2)?;
    let overhead_s = drain_empty(&url, OVERHEAD_TASKS, 1)? / OVERHEAD_TASKS as f64;
    eprintln!(
        "  {queue_tasks_per_s:.0} tasks/s claim+complete; {:.2} ms queue overhead per task",
        overhead_s * 1e3
    );

    eprintln!(
        "calibrating sub-circuit costs on {} threads...",
        args.threads
    );
    let uncalibrated = Prover::new(ops.clone(), CostModel::new(None));
    let calibration = calibrate(
        &uncalibrated,
        CalibrationOptions {
            threads: args.threads,
            reps: 1,
        },
        |kind, c| {
            eprintln!(
                "  {kind:<15} alone {:.3} s  loaded {:.3} s",
                c.alone_s, c.loaded_s
            )
        },
    )?;
    let prover = Prover::new(ops, CostModel::new(Some(calibration)));
    let topology = Topology::detect();
    let executor = measure::executor(&topology, args.threads)?;

    let mut figures: Vec<TargetFigures> = Vec::new();
    for target in &targets {
        prover.warm_keys(target)?;
        let local = prover.prove(target, PolicyName::Dag.policy().as_ref(), &executor)?;
        eprintln!("  local dag {:<12} {:.3} s", target.id(), local.wall_s);
        figures.push(TargetFigures {
            target: target.id().to_string(),
            tasks: local.run.tasks.len(),
            subproofs: local.bundle.proofs.len(),
            local_dag_s: local.wall_s,
            local_threads: executor.workers(),
            fleet: Vec::new(),
        });
    }

    let mut fleet = Fleet(Vec::new());
    let mut prove_samples: Vec<f64> = Vec::new();
    for workers in [1usize, 2] {
        fleet.grow(&url, &data, &mut db)?;
        for (target, fig) in targets.iter().zip(&mut figures) {
            let job = prover.job(target, "fleet", 1)?;
            let model = FleetModel {
                threads_per_worker: 1,
                overhead_s,
                db_tasks_per_s: queue_tasks_per_s,
            };
            let predicted = sizing::predict_job(&job, &model, &[workers])?;
            let submitted = Instant::now();
            let id = db.submit(&job.spec, &SubmitOptions::default())?;
            let options = WaitOptions {
                outputs: OutputSelection::Nothing,
                ..WaitOptions::default()
            };
            db.wait(id, &options, &mut |_| {})?;
            let measured_s = submitted.elapsed().as_secs_f64();
            let run = db.run_report(id)?;
            let proves: Vec<f64> = run
                .tasks
                .iter()
                .filter(|t| t.name.starts_with("prove "))
                .map(|t| t.end_s - t.start_s)
                .collect();
            prove_samples.extend(&proves);
            eprintln!(
                "  fleet {workers}x1 {:<12} {measured_s:.3} s (predicted {:.3} s)",
                target.id(),
                predicted.points[0].predicted_s
            );
            if workers == 2 {
                let title = format!(
                    "{}: fleet of {} workers, {:.2} s",
                    target.id(),
                    run.domains,
                    run.makespan_s
                );
                gantt_chart(
                    &measure::gantt_tasks(&run),
                    &title,
                    &args.out.join(format!("gantt-fleet-{}.svg", target.id())),
                )?;
            }
            fig.fleet.push(FleetRun {
                workers,
                threads_per_worker: 1,
                measured_s,
                predicted_s: predicted.points[0].predicted_s,
                slowest_prove_s: proves.iter().cloned().fold(0.0, f64::max),
            });
        }
    }
    let recovery = measure_recovery(&mut fleet, &mut db, &prover, &targets[0], &figures[0])?;
    eprintln!(
        "  recovery: worker 1 killed during {}, job done {:.2} s later ({:.2} s in all, {:.2} s \
         healthy)",
        recovery.killed_task, recovery.kill_to_done_s, recovery.total_s, recovery.healthy_s
    );
    drop(fleet);

    let mean_prove_s = prove_samples.iter().sum::<f64>() / prove_samples.len().max(1) as f64;
    let sizing_job = prover.job(&Target::Block(sizing_block), "fleet", 1)?;
    let sizing = sizing::predict_job(
        &sizing_job,
        &FleetModel {
            threads_per_worker: args.sizing_threads,
            overhead_s,
            db_tasks_per_s: queue_tasks_per_s,
        },
        &sizing::default_worker_counts(),
    )?;
    write(
        &args.out.join("sizing.json"),
        &serde_json::to_string_pretty(&sizing)?,
    )?;
    write(
        &args.out.join("sizing.md"),
        &sizing::sizing_markdown(&sizing),
    )?;
    sizing::sizing_chart(&sizing, &args.out.join("sizing.svg"))?;

    let mut machine = crate::report::provenance::basic_machine();
    machine.threads = args.threads as u64;
    let report = FleetFigures {
        machine,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        queue_tasks_per_s,
        queue_overhead_ms: overhead_s * 1e3,
        mean_prove_s,
        targets: figures,
        recovery,
    };
    write(
        &args.out.join("fleet.json"),
        &serde_json::to_string_pretty(&report)?,
    )?;
    write(&args.out.join("fleet.md"), &markdown(&report))?;
    eprintln!(
        "wrote {} in {:.0} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Success)
}

/// Submits `target` to the two-worker fleet, kills the first worker (SIGKILL) as soon as it
/// holds a prove task, and times how long the job takes to finish without it.
fn measure_recovery(
    fleet: &mut Fleet,
    db: &mut TaskDb,
    prover: &Prover,
    target: &Target,
    healthy: &TargetFigures,
) -> anyhow::Result<Recovery> {
    let job = prover.job(target, "fleet", 1)?;
    let submitted = Instant::now();
    let id = db.submit(&job.spec, &SubmitOptions::default())?;
    let deadline = Instant::now() + Duration::from_secs(300);
    let killed = loop {
        let tasks = db.tasks(id)?;
        if let Some(t) = tasks.iter().find(|t| {
            t.state == fleet::TaskState::Running
                && t.worker.as_deref() == Some("fleet-report-w1")
                && t.name.starts_with("prove ")
        }) {
            break t.index;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "worker 1 never held a prove task of {}",
            target.id()
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    fleet.0[0].kill().context("killing worker 1")?;
    let killed_at = Instant::now();
    let options = WaitOptions {
        outputs: OutputSelection::Nothing,
        ..WaitOptions::default()
    };
    db.wait(id, &options, &mut |_| {})?;
    let kill_to_done_s = killed_at.elapsed().as_secs_f64();
    let row = db.tasks(id)?.swap_remove(killed);
    Ok(Recovery {
        target: target.id().to_string(),
        lease_s: LEASE_S,
        killed_task: row.name,
        kill_to_done_s,
        total_s: submitted.elapsed().as_secs_f64(),
        healthy_s: healthy
            .fleet
            .iter()
            .find(|f| f.workers == 2)
            .map(|f| f.measured_s)
            .unwrap_or(0.0),
        attempts: row.attempt,
        losses: row.losses,
    })
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn markdown(r: &FleetFigures) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "# Fleet: measured on one machine\n");
    let _ = writeln!(
        s,
        "Machine: {}, {} logical CPUs. Command: `{}`. Fleet workers are `zkpar worker` processes \
         on this machine, talking to PostgreSQL on loopback, so they share its cores with each \
         other and with the database.\n",
        r.machine.cpu, r.machine.cores, r.command
    );
    let _ = writeln!(
        s,
        "Task database: {:.0} tasks/s claim+complete (empty tasks, 2 lanes); queue overhead \
         {:.2} ms per task (1 lane), {:.2}% of the mean prove task ({:.3} s).\n",
        r.queue_tasks_per_s,
        r.queue_overhead_ms,
        r.queue_overhead_ms / 1e3 / r.mean_prove_s.max(1e-9) * 100.0,
        r.mean_prove_s
    );
    let _ = writeln!(
        s,
        "| target | tasks | local dag | fleet 1×1 | predicted 1×1 | fleet 2×1 | predicted 2×1 |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    for t in &r.targets {
        let cell = |w: usize, f: fn(&FleetRun) -> f64| {
            t.fleet
                .iter()
                .find(|x| x.workers == w)
                .map(|x| format!("{:.2}s", f(x)))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            s,
            "| {} | {} | {:.2}s ({} threads) | {} | {} | {} | {} |",
            t.target,
            t.tasks,
            t.local_dag_s,
            t.local_threads,
            cell(1, |x| x.measured_s),
            cell(1, |x| x.predicted_s),
            cell(2, |x| x.measured_s),
            cell(2, |x| x.predicted_s),
        );
    }
    let rec = &r.recovery;
    let _ = writeln!(
        s,
        "\nRecovery: a worker killed (SIGKILL) while proving `{}` of {}: the job finished {:.2} s \
         after the kill, {:.2} s in all against {:.2} s on two healthy workers (lease {} s; the \
         task ran {} attempts, {} lost).",
        rec.killed_task,
        rec.target,
        rec.kill_to_done_s,
        rec.total_s,
        rec.healthy_s,
        rec.lease_s,
        rec.attempts,
        rec.losses
    );
    let _ = writeln!(
        s,
        "\nPredictions are simulated (`bench_suite::sizing`): each task on one lane at its loaded \
         single-thread cost from this run's calibration, plus the measured queue overhead, claimed \
         highest bottom level first. The simulated sizing curve is in `sizing.md`."
    );
    s
}
