//! `zkpar scale`: proving time of one operation against worker threads, for every policy of
//! the published comparison: the sweep behind `scaling.svg`.

use crate::cli::ScaleArgs;
use crate::commands::Outcome;
use crate::measure::{self, TABLE_POLICIES};
use crate::report::charts::scaling_chart;
use anyhow::Context;
use circuits::cost::CostModel;
use circuits::operations::OperationsFile;
use circuits::pipeline::{Prover, Target};
use scheduler::topology::Topology;

/// Runs the sweep and writes `scaling.svg` and `scaling.json` into `--out`.
pub fn run(args: &ScaleArgs) -> anyhow::Result<Outcome> {
    let data = crate::data::datasets_dir(args.data.as_deref())?;
    let ops = OperationsFile::load(data.join("operations.toml"))?;
    ops.operation(&args.op)?;
    let topology = Topology::detect();
    if let Some(&too_many) = args.threads.iter().find(|&&t| t > topology.num_cpus()) {
        log::warn!(
            "{too_many} threads requested but this machine has {} CPUs: they will share cores",
            topology.num_cpus()
        );
    }
    let prover = Prover::new(ops, CostModel::from_default_file());
    prover.warm_keys(&Target::Operation(args.op.clone()))?;
    println!("{:>8}  {:<9} {:>10}", "threads", "policy", "seconds");
    let points = measure::scaling_sweep(
        &prover,
        &topology,
        &args.op,
        &args.threads,
        &TABLE_POLICIES,
        1,
        |p| println!("{:>8}  {:<9} {:>10.3}", p.threads, p.policy, p.seconds),
    )?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let svg = args.out.join("scaling.svg");
    scaling_chart(&points, &svg)?;
    let json = args.out.join("scaling.json");
    std::fs::write(&json, serde_json::to_string_pretty(&points)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    eprintln!("wrote {} and {}", svg.display(), json.display());
    Ok(Outcome::Success)
}
