//! The planner's driver: construction, iterated local search, then the exact branch and bound
//! (see the parent module's docs for the whole pipeline), behind [`solve`], within the work
//! budget of the `budget` module.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::bnb;
use super::bounds::{self, Windows};
use super::budget::{Charges, WorkMeter, DEFAULT_WORK_BUDGET, ROOT_BOUND_SHARE};
use super::decode::{
    expand, graham, justify_fully, priority_list, serial, sort_by_start, to_plan, zero_tasks_fit,
};
use super::problem::{PlanError, Problem, Workspace};
use super::reduced::Reduced;
use crate::shape::{DagShape, StaticPlan, TaskIndex};

/// Budget and seed of the search in [`solve`].
///
/// Three limits bound the search; whichever is reached first stops it. `max_work` is the one
/// that bounds planning time on large graphs; the other two are what stops it on small ones.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanOptions {
    /// Number of perturb-decode-justify iterations of the local search (0 keeps the best
    /// constructed schedule).
    pub max_iterations: usize,
    /// Seed of the search's random generator.
    pub seed: u64,
    /// Iterations without a new best schedule after which the search restarts from a fresh
    /// randomised order.
    pub restart_after: usize,
    /// Node limit of the exact branch and bound run after the local search when the schedule
    /// does not yet meet the lower bound (0 skips it). Graphs with real-valued costs get a
    /// 256th of it: with real-valued costs the search can seldom finish a proof, so a small
    /// budget catches the easy improvements and keeps planning fast.
    pub max_search_nodes: u64,
    /// Work budget of the whole search, in deterministic work units (about a nanosecond each on
    /// the 2-core development machine; see [`Solution::work`]). Once it is spent the search
    /// returns the best plan so far: raising the root bound stops, then the local search, then
    /// the branch and bound. The construction heuristics always run, so the first plan exists
    /// even with a budget of 0. Default: 1.5 · 10⁹, which keeps a 5,000-task graph on 16
    /// workers under 5 s on two cores.
    pub max_work: u64,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            // On the STG 50-task set, 1000 iterations already found every schedule that 40 000
            // found (150 did not); twice that leaves room for larger graphs while a graph whose
            // optimum is unknown still costs only ~10 ms in release mode.
            max_iterations: 2000,
            // Any fixed value: the plan is a pure function of the seed.
            seed: 0x5eed_2024,
            // Long enough for plateau moves to drift, short enough for several restarts per run.
            restart_after: 250,
            max_search_nodes: SEARCH_NODES,
            max_work: DEFAULT_WORK_BUDGET,
        }
    }
}

/// Default node limit of the branch and bound. On the STG 50-task set ten times more proves
/// one more graph optimal in 2160 while costing four times the time; a tenth loses a few
/// proofs. A search that does not finish costs about 0.3 s in release mode on a 50-task graph;
/// most graphs never reach it (their schedule meets the root bound) or finish far sooner.
const SEARCH_NODES: u64 = 200_000;

/// Share of [`PlanOptions::max_search_nodes`] given to graphs whose costs are not all integers:
/// 1 / `FRACTIONAL_SHARE`. With integer costs every exhausted deadline raises the bound by a
/// whole unit; with real-valued costs the search can only prove that nothing is shorter at
/// all, which it seldom finishes on more than a few dozen tasks, so a small budget (about
/// 10 ms on a 100-task graph) keeps planning the prover's graphs fast and still catches the
/// easy improvements.
const FRACTIONAL_SHARE: u64 = 256;

/// A good static plan for `shape` on `workers` identical workers, with the default
/// [`PlanOptions`]. `workers == 0` is treated as 1; an empty graph gives an empty plan.
/// [`TaskShape::max_threads`](crate::shape::TaskShape::max_threads) is ignored (see the module
/// docs).
///
/// # Panics
/// If the shape has a cycle or is inconsistent (a validated `TaskGraph` never is).
#[cfg(test)]
pub(super) fn plan(shape: &DagShape, workers: usize) -> StaticPlan {
    plan_with(shape, workers, &PlanOptions::default()).unwrap_or_else(|e| panic!("plan: {e}"))
}

