//! The `zkpar` command line: one clap subcommand per task, each with its own argument struct.
//!
//! Parsing only; the work is in [`crate::commands`]. To add a subcommand: add its `FooArgs`
//! struct here, a `Foo(FooArgs)` variant to [`Command`], a `commands/foo.rs` module with
//! `pub fn run(args: &FooArgs) -> anyhow::Result<Outcome>`, and one match arm in
//! [`crate::commands::run`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use scheduler::policy::PolicyName;

mod values;
pub use values::{
    parse_nonzero_size, parse_pct, parse_policy, parse_size, parse_threads, SizeError,
};

/// zkpar: parallel sub-circuit proving for halo2, and the tools to reproduce the published
/// comparison table.
#[derive(Debug, Parser)]
#[command(name = "zkpar", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the operations (id, label, sub-circuits).
    Ops(OpsArgs),
    /// Show the CPU topology the scheduler sees.
    Topology(TopologyArgs),
    /// Prove one operation or block.
    Prove(ProveArgs),
    /// Verify a proof bundle.
    Verify(VerifyArgs),
    /// Time the fixed calibration workload on this machine.
    Calibrate(CalibrateArgs),
    /// Run list schedulers on Standard Task Graph (STG) files.
    Stg(StgArgs),
    /// Reproduce the published table: prove every operation under every policy.
    Reproduce(ReproduceArgs),
    /// Sweep thread counts for one operation.
    Scale(ScaleArgs),
    /// dag against rayon on a heterogeneous block, with and without a memory budget.
    Hetero(HeteroArgs),
    /// One sub-circuit's witness and proof on one thread, for the gate's work layer to count
    /// under Callgrind.
    Count(CountArgs),
    /// Rebuild results.json, results.md and comparison.svg from criterion's output.
    Report(ReportArgs),
    /// Fail on a regression: wall-time ratios of two results.json files, and/or simulated
    /// makespans against a schedule baseline.
    Gate(GateArgs),
    /// How far the gated ratios move between runs of an unchanged tree, and which slowdown
    /// given limits always catch: the evidence for choosing the gate's limits.
    Spread(SpreadArgs),
    /// Run a fleet worker: claim proving tasks from the task database until stopped.
    Worker(WorkerArgs),
    /// List the task database's jobs and, per task, state, worker, attempts and timings.
    Jobs(JobsArgs),
    /// Measure the fleet on this machine (queue, local vs 1 and 2 workers, simulator check)
    /// and write the simulated sizing curve.
    FleetReport(FleetReportArgs),
}

/// A list-scheduling policy for `stg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StgPolicy {
    /// The `heft` policy's static plan: list scheduling, local search, branch and bound.
    Heft,
    /// zkpar's dependency-graph scheduler's policy (critical-path-first, simulated).
    Dag,
}

impl From<StgPolicy> for crate::stg::StgPolicy {
    fn from(policy: StgPolicy) -> Self {
        match policy {
            StgPolicy::Heft => crate::stg::StgPolicy::Heft,
            StgPolicy::Dag => crate::stg::StgPolicy::Dag,
        }
    }
}

