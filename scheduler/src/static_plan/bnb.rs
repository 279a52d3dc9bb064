//! Exact depth-first branch and bound for `P | prec | Cmax`, with a node limit.
//!
//! # What is searched
//! The search works on the [`Reduced`] problem (zero-cost tasks contracted away, a relaxation,
//! so what it proves bounds the real problem from below) and its [`Windows`] (heads and tails).
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

use super::bounds::Windows;
use super::reduced::Reduced;

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
pub(super) fn improve(red: &Reduced, w: &Windows, mut lb: f64, ub: f64, budget: u64) -> Improved {
    let mut search = Search::new(red, w);
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
    w: &'a Windows,
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
    fn new(red: &'a Reduced, w: &'a Windows) -> Search<'a> {
        let n = red.n;
        Search {
            red,
            w,
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
            self.lst[i] = deadline - self.w.tail[i] - red.dur[i];
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
        if self.nodes >= self.limit {
            return Outcome::Limit;
        }
        self.nodes += 1;
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
            let mut e = a_min.max(self.w.head[j]);
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
