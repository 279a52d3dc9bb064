//! The model every part of the planner shares: a validated instance ([`Problem`]), what a
//! lower bound reads of one ([`Instance`]), the capacity
//! profile serial decoding fills ([`Profile`]), reusable buffers ([`Workspace`]) and task bitsets
//! ([`Bits`]).
//!
//! # Conventions
//! Costs are `dur`, workers are the capacity `cap`. Lower bounds on start times are *heads*,
//! lower bounds on the time from a task's end to the end of the schedule are *tails* (the task's
//! own cost excluded). [`Problem::path_heads_tails`] gives the longest-path values; the `bounds`
//! module raises them.

use std::cmp::Ordering;

use crate::analysis::{self, CycleError};
use crate::shape::{DagShape, TaskIndex};

/// The shape cannot be scheduled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The graph has a cycle.
    #[error(transparent)]
    Cycle(#[from] CycleError),
    /// The shape is inconsistent (lengths, indices, costs or priorities).
    #[error("invalid task graph shape: {0}")]
    InvalidShape(String),
}

/// A validated instance: costs, predecessor and successor lists rebuilt from `preds`.
pub(super) struct Problem {
    pub(super) n: usize,
    pub(super) cap: usize,
    pub(super) dur: Vec<f64>,
    pub(super) preds: Vec<Vec<TaskIndex>>,
    pub(super) succs: Vec<Vec<TaskIndex>>,
    /// Position of each task in a fixed topological order (tie-breaker that respects precedence).
    pub(super) topo_pos: Vec<usize>,
    /// That topological order ([`analysis::topological_order`]'s, on the rebuilt successors).
    pub(super) topo: Vec<TaskIndex>,
}

impl Problem {
    /// Validates `shape` ([`analysis::checked_succs`]) and orders it topologically.
    ///
    /// # Complexity
    /// O(|V| + |E|).
    pub(super) fn new(shape: &DagShape, workers: usize) -> Result<Problem, PlanError> {
        let n = shape.tasks.len();
        let succs = analysis::checked_succs(shape).map_err(PlanError::InvalidShape)?;
        let dur: Vec<f64> = shape.tasks.iter().map(|t| t.cost_s).collect();
        let preds = shape.preds.clone();
        let topo = analysis::topo_order_of(&preds, &succs, |t| shape.tasks[t].name.clone())?;
        let mut topo_pos = vec![0; n];
        for (k, &t) in topo.iter().enumerate() {
            topo_pos[t] = k;
        }
        Ok(Problem {
            n,
            cap: workers.max(1),
            dur,
            preds,
            succs,
            topo_pos,
            topo,
        })
    }

    /// Longest-path heads and tails: the head of a task is the longest chain of costs before it
    /// (its top level), its tail the longest chain after it (its bottom level minus its cost).
    ///
    /// # Complexity
    /// O(|V| + |E|).
    pub(super) fn path_heads_tails(&self) -> (Vec<f64>, Vec<f64>) {
        let mut head = vec![0.0f64; self.n];
        for &t in &self.topo {
            head[t] = self.preds[t]
                .iter()
                .map(|&p| head[p] + self.dur[p])
                .fold(0.0, f64::max);
        }
        let mut tail = vec![0.0f64; self.n];
        for &t in self.topo.iter().rev() {
            tail[t] = self.succs[t]
                .iter()
                .map(|&s| self.dur[s] + tail[s])
                .fold(0.0, f64::max);
        }
        (head, tail)
    }

    /// Bottom levels (cost plus tail), the classic list-scheduling priority.
    pub(super) fn bottom_levels(&self, tail: &[f64]) -> Vec<f64> {
        self.dur.iter().zip(tail).map(|(d, q)| d + q).collect()
    }

    /// True when all costs are integers (below 10^15), so the optimum is an integer.
    pub(super) fn integral(&self) -> bool {
        self.dur.iter().all(|d| d.fract() == 0.0 && *d < 1e15)
    }

    /// Finish time of the last task.
    pub(super) fn makespan(&self, starts: &[f64]) -> f64 {
        starts
            .iter()
            .zip(&self.dur)
            .map(|(s, d)| s + d)
            .fold(0.0, f64::max)
    }
}

/// Costs and capacity of the problem a bound is about.
#[derive(Clone, Copy)]
pub(super) struct Instance<'a> {
    /// Task costs.
    pub(super) dur: &'a [f64],
    /// Number of workers.
    pub(super) cap: usize,
    /// All costs are integers, so the optimum is one.
    pub(super) integral: bool,
}

/// Usage of the `P` workers over time: `usage[k]` tasks run during `[times[k], times[k + 1])`;
/// the last segment extends to infinity and is always empty.
pub(super) struct Profile {
    cap: usize,
    times: Vec<f64>,
    usage: Vec<usize>,
    /// Scheduled tasks of positive length, as `[start, end)`.
    intervals: Vec<(f64, f64)>,
    /// Instants of scheduled zero-length tasks.
    zeros: Vec<f64>,
}

impl Profile {
    pub(super) fn new(cap: usize) -> Profile {
        Profile {
            cap,
            times: vec![0.0],
            usage: vec![0],
            intervals: Vec::new(),
            zeros: Vec::new(),
        }
    }

