//! Exact depth-first branch and bound for `P | prec | Cmax`, with a node limit.
//!
//! # What is searched
//! The search works on the [`Reduced`] problem: zero-cost tasks are contracted away (their
//! predecessors become predecessors of their successors), which only relaxes the problem, so
//! what it proves about the reduced problem bounds the real one from below.
//!
//! Some optimal schedule is *active*: no task can start earlier without moving another. An
//! active schedule is rebuilt exactly by placing its tasks in order of (start, index), each at
//! the earliest time the already placed ones leave free (a task that could go earlier could be
//! shifted left in the schedule itself). So the search builds schedules in that order: a node
//! is a prefix, a child appends one eligible task at its earliest start, and only children
//! whose (start, index) follow the last placed task's are kept. Every active schedule is then
//! built exactly once; since all later tasks start no earlier than the last placed one, the
//! state is just the machines' release times, and workers are interchangeable, so no symmetric
//! machine assignments are ever tried.
//!
//! # Pruning
//! The search answers "is there a schedule of length at most `T`?" (`T` from the lower bound
//! upwards: each exhausted `T` proves the optimum is larger). A node is cut when:
//! - some task's earliest start (propagated along paths from the placed tasks, and never below
//!   its static head from [`super::bounds`]) exceeds its latest start `T - tail - cost`;
//! - the energy that must fall before some deadline, or after some release, exceeds what the
//!   machines still offer there;
//! - (left shift) the new task starts at `s` although another eligible task would fit entirely
//!   in the idle time before `s`: every completion leaves that task shiftable, so it is not
//!   active;
//! - (dominance) a task `b` is placed while a task `a` with the same cost, no more ancestors
//!   and no fewer descendants is still unplaced: swapping two such tasks in any schedule keeps
//!   it feasible, so some optimal schedule starts `a` no later than `b`. Tasks are renumbered
//!   in a topological order of precedence and dominance so that ties in start time agree with
//!   the rule.

use super::bounds;
use super::Problem;
use crate::shape::TaskIndex;

/// Above this many positive-cost tasks the set bounds (O(|V|³)) and the search are skipped:
/// the prover's graphs have a few hundred tasks at most, and beyond that the bounds alone would
/// cost more than the whole local search.
pub(super) const MAX_TASKS: usize = 400;

/// The problem restricted to tasks of positive cost, renumbered topologically.
pub(super) struct Reduced {
    pub(super) n: usize,
    pub(super) cap: usize,
    pub(super) dur: Vec<f64>,
    pub(super) preds: Vec<Vec<usize>>,
    pub(super) succs: Vec<Vec<usize>>,
    /// Original index of each task.
    pub(super) orig: Vec<TaskIndex>,
    /// All costs are integers (below 2^50), so the optimum is an integer.
    pub(super) integral: bool,
    /// `dominates[a]`: the tasks `b` that may not be placed before `a`.
    pub(super) dominates: Vec<Vec<usize>>,
    /// Number of tasks dominating each task.
    pub(super) dominators: Vec<u32>,
    /// Lower bounds on start times.
    pub(super) head: Vec<f64>,
    /// Lower bounds on the time from a task's end to the end of the schedule.
    pub(super) tail: Vec<f64>,
}

