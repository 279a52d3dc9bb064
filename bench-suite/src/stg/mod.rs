//! The Standard Task Graph Set (STG): a parser for its `.stg` files and optimal-length tables,
//! the published folder layout, and an evaluation of the scheduling policies against the known
//! optima or, where a set has no table, against the lower bound the planner proves.
//!
//! The STG set (Kasahara Laboratory, Waseda University) is a public benchmark for
//! `P | prec | Cmax`: random task graphs of 50 to 5,000 tasks with integer processing times, no
//! communication costs, and the optimal (or best known) schedule length on 2, 4, 8 and 16
//! identical processors. It tells how far a scheduler is from the best possible schedule, which
//! wall-clock benchmarks cannot. This evaluation lives here, beside the `zkpar stg` command,
//! and uses only the scheduler's public API ([`scheduler::shape::DagShape`], the static
//! planner, the simulator).
//!
//! # The `.stg` format
//! Lines starting with `#` are comments. The first other line holds `N`, the number of real tasks;
//! then `N + 2` lines follow, one per task `0..=N+1`:
//!
//! ```text
//! task_id  processing_time  number_of_predecessors  predecessor_ids...
//! ```
//!
//! Task `0` is a dummy entry and task `N + 1` a dummy exit, both of processing time 0; ids are in
//! topological order, so every predecessor id is smaller than the task's own id. [`parse_stg`]
//! keeps the dummies (cost 0), names the tasks `t0..t{N+1}` and checks every one of these rules,
//! reporting the file, the line and what is wrong.
//!
//! # Layouts ([`discover`])
//! - **Published**: one folder of graphs per size (`50/`, `100/`, `300/`, `500/`, `750/`,
//!   `1000/`, `2000/`, `3000/`, `5000/`, see [`SIZES`]) and optimal tables named by size,
//!   `optimal/Case{N}_{P}_OPT.csv`, one line per graph: `N/randNNNN.stg,P,VALUE` when the
//!   optimum is proven, `N/randNNNN.stg,P,LOWER,UPPER` when only bounds are known. Without an
//!   `optimal/` folder the gaps are measured against the planner's lower bound.
//! - **A folder of `.stg` files**, or **a single `.stg` file**, with no table: gaps are measured
//!   against the planner's proven lower bound.
//!
//! # Gaps are measured against the best *proven* lower bound
//! The gap of a graph is measured against the best proven lower bound on its optimum: the
//! larger of the table's value (its optimum, or `LOWER` when unproven) and the bound the planner
//! proves itself with [`scheduler::static_plan::solve`] (heads, tails and energy reasoning,
//! raised by every deadline its branch and bound exhausts, and equal to the optimum when the
//! search proves one). For graphs with a proven optimum that is the optimum; for sets without a
//! table it is the planner's bound alone. Measuring against the table's `LOWER` alone would
//! charge a scheduler for the weakness of that bound: on the 50-task set a scheduler matching
//! every best known schedule shows a mean gap of about 0.35 %, 0.34 %, 0.79 % and 0 % for
//! P = 2, 4, 8, 16 against it. Both views are reported where there is a table
//! ([`StgGraphResult::gap_vs_table_pct`], [`StgSummary::mean_gap_vs_table_lower_pct`]).
//!
//! # Evaluation
//! [`evaluate`] schedules every graph with a [`StgPolicy`] and summarises the gaps per set and
//! processor count ([`StgSummary`]); [`evaluate_graphs`] returns the per-graph results behind
//! the summary. The proven bound does not depend on the policy: both policies' results carry
//! the bound of the same deterministic `solve` run.
//!
//! # Hard graphs
//! [`layered_stg`] writes random layered graphs with barriers, on which the planner's search
//! runs until its work budget stops it: what the planning-time figures are measured on.

mod eval;
mod generate;
mod layout;
mod parse;

use std::path::PathBuf;

pub use eval::{
    evaluate, evaluate_graphs, evaluate_set, schedule_length, summarize, EvalOptions,
    StgGraphResult, StgPolicy, StgSummary,
};
pub use generate::layered_stg;
pub use layout::{
    discover, list_graphs, read_optimal, read_table, table_path, StgGraphFile, StgGroup, StgSet,
    SIZES,
};
pub use parse::{parse_optimal, parse_stg, read_stg, Optimum, OptimumEntry};

/// What went wrong reading or evaluating an STG set.
#[derive(Debug, thiserror::Error)]
pub enum StgError {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line of a file does not follow the format, or names something that is not there.
    #[error("{origin}:{line}: {message}")]
    Parse {
        /// The file (or the name given to [`parse_stg`]).
        origin: String,
        /// 1-based line number (the last line plus one when lines are missing at the end).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A folder or table does not follow the published layout: an unknown size folder, an empty
    /// folder, a graph the table does not list.
    #[error("{path}: {message}")]
    Layout {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The evaluation itself failed (a planner or simulator error, a bound that a schedule beats).
    #[error("{0}")]
    Evaluation(String),
}

pub(crate) fn parse_error(origin: &str, line: usize, message: impl Into<String>) -> StgError {
    StgError::Parse {
        origin: origin.to_string(),
        line,
        message: message.into(),
    }
}

pub(crate) fn layout_error(path: impl Into<PathBuf>, message: impl Into<String>) -> StgError {
    StgError::Layout {
        path: path.into(),
        message: message.into(),
    }
}

pub(crate) fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StgError {
    let path = path.into();
    move |source| StgError::Io { path, source }
}
