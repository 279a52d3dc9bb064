//! `zkpar jobs`: what the task database holds: every job with its state and progress, and per
//! task its state, worker, attempts and timings (`--job ID` for one job's tasks); `--cancel ID`
//! cancels a job.

use std::fmt::Write as _;

use fleet::{JobId, JobStatus, TaskDb, TaskRow};
use serde_json::json;

use super::Outcome;
use crate::cli::JobsArgs;

/// Runs `zkpar jobs`.
pub fn run(args: &JobsArgs) -> anyhow::Result<Outcome> {
    let mut db = TaskDb::connect(&args.db)?;
    if let Some(id) = args.cancel {
        let id = JobId(id);
        let cancelled = db.cancel(id)?;
        let status = db.job_status(id)?;
        if cancelled {
            println!("job {id} cancelled");
        } else {
            println!("job {id} was already {:?}: nothing to cancel", status.state);
        }
        return Ok(Outcome::Success);
    }
    let jobs: Vec<JobStatus> = match args.job {
        Some(id) => vec![db.job_status(JobId(id))?],
        None => db.list_jobs()?,
    };
    let mut listed = Vec::with_capacity(jobs.len());
    for job in jobs {
        let tasks = db.tasks(job.id)?;
        listed.push((job, tasks));
    }
    if args.json {
        let value: Vec<_> = listed
            .iter()
            .map(|(job, tasks)| json!({ "job": job, "tasks": tasks }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", render(&listed));
    }
    Ok(Outcome::Success)
}

fn render(listed: &[(JobStatus, Vec<TaskRow>)]) -> String {
    if listed.is_empty() {
        return "no jobs\n".into();
    }
    let mut out = String::new();
    for (job, tasks) in listed {
        let _ = writeln!(
            out,
            "job {}  {}  {:?}  {}/{} done  {:.2} s{}",
            job.id,
            job.name,
            job.state,
            job.counts.done,
            job.tasks,
            job.elapsed_s,
            job.error
                .as_deref()
                .map(|e| format!("  error: {e}"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "  {:>4}  {:<34} {:<15} {:<9} {:<22} {:>7} {:>6} {:>6} {:>9} {:>9}",
            "#",
            "task",
            "kind",
            "state",
            "worker",
            "attempt",
            "errors",
            "losses",
            "start_s",
            "end_s"
        );
        for t in tasks {
            let secs = |s: Option<f64>| s.map(|s| format!("{s:.3}")).unwrap_or_else(|| "-".into());
            let worker = match (&t.worker, t.lane) {
                (Some(w), Some(l)) => format!("{w}/{l}"),
                (Some(w), None) => w.clone(),
                _ => "-".into(),
            };
            let _ = writeln!(
                out,
                "  {:>4}  {:<34} {:<15} {:<9} {:<22} {:>7} {:>6} {:>6} {:>9} {:>9}",
                t.index,
                t.name,
                t.kind,
                format!("{:?}", t.state).to_lowercase(),
                worker,
                t.attempt,
                t.errors,
                t.losses,
                secs(t.started_s),
                secs(t.finished_s)
            );
        }
    }
    out
}
