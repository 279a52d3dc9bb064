//! `zkpar hetero`: `dag` against `rayon` on a heterogeneous block, with and without a memory
//! budget, measured in one run.
//!
//! A block mixes sub-proofs of very different cost: on the 2-core Xeon an ECDSA signature takes
//! about 13 s on one thread, a Merkle update 4-8 s, a balance check 0.08 s. That spread is what
//! critical-path priorities and memory-aware admission exist for; the published table's
//! operations alone barely show it.
//!
//! Order of work, and why:
//! 1. calibrate every sub-circuit on this machine: proving time alone and loaded, and the peak
//!    memory of one proof, which becomes each prove task's memory estimate (with
//!    [`circuits::cost::MEASURED_MEM_MARGIN`]);
//! 2. keys for the block (not timed) and one untimed warm-up run;
//! 3. rounds: each round proves the block under the four configurations (`rayon` and `dag`,
//!    without and with the budget) back to back, starting with a different one each round, so
//!    a machine that drifts over the run moves every configuration alike;
//! 4. every configuration's last bundle is verified, so the timed proofs are known to be real;
//! 5. per configuration: the median wall time, and the largest memory the run's tasks added to
//!    the process (peak resident set during the run minus the resident set at its start), which
//!    a budgeted run must keep under the budget.

use crate::cli::HeteroArgs;
use crate::commands::Outcome;
use crate::measure;
use crate::report::provenance;
use crate::report::results::{median, Machine};
use anyhow::Context;
use circuits::block::BlockSpec;
use circuits::bundle::assemble_and_verify;
use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::cost::CostModel;
use circuits::operations::OperationsFile;
use circuits::pipeline::{ProveOutcome, Prover, Target};
use scheduler::policy::PolicyName;
use scheduler::topology::Topology;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// Rounds when `--rounds` is not given: two timings per configuration, so one disturbed
/// timing shows up as a spread instead of passing for the result.
const DEFAULT_ROUNDS: usize = 2;

/// The default budget, as a multiple of the largest prove task's memory estimate: one heaviest
/// proof fits beside lighter ones, two of the heaviest never do. A budget that admits
/// everything would measure nothing; one below the largest task would run it alone (with a
/// warning) and mostly measure that.
const DEFAULT_BUDGET_OF_LARGEST_TASK: f64 = 1.5;

/// One configuration's measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeteroRow {
    /// `rayon` or `dag`.
    pub policy: String,
    /// The memory budget admission kept to, if any.
    pub budget_bytes: Option<u64>,
    /// Wall time of each round, in seconds.
    pub samples_s: Vec<f64>,
    /// Their median.
    pub median_s: f64,
    /// The most memory the run's tasks added to the process in any round: peak resident set
    /// during the run minus the resident set at its start.
    pub task_mem_peak_bytes: u64,
    /// The loaded lower bound of the block's graph on this many workers.
    pub lower_bound_s: f64,
}

/// What `zkpar hetero` measured (`hetero.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeteroResults {
    /// The machine.
    pub machine: Machine,
    /// Revision of the tree that ran.
    pub git_rev: String,
    /// UTC date of the run.
    pub date: String,
    /// The block's id.
    pub block: String,
    /// Its operations, in order.
    pub operations: Vec<String>,
    /// Sub-proofs per run.
    pub subproofs: usize,
    /// The Merkle tree depth proved at.
    pub tree_depth: usize,
    /// The budget of the budgeted configurations, in bytes.
    pub budget_bytes: u64,
    /// Whether the budget was given (`--mem-budget`) or derived from the estimates.
    pub budget_given: bool,
    /// The largest prove task's memory estimate, in bytes.
    pub largest_task_estimate_bytes: u64,
    /// Per sub-circuit kind: measured peak memory of one proof, in bytes.
    pub measured_kind_mem_bytes: Vec<(String, u64)>,
    /// One row per configuration, in the order `rayon`, `dag`, `rayon` budgeted, `dag`
    /// budgeted.
    pub rows: Vec<HeteroRow>,
}

impl HeteroResults {
    /// The row of `policy` with or without the budget.
    pub fn row(&self, policy: PolicyName, budgeted: bool) -> Option<&HeteroRow> {
        self.rows
            .iter()
            .find(|r| r.policy == policy.as_str() && r.budget_bytes.is_some() == budgeted)
    }

    /// `rayon` time / `dag` time, without or with the budget.
    pub fn dag_speedup(&self, budgeted: bool) -> Option<f64> {
        let rayon = self.row(PolicyName::Rayon, budgeted)?.median_s;
        let dag = self.row(PolicyName::Dag, budgeted)?.median_s;
        (dag > 0.0).then(|| rayon / dag)
    }
}

