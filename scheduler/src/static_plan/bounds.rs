//! Lower bounds on the makespan, in one convention: every task `j` has a *head* `r_j` (a lower
//! bound on its start) and a *tail* `q_j` (a lower bound on the time from its end to the end of
//! the schedule, its own cost excluded), held in [`Windows`]. Every bound here is computed from
//! costs, capacity and windows; both the planner's root bound and the branch and bound's pruning
//! use them.
//!
//! Every value is a lower bound for *some optimal schedule*: when all costs are integers there is
//! an optimal schedule with integer start times (every active schedule has them), so bounds may
//! be rounded up to integers.
//!
//! # Heads and tails
//! Longest paths give the classic values ([`Windows::of_paths`]). A set argument raises them
//! ([`Windows::of_reduced`], on the problem without zero-cost tasks): all ancestors `A` of `j` must
//! be finished before `j` starts, an ancestor `i` needs at least `g_ij` (the longest chain of
//! costs strictly between `i` and `j`) after it ends, and none starts before its own head. For
//! any thresholds `h` and `g`, the ancestors with `r_i >= h` and `g_ij >= g` form a set `S`
//! processed on `P` workers after `h`, so `r_j >= h + L(S) + g`, where `L(S)` is a lower bound on
//! the length of `P || Cmax` for `S`: `ceil(W(S) / P)`, and the pigeonhole bound (of the `kP + 1`
//! longest tasks some worker runs `k + 1`, at least the `k + 1` shortest of them). On layered
//! graphs, where a whole layer must finish before the next starts, this is far stronger than any
//! path. Tails are heads of the reversed graph.
//!
//! # Energy
//! (Fernández and Bussell.) For a candidate makespan `T`, every task runs inside its window
//! `[r_j, T - q_j]`, and the work that must fall inside any interval `[a, b]` cannot exceed
//! `P (b - a)` ([`energy_feasible`]). [`root_bound`] raises the head-and-tail bound to the
//! smallest `T` passing the test.

use super::budget::WorkMeter;
use super::problem::{Bits, Instance, Problem};
use super::reduced::{Reduced, MAX_TASKS};

/// Heads and tails of every task (see the module docs).
pub(super) struct Windows {
    /// Lower bounds on start times.
    pub(super) head: Vec<f64>,
    /// Lower bounds on the time from a task's end to the end of the schedule.
    pub(super) tail: Vec<f64>,
}

impl Windows {
    /// Longest-path heads and tails of the whole problem.
    ///
    /// # Complexity
    /// O(|V| + |E|).
    pub(super) fn of_paths(pb: &Problem) -> Windows {
        let (head, tail) = pb.path_heads_tails();
        Windows { head, tail }
    }

    /// Heads and tails of the reduced problem, raised by the set argument of the module docs.
    ///
    /// # Complexity
    /// O(|V| · (|V| + |E|) + |V|³).
    pub(super) fn of_reduced(red: &Reduced) -> Windows {
        let topo: Vec<usize> = (0..red.n).collect();
        let head = set_heads(
            &red.dur,
            &red.preds,
            &red.succs,
            &topo,
            red.cap,
            red.integral,
        );
        let rtopo: Vec<usize> = (0..red.n).rev().collect();
        let tail = set_heads(
            &red.dur,
            &red.succs,
            &red.preds,
            &rtopo,
            red.cap,
            red.integral,
        );
        Windows { head, tail }
    }
}

/// A lower bound on the makespan of any non-preemptive schedule of `shape` on `workers`
/// identical workers (0 is treated as 1): `max(W / P, C)`, raised by the heads and tails and the
/// energy test of the module docs, rounded up when all costs are integers. It does not search;
/// [`solve`](super::solve) may prove a stronger one.
///
/// # Complexity
/// O(|V|³) per candidate makespan tested; a handful are tested in practice.
#[cfg(test)]
pub(super) fn makespan_lower_bound(
    shape: &crate::shape::DagShape,
    workers: usize,
) -> Result<f64, super::PlanError> {
    let pb = Problem::new(shape, workers)?;
    // The sum of all costs is a schedule length on one worker, hence an upper bound that caps
    // the scan.
    let (head, tail) = pb.path_heads_tails();
    let cp = (0..pb.n)
        .map(|i| head[i] + pb.dur[i] + tail[i])
        .fold(0.0, f64::max);
    let ub = pb.dur.iter().sum::<f64>().max(cp);
    let reduced = Reduced::new(&pb);
    let windows = reduced.as_ref().map(Windows::of_reduced);
    let mut meter = WorkMeter::new(u64::MAX, 0, 0);
    Ok(problem_bound(
        &pb,
        reduced.as_ref().zip(windows.as_ref()),
        ub,
        &mut meter,
    ))
}