/// The plan of [`solve`] (what the `heft` policy dispatches).
pub(crate) fn plan_with(
    shape: &DagShape,
    workers: usize,
    options: &PlanOptions,
) -> Result<StaticPlan, PlanError> {
    solve(shape, workers, options).map(|s| s.plan)
}

/// A plan together with what is proven about the optimum.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// The plan.
    pub plan: StaticPlan,
    /// A proven lower bound on the optimal makespan: the root bound (`max(W / P, C)` raised by
    /// heads, tails and the energy test), raised by every deadline the branch and bound
    /// exhausted. Equal to the plan's makespan when the plan is proven optimal.
    pub lower_bound: f64,
    /// Nodes the branch and bound searched.
    pub search_nodes: u64,
    /// Iterations the local search ran.
    pub search_iterations: usize,
    /// Work units spent ([`PlanOptions::max_work`]). The search never starts a step once the
    /// budget is spent, so this exceeds the budget by at most one local-search iteration (and
    /// by the construction heuristics, which always run).
    pub work: u64,
}

impl Solution {
    /// True when the plan's makespan meets the proven lower bound, within a relative 1e-8 (the
    /// resolution of the search on real-valued costs; integer costs meet it exactly).
    pub fn is_optimal(&self) -> bool {
        self.plan.makespan_s <= self.lower_bound + 1e-8 * self.lower_bound.abs().max(1.0)
    }
}

