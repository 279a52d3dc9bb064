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
//! optimum is proven, `50/randNNNN.stg,P,LOWER,UPPER` when only bounds are known.
//!
//! # Gaps are measured against the best *proven* lower bound
//! The gap of a graph is measured against the best proven lower bound on its optimum: the
//! larger of the table's value (its optimum, or `LOWER` when unproven) and the bound this crate
//! proves itself with [`list_schedule::solve`] (heads, tails and energy reasoning, raised by
//! every deadline its branch and bound exhausts, and equal to the optimum when the search
//! proves one). For graphs with a proven optimum that is the optimum. Measuring against the
//! table's `LOWER` alone would charge a scheduler for the weakness of that bound: on the 50-task
//! set a scheduler matching every best known schedule shows a mean gap of about 0.35 %, 0.34 %,
//! 0.79 % and 0 % for P = 2, 4, 8, 16 against it. Both views are reported
//! ([`StgGraphResult::gap_vs_table_pct`], [`StgSummary::mean_gap_vs_table_lower_pct`]).
//!
//! # Evaluation
//! [`evaluate`] schedules every graph with a [`StgPolicy`] and summarises the gaps per processor
//! count ([`StgSummary`]); [`evaluate_graphs`] returns the per-graph results behind the summary.
//! The proven bound does not depend on the policy: both policies' results carry the bound of the
//! same deterministic [`list_schedule::solve`] run.

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
    StgError::Parse {
        origin: origin.to_string(),
        line,
        message: message.into(),
    }
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
    let text = std::fs::read_to_string(path).map_err(|source| StgError::Io {
        path: path.to_path_buf(),
        source,
    })?;
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
    /// measured against the larger of this and the bound this crate proves (see the module docs).
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
        });
    }
    Ok(entries)
}

/// Reads `optimal/Case50_{procs}_OPT.csv` under the set's root `dir`.
pub fn read_optimal(dir: &Path, procs: usize) -> Result<Vec<OptimumEntry>, StgError> {
    let path = dir.join("optimal").join(format!("Case50_{procs}_OPT.csv"));
    let text = std::fs::read_to_string(&path).map_err(|source| StgError::Io {
        path: path.clone(),
        source,
    })?;
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
    let read = std::fs::read_dir(&sub).map_err(|source| StgError::Io {
        path: sub.clone(),
        source,
    })?;
    let mut graphs = Vec::new();
    for entry in read {
        let entry = entry.map_err(|source| StgError::Io {
            path: sub.clone(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".stg") {
            graphs.push((format!("50/{name}"), entry.path()));
        }
    }
    graphs.sort();
    Ok(graphs)
}

/// A policy evaluated on the STG set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StgPolicy {
    /// The static plan of [`list_schedule::plan`].
    Heft,
    /// The online critical-path-first policy (`Dispatch::Priority` with bottom levels),
    /// simulated with [`sim`] on `P` identical workers in one domain with no stealing costs.
    Dag,
}

impl StgPolicy {
    /// The policy's name in reports: `heft` or `dag`.
    pub fn name(self) -> &'static str {
        match self {
            StgPolicy::Heft => "heft",
            StgPolicy::Dag => "dag",
        }
    }
}

impl fmt::Display for StgPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Gaps of one policy on one processor count over the whole set.
///
/// The gap is measured against the best proven lower bound on the optimum
/// ([`StgGraphResult::proven_lower_bound`]); for graphs with a proven optimum that is the
/// optimum. The first seven fields are the agreed summary format; the others are extras.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StgSummary {
    /// The graph set (`"50"`).
    pub set: String,
    /// Processor count.
    pub procs: usize,
    /// Policy name ([`StgPolicy::name`]).
    pub policy: String,
    /// Number of graphs evaluated.
    pub graphs: usize,
    /// Mean of [`StgGraphResult::gap_pct`]: the gap above the best proven lower bound, in %.
    pub mean_gap_pct: f64,
    /// Largest such gap.
    pub max_gap_pct: f64,
    /// Graphs whose makespan equals a proven optimum, from the table or proven by this crate's
    /// search ([`StgGraphResult::is_optimal`]).
    pub optimal: usize,
    /// Of the graphs whose optimum the table leaves unproven, those this crate proves optimal
    /// (its lower bound meets a schedule length, its own or the table's best known).
    #[serde(default)]
    pub proven_by_search: usize,
    /// Mean of [`StgGraphResult::gap_vs_table_pct`]: the gap against the table alone (its
    /// optimum, or `LOWER` when unproven).
    #[serde(default)]
    pub mean_gap_vs_table_lower_pct: f64,
    /// Largest such gap.
    #[serde(default)]
    pub max_gap_vs_table_lower_pct: f64,
}