/// `zkpar ops`.
#[derive(Debug, Args)]
pub struct OpsArgs {
    /// Print JSON on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Datasets folder holding `operations.toml` (default: `./datasets`, else the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `zkpar topology`.
#[derive(Debug, Args)]
pub struct TopologyArgs {
    /// Print JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `zkpar prove`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["op", "block"])))]
pub struct ProveArgs {
    /// Operation id to prove (see `zkpar ops`).
    #[arg(long, value_name = "NAME")]
    pub op: Option<String>,
    /// Block file to prove.
    #[arg(long, value_name = "FILE")]
    pub block: Option<PathBuf>,
    /// Scheduling policy: previous, rayon, dag or heft (the names results.json and the reports
    /// use: one enum, `scheduler::policy::PolicyName`).
    #[arg(long, default_value = "dag", value_parser = parse_policy)]
    pub policy: PolicyName,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Memory budget, e.g. `512MiB`, `2G`, `1000` (bytes).
    #[arg(long, value_name = "SIZE", value_parser = parse_nonzero_size)]
    pub mem_budget: Option<u64>,
    /// Write the proof bundle here.
    #[arg(long, value_name = "BUNDLE")]
    pub out: Option<PathBuf>,
    /// Write a scheduling trace (Chrome Trace Event JSON, for Perfetto) here.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Datasets folder holding `operations.toml` (default: `./datasets`, else the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Prove on a fleet: submit the job to this task database (PostgreSQL URL, or
    /// `$ZKPAR_DB`) and wait for `zkpar worker`s to run it. Without it, proving is local.
    #[arg(long, value_name = "URL", env = "ZKPAR_DB")]
    pub db: Option<String>,
    /// With --db: write the fleet run's Gantt chart (SVG, one lane group per worker) here.
    #[arg(long, value_name = "FILE", requires = "db")]
    pub gantt: Option<PathBuf>,
    /// With --db: give up after this many seconds (default: wait as long as the job runs).
    #[arg(long, value_name = "SECS", requires = "db")]
    pub timeout_secs: Option<u64>,
    /// Also aggregate every sub-proof into one final proof (an aggregation tree planned within
    /// --mem-budget, default 16 GiB, which the executor then also admits tasks within) and
    /// write it into the bundle.
    #[arg(long = "final")]
    pub final_proof: bool,
    /// Read KZG parameters from the ceremony files `params-k{k}.bin` in DIR (see README,
    /// "Final proofs") instead of the deterministic test set-up, which is unsafe outside tests
    /// (default: `$ZKPAR_PARAMS_DIR` when set).
    #[arg(long, value_name = "DIR")]
    pub params: Option<PathBuf>,
}

/// `zkpar worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Task database (PostgreSQL URL), or `$ZKPAR_DB`.
    #[arg(long, value_name = "URL", env = "ZKPAR_DB")]
    pub db: String,
    /// Tasks run at once (threads of the worker's local executor; default 1).
    #[arg(long, value_name = "N", value_parser = parse_threads, default_value_t = 1)]
    pub threads: usize,
    /// Worker name, unique in the fleet (default: `hostname-pid`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Lease of a claimed task in seconds: a task whose worker stops heartbeating for this
    /// long is run again elsewhere.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub lease_secs: u64,
    /// Datasets folder: keys for its operations are generated before the first claim
    /// (default: `./datasets`, else the workspace's; without one, keys are made on first use).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Read KZG parameters from the ceremony files `params-k{k}.bin` in DIR (see README,
    /// "Final proofs") instead of the deterministic test set-up, which is unsafe outside tests
    /// (default: `$ZKPAR_PARAMS_DIR` when set).
    #[arg(long, value_name = "DIR")]
    pub params: Option<PathBuf>,
}

/// `zkpar fleet-report`.
#[derive(Debug, Args)]
pub struct FleetReportArgs {
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "reports/fleet")]
    pub out: PathBuf,
    /// Operations to prove locally and on the fleet.
    #[arg(long, value_name = "NAME", value_delimiter = ',', default_values_t = ["erc20".to_string(), "defi".to_string()])]
    pub ops: Vec<String>,
    /// Block files to prove locally and on the fleet.
    #[arg(
        long = "block",
        value_name = "FILE",
        default_value = "datasets/blocks/small.json"
    )]
    pub blocks: Vec<PathBuf>,
    /// Block whose simulated sizing curve is written.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "datasets/blocks/mainnet-mix.json"
    )]
    pub sizing_block: PathBuf,
    /// Threads per worker in the sizing curve.
    #[arg(long, value_name = "P", default_value_t = 16, value_parser = parse_threads)]
    pub sizing_threads: usize,
    /// Threads of the local run (and of the loaded calibration).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = parse_threads)]
    pub threads: usize,
    /// Use this task database instead of a throwaway server (it must be empty of other work).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// Datasets folder holding `operations.toml` (default: `./datasets`, else the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `zkpar jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// Task database (PostgreSQL URL), or `$ZKPAR_DB`.
    #[arg(long, value_name = "URL", env = "ZKPAR_DB")]
    pub db: String,
    /// Only this job, with its tasks.
    #[arg(long, value_name = "ID", conflicts_with = "cancel")]
    pub job: Option<i64>,
    /// Cancel this job: nothing more of it is claimed, and its running tasks' results are
    /// discarded when they arrive.
    #[arg(long, value_name = "ID")]
    pub cancel: Option<i64>,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `zkpar verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The proof bundle.
    pub bundle: PathBuf,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// With a final proof in the bundle, also re-verify every sub-proof and the root chain (a
    /// bundle without a final proof always gets this).
    #[arg(long)]
    pub all: bool,
    /// Read KZG parameters from the ceremony files `params-k{k}.bin` in DIR (see README,
    /// "Final proofs") instead of the deterministic test set-up, which is unsafe outside tests
    /// (default: `$ZKPAR_PARAMS_DIR` when set).
    #[arg(long, value_name = "DIR")]
    pub params: Option<PathBuf>,
}

/// `zkpar calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Write the calibration result here (default: `target/zkpar-calibration.json`, or
    /// `$ZKPAR_CALIBRATION`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Proofs run at once for the loaded measurement (default: all CPUs).
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Repetitions of each alone measurement; the median is kept.
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_threads)]
    pub reps: usize,
    /// Datasets folder holding `operations.toml` (default: `./datasets`, else the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `zkpar stg`.
