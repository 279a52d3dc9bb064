//! `zkpar prove`: prove one operation or block under a scheduling policy and write its bundle.
//!
//! The run has three parts, timed separately:
//!
//! 1. **set-up** — load `operations.toml` (and the block file), start the executor (worker
//!    threads pinned per NUMA domain), load the cost model (`zkpar calibrate`'s file, or shape
//!    estimates when there is none);
//! 2. **key generation** — one halo2 key per sub-circuit kind the target uses. It is set-up, not
//!    proving (keys are reused across proofs), so it is reported as `keygen_s` and kept out of the
//!    wall time;
//! 3. **proving** — [`Prover::prove`]: native execution, witnesses, sub-proofs and assembly as one
//!    task graph run by the executor. Its wall time is compared with the lower bound
//!    `max(W/P, C)` (costs measured under load, and alone) to give the efficiency.
//!
//! The bundle goes to `--out` (default `<id>.bundle`), the Chrome trace of the run to `--trace`.
//! `--json` prints one JSON object on stdout; progress goes to stderr, drawn only on a terminal.
//!
//! With `--db URL` (or `$ZKPAR_DB`) the same job runs on a fleet instead (see
//! [`super::prove_fleet`]).
//!
//! Exit codes: 2 for an unknown operation, a malformed operations or block file, or an operation
//! that cannot execute on the genesis state; 1 when key generation, proving or writing fails.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use circuits::block::BlockSpec;
use circuits::bundle::Bundle;
use circuits::cost::CostModel;
use circuits::keys::KeyCache;
use circuits::kind::SubCircuitKind;
use circuits::pipeline::{JobOptions, PipelineError, ProveOutcome, Prover, Target};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::policy::PolicyName;
use scheduler::topology::Topology;
use serde_json::json;

use super::ops::{load_operations, spec_error};
use super::Outcome;
use crate::cli::ProveArgs;
use crate::data;

/// How often spinners redraw: fast enough to look alive, slow enough to cost nothing.
const TICK: Duration = Duration::from_millis(120);

/// Runs `zkpar prove`.
pub fn run(args: &ProveArgs) -> anyhow::Result<Outcome> {
    let ops = load_operations(args.data.as_deref())?;
    let target = match (&args.op, &args.block) {
        (Some(op), _) => {
            ops.operation(op).map_err(spec_error)?;
            Target::Operation(op.clone())
        }
        (None, Some(block)) => Target::Block(BlockSpec::load(block, &ops).map_err(spec_error)?),
        // clap's `input` group already requires one of them.
        (None, None) => {
            return Err(data::input_error(
                "--op/--block",
                "give an operation (--op NAME) or a block file (--block FILE)",
            ))
        }
    };
    let (id, kind) = match &target {
        Target::Operation(op) => (op.clone(), "operation"),
        Target::Block(b) => (b.id.clone(), "block"),
    };
    let policy_name = args.policy;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{id}.bundle")));

    let keys = key_cache(args.params.as_deref())?;
    if let Some(url) = &args.db {
        let prover = Prover::with_keys(ops, CostModel::from_default_file(), keys);
        return super::prove_fleet::run(args, url, &prover, &target, &out);
    }
    let topology = Topology::detect();
    if let Some(n) = args.threads.filter(|&n| n > topology.num_cpus()) {
        log::warn!(
            "--threads {n} is more than the {} usable CPUs; using {}",
            topology.num_cpus(),
            topology.num_cpus()
        );
    }
    // The executor admits tasks within the budget the tree was planned under: a plan that
    // assumed 8 GiB while the executor ran its 8 GB nodes side by side would be no plan.
    let options = job_options(args);
    let mem_budget = options.admission_budget();
    let executor = Executor::new(ExecutorConfig {
        topology,
        threads: args.threads.unwrap_or(0),
        mem_budget,
        pin: true,
    })
    .context("starting the executor")?;
    let costs = CostModel::from_default_file();
    let calibrated = costs.calibration().is_some();
    if !calibrated {
        log::info!(
            "no calibration at `{}`: scheduling with shape estimates (run `zkpar calibrate`)",
            circuits::cost::default_calibration_path().display()
        );
    }
    let ops_path = ops.path.clone();
    let prover = Prover::with_keys(ops, costs, keys);

    if options.final_proof {
        // Plan the tree before key generation: a budget no tree fits is an input error now,
        // not after minutes of set-up.
        prover
            .job_with(&target, policy_name.as_str(), executor.workers(), &options)
            .map_err(|e| pipeline_error(e, &ops_path, "planning the final proof"))?;
    }
    let keygen_s = warm_keys(&prover, &target)?;
    let spinner = spinner(format!(
        "proving {kind} {id} with {policy_name} on {} workers",
        executor.workers()
    ));
    let outcome = prover
        .prove_with(&target, policy_name.policy().as_ref(), &executor, &options)
        .map_err(|e| {
            pipeline_error(
                e,
                &ops_path,
                &format!("proving {kind} `{id}` with policy {policy_name}"),
            )
        });
    spinner.finish_and_clear();
    let outcome = outcome?;

    outcome
        .bundle
        .write(&out)
        .context("writing the proof bundle")?;
    if let Some(trace) = &args.trace {
        write_trace(&outcome, trace)?;
    }

    let summary = Summary {
        id: &id,
        kind,
        policy: policy_name,
        workers: executor.workers(),
        domains: executor.topology().domains.len(),
        calibrated,
        keygen_s,
        mem_budget,
        bundle: &out,
        trace: args.trace.as_deref(),
        outcome: &outcome,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary.to_json())?);
    } else {
        print!("{}", summary.render());
    }
    Ok(Outcome::Success)
}