    pub(super) fn reset(&mut self) {
        self.times.clear();
        self.times.push(0.0);
        self.usage.clear();
        self.usage.push(0);
        self.intervals.clear();
        self.zeros.clear();
    }

    /// Index of the segment containing `t`.
    fn segment(&self, t: f64) -> usize {
        self.times.partition_point(|&x| x <= t).saturating_sub(1)
    }

    /// Tasks running strictly around instant `t`.
    fn strictly_around(&self, t: f64) -> usize {
        self.intervals
            .iter()
            .filter(|&&(s, e)| s < t && t < e)
            .count()
    }

    /// Earliest start `>= ready` of a task of length `d > 0` that keeps usage below capacity,
    /// ignoring zero-length tasks.
    fn earliest_by_usage(&self, ready: f64, d: f64) -> f64 {
        let mut k = self.segment(ready);
        let mut cand = ready;
        'outer: loop {
            if self.usage[k] >= self.cap {
                k += 1;
                cand = self.times[k];
                continue;
            }
            let mut j = k;
            loop {
                let end = self.times.get(j + 1).copied().unwrap_or(f64::INFINITY);
                if end >= cand + d {
                    return cand;
                }
                j += 1;
                if self.usage[j] >= self.cap {
                    k = j;
                    continue 'outer;
                }
            }
        }
    }

    /// Earliest feasible start `>= ready` of a task of length `d`.
    pub(super) fn earliest(&self, ready: f64, d: f64) -> f64 {
        if d > 0.0 {
            let mut from = ready;
            loop {
                let cand = self.earliest_by_usage(from, d);
                // A zero-length task inside the new interval must keep a free worker.
                let blocked = self
                    .zeros
                    .iter()
                    .copied()
                    .filter(|&z| {
                        cand < z && z < cand + d && self.strictly_around(z) + 1 >= self.cap
                    })
                    .fold(f64::INFINITY, f64::min);
                if blocked.is_finite() {
                    from = blocked;
                } else {
                    return cand;
                }
            }
        } else {
            if self.strictly_around(ready) < self.cap {
                return ready;
            }
            let mut ends: Vec<f64> = self
                .intervals
                .iter()
                .map(|&(_, e)| e)
                .filter(|&e| e > ready)
                .collect();
            ends.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
            ends.into_iter()
                .find(|&e| self.strictly_around(e) < self.cap)
                .expect("after the last end nothing runs")
        }
    }

    fn split(&mut self, t: f64) -> usize {
        let k = self.segment(t);
        if self.times[k] == t {
            k
        } else {
            self.times.insert(k + 1, t);
            let u = self.usage[k];
            self.usage.insert(k + 1, u);
            k + 1
        }
    }

    pub(super) fn insert(&mut self, s: f64, d: f64) {
        if d > 0.0 {
            let e = s + d;
            let a = self.split(s);
            let b = self.split(e);
            for u in &mut self.usage[a..b] {
                *u += 1;
            }
            self.intervals.push((s, e));
        } else {
            self.zeros.push(s);
        }
    }
}

/// Reusable buffers for decoding and justifying.
pub(super) struct Workspace {
    pub(super) profile: Profile,
    pub(super) order: Vec<TaskIndex>,
    pub(super) rev_starts: Vec<f64>,
}

impl Workspace {
    pub(super) fn new(pb: &Problem) -> Workspace {
        Workspace {
            profile: Profile::new(pb.cap),
            order: Vec::with_capacity(pb.n),
            rev_starts: vec![0.0; pb.n],
        }
    }
}

/// Bitsets over the tasks of a problem.
pub(super) struct Bits {
    words: usize,
    data: Vec<u64>,
}

impl Bits {
    pub(super) fn new(rows: usize, n: usize) -> Bits {
        let words = n.div_ceil(64).max(1);
        Bits {
            words,
            data: vec![0; rows * words],
        }
    }

    pub(super) fn row(&self, i: usize) -> &[u64] {
        &self.data[i * self.words..(i + 1) * self.words]
    }

    pub(super) fn set(&mut self, i: usize, j: usize) {
        self.data[i * self.words + j / 64] |= 1 << (j % 64);
    }

    pub(super) fn get(&self, i: usize, j: usize) -> bool {
        self.data[i * self.words + j / 64] & (1 << (j % 64)) != 0
    }

    /// Row `i` |= row `k`.
    pub(super) fn union_into(&mut self, i: usize, k: usize) {
        let w = self.words;
        for x in 0..w {
            let v = self.data[k * w + x];
            self.data[i * w + x] |= v;
        }
    }

    pub(super) fn is_subset(&self, i: usize, k: usize) -> bool {
        self.row(i)
            .iter()
            .zip(self.row(k))
            .all(|(a, b)| a & !b == 0)
    }

    /// Ancestor sets (transitive) of every task, given predecessor lists and a topological order.
    ///
    /// # Complexity
    /// O(|V| · (|V| + |E|) / 64).
    pub(super) fn closure(n: usize, preds: &[Vec<usize>], topo: &[usize]) -> Bits {
        let mut anc = Bits::new(n, n);
        for &j in topo {
            for &p in &preds[j] {
                anc.set(j, p);
                anc.union_into(j, p);
            }
        }
        anc
    }
}
