//! The problem the exact search and the strong bounds work on: tasks of positive cost only,
//! renumbered in a topological order of precedence and dominance.
//!
//! Zero-cost tasks are contracted away (their predecessors become predecessors of their
//! successors), which only relaxes the problem, so what is proven about the reduced problem bounds
//! the real one from below.
//!
//! *Dominance*: a task `a` dominates `b` when both have the same cost, `a` has no more ancestors
//! and no fewer descendants: swapping two such tasks in any schedule keeps it feasible, so some
//! optimal schedule starts `a` no later than `b`. The renumbering makes ties in start time agree
//! with that rule.

use super::problem::{Bits, Instance, Problem};
use crate::analysis::{self, ReadyOrder};
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
        let anc = Bits::closure(m, &preds0, &order0);
        let rev: Vec<usize> = (0..m).rev().collect();
        let desc = Bits::closure(m, &succs0, &rev);
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
        let order = precedence_and_dominance_order(&succs0, &dom0).or_else(|| {
            dom0.iter_mut().for_each(Vec::clear);
            precedence_and_dominance_order(&succs0, &dom0)
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
        })
    }

    /// Costs and capacity, for the bounds.
    pub(super) fn instance(&self) -> Instance<'_> {
        Instance {
            dur: &self.dur,
            cap: self.cap,
            integral: self.integral,
        }
    }
}

/// A topological order of precedence (`succs`) and dominance (`dom`) together, lowest index
/// first; `None` if their union has a cycle.
fn precedence_and_dominance_order(succs: &[Vec<usize>], dom: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut in_degree = vec![0usize; succs.len()];
    for s in succs.iter().chain(dom).flatten() {
        in_degree[*s] += 1;
    }
    analysis::kahn(in_degree, ReadyOrder::LowestIndex, |t| {
        succs[t].iter().chain(&dom[t]).copied()
    })
    .ok()
}