/// The root bound of `pb`: on its reduced problem and that problem's windows when there is one
/// (see [`Reduced::new`]), otherwise on longest-path windows; scans no further than `ub`, a
/// known schedule length, and spends at most what `meter` has left on the energy test.
pub(super) fn problem_bound(
    pb: &Problem,
    reduced: Option<(&Reduced, &Windows)>,
    ub: f64,
    meter: &mut WorkMeter,
) -> f64 {
    match reduced {
        Some((red, w)) => root_bound(red.instance(), w, ub, meter),
        None => root_bound(
            Instance {
                dur: &pb.dur,
                cap: pb.cap,
                integral: pb.integral(),
            },
            &Windows::of_paths(pb),
            ub,
            meter,
        ),
    }
}

/// A lower bound on the optimal makespan: total work, heads and tails with their set bound,
/// then the energy test from there upwards (integers one by one; otherwise a short bisection)
/// while below `ub`, a known schedule length. Above [`MAX_TASKS`] tasks the set bound and the
/// bisection are skipped (their cost would exceed the whole search's). The energy tests are
/// charged to `meter` and stop when it has nothing left: a test cut short proves nothing, so
/// the bound stays at the last makespan proven infeasible plus one (still a valid bound).
///
/// # Complexity
/// O(|V|³) per candidate makespan tested, within the budget.
pub(super) fn root_bound(inst: Instance<'_>, w: &Windows, ub: f64, meter: &mut WorkMeter) -> f64 {
    let small = inst.dur.len() <= MAX_TASKS;
    let work: f64 = inst.dur.iter().sum();
    let base = round_up(work / inst.cap as f64, inst.integral).max(if small {
        head_tail_bound(inst, w)
    } else {
        round_up(path_bound(inst, w), inst.integral)
    });
    // A test that runs out of budget answers "feasible": it proved nothing.
    let mut feasible = |t: f64| {
        meter.charge(meter.charges.energy_setup);
        let mut steps = meter.left() / meter.charges.energy_step.max(1);
        let allowed = steps;
        let verdict = energy_feasible(inst, w, t, &mut steps);
        meter.charge((allowed - steps) * meter.charges.energy_step);
        verdict != Some(false)
    };
    if inst.integral {
        let mut t = base;
        while t < ub && !feasible(t) {
            t += 1.0;
        }
        t
    } else {
        if !small || ub <= base || feasible(base) {
            return base;
        }
        // Infeasible at `lo`; `hi` is a schedule length. Eight halvings cut the gap to
        // under 0.4 % of its width, enough for a bound on real-valued costs.
        let (mut lo, mut hi) = (base, ub);
        for _ in 0..8 {
            let mid = 0.5 * (lo + hi);
            if feasible(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        lo
    }
}

/// The longest `r + d + q`.
fn path_bound(inst: Instance<'_>, w: &Windows) -> f64 {
    (0..inst.dur.len())
        .map(|i| w.head[i] + inst.dur[i] + w.tail[i])
        .fold(0.0f64, f64::max)
}

/// A lower bound on the makespan from heads and tails: the longest `r + d + q`, and the set
/// bound over all tasks with tails as deliveries.
pub(super) fn head_tail_bound(inst: Instance<'_>, w: &Windows) -> f64 {
    let mut items: Vec<(f64, f64, f64)> = (0..inst.dur.len())
        .map(|i| (w.head[i], inst.dur[i], w.tail[i]))
        .collect();
    path_bound(inst, w).max(set_bound(&mut items, inst.cap, inst.integral))
}

/// The energy test for makespan `t`: every task `i` runs inside `[head_i, t - tail_i]`, and the
/// work that must fall inside any interval `[a, b]` is at most `P (b - a)`. Each interval
/// costs `|V|` of `steps`; `None` when they run out before the test is decided.
///
/// # Complexity
/// O(|V|³), or O(`steps`).
pub(super) fn energy_feasible(
    inst: Instance<'_>,
    w: &Windows,
    t: f64,
    steps: &mut u64,
) -> Option<bool> {
    let (dur, head, tail) = (inst.dur, &w.head, &w.tail);
    let n = dur.len();
    let lst: Vec<f64> = (0..n).map(|i| t - tail[i] - dur[i]).collect();
    if (0..n).any(|i| lst[i] < head[i] - 1e-9 * t.abs().max(1.0)) {
        return Some(false);
    }
    let mut lefts: Vec<f64> = head.to_vec();
    let mut rights: Vec<f64> = (0..n).map(|i| lst[i] + dur[i]).collect();
    lefts.sort_by(f64::total_cmp);
    lefts.dedup();
    rights.sort_by(f64::total_cmp);
    rights.dedup();
    let cap = inst.cap as f64;
    for &a in &lefts {
        for &b in rights.iter().filter(|&&b| b > a) {
            *steps = steps.checked_sub(n as u64)?;
            let len = b - a;
            let mut need = 0.0;
            for i in 0..n {
                let d = dur[i];
                let part = d.min(len).min(head[i] + d - a).min(b - lst[i]);
                if part > 0.0 {
                    need += part;
                }
            }
            if need > cap * len + 1e-9 * need.max(1.0) {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// `ceil(x)` for integral problems (with a guard against division noise), `x` otherwise.
pub(super) fn round_up(x: f64, integral: bool) -> f64 {
    if integral {
        (x - 1e-9).ceil()
    } else {
        x
    }
}

/// Lower bound on the `P || Cmax` length of tasks whose costs are `sorted_desc` (descending)
/// and total `work`: `W / P` and the pigeonhole bounds of the module docs (levels `k <= 3`).
fn set_length(sorted_desc: &[f64], work: f64, cap: usize, integral: bool) -> f64 {
    let mut best = round_up(work / cap as f64, integral);
    if let Some(&first) = sorted_desc.first() {
        best = best.max(first);
    }
    // Three levels catch nearly everything the bound can give; deeper levels rarely win and
    // each costs a pass over the set.
    for k in 1..=3usize {
        let top = k * cap + 1;
        if sorted_desc.len() < top {
            break;
        }
        let sum: f64 = sorted_desc[top - 1 - k..top].iter().sum();
        best = best.max(sum);
    }
    best
}

/// `max over (h, g)` of `h + L(S) + g` for the items `(head, cost, delivery)`; see the module
/// docs. `items` is sorted in place.
///
/// # Complexity
/// O(k²) for `k` items.
fn set_bound(items: &mut [(f64, f64, f64)], cap: usize, integral: bool) -> f64 {
    if items.is_empty() {
        return 0.0;
    }
    // Sweep heads from the largest down, one pass per delivery threshold.
    items.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut gs: Vec<f64> = items.iter().map(|x| x.2).collect();
    gs.sort_by(f64::total_cmp);
    gs.dedup();
    let mut best = 0.0f64;
    let mut sorted: Vec<f64> = Vec::with_capacity(items.len());
    for (gi, &g) in gs.iter().enumerate() {
        let mut work = 0.0;
        sorted.clear();
        for (k, &(h, d, gd)) in items.iter().enumerate() {
            if gd < g {
                continue;
            }
            work += d;
            // The pigeonhole bound needs the costs sorted; it is kept for the smallest threshold
            // (every item) only, which is where it matters and keeps the bound O(k²).
            if gi == 0 {
                let at = sorted.partition_point(|&x| x >= d);
                sorted.insert(at, d);
            }
            let next_head_differs = items.get(k + 1).is_none_or(|x| x.0 != h);
            if !next_head_differs {
                continue;
            }
            let len = if gi == 0 {
                set_length(&sorted, work, cap, integral)
            } else {
                round_up(work / cap as f64, integral)
            };
            best = best.max(h + len + g);
        }
    }
    best
}

/// Set-strengthened heads of the module docs, for predecessor lists `preds` and successor lists
/// `succs` in topological order `topo` (pass the successor lists as `preds` and the reversed
/// order to get tails).
///
/// # Complexity
/// O(|V| · (|V| + |E|) + |V|³) for the pairwise chains and the set bounds.
fn set_heads(
    dur: &[f64],
    preds: &[Vec<usize>],
    succs: &[Vec<usize>],
    topo: &[usize],
    cap: usize,
    integral: bool,
) -> Vec<f64> {
    let n = dur.len();
    let anc = Bits::closure(n, preds, topo);
    let mut head = vec![0.0f64; n];
    // g[i]: longest chain of costs strictly between ancestor i and the current task.
    let mut g = vec![f64::NEG_INFINITY; n];
    let mut items = Vec::with_capacity(n);
    let mut pos = vec![0usize; n];
    for (k, &t) in topo.iter().enumerate() {
        pos[t] = k;
    }
    for (k, &j) in topo.iter().enumerate() {
        let mut r = preds[j]
            .iter()
            .map(|&p| head[p] + dur[p])
            .fold(0.0f64, f64::max);
        if preds[j].len() > 1 {
            // Chains to j, ancestors in reverse topological order.
            items.clear();
            for &i in topo[..k].iter().rev() {
                if !anc.get(j, i) {
                    continue;
                }
                let mut best = f64::NEG_INFINITY;
                for &s in &succs[i] {
                    if s == j {
                        best = best.max(0.0);
                    } else if pos[s] < k && anc.get(j, s) {
                        best = best.max(dur[s] + g[s]);
                    }
                }
                g[i] = best;
                items.push((head[i], dur[i], best));
            }
            r = r.max(set_bound(&mut items, cap, integral));
        }
        head[j] = r;
    }
    head
}
