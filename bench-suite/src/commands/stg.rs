//! `zkpar stg`: how far a list-scheduling policy is from the optimal schedules of the Standard
//! Task Graph Set (see [`scheduler::stg`] for the set and the gap's definition).
//!
//! `--dir` is the set's root, holding `50/rand*.stg` and `optimal/Case50_{P}_OPT.csv`. Every
//! graph is scheduled for every `--procs` count; the output is one row per processor count:
//! the mean and largest gap to the optimum (or to the best known lower bound where the optimum is
//! unknown) and how many schedules are provably optimal. `--json` prints an array of
//! `{"set", "procs", "policy", "graphs", "mean_gap_pct", "max_gap_pct", "optimal"}`.
//!
//! A missing folder or table, or a malformed `.stg` or table line, is an input error (exit 2)
//! naming the file and the line.

use std::fmt::Write as _;

use scheduler::stg::{self, StgError, StgSummary};

use super::prove::spinner;
use super::Outcome;
use crate::cli::StgArgs;
use crate::data;

/// Runs `zkpar stg`.
pub fn run(args: &StgArgs) -> anyhow::Result<Outcome> {
    let policy = stg::StgPolicy::from(args.policy);
    let bar = spinner(format!(
        "scheduling the STG set under {} with {policy} for P = {:?}",
        args.dir.display(),
        args.procs
    ));
    let summaries = stg::evaluate(&args.dir, &args.procs, policy);
    bar.finish_and_clear();
    let summaries = summaries.map_err(|e| stg_error(e, args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    } else {
        print!("{}", render(&summaries));
    }
    Ok(Outcome::Success)
}

/// Every STG failure is the input's: a missing or unreadable file, a malformed line, a graph the
/// optimum table does not list.
fn stg_error(e: StgError, args: &StgArgs) -> anyhow::Error {
    match e {
        StgError::Io { path, source } => data::input_error(path, format!("cannot read: {source}")),
        StgError::Parse {
            origin,
            line,
            message,
        } => data::input_error(origin, format!("line {line}: {message}")),
        StgError::Evaluation(message) => data::input_error(&args.dir, message),
    }
}

fn render(rows: &[StgSummary]) -> String {
    let mut out = format!(
        "{:<4} {:>5} {:<7} {:>6} {:>11} {:>10} {:>8}\n",
        "set", "procs", "policy", "graphs", "mean gap %", "max gap %", "optimal"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<4} {:>5} {:<7} {:>6} {:>11.3} {:>10.3} {:>8}",
            r.set, r.procs, r.policy, r.graphs, r.mean_gap_pct, r.max_gap_pct, r.optimal
        );
    }
    out
}
