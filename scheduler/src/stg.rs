//! The Standard Task Graph Set (STG): a parser for its `.stg` files and optimal-length tables,
//! and an evaluation of the scheduling policies against the known optima.
//!
//! The STG set (Kasahara Laboratory, Waseda University) is a public benchmark for
//! `P | prec | Cmax`: random task graphs with integer processing times, no communication costs,
//! and the optimal (or best known) schedule length on 2, 4, 8 and 16 identical processors. It
//! tells how far a scheduler is from the best possible schedule, which wall-clock benchmarks
//! cannot.
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
//! # Optimal lengths
//! `optimal/Case50_{P}_OPT.csv` holds one line per graph: `50/randNNNN.stg,P,VALUE` when the
//! optimum is proven, `50/randNNNN.stg,P,LOWER,UPPER` when only bounds are known. Gaps are
//! measured against the optimum, or against `LOWER` when it is unknown (so a scheduler that
//! matches the best known schedule still shows a gap on those graphs: on the 50-task set that
//! floor is about 0.35 %, 0.34 %, 0.79 % and 0 % for P = 2, 4, 8, 16).
//!
//! # Evaluation
//! [`evaluate`] schedules every graph with a [`StgPolicy`] and summarises the gaps per processor
//! count ([`StgSummary`]); [`evaluate_graphs`] returns the per-graph results behind the summary.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis;
use crate::list_schedule::{self, PlanOptions};
use crate::shape::{DagShape, Dispatch, TaskShape};
use crate::sim::{self, SimMachine};

/// What went wrong reading or evaluating the STG set.
#[derive(Debug, thiserror::Error)]
pub enum StgError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file does not follow the format.
    #[error("{origin}:{line}: {message}")]
    Parse {
        /// The file (or the name given to [`parse_stg`]).
        origin: String,
        /// 1-based line number (the last line plus one when lines are missing at the end).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A graph has no optimal length for a processor count, or the evaluation itself failed.
    #[error("{0}")]
    Evaluation(String),
}

fn parse_error(origin: &str, line: usize, message: impl Into<String>) -> StgError {
    StgError::Parse { origin: origin.to_string(), line, message: message.into() }
}

/// Parses the text of one `.stg` file into a [`DagShape`]; `origin` names the file in errors.
///
/// # Complexity
/// O(length of the text).
pub fn parse_stg(text: &str, origin: &str) -> Result<DagShape, StgError> {
    // Non-comment, non-blank lines with their 1-based numbers.
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let last_line = text.lines().count();

    let (count_line, count_text) =
        lines.next().ok_or_else(|| parse_error(origin, 1, "empty file: expected the task count"))?;
    let mut tokens = count_text.split_whitespace();
    let n: usize = parse_token(tokens.next(), origin, count_line, "task count")?;
    if let Some(extra) = tokens.next() {
        return Err(parse_error(
            origin,
            count_line,
            format!("trailing garbage `{extra}` after the task count"),
        ));
    }
    let total = n + 2;

    let mut shape = DagShape {
        tasks: Vec::with_capacity(total),
        preds: Vec::with_capacity(total),
        succs: vec![Vec::new(); total],
    };
    for id in 0..total {
        let (line, body) = lines.next().ok_or_else(|| {
            parse_error(
                origin,
                last_line + 1,
                format!("missing task lines: expected {total} tasks (N = {n} plus 2 dummies), found {id}"),
            )
        })?;
        let mut tokens = body.split_whitespace();
        let got_id: usize = parse_token(tokens.next(), origin, line, "task id")?;
        if got_id != id {
            return Err(parse_error(
                origin,
                line,
                format!("expected task id {id}, found {got_id} (tasks must be listed in order)"),
            ));
        }
        let cost: f64 = parse_token(tokens.next(), origin, line, "processing time")?;
        if !cost.is_finite() || cost < 0.0 {
            return Err(parse_error(
                origin,
                line,
                format!("processing time of task {id} must be a non-negative number, found {cost}"),
            ));
        }
        let npred: usize = parse_token(tokens.next(), origin, line, "predecessor count")?;
        let mut preds = Vec::with_capacity(npred);
        for k in 0..npred {
            let token = tokens.next().ok_or_else(|| {
                parse_error(
                    origin,
                    line,
                    format!("task {id} declares {npred} predecessors but lists only {k}"),
                )
            })?;
            let pred: usize = parse_token(Some(token), origin, line, "predecessor id")?;
            if pred >= total {
                return Err(parse_error(
                    origin,
                    line,
                    format!("predecessor id {pred} of task {id} is out of range 0..{total}"),
                ));
            }
            if pred >= id {
                return Err(parse_error(
                    origin,
                    line,
                    format!(
                        "predecessor {pred} of task {id} is not earlier than the task \
                         (forward reference or cycle)"
                    ),
                ));
            }
            if preds.contains(&pred) {
                return Err(parse_error(
                    origin,
                    line,
                    format!("predecessor {pred} of task {id} is listed twice"),
                ));
            }
            preds.push(pred);
        }
        if let Some(extra) = tokens.next() {
            return Err(parse_error(
                origin,
                line,
                format!(
                    "trailing garbage `{extra}` on the line of task {id} \
                     (more predecessors than the declared {npred}?)"
                ),
            ));
        }
        for &p in &preds {
            shape.succs[p].push(id);
        }
        shape.tasks.push(TaskShape {
            name: format!("t{id}"),
            kind: "stg".to_string(),
            cost_s: cost,
            max_threads: 1,
            peak_mem_bytes: 0,
            locality: None,
        });
        shape.preds.push(preds);
    }
    if let Some((line, body)) = lines.next() {
        return Err(parse_error(
            origin,
            line,
            format!("trailing garbage after the {total} task lines: `{body}`"),
        ));
    }
    Ok(shape)
}