/// The job options of `args`: a final proof planned within `--mem-budget` (the executor's
/// budget) when `--final` is given.
pub(crate) fn job_options(args: &ProveArgs) -> JobOptions {
    JobOptions {
        final_proof: args.final_proof,
        mem_budget: args.mem_budget,
        agg_model: None,
    }
}

/// The key cache: the process-wide one, or one over the ceremony files in `--params DIR` (an
/// input error, exit 2, when DIR is not a directory).
pub(crate) fn key_cache(params: Option<&Path>) -> anyhow::Result<&'static KeyCache> {
    let Some(dir) = params else {
        return Ok(KeyCache::global());
    };
    if !dir.is_dir() {
        return Err(data::input_error(
            dir,
            "--params: not a directory of KZG parameter files (params-k{k}.bin)",
        ));
    }
    // One cache per process, like the global one: leaked on purpose (keys live as long as it).
    Ok(Box::leak(Box::new(
        KeyCache::default().with_params_dir(Some(dir.to_path_buf())),
    )))
}

/// Generates every key the target needs, one progress step per sub-circuit kind, and returns
/// the seconds spent (keys already in this process's cache cost nothing).
fn warm_keys(prover: &Prover, target: &Target) -> anyhow::Result<f64> {
    let ops = prover.operations();
    let ids: Vec<&str> = match target {
        Target::Operation(op) => vec![op.as_str()],
        Target::Block(b) => b.operations.iter().map(String::as_str).collect(),
    };
    let mut kinds: Vec<SubCircuitKind> = Vec::new();
    for id in ids {
        let op = ops.operation(id).map_err(spec_error)?;
        kinds.extend(
            op.steps
                .iter()
                .flat_map(|s| s.prove.iter().map(|p| p.subcircuit)),
        );
    }
    kinds.sort();
    kinds.dedup();
    let depth = ops.genesis.tree_depth;
    let bar = progress_bar(kinds.len() as u64, "key generation");
    let started = std::time::Instant::now();
    for kind in kinds {
        bar.set_message(format!("key generation: {kind}"));
        prover
            .keys()
            .get(kind, depth)
            .context("generating proving keys")?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(started.elapsed().as_secs_f64())
}

/// A pipeline error: an input error (exit 2, one line) when the operations data is at fault,
/// else a failure (exit 1) under `doing`.
fn pipeline_error(e: PipelineError, ops_path: &Path, doing: &str) -> anyhow::Error {
    match e {
        PipelineError::Spec(spec) => spec_error(spec),
        PipelineError::Execution(exec) => data::input_error(
            ops_path,
            format!("cannot execute on the genesis state: {exec}"),
        ),
        PipelineError::FinalPlan(plan) => data::input_error(
            "--mem-budget",
            format!("no aggregation tree for the final proof fits: {plan}"),
        ),
        other => anyhow::Error::new(other).context(doing.to_string()),
    }
}

fn write_trace(outcome: &ProveOutcome, path: &Path) -> anyhow::Result<()> {
    let write = || -> std::io::Result<()> {
        let file = std::fs::File::create(path)?;
        let mut writer = std::io::BufWriter::new(file);
        scheduler::trace::write_chrome_trace(&outcome.run, &mut writer)?;
        std::io::Write::flush(&mut writer)
    };
    write().with_context(|| format!("writing the trace `{}`", path.display()))
}

/// What one proving run printed.
struct Summary<'a> {
    id: &'a str,
    kind: &'static str,
    policy: PolicyName,
    workers: usize,
    domains: usize,
    calibrated: bool,
    keygen_s: f64,
    mem_budget: Option<u64>,
    bundle: &'a Path,
    trace: Option<&'a Path>,
    outcome: &'a ProveOutcome,
}