#[derive(Debug, Args)]
pub struct StgArgs {
    /// An STG set laid out as published (size folders `50/` .. `5000/` and
    /// `optimal/Case{N}_{P}_OPT.csv`), or a folder of `.stg` files, or one `.stg` file (no table:
    /// gaps against the planner's proven lower bound).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Processor counts to schedule for.
    #[arg(long, value_delimiter = ',', default_values_t = [2usize, 4, 8, 16], value_parser = parse_threads)]
    pub procs: Vec<usize>,
    /// List-scheduling policy.
    #[arg(long, value_enum, default_value_t = StgPolicy::Dag)]
    pub policy: StgPolicy,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `zkpar reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Fewer repetitions, for a smoke run.
    #[arg(long)]
    pub quick: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Repetitions per measurement.
    #[arg(long, value_name = "R", value_parser = parse_threads)]
    pub reps: Option<usize>,
    /// Sparse Merkle tree depth to prove at (default: 12 with --quick, else the operations
    /// file's).
    #[arg(long, value_name = "D")]
    pub tree_depth: Option<usize>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Datasets folder holding `operations.toml` (default: `./datasets`, else the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `zkpar hetero`.
#[derive(Debug, Args)]
pub struct HeteroArgs {
    /// The block to prove (default: `blocks/small.json` in the datasets folder).
    #[arg(long, value_name = "FILE")]
    pub block: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Rounds: each proves the block once under each of the four configurations (default 2).
    #[arg(long, value_name = "R", value_parser = parse_threads)]
    pub rounds: Option<usize>,
    /// Memory budget of the budgeted configurations, e.g. `2GiB` (default: 1.5x the largest
    /// task's estimate, from this machine's measured peak memory per sub-circuit).
    #[arg(long, value_name = "SIZE", value_parser = parse_nonzero_size)]
    pub mem_budget: Option<u64>,
    /// Sparse Merkle tree depth to prove at (default: the operations file's).
    #[arg(long, value_name = "D")]
    pub tree_depth: Option<usize>,
    /// Output directory (`hetero.json`, `hetero.md`).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Datasets folder holding `operations.toml` (default: `./datasets`, else the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `zkpar count`.
#[derive(Debug, Args)]
pub struct CountArgs {
    /// The sub-circuit kind (signature, account_update, storage_update, balance, amm_swap,
    /// event_log).
    #[arg(long, value_name = "KIND")]
    pub kind: circuits::kind::SubCircuitKind,
    /// Sparse Merkle tree depth.
    #[arg(long, value_name = "D", default_value_t = crate::gate::work::DEFAULT_TREE_DEPTH)]
    pub tree_depth: usize,
    /// Datasets folder holding `operations.toml` (default: `./datasets`, else the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `zkpar scale`.
#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Operation id.
    #[arg(long, value_name = "NAME")]
    pub op: String,
    /// Thread counts, comma separated.
    #[arg(long, value_delimiter = ',', required = true, value_parser = parse_threads)]
    pub threads: Vec<usize>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Datasets folder holding `operations.toml` (default: `./datasets`, else the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `zkpar report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Criterion's output directory.
    #[arg(long, value_name = "DIR", default_value = "target/criterion")]
    pub criterion: PathBuf,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
}

