//! Scheduling every graph of a set with a policy and measuring the gaps (see the
//! [module docs](super) for the reference the gaps are measured against).

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use scheduler::analysis;
use scheduler::shape::{DagShape, Dispatch};
use scheduler::sim::{self, SimMachine};
use scheduler::static_plan::{self, PlanOptions};

use super::layout::{discover, read_table, StgSet};
use super::parse::{read_stg, Optimum};
use super::{layout_error, StgError};

/// A policy evaluated on an STG set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StgPolicy {
    /// The static plan of [`static_plan::solve`] (the `heft` policy's planner).
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

/// Gaps of one policy on one processor count over one group of graphs (a size of the published
/// layout, a folder, a file).
///
/// The gap is measured against the best proven lower bound on the optimum
/// ([`StgGraphResult::proven_lower_bound`]); for graphs with a proven optimum that is the
/// optimum. The first seven fields are the agreed summary format; the others are extras, and
/// the two `vs_table` ones are absent where the group has no optimal table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StgSummary {
    /// The group's name ([`super::StgGroup::name`]): the size, e.g. `"50"`, in the published
    /// layout.
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
    /// Graphs whose makespan equals a proven optimum, from the table or proven by the
    /// planner's search ([`StgGraphResult::is_optimal`]).
    pub optimal: usize,
    /// Of the graphs whose optimum the table leaves unproven, those the planner proves optimal
    /// (its lower bound meets a schedule length, its own or the table's best known).
    #[serde(default)]
    pub proven_by_search: usize,
    /// Mean of [`StgGraphResult::gap_vs_table_pct`]: the gap against the table alone (its
    /// optimum, or `LOWER` when unproven); `None` without a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_gap_vs_table_lower_pct: Option<f64>,
    /// Largest such gap; `None` without a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_gap_vs_table_lower_pct: Option<f64>,
}

impl StgSummary {
    /// True when the group has an optimal table; otherwise the gaps are against the planner's
    /// proven lower bound alone.
    pub fn has_table(&self) -> bool {
        self.mean_gap_vs_table_lower_pct.is_some()
    }
}

/// The result of one graph on one processor count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StgGraphResult {
    /// The group it belongs to ([`StgSummary::set`]).
    pub set: String,
    /// The graph, e.g. `50/rand0000.stg`.
    pub graph: String,
    /// Processor count.
    pub procs: usize,
    /// Policy name.
    pub policy: String,
    /// The policy's schedule length.
    pub makespan: f64,
    /// The optimum or its bounds, from the table; `None` without a table.
    pub optimum: Option<Optimum>,
    /// `(makespan - proven_lower_bound) / proven_lower_bound · 100`.
    pub gap_pct: f64,
    /// `(makespan - reference) / reference · 100`, reference: [`Optimum::reference`] (the
    /// table's optimum, or its `LOWER`); `None` without a table.
    pub gap_vs_table_pct: Option<f64>,
    /// The planner's own proven bound, [`static_plan::Solution::lower_bound`]: when the makespan
    /// reaches it the schedule is optimal even if the table only knows bounds.
    pub own_lower_bound: f64,
    /// The best proven lower bound: the larger of [`Optimum::reference`] and
    /// [`own_lower_bound`](Self::own_lower_bound).
    pub proven_lower_bound: f64,
    /// Wall-clock seconds spent planning (and, for `dag`, simulating) this graph.
    #[serde(default)]
    pub seconds: f64,
}

impl StgGraphResult {
    /// True when the makespan is provably optimal: it meets the best proven lower bound (the
    /// table's optimum, its `LOWER`, or the planner's bound; reaching a lower bound is a proof).
    pub fn is_optimal(&self) -> bool {
        self.makespan <= self.proven_lower_bound + 1e-9 * self.makespan.max(1.0)
    }

