//! `zkpar prove --db URL`: the same proving job as a local run, run by a fleet.
//!
//! The job is built exactly as for a local run ([`Prover::job`]), submitted to the task database
//! (critical-path-first priorities from the cost model), and run by whatever `zkpar worker`s are
//! connected. This command shows progress, waits, and writes the same bundle format a local run
//! writes, which `zkpar verify` accepts. Ctrl-C or SIGTERM cancels the job. `--trace` and `--gantt` draw the fleet run from the
//! database's timestamps, one lane group per worker.

use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use circuits::bundle::Bundle;
use circuits::pipeline::{Prover, Target};
use fleet::{OutputSelection, SubmitOptions, TaskDb, WaitOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::Outcome;
use crate::cli::ProveArgs;
use crate::measure;
use crate::report::charts::gantt_chart;

/// What the bundle header says produced it.
const ENGINE: &str = "fleet";

/// Proves `target` on the fleet behind `url` and writes the bundle to `out`.
pub fn run(
    args: &ProveArgs,
    url: &str,
    prover: &Prover,
    target: &Target,
    out: &Path,
) -> anyhow::Result<Outcome> {
    let mut db = TaskDb::open(url)?;
    // One thread per task: a fleet lane runs one task at a time.
    let job = prover
        .job_with(target, ENGINE, 1, &super::prove::job_options(args))
        .map_err(|e| match e {
            circuits::pipeline::PipelineError::FinalPlan(plan) => crate::data::input_error(
                "--mem-budget",
                format!("no aggregation tree for the final proof fits: {plan}"),
            ),
            other => anyhow::Error::new(other),
        })?;
    let started = Instant::now();
    let id = db.submit(&job.spec, &SubmitOptions::default())?;
    eprintln!(
        "submitted job {id} ({}, {} tasks) to {}",
        job.spec.name,
        job.spec.len(),
        fleet::error::redact_url(url)
    );
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(job.spec.len() as u64)
    } else {
        ProgressBar::with_draw_target(Some(job.spec.len() as u64), ProgressDrawTarget::hidden())
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} tasks done  {msg}")
            .expect("a valid template"),
    );
    let options = WaitOptions {
        timeout: args.timeout_secs.map(Duration::from_secs),
        outputs: OutputSelection::Tasks(vec![job.assemble_task]),
        ..WaitOptions::default()
    };
    // Ctrl-C (or SIGTERM) cancels the job rather than abandoning it to the fleet: the next poll
    // then ends the wait with "cancelled".
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&interrupted))
            .context("installing the Ctrl-C handler")?;
    }
    let mut cancel_sent = false;
    let outcome = db.wait(id, &options, &mut |s| {
        bar.set_position(s.counts.done);
        bar.set_message(format!(
            "{} running, {} ready",
            s.counts.running, s.counts.ready
        ));
        if interrupted.load(Ordering::Relaxed) && !cancel_sent {
            cancel_sent = true;
            match TaskDb::connect(url).and_then(|mut other| other.cancel(id)) {
                Ok(_) => eprintln!("interrupted: job {id} cancelled"),
                Err(e) => eprintln!("interrupted, but cancelling job {id} failed: {e}"),
            }
        }
    });
    bar.finish_and_clear();
    let outcome = outcome.with_context(|| format!("proving {} on the fleet", job.spec.name))?;
    let wall_s = started.elapsed().as_secs_f64();
    let bytes = outcome
        .outputs
        .get(&job.assemble_task)
        .context("the finished job has no bundle")?;
    let bundle = Bundle::from_bytes(bytes).context("the fleet's bundle does not decode")?;
    bundle.write(out).context("writing the proof bundle")?;

    let run = db.run_report(id)?;
    let final_proof_s = job
        .final_task()
        .and_then(|i| run.tasks.get(i))
        .map(|t| t.end_s);
    if let Some(path) = &args.trace {
        let file = std::fs::File::create(path)
            .with_context(|| format!("writing the trace `{}`", path.display()))?;
        scheduler::trace::write_chrome_trace(&run, std::io::BufWriter::new(file))
            .with_context(|| format!("writing the trace `{}`", path.display()))?;
    }
    if let Some(path) = &args.gantt {
        let title = format!(
            "{}: fleet of {} worker(s), {} lanes, {:.2} s",
            job.spec.name, run.domains, run.workers, run.makespan_s
        );
        gantt_chart(&measure::gantt_tasks(&run), &title, path)?;
    }
    let summary = json!({
        "id": target.id(),
        "kind": target.kind(),
        "engine": ENGINE,
        "job": id.0,
        "tasks": job.spec.len(),
        "subproofs": bundle.proofs.len(),
        "workers": run.domains,
        "lanes": run.workers,
        "wall_s": wall_s,
        "makespan_s": run.makespan_s,
        "bundle": out.display().to_string(),
        "final_proof": super::prove::final_json(&bundle, final_proof_s),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "proved {} `{}` on the fleet: job {id}, {} sub-proofs, {} worker(s), {:.3} s\nbundle: {}",
            target.kind(),
            target.id(),
            bundle.proofs.len(),
            run.domains,
            wall_s,
            out.display()
        );
        if let Some(line) = super::prove::final_line(&bundle, final_proof_s) {
            println!("{line}");
        }
    }
    Ok(Outcome::Success)
}