/// `zkpar gate`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("layer").required(true).multiple(true)
    .args(["baseline", "schedule", "record_schedule", "work", "record_work"])))]
pub struct GateArgs {
    /// The accepted results.json (wall-time layer). Give it several times (or several files
    /// after it) to judge against the median of several runs of the accepted tree.
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "current")]
    pub baseline: Vec<PathBuf>,
    /// The results.json to judge (wall-time layer).
    #[arg(long, value_name = "FILE", requires = "baseline")]
    pub current: Option<PathBuf>,
    /// The limits.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// After printing the comparison, copy the current file over the baseline (only with a
    /// single `--baseline`): the current numbers are accepted, so the exit code is 0 even if a
    /// ratio regressed (a warning names the operations).
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
    /// Schedule layer: judge the current tree's simulated makespans against this baseline
    /// (e.g. `reports/schedule/schedule.json`). Needs no results file and runs in seconds.
    #[arg(long, value_name = "FILE", conflicts_with = "record_schedule")]
    pub schedule: Option<PathBuf>,
    /// Schedule layer: simulate the current tree and write its makespans to FILE as the new
    /// baseline (exit 0), instead of judging them.
    #[arg(long, value_name = "FILE")]
    pub record_schedule: Option<PathBuf>,
    /// The fixed cost table the schedule layer simulates with (default: `schedule-costs.json`
    /// next to the schedule baseline).
    #[arg(long, value_name = "FILE")]
    pub schedule_costs: Option<PathBuf>,
    /// Largest accepted growth of a simulated makespan, percent.
    #[arg(long, value_name = "PCT", default_value_t = crate::gate::schedule::DEFAULT_TOLERANCE_PCT,
          value_parser = parse_pct)]
    pub schedule_tolerance: f64,
    /// Work layer: count each kind of the baseline recorded on this machine's CPU model (e.g.
    /// `reports/work/*.json`) under Callgrind and judge the counts against it.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "record_work")]
    pub work: Vec<PathBuf>,
    /// Work layer: count and write the counts to FILE as the new baseline (exit 0).
    #[arg(long, value_name = "FILE")]
    pub record_work: Option<PathBuf>,
    /// Work layer: the kinds `--record-work` counts (default: every kind but signature).
    #[arg(long, value_name = "KIND", value_delimiter = ',')]
    pub work_kinds: Vec<circuits::kind::SubCircuitKind>,
    /// Largest accepted growth of an instruction count, percent.
    #[arg(long, value_name = "PCT", default_value_t = crate::gate::work::DEFAULT_TOLERANCE_PCT,
          value_parser = parse_pct)]
    pub work_tolerance: f64,
    /// Datasets folder holding `operations.toml` and `blocks/` (default: `./datasets`, else
    /// the workspace's).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `zkpar spread`.
#[derive(Debug, Args)]
pub struct SpreadArgs {
    /// Two or more results.json files from runs of the same tree on the same machine.
    #[arg(value_name = "RESULTS", required = true, num_args = 2..)]
    pub runs: Vec<PathBuf>,
    /// The limits to evaluate, as `zkpar gate` takes them.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The gate's limits, shared by `zkpar gate` and `zkpar spread`.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// A limits file (`reports/baseline/limits.json`): the limits of the current run's CPU
    /// model, else the file's default. Instead of the `--max-*` flags.
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "max_regression", "max_rayon_regression", "max_calibrated_regression", "max_overall_regression"])]
    pub limits: Option<PathBuf>,
    /// Largest accepted growth of `dag/previous` of one operation, percent (and the default of
    /// every other limit).
    #[arg(long, value_name = "PCT", default_value_t = 10.0, value_parser = parse_pct)]
    pub max_regression: f64,
    /// Largest accepted growth of `dag/rayon` of one operation, percent (default:
    /// `--max-regression`). Each ratio wanders by its own amount on a given machine, so each
    /// may need its own limit.
    #[arg(long, value_name = "PCT", value_parser = parse_pct)]
    pub max_rayon_regression: Option<f64>,
    /// Largest accepted growth of `dag/calibration` of one operation, percent (default:
    /// `--max-regression`).
    #[arg(long, value_name = "PCT", value_parser = parse_pct)]
    pub max_calibrated_regression: Option<f64>,
    /// Largest accepted growth of `dag/previous` and of `dag/rayon` over all operations
    /// together (the geometric mean of their changes), percent; a ratio's own limit applies
    /// where it is tighter (default: `--max-regression`).
    #[arg(long, value_name = "PCT", value_parser = parse_pct)]
    pub max_overall_regression: Option<f64>,
}

