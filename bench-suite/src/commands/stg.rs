//! `zkpar stg`: how far a list-scheduling policy is from the optimal schedules of the Standard
//! Task Graph Set (see [`crate::stg`] for the set, its layouts and the gap's definition).
//!
//! `--dir` is an STG set laid out as published (one folder per size, `50/` .. `5000/`, and the
//! optimal tables `optimal/Case{N}_{P}_OPT.csv`), a folder of `.stg` files, or one `.stg` file.
//! Every graph is scheduled for every `--procs` count; the output is one row per size (or
//! folder, or file) and processor count: the mean and largest gap to the optimum (or to the best
//! proven lower bound where the optimum is unknown) and how many schedules are provably
//! optimal. Where there is no table, the gaps are measured against the planner's own proven
//! lower bound, and a note under the table says so. `--json` prints an array of
//! `{"set", "procs", "policy", "graphs", "mean_gap_pct", "max_gap_pct", "optimal", ...}`; the
//! `*_vs_table_lower_pct` extras are absent for groups without a table.
//!
//! A missing folder or table, an unknown size folder, an empty folder, a malformed `.stg` or
//! table line, or a table naming a graph that is not there is an input error (exit 2) naming the
//! file and the line.

use std::fmt::Write as _;

use crate::stg::{self, StgError, StgSummary};

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

/// Every STG failure but the evaluation's own is the input's: a missing or unreadable file, a
/// malformed line, a folder out of the layout, a graph the optimum table does not list.
fn stg_error(e: StgError, args: &StgArgs) -> anyhow::Error {
    match e {
        StgError::Io { path, source } => data::input_error(path, format!("cannot read: {source}")),
        StgError::Parse {
            origin,
            line,
            message,
        } => data::input_error(origin, format!("line {line}: {message}")),
        StgError::Layout { path, message } => data::input_error(path, message),
        StgError::Evaluation(message) => data::input_error(&args.dir, message),
    }
}

fn render(rows: &[StgSummary]) -> String {
    let w = rows.iter().map(|r| r.set.len()).max().unwrap_or(0).max(4);
    let mut out = format!(
        "{:<w$} {:>5} {:<7} {:>6} {:>11} {:>10} {:>8}\n",
        "set", "procs", "policy", "graphs", "mean gap %", "max gap %", "optimal"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<w$} {:>5} {:<7} {:>6} {:>11.3} {:>10.3} {:>8}",
            r.set, r.procs, r.policy, r.graphs, r.mean_gap_pct, r.max_gap_pct, r.optimal
        );
    }
    let mut untabled: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| !r.has_table()) {
        if !untabled.contains(&r.set.as_str()) {
            untabled.push(&r.set);
        }
    }
    if !untabled.is_empty() {
        let _ = writeln!(
            out,
            "no optimal table for {}: gaps are measured against zkpar's proven lower bound \
             (heads, tails, energy, branch and bound), not the optimum",
            untabled
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out
}