impl Reduced {
    /// Builds the reduced problem, or `None` when it has more than [`MAX_TASKS`] tasks.
    pub(super) fn new(pb: &Problem) -> Option<Reduced> {
        let positive: Vec<TaskIndex> = pb
            .topo
            .iter()
            .copied()
            .filter(|&t| pb.dur[t] > 0.0)
            .collect();
        let m = positive.len();
        if m > MAX_TASKS {
            return None;
        }
        let mut tmp = vec![usize::MAX; pb.n];
        for (k, &t) in positive.iter().enumerate() {
            tmp[t] = k;
        }
        // Positive predecessors reached through chains of zero-cost tasks.
        let mut frontier: Vec<Vec<usize>> = vec![Vec::new(); pb.n];
        for &t in &pb.topo {
            let mut f = Vec::new();
            for &p in &pb.preds[t] {
                if pb.dur[p] > 0.0 {
                    f.push(tmp[p]);
                } else {
                    f.extend_from_slice(&frontier[p]);
                }
            }
            f.sort_unstable();
            f.dedup();
            frontier[t] = f;
        }
        let preds0: Vec<Vec<usize>> = positive.iter().map(|&t| frontier[t].clone()).collect();
        let mut succs0 = vec![Vec::new(); m];
        for (j, ps) in preds0.iter().enumerate() {
            for &p in ps {
                succs0[p].push(j);
            }
        }
        let order0: Vec<usize> = (0..m).collect();
        let anc = bounds::closure(m, &preds0, &order0);
        let rev: Vec<usize> = (0..m).rev().collect();
        let desc = bounds::closure(m, &succs0, &rev);
        let dur0: Vec<f64> = positive.iter().map(|&t| pb.dur[t]).collect();

        // Dominance pairs a -> b (a placed no later than b), see the module docs.
        let mut dom0: Vec<Vec<usize>> = vec![Vec::new(); m];
        for a in 0..m {
            for b in 0..m {
                if a == b || dur0[a] != dur0[b] || anc.get(b, a) || anc.get(a, b) {
                    continue;
                }
                if anc.is_subset(a, b) && desc.is_subset(b, a) {
                    let same = anc.is_subset(b, a) && desc.is_subset(a, b);
                    if !same || a < b {
                        dom0[a].push(b);
                    }
                }
            }
        }
        // Topological order of precedence and dominance together (Kahn, smallest index first);
        // should the union have a cycle, dominance is dropped.
        let order = kahn(m, &succs0, &dom0).or_else(|| {
            dom0.iter_mut().for_each(Vec::clear);
            kahn(m, &succs0, &dom0)
        })?;
        let mut new_of = vec![0; m];
        for (k, &t) in order.iter().enumerate() {
            new_of[t] = k;
        }
        let remap = |lists: &[Vec<usize>]| -> Vec<Vec<usize>> {
            order
                .iter()
                .map(|&t| {
                    let mut l: Vec<usize> = lists[t].iter().map(|&x| new_of[x]).collect();
                    l.sort_unstable();
                    l
                })
                .collect()
        };
        let preds = remap(&preds0);
        let succs = remap(&succs0);
        let dominates = remap(&dom0);
        let mut dominators = vec![0u32; m];
        for list in &dominates {
            for &b in list {
                dominators[b] += 1;
            }
        }
        let dur: Vec<f64> = order.iter().map(|&t| dur0[t]).collect();
        let integral = dur.iter().all(|d| d.fract() == 0.0 && *d < 1e15);
        let topo: Vec<usize> = (0..m).collect();
        let head = bounds::heads(&dur, &preds, &succs, &topo, pb.cap, integral);
        let rtopo: Vec<usize> = (0..m).rev().collect();
        let tail = bounds::heads(&dur, &succs, &preds, &rtopo, pb.cap, integral);
        Some(Reduced {
            n: m,
            cap: pb.cap,
            dur,
            preds,
            succs,
            orig: order.iter().map(|&t| positive[t]).collect(),
            integral,
            dominates,
            dominators,
            head,
            tail,
        })
    }

    /// A lower bound on the optimal makespan: total work, heads and tails with their set bound,
    /// then the energy test from there upwards (integers one by one; otherwise a short
    /// bisection) while below `ub`, a known schedule length.
    pub(super) fn root_bound(&self, ub: f64) -> f64 {
        let work: f64 = self.dur.iter().sum();
        let base = round_up(work / self.cap as f64, self.integral)
            .max(bounds::head_tail_bound(self, &self.head, &self.tail));
        if self.integral {
            let mut t = base;
            while t < ub && !bounds::energy_feasible(self, &self.head, &self.tail, t) {
                t += 1.0;
            }
            t
        } else {
            if ub <= base || bounds::energy_feasible(self, &self.head, &self.tail, base) {
                return base;
            }
            // Infeasible at `lo`; `hi` is a schedule length. Eight halvings cut the gap to
            // under 0.4 % of its width, enough for a bound on real-valued costs.
            let (mut lo, mut hi) = (base, ub);
            for _ in 0..8 {
                let mid = 0.5 * (lo + hi);
                if bounds::energy_feasible(self, &self.head, &self.tail, mid) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            lo
        }
    }
}

fn round_up(x: f64, integral: bool) -> f64 {
    if integral {
        (x - 1e-9).ceil()
    } else {
        x
    }
}

fn kahn(m: usize, succs: &[Vec<usize>], dom: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut indeg = vec![0usize; m];
    for t in 0..m {
        for &s in succs[t].iter().chain(&dom[t]) {
            indeg[s] += 1;
        }
    }
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..m)
        .filter(|&t| indeg[t] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut order = Vec::with_capacity(m);
    while let Some(std::cmp::Reverse(t)) = ready.pop() {
        order.push(t);
        for &s in succs[t].iter().chain(&dom[t]) {
            indeg[s] -= 1;
            if indeg[s] == 0 {
                ready.push(std::cmp::Reverse(s));
            }
        }
    }
    (order.len() == m).then_some(order)
}

/// How one deadline search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// A schedule within the deadline was found (its start times are in the search).
    Found,
    /// The tree was exhausted: no schedule meets the deadline.
    Infeasible,
    /// The node limit was reached first.
    Limit,
}