    /// True when the table leaves the optimum unproven but the planner proves it: its own bound
    /// meets the table's best known length or this policy's makespan.
    pub fn proven_by_search(&self) -> bool {
        match self.optimum {
            None | Some(Optimum::Proven(_)) => false,
            Some(Optimum::Bounds { upper, .. }) => {
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
    /// Evaluate only the first `limit` graphs (by name) of each group; `None` for all.
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

/// The schedule length `policy` reaches and the lower bound [`static_plan::solve`] proves
/// (one `solve` run serves both for `heft`).
fn schedule_and_bound(
    shape: &DagShape,
    procs: usize,
    policy: StgPolicy,
    plan_options: &PlanOptions,
) -> Result<(f64, f64), StgError> {
    let fail = |e: &dyn fmt::Display| StgError::Evaluation(format!("{policy} on P = {procs}: {e}"));
    let solution = static_plan::solve(shape, procs, plan_options).map_err(|e| fail(&e))?;
    let bound = solution.lower_bound;
    match policy {
        StgPolicy::Heft => {
            static_plan::validate_plan(shape, &solution.plan).map_err(|e| fail(&e))?;
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

/// Evaluates `policy` on every graph of the set under `dir` (see [`discover`] for the layouts)
/// for each processor count in `procs`, and summarises the gaps per group and processor count.
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

/// The per-graph results behind [`evaluate`]: [`discover`] then [`evaluate_set`].
pub fn evaluate_graphs(
    dir: &Path,
    procs: &[usize],
    policy: StgPolicy,
    options: &EvalOptions,
) -> Result<Vec<StgGraphResult>, StgError> {
    evaluate_set(&discover(dir)?, procs, policy, options)
}

/// One graph on one processor count: (group, graph within the parsed list, P, optimum).
type Job = (usize, usize, usize, Option<Optimum>);

/// The per-graph results of `set`, in order of group, processor count, then graph; the graphs
/// are scheduled in parallel on `options.threads` threads. Every graph is parsed and every
/// table read and checked before the first is scheduled, so input errors come first.
pub fn evaluate_set(
    set: &StgSet,
    procs: &[usize],
    policy: StgPolicy,
    options: &EvalOptions,
) -> Result<Vec<StgGraphResult>, StgError> {
    let mut shapes: Vec<Vec<(String, DagShape)>> = Vec::with_capacity(set.groups.len());
    for group in &set.groups {
        let take = options.limit.unwrap_or(usize::MAX);
        let mut parsed = Vec::new();
        for graph in group.graphs.iter().take(take) {
            let shape = read_stg(&graph.path)?;
            if let Some(size) = group.size {
                if shape.len() != size + 2 {
                    return Err(layout_error(
                        &graph.path,
                        format!(
                            "holds {} tasks, but its folder is for {size}-task graphs",
                            shape.len().saturating_sub(2)
                        ),
                    ));
                }
            }
            parsed.push((graph.name.clone(), shape));
        }
        shapes.push(parsed);
    }
    let mut jobs: Vec<Job> = Vec::new();
    for (g, group) in set.groups.iter().enumerate() {
        for &p in procs {
            let table = read_table(group, p)?;
            for (k, (name, _)) in shapes[g].iter().enumerate() {
                let optimum = table.as_ref().map(|t| t[name]);
                jobs.push((g, k, p, optimum));
            }
        }
    }

    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    }
    .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<StgGraphResult, StgError>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let j = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(g, k, p, optimum)) = jobs.get(j) else {
                    break;
                };
                let (name, shape) = &shapes[g][k];
                let result = evaluate_one(
                    &set.groups[g].name,
                    name,
                    shape,
                    p,
                    optimum,
                    policy,
                    options,
                );
                results.lock().expect("no worker panics holding the lock")[j] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panicked")
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

fn evaluate_one(
    set: &str,
    name: &str,
    shape: &DagShape,
    p: usize,
    optimum: Option<Optimum>,
    policy: StgPolicy,
    options: &EvalOptions,
) -> Result<StgGraphResult, StgError> {
    let started = Instant::now();
    let (makespan, own_lower_bound) = schedule_and_bound(shape, p, policy, &options.plan)
        .map_err(|e| StgError::Evaluation(format!("{name}: {e}")))?;
    let seconds = started.elapsed().as_secs_f64();
    let reference = optimum.map(|o| o.reference());
    let proven_lower_bound = reference.unwrap_or(0.0).max(own_lower_bound);
    // A schedule shorter than a proven bound means a bound is wrong.
    if makespan + 1e-9 * makespan.max(1.0) < proven_lower_bound {
        return Err(StgError::Evaluation(format!(
            "{name} on P = {p}: {policy} reaches {makespan}, below the proven lower bound \
             {proven_lower_bound} (table {reference:?}, own {own_lower_bound})"
        )));
    }
    let gap = |bound: f64| {
        if bound > 0.0 {
            (makespan - bound) / bound * 100.0
        } else {
            0.0
        }
    };
    Ok(StgGraphResult {
        set: set.to_string(),
        graph: name.to_string(),
        procs: p,
        policy: policy.name().to_string(),
        makespan,
        optimum,
        gap_pct: gap(proven_lower_bound),
        gap_vs_table_pct: reference.map(gap),
        own_lower_bound,
        proven_lower_bound,
        seconds,
    })
}

/// Summarises per-graph results by (group, policy, processor count), in order of first
/// appearance.
pub fn summarize(results: &[StgGraphResult]) -> Vec<StgSummary> {
    let mut keys: Vec<(&str, &str, usize)> = Vec::new();
    for r in results {
        let key = (r.set.as_str(), r.policy.as_str(), r.procs);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|(set, policy, procs)| {
            let group: Vec<&StgGraphResult> = results
                .iter()
                .filter(|r| r.set == set && r.policy == policy && r.procs == procs)
                .collect();
            let graphs = group.len();
            let vs_table: Option<Vec<f64>> = group.iter().map(|r| r.gap_vs_table_pct).collect();
            StgSummary {
                set: set.to_string(),
                procs,
                policy: policy.to_string(),
                graphs,
                mean_gap_pct: group.iter().map(|r| r.gap_pct).sum::<f64>() / graphs as f64,
                max_gap_pct: group.iter().map(|r| r.gap_pct).fold(0.0, f64::max),
                optimal: group.iter().filter(|r| r.is_optimal()).count(),
                proven_by_search: group.iter().filter(|r| r.proven_by_search()).count(),
                mean_gap_vs_table_lower_pct: vs_table
                    .as_ref()
                    .map(|v| v.iter().sum::<f64>() / graphs as f64),
                max_gap_vs_table_lower_pct: vs_table.map(|v| v.into_iter().fold(0.0, f64::max)),
            }
        })
        .collect()
}