impl Summary<'_> {
    fn to_json(&self) -> serde_json::Value {
        let o = self.outcome;
        // Without a calibration the costs are shape estimates in made-up seconds: a bound built
        // from them is no bound on this machine, so it is not reported as one.
        let measured = |x: f64| self.calibrated.then_some(x);
        json!({
            "id": self.id,
            "kind": self.kind,
            "policy": self.policy.as_str(),
            "workers": self.workers,
            "domains": self.domains,
            "calibrated": self.calibrated,
            "keygen_s": self.keygen_s,
            "plan_s": o.plan_s,
            "wall_s": o.wall_s,
            "makespan_s": o.run.makespan_s,
            "phases": o.phases,
            "lower_bound_s": measured(o.lower_bound_s),
            "lower_bound_naive_s": measured(o.lower_bound_naive_s),
            "efficiency": measured(o.efficiency),
            "peak_rss_bytes": o.peak_rss_bytes,
            "mem_budget_bytes": self.mem_budget,
            "subproofs": o.bundle.proofs.len(),
            "tasks": o.run.tasks.len(),
            "local_steals": o.run.local_steals,
            "remote_steals": o.run.remote_steals,
            "initial_root": o.bundle.header.initial_root,
            "final_root": o.bundle.header.final_root,
            "bundle": self.bundle.display().to_string(),
            "trace": self.trace.map(|t| t.display().to_string()),
            "final_proof": final_json(&o.bundle, o.final_proof_s),
        })
    }

    fn render(&self) -> String {
        use std::fmt::Write as _;
        let o = self.outcome;
        let p = &o.phases;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "proved {} `{}` with policy {} on {} workers ({} domain{}){}",
            self.kind,
            self.id,
            self.policy,
            self.workers,
            self.domains,
            if self.domains == 1 { "" } else { "s" },
            if self.calibrated {
                ""
            } else {
                ", uncalibrated costs"
            }
        );
        let _ = writeln!(
            out,
            "  key generation   {:>9.3} s  (set-up, not in wall time)",
            self.keygen_s
        );
        let _ = writeln!(out, "  wall time        {:>9.3} s", o.wall_s);
        let _ = writeln!(
            out,
            "  busy by phase    execute {:.3} s, witness {:.3} s, prove {:.3} s, assemble {:.3} s{}",
            p.execute_s,
            p.witness_s,
            p.prove_s,
            p.assemble_s,
            if p.aggregate_s > 0.0 {
                format!(", aggregate {:.3} s", p.aggregate_s)
            } else {
                String::new()
            }
        );
        if self.calibrated {
            let _ = writeln!(
                out,
                "  lower bound      {:>9.3} s  max(W/P, C) with loaded costs (alone: {:.3} s)",
                o.lower_bound_s, o.lower_bound_naive_s
            );
            let _ = writeln!(
                out,
                "  efficiency       {:>8.1} %  (lower bound / wall time)",
                o.efficiency * 100.0
            );
        } else {
            let _ = writeln!(
                out,
                "  lower bound            n/a  (no calibration: run `zkpar calibrate`)"
            );
            let _ = writeln!(out, "  efficiency             n/a");
        }
        let _ = writeln!(
            out,
            "  peak RSS         {:>9}",
            human_bytes(o.peak_rss_bytes)
        );
        let _ = writeln!(
            out,
            "  sub-proofs       {:>9}  ({} tasks)",
            o.bundle.proofs.len(),
            o.run.tasks.len()
        );
        let _ = writeln!(
            out,
            "  steals           {:>9}  ({} local, {} remote)",
            o.run.local_steals + o.run.remote_steals,
            o.run.local_steals,
            o.run.remote_steals
        );
        if let Some(line) = final_line(&o.bundle, o.final_proof_s) {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "  bundle           {}", self.bundle.display());
        if let Some(trace) = self.trace {
            let _ = writeln!(
                out,
                "  trace            {} (open in https://ui.perfetto.dev)",
                trace.display()
            );
        }
        out
    }
}