/// The result of one graph on one processor count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StgGraphResult {
    /// The graph, e.g. `50/rand0000.stg`.
    pub graph: String,
    /// Processor count.
    pub procs: usize,
    /// Policy name.
    pub policy: String,
    /// The policy's schedule length.
    pub makespan: f64,
    /// The optimum or its bounds, from the table.
    pub optimum: Optimum,
    /// `(makespan - proven_lower_bound) / proven_lower_bound · 100`.
    pub gap_pct: f64,
    /// `(makespan - reference) / reference · 100`, reference: [`Optimum::reference`] (the
    /// table's optimum, or its `LOWER`).
    pub gap_vs_table_pct: f64,
    /// This crate's own proven bound, [`list_schedule::Solution::lower_bound`]: when the
    /// makespan reaches it the schedule is optimal even if the table only knows bounds.
    pub own_lower_bound: f64,
    /// The best proven lower bound: the larger of [`Optimum::reference`] and
    /// [`own_lower_bound`](Self::own_lower_bound).
    pub proven_lower_bound: f64,
}

impl StgGraphResult {
    /// True when the makespan is provably optimal: it meets the best proven lower bound (the
    /// table's optimum, its `LOWER`, or this crate's bound; reaching a lower bound is a proof).
    pub fn is_optimal(&self) -> bool {
        self.makespan <= self.proven_lower_bound + 1e-9 * self.makespan.max(1.0)
    }

    /// True when the table leaves the optimum unproven but this crate proves it: its own bound
    /// meets the table's best known length or this policy's makespan.
    pub fn proven_by_search(&self) -> bool {
        match self.optimum {
            Optimum::Proven(_) => false,
            Optimum::Bounds { upper, .. } => {
                let tol = 1e-9 * upper.max(1.0);
                self.own_lower_bound + tol >= upper.min(self.makespan)
            }
        }
    }
}

/// Knobs of [`evaluate_graphs`]; the default evaluates every graph on every core with the
/// default plan budget.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvalOptions {
    /// Evaluate only the first `limit` graphs (by name); `None` for all.
    pub limit: Option<usize>,
    /// Worker threads; 0 uses the machine's available parallelism.
    pub threads: usize,
    /// Search budget of the `heft` plans.
    pub plan: PlanOptions,
}

/// The schedule length `policy` reaches for `shape` on `procs` identical processors.
pub fn schedule_length(
    shape: &DagShape,
    procs: usize,
    policy: StgPolicy,
    plan_options: &PlanOptions,
) -> Result<f64, StgError> {
    Ok(schedule_and_bound(shape, procs, policy, plan_options)?.0)
}

/// The schedule length `policy` reaches and the lower bound [`list_schedule::solve`] proves
/// (one `solve` run serves both for `heft`).
fn schedule_and_bound(
    shape: &DagShape,
    procs: usize,
    policy: StgPolicy,
    plan_options: &PlanOptions,
) -> Result<(f64, f64), StgError> {
    let fail = |e: &dyn fmt::Display| StgError::Evaluation(format!("{policy} on P = {procs}: {e}"));
    let solution = list_schedule::solve(shape, procs, plan_options).map_err(|e| fail(&e))?;
    let bound = solution.lower_bound;
    match policy {
        StgPolicy::Heft => {
            list_schedule::validate_plan(shape, &solution.plan).map_err(|e| fail(&e))?;
            if solution.plan.makespan_s + 1e-9 * bound.max(1.0) < bound {
                return Err(fail(&format!(
                    "plan of length {} beats its own proven lower bound {bound}",
                    solution.plan.makespan_s
                )));
            }
            Ok((solution.plan.makespan_s, bound))
        }
        StgPolicy::Dag => {
            let priority = analysis::bottom_levels(shape).map_err(|e| fail(&e))?;
            let dispatch = Dispatch::Priority {
                priority,
                locality: true,
            };
            let report = sim::simulate(shape, &dispatch, &SimMachine::uniform(procs), 0)
                .map_err(|e| fail(&e))?;
            Ok((report.makespan_s, bound))
        }
    }
}