fn parse_token<T: std::str::FromStr>(
    token: Option<&str>,
    origin: &str,
    line: usize,
    what: &str,
) -> Result<T, StgError> {
    let token = token.ok_or_else(|| parse_error(origin, line, format!("missing {what}")))?;
    token.parse().map_err(|_| parse_error(origin, line, format!("bad {what} `{token}`: not a valid number")))
}

/// Reads and parses one `.stg` file.
pub fn read_stg(path: &Path) -> Result<DagShape, StgError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| StgError::Io { path: path.to_path_buf(), source })?;
    parse_stg(&text, &path.display().to_string())
}

/// The best schedule length known for one graph on one processor count.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Optimum {
    /// The proven optimal length.
    Proven(f64),
    /// The optimum is unknown: it lies in `lower..=upper` (`upper` is the best schedule known).
    Bounds {
        /// A proven lower bound.
        lower: f64,
        /// The best schedule length known.
        upper: f64,
    },
}

impl Optimum {
    /// The value gaps are measured against: the optimum, or the lower bound when unknown.
    pub fn reference(&self) -> f64 {
        match *self {
            Optimum::Proven(v) => v,
            Optimum::Bounds { lower, .. } => lower,
        }
    }

    /// The best schedule length known (the optimum when proven).
    pub fn best_known(&self) -> f64 {
        match *self {
            Optimum::Proven(v) => v,
            Optimum::Bounds { upper, .. } => upper,
        }
    }
}

/// One line of an optimal-length table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimumEntry {
    /// The graph's path relative to the set's root, e.g. `50/rand0000.stg`.
    pub graph: String,
    /// Processor count.
    pub procs: usize,
    /// Its optimal length or bounds.
    pub optimum: Optimum,
}

/// Parses an optimal-length table (`graph,P,VALUE` or `graph,P,LOWER,UPPER` per line).
///
/// # Complexity
/// O(length of the text).
pub fn parse_optimal(text: &str, origin: &str) -> Result<Vec<OptimumEntry>, StgError> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let body = raw.trim();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = body.split(',').map(str::trim).collect();
        if fields.len() != 3 && fields.len() != 4 {
            return Err(parse_error(
                origin,
                line,
                format!(
                    "expected `graph,P,VALUE` or `graph,P,LOWER,UPPER`, found {} fields",
                    fields.len()
                ),
            ));
        }
        if fields[0].is_empty() {
            return Err(parse_error(origin, line, "empty graph name"));
        }
        let procs: usize = parse_token(Some(fields[1]), origin, line, "processor count")?;
        let number = |k: usize, what: &str| -> Result<f64, StgError> {
            let v: f64 = parse_token(Some(fields[k]), origin, line, what)?;
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(parse_error(origin, line, format!("{what} must be a non-negative number")))
            }
        };
        let optimum = if fields.len() == 3 {
            Optimum::Proven(number(2, "optimal length")?)
        } else {
            let lower = number(2, "lower bound")?;
            let upper = number(3, "upper bound")?;
            if lower > upper {
                return Err(parse_error(
                    origin,
                    line,
                    format!("lower bound {lower} exceeds upper bound {upper}"),
                ));
            }
            Optimum::Bounds { lower, upper }
        };
        entries.push(OptimumEntry { graph: fields[0].to_string(), procs, optimum });
    }
    Ok(entries)
}

/// Reads `optimal/Case50_{procs}_OPT.csv` under the set's root `dir`.
pub fn read_optimal(dir: &Path, procs: usize) -> Result<Vec<OptimumEntry>, StgError> {
    let path = dir.join("optimal").join(format!("Case50_{procs}_OPT.csv"));
    let text = std::fs::read_to_string(&path)
        .map_err(|source| StgError::Io { path: path.clone(), source })?;
    let entries = parse_optimal(&text, &path.display().to_string())?;
    if let Some(bad) = entries.iter().find(|e| e.procs != procs) {
        return Err(StgError::Evaluation(format!(
            "{}: graph {} is listed for P = {}, expected P = {procs}",
            path.display(),
            bad.graph,
            bad.procs
        )));
    }
    Ok(entries)
}

/// The graphs of the 50-task set under the set's root `dir`, as (`50/randNNNN.stg`, path),
/// sorted by name.
pub fn list_graphs(dir: &Path) -> Result<Vec<(String, PathBuf)>, StgError> {
    let sub = dir.join("50");
    let read = std::fs::read_dir(&sub).map_err(|source| StgError::Io { path: sub.clone(), source })?;
    let mut graphs = Vec::new();
    for entry in read {
        let entry = entry.map_err(|source| StgError::Io { path: sub.clone(), source })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".stg") {
            graphs.push((format!("50/{name}"), entry.path()));
        }
    }
    graphs.sort();
    Ok(graphs)
}