/// The final proof's figures for `--json` (null without one).
pub(crate) fn final_json(bundle: &Bundle, final_proof_s: Option<f64>) -> serde_json::Value {
    match &bundle.final_proof {
        None => serde_json::Value::Null,
        Some(fp) => json!({
            "time_to_final_proof_s": final_proof_s,
            "proof_bytes": fp.proof.len(),
            "agg_k": fp.tree.agg_k,
            "nodes": fp.tree.node_count(),
            "levels": fp.tree.levels.len(),
        }),
    }
}

/// The final proof's line of the human summary.
pub(crate) fn final_line(bundle: &Bundle, final_proof_s: Option<f64>) -> Option<String> {
    let fp = bundle.final_proof.as_ref()?;
    Some(format!(
        "  final proof      {:>9}  {} bytes, {} node{} in {} level{} at agg k = {}",
        final_proof_s.map_or("?".into(), |s| format!("{s:.3} s")),
        fp.proof.len(),
        fp.tree.node_count(),
        if fp.tree.node_count() == 1 { "" } else { "s" },
        fp.tree.levels.len(),
        if fp.tree.levels.len() == 1 { "" } else { "s" },
        fp.tree.agg_k
    ))
}

/// `1.5 GiB`, `312.0 MiB`, or `unknown` for 0 (the kernel did not say).
pub(crate) fn human_bytes(bytes: u64) -> String {
    if bytes == 0 {
        return "unknown".into();
    }
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// Where progress is drawn: stderr on a terminal, nowhere otherwise (pipes, CI logs and tests
/// get clean output).
fn draw_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A spinner with elapsed time, for a step with no measurable progress.
pub(crate) fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, draw_target());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .expect("static template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
    );
    bar.set_message(message);
    bar.enable_steady_tick(TICK);
    bar
}

/// A bar over `len` steps.
pub(crate) fn progress_bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), draw_target());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:24}] {pos}/{len} [{elapsed}]")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(TICK);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_readable() {
        assert_eq!(human_bytes(0), "unknown");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(human_bytes(1536 << 20), "1.5 GiB");
    }
}