/// Evaluates `policy` on every graph of the 50-task set under `dir` (the set's root, holding
/// `50/` and `optimal/`) for each processor count in `procs`, and summarises the gaps.
pub fn evaluate(
    dir: &Path,
    procs: &[usize],
    policy: StgPolicy,
) -> Result<Vec<StgSummary>, StgError> {
    Ok(summarize(&evaluate_graphs(
        dir,
        procs,
        policy,
        &EvalOptions::default(),
    )?))
}

/// The per-graph results behind [`evaluate`], sorted by processor count then graph; the graphs
/// are scheduled in parallel on `options.threads` threads.
pub fn evaluate_graphs(
    dir: &Path,
    procs: &[usize],
    policy: StgPolicy,
    options: &EvalOptions,
) -> Result<Vec<StgGraphResult>, StgError> {
    let mut graphs = list_graphs(dir)?;
    if graphs.is_empty() {
        return Err(StgError::Evaluation(format!(
            "no .stg files under {}",
            dir.join("50").display()
        )));
    }
    if let Some(limit) = options.limit {
        graphs.truncate(limit);
    }
    let shapes = graphs
        .iter()
        .map(|(name, path)| read_stg(path).map(|s| (name.clone(), s)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut jobs = Vec::new();
    for &p in procs {
        let table = read_optimal(dir, p)?;
        for (k, (name, _)) in shapes.iter().enumerate() {
            let optimum = table
                .iter()
                .find(|e| &e.graph == name)
                .map(|e| e.optimum)
                .ok_or_else(|| {
                    StgError::Evaluation(format!("no optimal length for {name} on P = {p}"))
                })?;
            jobs.push((k, p, optimum));
        }
    }

    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    }
    .min(jobs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: parking_lot::Mutex<Vec<Option<Result<StgGraphResult, StgError>>>> =
        parking_lot::Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(k, p, optimum)) = jobs.get(j) else {
                    break;
                };
                let (name, shape) = &shapes[k];
                let result = schedule_and_bound(shape, p, policy, &options.plan)
                    .map_err(|e| StgError::Evaluation(format!("{name}: {e}")))
                    .and_then(|(makespan, own_lower_bound)| {
                        let reference = optimum.reference();
                        let proven_lower_bound = reference.max(own_lower_bound);
                        // A schedule shorter than a proven bound means a bound is wrong.
                        if makespan + 1e-9 * makespan.max(1.0) < proven_lower_bound {
                            return Err(StgError::Evaluation(format!(
                                "{name} on P = {p}: {policy} reaches {makespan}, below the \
                                 proven lower bound {proven_lower_bound} (table {reference}, \
                                 own {own_lower_bound})"
                            )));
                        }
                        Ok(StgGraphResult {
                            graph: name.clone(),
                            procs: p,
                            policy: policy.name().to_string(),
                            makespan,
                            optimum,
                            gap_pct: (makespan - proven_lower_bound) / proven_lower_bound * 100.0,
                            gap_vs_table_pct: (makespan - reference) / reference * 100.0,
                            own_lower_bound,
                            proven_lower_bound,
                        })
                    });
                results.lock()[j] = Some(result);
            });
        }
    });
    let mut out = results
        .into_inner()
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.procs.cmp(&b.procs).then_with(|| a.graph.cmp(&b.graph)));
    Ok(out)
}

/// Summarises per-graph results by (policy, processor count), in order of first appearance.
pub fn summarize(results: &[StgGraphResult]) -> Vec<StgSummary> {
    let mut keys: Vec<(String, usize)> = Vec::new();
    for r in results {
        let key = (r.policy.clone(), r.procs);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|(policy, procs)| {
            let group: Vec<&StgGraphResult> = results
                .iter()
                .filter(|r| r.policy == policy && r.procs == procs)
                .collect();
            let graphs = group.len();
            StgSummary {
                set: "50".to_string(),
                procs,
                policy,
                graphs,
                mean_gap_pct: group.iter().map(|r| r.gap_pct).sum::<f64>() / graphs as f64,
                max_gap_pct: group.iter().map(|r| r.gap_pct).fold(0.0, f64::max),
                optimal: group.iter().filter(|r| r.is_optimal()).count(),
                proven_by_search: group.iter().filter(|r| r.proven_by_search()).count(),
                mean_gap_vs_table_lower_pct: group.iter().map(|r| r.gap_vs_table_pct).sum::<f64>()
                    / graphs as f64,
                max_gap_vs_table_lower_pct: group
                    .iter()
                    .map(|r| r.gap_vs_table_pct)
                    .fold(0.0, f64::max),
            }
        })
        .collect()
}