/// The result of [`improve`].
pub(super) struct Improved {
    /// The best proven lower bound on the reduced problem's optimum.
    pub(super) lower: f64,
    /// Start times (reduced indices) of a schedule shorter than the `ub` passed in, if found.
    pub(super) starts: Option<Vec<f64>>,
    /// Nodes searched.
    pub(super) nodes: u64,
}

/// Raises the lower bound `lb` and looks for schedules shorter than `ub`, within `budget`
/// nodes: for integer costs, deadlines `lb, lb + 1, ...` in turn (each exhausted one raises the
/// bound, the first feasible one is optimal); otherwise repeated searches for any schedule
/// shorter than the best, until one is exhausted (which proves the best optimal).
pub(super) fn improve(red: &Reduced, mut lb: f64, ub: f64, budget: u64) -> Improved {
    let mut search = Search::new(red);
    search.limit = budget;
    let mut best: Option<Vec<f64>> = None;
    let mut ub = ub;
    if red.integral {
        let mut t = lb;
        while t < ub {
            match search.run(t) {
                Outcome::Found => {
                    best = Some(search.start.clone());
                    // t is the bound proven so far and the schedule meets it: optimal.
                    lb = t;
                    break;
                }
                Outcome::Infeasible => {
                    t += 1.0;
                    lb = t;
                }
                Outcome::Limit => break,
            }
        }
    } else {
        loop {
            // Improvements below 1e-8 of the length are not worth a search; the search's own
            // tolerance (1e-10) is far below this step, so every schedule it finds is shorter.
            let deadline = ub - 1e-8 * ub.abs().max(1.0);
            if deadline < lb {
                lb = ub;
                break;
            }
            match search.run(deadline) {
                Outcome::Found => {
                    let ms = (0..red.n)
                        .map(|i| search.start[i] + red.dur[i])
                        .fold(0.0f64, f64::max);
                    best = Some(search.start.clone());
                    ub = ms.min(deadline);
                }
                Outcome::Infeasible => {
                    lb = lb.max(deadline);
                    break;
                }
                Outcome::Limit => break,
            }
        }
    }
    Improved {
        lower: lb,
        starts: best,
        nodes: search.nodes,
    }
}

struct Search<'a> {
    red: &'a Reduced,
    deadline: f64,
    tol: f64,
    lst: Vec<f64>,
    start: Vec<f64>,
    done: Vec<bool>,
    missing: Vec<u32>,
    ready: Vec<f64>,
    blockers: Vec<u32>,
    avail: Vec<f64>,
    est: Vec<f64>,
    /// Candidate lists, one per depth, reused.
    cands: Vec<Vec<(usize, f64)>>,
    /// Ready times overwritten by placements, restored on backtracking.
    saved_ready: Vec<f64>,
    nodes: u64,
    limit: u64,
}