/// A good static plan for `shape` on `workers` identical workers (0 is treated as 1), with the
/// lower bound it proves: construction, local search, then (when the schedule does not meet the
/// bound yet) the branch and bound of the module docs, which raises the bound and may find a
/// shorter, provably optimal schedule; all within the budget of `options`.
///
/// The plan is never longer than Graham's list schedule with bottom-level priorities, is
/// optimal when [`Solution::is_optimal`], and is a pure function of the inputs (no clocks: the
/// budget counts work units). [`TaskShape::max_threads`](crate::shape::TaskShape::max_threads)
/// is ignored (see the module docs). An empty graph gives an empty plan.
///
/// # Errors
/// [`PlanError`] if the shape has a cycle or is inconsistent.
///
/// # Complexity
/// O(rules · |V| log |V| + |E|) for the construction, then at most `options.max_work` units.
pub fn solve(
    shape: &DagShape,
    workers: usize,
    options: &PlanOptions,
) -> Result<Solution, PlanError> {
    let pb = Problem::new(shape, workers)?;
    if pb.n == 0 {
        return Ok(Solution {
            plan: StaticPlan {
                order_per_worker: vec![Vec::new(); pb.cap],
                ..Default::default()
            },
            lower_bound: 0.0,
            search_nodes: 0,
            search_iterations: 0,
            work: 0,
        });
    }
    let edges = pb.preds.iter().map(Vec::len).sum();
    let mut meter = WorkMeter::new(options.max_work, pb.n, edges);
    let charges = meter.charges;
    let (tl, tail) = pb.path_heads_tails();
    let bl = pb.bottom_levels(&tail);
    let mut ws = Workspace::new(&pb);

    // Construction: Graham and serial decoding of several rules, each justified (charged, never
    // stopped: it is what gives a plan at all).
    meter.charge(charges.decode);
    let mut best_starts = graham(&pb, &bl).0;
    let mut best_ms = pb.makespan(&best_starts);
    let consider = |starts: &mut Vec<f64>,
                    ms: f64,
                    ws: &mut Workspace,
                    meter: &mut WorkMeter,
                    best_starts: &mut Vec<f64>,
                    best_ms: &mut f64| {
        let ms = justify_fully(&pb, ws, meter, starts, ms);
        if ms < *best_ms {
            *best_ms = ms;
            best_starts.clone_from(starts);
        }
    };
    let descendants = descendant_counts(&pb);
    let max_bl = bl.iter().copied().fold(0.0, f64::max).max(1.0);
    let max_tl = tl.iter().copied().fold(0.0, f64::max).max(1.0);
    let n = pb.n as f64;
    // Lexicographic rules encoded as one number: the primary key scaled above the tie-breaks.
    let rules: Vec<Vec<f64>> = vec![
        bl.clone(),
        (0..pb.n).map(|i| bl[i] * 4.0 * max_tl - tl[i]).collect(),
        (0..pb.n).map(|i| bl[i] * 4.0 * max_tl + tl[i]).collect(),
        (0..pb.n)
            .map(|i| bl[i] * 2.0 * n + pb.succs[i].len() as f64)
            .collect(),
        (0..pb.n)
            .map(|i| bl[i] * 2.0 * n + descendants[i] as f64)
            .collect(),
        (0..pb.n).map(|i| bl[i] + tl[i]).collect(),
        (0..pb.n)
            .map(|i| descendants[i] as f64 * 4.0 * max_bl + bl[i])
            .collect(),
        (0..pb.n)
            .map(|i| pb.dur[i] * 4.0 * max_bl + bl[i])
            .collect(),
        (0..pb.n).map(|i| -tl[i] * 4.0 * max_bl + bl[i]).collect(),
    ];
    let mut starts = vec![0.0; pb.n];
    for rule in &rules {
        meter.charge(2 * charges.decode);
        let mut g = graham(&pb, rule).0;
        let ms = pb.makespan(&g);
        consider(
            &mut g,
            ms,
            &mut ws,
            &mut meter,
            &mut best_starts,
            &mut best_ms,
        );
        let list = priority_list(&pb, rule);
        let ms = serial(&pb.dur, &pb.preds, &list, &mut ws.profile, &mut starts);
        consider(
            &mut starts,
            ms,
            &mut ws,
            &mut meter,
            &mut best_starts,
            &mut best_ms,
        );
    }

    let reduced = Reduced::new(&pb);
    let windows = reduced.as_ref().map(Windows::of_reduced);
    let exact = reduced.as_ref().zip(windows.as_ref());
    // The root bound may spend a share of the budget; the search keeps the rest.
    let mut bound_meter = WorkMeter::new(
        (meter.limit() / ROOT_BOUND_SHARE).min(meter.left()),
        pb.n,
        edges,
    );
    let mut lb = bounds::problem_bound(&pb, exact, best_ms, &mut bound_meter);
    meter.charge(bound_meter.spent());
    let mut search_iterations = 0;
    if best_ms > lb && options.max_iterations > 0 {
        search_iterations = local_search(
            &pb,
            &bl,
            lb,
            options,
            &mut ws,
            &mut meter,
            &mut best_starts,
            &mut best_ms,
        );
    }
    let mut search_nodes = 0;
    if let Some((red, w)) = exact.filter(|_| best_ms > lb) {
        {
            let node_limit = if red.integral {
                options.max_search_nodes
            } else {
                options.max_search_nodes / FRACTIONAL_SHARE
            };
            let node_cost = Charges::search_node(red.n, red.succs.iter().map(Vec::len).sum());
            let node_limit = node_limit.min(meter.left() / node_cost.max(1));
            let found = bnb::improve(red, w, lb, best_ms, node_limit);
            meter.charge(found.nodes * node_cost);
            lb = lb.max(found.lower);
            search_nodes = found.nodes;
            if let Some(rs) = found.starts {
                let mut starts = expand(&pb, red, &rs);
                let mut ms = pb.makespan(&starts);
                if !zero_tasks_fit(&pb, &starts) {
                    // The search ignores zero-cost tasks; decode its order with them.
                    let mut order = Vec::new();
                    sort_by_start(&pb, &starts, &mut order);
                    let mut decoded = vec![0.0; pb.n];
                    let d = serial(&pb.dur, &pb.preds, &order, &mut ws.profile, &mut decoded);
                    ms = justify_fully(&pb, &mut ws, &mut meter, &mut decoded, d);
                    starts = decoded;
                }
                if ms < best_ms {
                    best_starts = starts;
                }
            }
        }
    }
    Ok(Solution {
        plan: to_plan(&pb, &best_starts),
        lower_bound: lb,
        search_nodes,
        search_iterations,
        work: meter.spent(),
    })
}