/// Runs `zkpar hetero`.
pub fn run(args: &HeteroArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let data = crate::data::datasets_dir(args.data.as_deref())?;
    let ops = OperationsFile::load(data.join("operations.toml"))?;
    let depth = args.tree_depth.unwrap_or(ops.genesis.tree_depth);
    let ops = ops.with_tree_depth(depth)?;
    let block_path = match &args.block {
        Some(path) => path.clone(),
        None => data.join("blocks").join("small.json"),
    };
    let block = BlockSpec::load(&block_path, &ops)
        .with_context(|| format!("cannot use the block {}", block_path.display()))?;
    let topology = Topology::detect();
    let threads = args.threads.unwrap_or_else(|| topology.num_cpus()).max(1);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let prover = calibrated_prover(ops, threads)?;
    let results = measure_block(
        &prover,
        &block,
        &topology,
        threads,
        args.rounds.unwrap_or(DEFAULT_ROUNDS),
        args.mem_budget,
        &data,
    )?;
    let written = write(&results, &args.out)?;
    println!("{}", render(&results));
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    eprintln!(
        "hetero finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Success)
}

/// A prover for `ops` calibrated on this machine: proving time alone and with `threads`
/// copies, and peak memory, per sub-circuit.
pub fn calibrated_prover(ops: OperationsFile, threads: usize) -> anyhow::Result<Prover> {
    let uncalibrated = Prover::new(ops.clone(), CostModel::new(None));
    eprintln!("measuring sub-circuit costs and peak memory (alone and with {threads} copies)...");
    let calibration = calibrate(
        &uncalibrated,
        CalibrationOptions { threads, reps: 1 },
        |kind, cost| {
            eprintln!(
                "  {:<15} k={:<2} alone {:>7.3} s  loaded {:>7.3} s  peak memory {}",
                kind.name(),
                cost.shape.k,
                cost.alone_s,
                cost.loaded_s,
                mib(cost.peak_mem_bytes.unwrap_or(0))
            )
        },
    )?;
    Ok(Prover::new(ops, CostModel::new(Some(calibration))))
}

/// Proves `block` under the four configurations for `rounds` rounds with a calibrated
/// `prover` (see [`calibrated_prover`]).
pub fn measure_block(
    prover: &Prover,
    block: &BlockSpec,
    topology: &Topology,
    threads: usize,
    rounds: usize,
    budget: Option<u64>,
    data: &Path,
) -> anyhow::Result<HeteroResults> {
    let depth = prover.operations().genesis.tree_depth;
    eprintln!(
        "hetero: block {} ({} operations) at tree depth {depth}, {threads} threads, {rounds} round(s)",
        block.id,
        block.operations.len()
    );
    let measured_kind_mem_bytes = prover
        .costs()
        .calibration()
        .map(|c| {
            c.kinds
                .iter()
                .map(|(kind, cost)| (kind.clone(), cost.peak_mem_bytes.unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let target = Target::Block(block.clone());
    prover.warm_keys(&target)?;

    let largest_task_estimate_bytes = prover
        .job(&target, PolicyName::Dag.as_str(), threads)?
        .spec
        .tasks
        .iter()
        .map(|t| t.cost.peak_mem_bytes)
        .max()
        .unwrap_or(0);
    let budget_given = budget.is_some();
    let budget_bytes = budget.unwrap_or(
        (largest_task_estimate_bytes as f64 * DEFAULT_BUDGET_OF_LARGEST_TASK).ceil() as u64,
    );
    eprintln!(
        "memory budget {} ({}; the largest task is estimated at {})",
        mib(budget_bytes),
        if budget_given {
            "given"
        } else {
            "1.5x the largest task's estimate"
        },
        mib(largest_task_estimate_bytes)
    );

    let configs = [
        (PolicyName::Rayon, None),
        (PolicyName::Dag, None),
        (PolicyName::Rayon, Some(budget_bytes)),
        (PolicyName::Dag, Some(budget_bytes)),
    ];
    let executors = configs
        .iter()
        .map(|&(_, b)| measure::executor_with_budget(topology, threads, b))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let prove = |i: usize| -> anyhow::Result<ProveOutcome> {
        let (policy, budget) = configs[i];
        prover
            .prove(&target, policy.policy().as_ref(), &executors[i])
            .with_context(|| {
                format!(
                    "proving block {} with {policy}{}",
                    block.id,
                    if budget.is_some() {
                        " under the budget"
                    } else {
                        ""
                    }
                )
            })
    };
    let warm_up = prove(1)?;
    prover.learn_costs(&warm_up);

    let mut rows: Vec<HeteroRow> = configs
        .iter()
        .map(|&(policy, budget)| HeteroRow {
            policy: policy.as_str().to_string(),
            budget_bytes: budget,
            samples_s: Vec::new(),
            median_s: 0.0,
            task_mem_peak_bytes: 0,
            lower_bound_s: 0.0,
        })
        .collect();
    let mut last: Vec<Option<ProveOutcome>> = configs.iter().map(|_| None).collect();
    for round in 0..rounds.max(1) {
        for step in 0..configs.len() {
            let i = (step + round) % configs.len();
            let outcome = prove(i)?;
            let added = outcome
                .peak_rss_bytes
                .saturating_sub(outcome.start_rss_bytes);
            eprintln!(
                "  round {}  {:<5} {:<9} {:>8.3} s  tasks added {}",
                round + 1,
                rows[i].policy,
                if configs[i].1.is_some() {
                    "budgeted"
                } else {
                    "unbounded"
                },
                outcome.wall_s,
                mib(added)
            );
            let row = &mut rows[i];
            row.samples_s.push(outcome.wall_s);
            row.task_mem_peak_bytes = row.task_mem_peak_bytes.max(added);
            row.lower_bound_s = outcome.lower_bound_s;
            last[i] = Some(outcome);
        }
    }
    for (row, outcome) in rows.iter_mut().zip(&last) {
        row.median_s = median(&row.samples_s).unwrap_or(0.0);
        let outcome = outcome.as_ref().expect("every configuration ran");
        assemble_and_verify(&outcome.bundle, prover.keys()).with_context(|| {
            format!("the block bundle proved by {} does not verify", row.policy)
        })?;
    }
    eprintln!("  verified the last bundle of every configuration");
    Ok(HeteroResults {
        machine: measure::machine(topology, threads),
        git_rev: provenance::git_rev(data),
        date: provenance::utc_date_today(),
        block: block.id.clone(),
        operations: block.operations.clone(),
        subproofs: last[0].as_ref().map_or(0, |o| o.bundle.proofs.len()),
        tree_depth: depth,
        budget_bytes,
        budget_given,
        largest_task_estimate_bytes,
        measured_kind_mem_bytes,
        rows,
    })
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

/// `hetero.json` and `hetero.md` in `out`.
pub fn write(results: &HeteroResults, out: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let json = out.join("hetero.json");
    std::fs::write(&json, serde_json::to_string_pretty(results)? + "\n")
        .with_context(|| format!("cannot write {}", json.display()))?;
    let md = out.join("hetero.md");
    std::fs::write(&md, render(results))
        .with_context(|| format!("cannot write {}", md.display()))?;
    Ok(vec![json, md])
}

/// The Markdown report.
pub fn render(r: &HeteroResults) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# dag against rayon on a heterogeneous block\n\n\
         Block `{}` ({}: {} sub-proofs) at Merkle tree depth {}, {} worker threads, {} round(s) \
         per configuration, the four configurations back to back in each round. Measured by \
         `zkpar hetero` on {} ({} cores), revision {}, {}.\n\n",
        r.block,
        r.operations.join(", "),
        r.subproofs,
        r.tree_depth,
        r.machine.threads,
        r.rows.first().map_or(0, |row| row.samples_s.len()),
        r.machine.cpu,
        r.machine.cores,
        r.git_rev,
        r.date
    ));
    s.push_str(
        "| Policy | Memory budget | Median | Samples | Lower bound (loaded) | Memory the tasks added (peak) | Within budget |\n\
         |---|---:|---:|---|---:|---:|---|\n",
    );
    for row in &r.rows {
        let samples: Vec<String> = row.samples_s.iter().map(|x| format!("{x:.2}")).collect();
        s.push_str(&format!(
            "| {} | {} | {:.2}s | {} | {:.2}s | {} | {} |\n",
            row.policy,
            row.budget_bytes.map_or("none".to_string(), mib),
            row.median_s,
            samples.join(", "),
            row.lower_bound_s,
            mib(row.task_mem_peak_bytes),
            match row.budget_bytes {
                Some(b) if row.task_mem_peak_bytes <= b => "yes",
                Some(_) => "**no**",
                None => "n/a",
            }
        ));
    }
    let speedup = |budgeted| {
        r.dag_speedup(budgeted)
            .map_or("n/a".to_string(), |x| format!("{x:.2}x"))
    };
    s.push_str(&format!(
        "\nrayon / dag: {} without a budget, {} with it.\n\n\
         The budget is {} ({}). Admission keeps the sum of the running tasks' estimates under \
         it; each prove task's estimate is its kind's measured peak memory of one proof times {}. \
         Measured peak memory of one proof, per kind: {}.\n\n\
         *Memory the tasks added* is the process's peak resident set during the run minus its \
         resident set when the run started (keys and parameters already loaded): the quantity \
         the budget bounds.\n",
        speedup(false),
        speedup(true),
        mib(r.budget_bytes),
        if r.budget_given {
            "given with --mem-budget".to_string()
        } else {
            format!(
                "1.5x the largest task's estimate of {}",
                mib(r.largest_task_estimate_bytes)
            )
        },
        circuits::cost::MEASURED_MEM_MARGIN,
        r.measured_kind_mem_bytes
            .iter()
            .map(|(k, b)| format!("{k} {}", mib(*b)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s
}