impl LimitArgs {
    /// The limits for a run on `cpu`, and, when they come from a `--limits` file, a line
    /// saying which entry and why.
    pub fn thresholds_for(
        &self,
        cpu: &str,
    ) -> Result<(crate::gate::Thresholds, Option<String>), crate::report::ReportError> {
        match &self.limits {
            Some(path) => {
                let file = crate::gate::LimitsFile::load(path)?;
                Ok((
                    file.for_cpu(cpu).thresholds(),
                    Some(file.describe_choice(cpu)),
                ))
            }
            None => Ok((self.thresholds(), None)),
        }
    }

    /// The limits of the `--max-*` flags.
    pub fn thresholds(&self) -> crate::gate::Thresholds {
        let or_default = |limit: Option<f64>| limit.unwrap_or(self.max_regression);
        crate::gate::Thresholds {
            same_run_pct: self.max_regression,
            rayon_pct: or_default(self.max_rayon_regression),
            calibrated_pct: or_default(self.max_calibrated_regression),
            overall_pct: or_default(self.max_overall_regression),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn parse_size_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("4 kib"), Ok(4096));
        assert_eq!(parse_size("3MB"), Ok(3_000_000));
        assert_eq!(parse_size("7b"), Ok(7));
        assert_eq!(parse_size(" 1T "), Ok(1 << 40));
    }

    #[test]
    fn parse_size_rejects_bad_input() {
        assert_eq!(parse_size(""), Err(SizeError::Empty));
        assert_eq!(parse_size("MiB"), Err(SizeError::Number("MiB".into())));
        assert_eq!(parse_size("1.5G"), Err(SizeError::Fraction("1.5G".into())));
        assert!(matches!(parse_size("5XB"), Err(SizeError::Unit { .. })));
        assert_eq!(parse_size("-1"), Err(SizeError::Number("-1".into())));
        assert!(matches!(
            parse_size("99999999999T"),
            Err(SizeError::Overflow(_))
        ));
        assert!(matches!(
            parse_size("99999999999999999999999"),
            Err(SizeError::Overflow(_))
        ));
        assert_eq!(parse_nonzero_size("0G"), Err(SizeError::Zero));
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn prove_requires_op_or_block_and_parses_budget() {
        assert!(Cli::try_parse_from(["zkpar", "prove"]).is_err());
        assert!(Cli::try_parse_from(["zkpar", "prove", "--op", "a", "--block", "b"]).is_err());
        let cli =
            Cli::try_parse_from(["zkpar", "prove", "--op", "erc20", "--mem-budget", "512MiB"])
                .unwrap();
        match cli.command {
            Command::Prove(args) => {
                assert_eq!(args.mem_budget, Some(512 << 20));
                assert_eq!(args.policy, PolicyName::Dag);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn lists_and_defaults() {
        let cli = Cli::try_parse_from(["zkpar", "stg", "--dir", "d"]).unwrap();
        match cli.command {
            Command::Stg(args) => assert_eq!(args.procs, [2, 4, 8, 16]),
            other => panic!("parsed as {other:?}"),
        }
        let cli =
            Cli::try_parse_from(["zkpar", "scale", "--op", "defi", "--threads", "1,2,4"]).unwrap();
        match cli.command {
            Command::Scale(args) => assert_eq!(args.threads, [1, 2, 4]),
            other => panic!("parsed as {other:?}"),
        }
        assert!(Cli::try_parse_from(["zkpar", "scale", "--op", "defi", "--threads", "0"]).is_err());
        let cli =
            Cli::try_parse_from(["zkpar", "gate", "--baseline", "a", "--current", "b"]).unwrap();
        match cli.command {
            Command::Gate(args) => assert_eq!(args.limits.max_regression, 10.0),
            other => panic!("parsed as {other:?}"),
        }
    }
}