fn descendant_counts(pb: &Problem) -> Vec<usize> {
    // Bitsets of descendants, in reverse topological order.
    let words = pb.n.div_ceil(64);
    let mut sets = vec![vec![0u64; words]; pb.n];
    for &t in pb.topo.iter().rev() {
        let mut set = vec![0u64; words];
        for &s in &pb.succs[t] {
            set[s / 64] |= 1 << (s % 64);
            for (w, x) in set.iter_mut().zip(&sets[s]) {
                *w |= x;
            }
        }
        sets[t] = set;
    }
    sets.iter()
        .map(|s| s.iter().map(|w| w.count_ones() as usize).sum())
        .collect()
}

/// Moves the task at position `from` of a topological list to a random position between its
/// last predecessor and its first successor (keeping the list topological).
fn random_shift(pb: &Problem, list: &mut Vec<TaskIndex>, pos: &mut [usize], rng: &mut ChaCha8Rng) {
    let from = rng.gen_range(0..list.len());
    let t = list[from];
    let lo = pb.preds[t].iter().map(|&p| pos[p] + 1).max().unwrap_or(0);
    let hi = pb.succs[t]
        .iter()
        .map(|&s| pos[s])
        .min()
        .unwrap_or(list.len())
        - 1;
    if lo >= hi {
        return;
    }
    let to = rng.gen_range(lo..=hi);
    if to == from {
        return;
    }
    list.remove(from);
    list.insert(to, t);
    let (a, b) = (from.min(to), from.max(to));
    for (k, &x) in list.iter().enumerate().take(b + 1).skip(a) {
        pos[x] = k;
    }
}

/// The iterated local search of the module docs, until `options.max_iterations`, the budget
/// of `meter`, or a schedule meeting `lb`. Returns the iterations run.
#[allow(clippy::too_many_arguments)]
fn local_search(
    pb: &Problem,
    bl: &[f64],
    lb: f64,
    options: &PlanOptions,
    ws: &mut Workspace,
    meter: &mut WorkMeter,
    best_starts: &mut Vec<f64>,
    best_ms: &mut f64,
) -> usize {
    let charges = meter.charges;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut cur_list = Vec::new();
    sort_by_start(pb, best_starts, &mut cur_list);
    let mut cur_ms = *best_ms;
    let mut pos = vec![0; pb.n];
    let mut cand = cur_list.clone();
    let mut starts = vec![0.0; pb.n];
    let mut since_best = 0;
    for iteration in 0..options.max_iterations {
        if meter.exhausted() {
            return iteration;
        }
        // The decode, the list bookkeeping (one sort's worth) and the justification rounds.
        meter.charge(charges.decode + charges.justify_round / 2);
        cand.clone_from(&cur_list);
        for (k, &t) in cand.iter().enumerate() {
            pos[t] = k;
        }
        // Small kicks mostly, sometimes a bigger one to leave a plateau.
        let moves = if rng.gen_bool(0.8) {
            rng.gen_range(1..=2)
        } else {
            rng.gen_range(3..=6)
        };
        for _ in 0..moves {
            random_shift(pb, &mut cand, &mut pos, &mut rng);
        }
        let ms = serial(&pb.dur, &pb.preds, &cand, &mut ws.profile, &mut starts);
        let ms = justify_fully(pb, ws, meter, &mut starts, ms);
        if ms <= cur_ms {
            cur_ms = ms;
            sort_by_start(pb, &starts, &mut cur_list);
        }
        if ms < *best_ms {
            *best_ms = ms;
            best_starts.clone_from(&starts);
            since_best = 0;
            if ms <= lb {
                return iteration + 1;
            }
        } else {
            since_best += 1;
        }
        if since_best >= options.restart_after {
            // Restart from a noisy critical-path order.
            let noisy: Vec<f64> = bl
                .iter()
                .map(|&b| b * (1.0 + rng.gen_range(-0.3..0.3)))
                .collect();
            cur_list = priority_list(pb, &noisy);
            meter.charge(charges.decode);
            let ms = serial(&pb.dur, &pb.preds, &cur_list, &mut ws.profile, &mut starts);
            cur_ms = justify_fully(pb, ws, meter, &mut starts, ms);
            sort_by_start(pb, &starts, &mut cur_list);
            if cur_ms < *best_ms {
                *best_ms = cur_ms;
                best_starts.clone_from(&starts);
                if cur_ms <= lb {
                    return iteration + 1;
                }
            }
            since_best = 0;
        }
    }
    options.max_iterations
}