impl<'a> Search<'a> {
    fn new(red: &'a Reduced) -> Search<'a> {
        let n = red.n;
        Search {
            red,
            deadline: 0.0,
            tol: 0.0,
            lst: vec![0.0; n],
            start: vec![0.0; n],
            done: vec![false; n],
            missing: vec![0; n],
            ready: vec![0.0; n],
            blockers: vec![0; n],
            avail: vec![0.0; red.cap],
            est: vec![0.0; n],
            cands: vec![Vec::new(); n + 1],
            saved_ready: Vec::new(),
            nodes: 0,
            limit: 0,
        }
    }

    /// Searches for a schedule of length at most `deadline`.
    fn run(&mut self, deadline: f64) -> Outcome {
        let red = self.red;
        self.deadline = deadline;
        self.tol = 1e-10 * deadline.abs().max(1.0);
        for i in 0..red.n {
            self.lst[i] = deadline - red.tail[i] - red.dur[i];
            self.done[i] = false;
            self.missing[i] = red.preds[i].len() as u32;
            self.ready[i] = 0.0;
            self.blockers[i] = red.dominators[i];
        }
        self.avail.iter_mut().for_each(|a| *a = 0.0);
        self.saved_ready.clear();
        self.dfs(0, 0.0, None)
    }

    fn dfs(&mut self, depth: usize, t0: f64, last: Option<usize>) -> Outcome {
        let red = self.red;
        let n = red.n;
        if depth == n {
            return Outcome::Found;
        }
        self.nodes += 1;
        if self.nodes > self.limit {
            return Outcome::Limit;
        }
        let a_min = self
            .avail
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .max(t0);
        // Earliest starts along paths; indices are topological.
        for j in 0..n {
            if self.done[j] {
                continue;
            }
            let mut e = a_min.max(red.head[j]);
            for &p in &red.preds[j] {
                let f = if self.done[p] {
                    self.start[p]
                } else {
                    self.est[p]
                } + red.dur[p];
                e = e.max(f);
            }
            if e > self.lst[j] + self.tol {
                return Outcome::Infeasible;
            }
            self.est[j] = e;
        }
        if !self.energy_ok(a_min) {
            return Outcome::Infeasible;
        }

        let mut cands = std::mem::take(&mut self.cands[depth]);
        cands.clear();
        for j in 0..n {
            if self.done[j] || self.missing[j] > 0 || self.blockers[j] > 0 {
                continue;
            }
            let s = a_min.max(self.ready[j]);
            let follows = match last {
                None => true,
                // Exact comparison: a tolerance here could drop schedules; duplicates are safe.
                Some(l) => s > t0 || j > l,
            };
            if follows {
                cands.push((j, s));
            }
        }
        // Left shift: drop a candidate if another eligible task fits in the idle time before it
        // (compared exactly, for the same reason).
        let fits_before = |s: f64, j: usize, this: &Self| {
            (0..n).any(|k| {
                k != j
                    && !this.done[k]
                    && this.missing[k] == 0
                    && a_min.max(this.ready[k]) + red.dur[k] <= s
            })
        };
        cands.retain(|&(j, s)| s <= a_min || !fits_before(s, j, self));
        // Tightest latest start first, then earliest start: finds feasible schedules early.
        cands.sort_by(|a, b| {
            self.lst[a.0]
                .total_cmp(&self.lst[b.0])
                .then(a.1.total_cmp(&b.1))
                .then(a.0.cmp(&b.0))
        });
        let mut outcome = Outcome::Infeasible;
        for &(j, s) in &cands {
            // Place j on a machine released first.
            let m = (0..self.avail.len())
                .min_by(|&x, &y| self.avail[x].total_cmp(&self.avail[y]))
                .expect("at least one machine");
            let old_avail = self.avail[m];
            let end = s + red.dur[j];
            self.avail[m] = end;
            self.start[j] = s;
            self.done[j] = true;
            let saved_at = self.saved_ready.len();
            for &x in &red.succs[j] {
                self.missing[x] -= 1;
                self.saved_ready.push(self.ready[x]);
                self.ready[x] = self.ready[x].max(end);
            }
            for &b in &red.dominates[j] {
                self.blockers[b] -= 1;
            }
            let r = self.dfs(depth + 1, s, Some(j));
            if r == Outcome::Found {
                outcome = r;
                break;
            }
            for &b in &red.dominates[j] {
                self.blockers[b] += 1;
            }
            for (k, &x) in red.succs[j].iter().enumerate() {
                self.missing[x] += 1;
                self.ready[x] = self.saved_ready[saved_at + k];
            }
            self.saved_ready.truncate(saved_at);
            self.done[j] = false;
            self.avail[m] = old_avail;
            if r == Outcome::Limit {
                outcome = r;
                break;
            }
        }
        self.cands[depth] = cands;
        outcome
    }

    /// The energy tests of the module docs on the unplaced tasks, with windows
    /// `[est, lst + cost]` and the machines' release times.
    fn energy_ok(&self, a_min: f64) -> bool {
        let red = self.red;
        let tol = self.tol;
        // No unplaced task starts before a_min.
        let rel = |m: f64| m.max(a_min);
        for b_task in 0..red.n {
            if self.done[b_task] {
                continue;
            }
            // Work that must be done before b.
            let b = self.lst[b_task] + red.dur[b_task];
            let mut need = 0.0;
            for i in 0..red.n {
                if !self.done[i] {
                    let part = red.dur[i].min(b - self.lst[i]);
                    if part > 0.0 {
                        need += part;
                    }
                }
            }
            let supply: f64 = self.avail.iter().map(|&m| (b - rel(m)).max(0.0)).sum();
            if need > supply + tol {
                return false;
            }
            // Work that must be done after a.
            let a = self.est[b_task];
            let mut need = 0.0;
            for i in 0..red.n {
                if !self.done[i] {
                    let part = red.dur[i].min(self.est[i] + red.dur[i] - a);
                    if part > 0.0 {
                        need += part;
                    }
                }
            }
            let supply: f64 = self
                .avail
                .iter()
                .map(|&m| (self.deadline - rel(m).max(a)).max(0.0))
                .sum();
            if need > supply + tol {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::{any, prop_assert, proptest, ProptestConfig};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::super::{makespan_lower_bound, solve, validate_plan, PlanOptions, Problem};
    use super::*;
    use crate::shape::{DagShape, TaskShape};

    fn dag(costs: &[f64], preds: Vec<Vec<usize>>) -> DagShape {
        let n = costs.len();
        let mut succs = vec![Vec::new(); n];
        for (j, ps) in preds.iter().enumerate() {
            for &p in ps {
                succs[p].push(j);
            }
        }
        DagShape {
            tasks: costs
                .iter()
                .enumerate()
                .map(|(i, &c)| TaskShape {
                    name: format!("t{i}"),
                    kind: "test".into(),
                    cost_s: c,
                    max_threads: 1,
                    peak_mem_bytes: 0,
                    locality: None,
                })
                .collect(),
            preds,
            succs,
        }
    }

    /// A random DAG of `n` tasks (edges from lower to higher index) with costs from `costs`.
    fn random_dag(n: usize, density: f64, costs: &[f64], seed: u64) -> DagShape {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let c: Vec<f64> = (0..n)
            .map(|_| costs[rng.gen_range(0..costs.len())])
            .collect();
        let preds = (0..n)
            .map(|i| (0..i).filter(|_| rng.gen_bool(density)).collect())
            .collect();
        dag(&c, preds)
    }

    /// The exact optimum for integer costs, by dynamic programming over every integer time step
    /// and every set of ready tasks started at it (zero-cost tasks need no worker: the relaxation
    /// the bounds and the search reason about). Independent of active-schedule theory.
    fn brute_integer(shape: &DagShape, cap: usize) -> f64 {
        let n = shape.tasks.len();
        let d: Vec<u64> = shape.tasks.iter().map(|t| t.cost_s as u64).collect();
        let horizon: u64 = d.iter().sum::<u64>() + 1;
        fn rec(
            t: u64,
            end: &[Option<u64>],
            d: &[u64],
            preds: &[Vec<usize>],
            cap: usize,
            horizon: u64,
            memo: &mut HashMap<(u64, Vec<Option<u64>>), u64>,
        ) -> u64 {
            let n = d.len();
            if t > horizon {
                return u64::MAX;
            }
            // Finished tasks only matter as finished: the makespan is set by later ones.
            let key: Vec<Option<u64>> = end
                .iter()
                .map(|e| e.map(|e| if e <= t { 0 } else { e }))
                .collect();
            if let Some(&v) = memo.get(&(t, key.clone())) {
                return v;
            }
            let ready: Vec<usize> = (0..n)
                .filter(|&i| key[i].is_none() && preds[i].iter().all(|&p| key[p] == Some(0)))
                .collect();
            let running = (0..n).filter(|&i| key[i].is_some_and(|e| e > t)).count();
            let free = cap - running;
            let mut best = u64::MAX;
            let mut next = key.clone();
            for mask in 0u32..(1 << ready.len()) {
                let chosen: Vec<usize> = (0..ready.len())
                    .filter(|&k| mask & (1 << k) != 0)
                    .map(|k| ready[k])
                    .collect();
                if chosen.iter().filter(|&&i| d[i] > 0).count() > free {
                    continue;
                }
                next.clone_from(&key);
                for &i in &chosen {
                    next[i] = Some(t + d[i]);
                }
                let v = if next.iter().all(Option::is_some) {
                    next.iter().map(|e| e.unwrap()).max().unwrap_or(0).max(t)
                } else if !chosen.is_empty() && chosen.iter().all(|&i| d[i] == 0) {
                    // Zero-cost tasks end at once: their successors may start at t too.
                    rec(t, &next, d, preds, cap, horizon, memo)
                } else {
                    rec(t + 1, &next, d, preds, cap, horizon, memo)
                };
                best = best.min(v);
            }
            memo.insert((t, key), best);
            best
        }
        let end = vec![None; n];
        let mut memo = HashMap::new();
        rec(0, &end, &d, &shape.preds, cap, horizon, &mut memo) as f64
    }

    /// The exact optimum for any costs: the best over every topological order of a serial
    /// decoding (each task at the earliest time capacity allows); every active schedule, hence
    /// an optimal one, is some order's decoding.
    fn brute_orders(shape: &DagShape, cap: usize) -> f64 {
        let n = shape.tasks.len();
        let d: Vec<f64> = shape.tasks.iter().map(|t| t.cost_s).collect();
        fn rec(
            placed: &mut Vec<(usize, f64)>,
            d: &[f64],
            preds: &[Vec<usize>],
            cap: usize,
            best: &mut f64,
        ) {
            let n = d.len();
            if placed.len() == n {
                let ms = placed.iter().map(|&(i, s)| s + d[i]).fold(0.0, f64::max);
                *best = best.min(ms);
                return;
            }
            for j in 0..n {
                if placed.iter().any(|&(i, _)| i == j)
                    || !preds[j]
                        .iter()
                        .all(|p| placed.iter().any(|&(i, _)| i == *p))
                {
                    continue;
                }
                let ready = preds[j]
                    .iter()
                    .map(|&p| {
                        placed
                            .iter()
                            .find(|x| x.0 == p)
                            .map(|x| x.1 + d[p])
                            .unwrap()
                    })
                    .fold(0.0, f64::max);
                let mut times: Vec<f64> = placed
                    .iter()
                    .map(|&(i, s)| s + d[i])
                    .filter(|&e| e > ready)
                    .collect();
                times.push(ready);
                times.sort_by(f64::total_cmp);
                let fits = |s: f64| {
                    // Usage only rises at starts, so checking s and the starts inside is enough.
                    let mut points = vec![s];
                    points.extend(
                        placed
                            .iter()
                            .map(|x| x.1)
                            .filter(|&x| x > s && x < s + d[j]),
                    );
                    points.iter().all(|&t| {
                        placed
                            .iter()
                            .filter(|&&(i, st)| d[i] > 0.0 && st <= t && t < st + d[i])
                            .count()
                            < cap
                    }) || d[j] == 0.0
                };
                let s = times.into_iter().find(|&s| fits(s)).unwrap();
                placed.push((j, s));
                rec(placed, d, preds, cap, best);
                placed.pop();
            }
        }
        let mut best = f64::INFINITY;
        rec(&mut Vec::new(), &d, &shape.preds, cap, &mut best);
        if n == 0 {
            0.0
        } else {
            best
        }
    }

    /// Checks that reduced start times form a feasible schedule of `red`; returns its makespan.
    fn check_reduced(red: &Reduced, starts: &[f64]) -> f64 {
        for j in 0..red.n {
            for &p in &red.preds[j] {
                assert!(
                    starts[j] + 1e-9 >= starts[p] + red.dur[p],
                    "precedence {p} -> {j}"
                );
            }
            let s = starts[j];
            let overlap = (0..red.n)
                .filter(|&i| starts[i] <= s + 1e-9 && s < starts[i] + red.dur[i] - 1e-9)
                .count();
            assert!(overlap <= red.cap, "{overlap} tasks at {s}");
        }
        (0..red.n)
            .map(|i| starts[i] + red.dur[i])
            .fold(0.0, f64::max)
    }

    /// Runs the search to the end from the root bound and checks it against `opt`.
    fn search_is_exact(shape: &DagShape, cap: usize, opt: f64) {
        let pb = Problem::new(shape, cap).unwrap();
        let red = Reduced::new(&pb).unwrap();
        let total: f64 = red.dur.iter().sum();
        let ub = total + 1.0;
        let root = red.root_bound(ub);
        assert!(root <= opt + 1e-9, "root bound {root} > optimum {opt}");
        for i in 0..red.n {
            assert!(red.head[i] + red.dur[i] + red.tail[i] <= opt + 1e-9);
        }
        let found = improve(&red, root, ub, 10_000_000);
        let starts = found.starts.expect("a schedule below the trivial bound");
        let ms = check_reduced(&red, &starts);
        assert!((ms - opt).abs() < 1e-6, "search found {ms}, optimum {opt}");
        assert!(
            (found.lower - opt).abs() < 1e-6,
            "search proved {}, optimum {opt}",
            found.lower
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn search_matches_brute_force_on_integer_costs(
            n in 1usize..8, density in 0.0f64..0.5, cap in 1usize..4, seed in any::<u64>()
        ) {
            let shape = random_dag(n, density, &[0.0, 1.0, 2.0, 3.0, 4.0, 4.0], seed);
            let opt = brute_integer(&shape, cap);
            if shape.tasks.iter().all(|t| t.cost_s == 0.0) {
                return Ok(());
            }
            search_is_exact(&shape, cap, opt);
            // Every bound the public API reports stays below the optimum, whatever the budget
            // (zero-cost tasks only make the real problem harder than the relaxation solved).
            prop_assert!(makespan_lower_bound(&shape, cap).unwrap() <= opt + 1e-9);
            for nodes in [0, 1, 5, 50, 1_000_000] {
                let options = PlanOptions { max_iterations: 0, max_search_nodes: nodes, ..PlanOptions::default() };
                let sol = solve(&shape, cap, &options).unwrap();
                validate_plan(&shape, &sol.plan).unwrap();
                prop_assert!(sol.lower_bound <= opt + 1e-9, "bound {} > optimum {opt}", sol.lower_bound);
                prop_assert!(sol.plan.makespan_s + 1e-9 >= sol.lower_bound);
            }
        }

        #[test]
        fn search_matches_brute_force_on_fractional_costs(
            n in 1usize..7, density in 0.0f64..0.5, cap in 1usize..4, seed in any::<u64>()
        ) {
            let shape = random_dag(n, density, &[0.5, 0.75, 1.25, 2.0, 2.5], seed);
            let opt = brute_orders(&shape, cap);
            search_is_exact(&shape, cap, opt);
            prop_assert!(makespan_lower_bound(&shape, cap).unwrap() <= opt + 1e-9);
            let options = PlanOptions { max_iterations: 0, ..PlanOptions::default() };
            let sol = solve(&shape, cap, &options).unwrap();
            validate_plan(&shape, &sol.plan).unwrap();
            prop_assert!(sol.lower_bound <= opt + 1e-9);
            prop_assert!((sol.plan.makespan_s - opt).abs() < 1e-6, "plan {} vs optimum {opt}", sol.plan.makespan_s);
        }
    }

    #[test]
    fn brute_forces_agree() {
        for seed in 0..30 {
            let shape = random_dag(6, 0.3, &[1.0, 2.0, 3.0], seed);
            for cap in 1..=3 {
                assert_eq!(
                    brute_integer(&shape, cap),
                    brute_orders(&shape, cap),
                    "seed {seed}"
                );
            }
        }
    }

    #[test]
    fn layered_graph_bound_sees_whole_layers() {
        // Two layers of five unit tasks, fully connected, on two workers: each layer needs
        // three steps, so the optimum is 6, while W / P = 5 and the critical path is 2.
        let mut preds = vec![Vec::new(); 5];
        preds.extend((0..5).map(|_| (0..5).collect::<Vec<_>>()));
        let shape = dag(&[1.0; 10], preds);
        assert_eq!(makespan_lower_bound(&shape, 2).unwrap(), 6.0);
        let sol = solve(&shape, 2, &PlanOptions::default()).unwrap();
        assert!(sol.is_optimal());
        assert_eq!(sol.plan.makespan_s, 6.0);
    }

    #[test]
    fn dominance_keeps_interchangeable_tasks_in_index_order() {
        // Four identical independent tasks: each dominates the later ones, and precedence plus
        // dominance still has a topological order.
        let shape = dag(&[2.0; 4], vec![Vec::new(); 4]);
        let pb = Problem::new(&shape, 2).unwrap();
        let red = Reduced::new(&pb).unwrap();
        assert_eq!(red.dominators, vec![0, 1, 2, 3]);
        search_is_exact(&shape, 2, 4.0);
    }
}
