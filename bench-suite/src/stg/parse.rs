//! Parsing `.stg` graphs and optimal-length tables (the formats are described in the
//! [module docs](super)).

use std::path::Path;

use serde::{Deserialize, Serialize};

use scheduler::shape::{DagShape, TaskShape};

use super::{io_error, parse_error, StgError};

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

    let (count_line, count_text) = lines
        .next()
        .ok_or_else(|| parse_error(origin, 1, "empty file: expected the task count"))?;
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
    token.parse().map_err(|_| {
        parse_error(
            origin,
            line,
            format!("bad {what} `{token}`: not a valid number"),
        )
    })
}

/// Reads and parses one `.stg` file.
pub fn read_stg(path: &Path) -> Result<DagShape, StgError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
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
    /// The table's own reference: the optimum, or the lower bound when unknown. Gaps are
    /// measured against the larger of this and the bound the planner proves (see the module docs).
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
    /// The 1-based line of the table it was read from.
    pub line: usize,
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
                Err(parse_error(
                    origin,
                    line,
                    format!("{what} must be a non-negative number"),
                ))
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
        entries.push(OptimumEntry {
            graph: fields[0].to_string(),
            procs,
            optimum,
            line,
        });
    }
    Ok(entries)
}
