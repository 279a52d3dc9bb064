//! Planning an aggregation tree: fan-in, aggregation `k` and which children each node takes.
//!
//! # The model
//! An aggregation node is a halo2-base circuit of
//! `cells = cells_base + Σ_children (cells_per_child + cells_per_proof_byte · proof_bytes(child))`
//! advice cells (gate plus lookup advice). Verifying a child in the circuit costs a constant
//! plus an amount that grows with the child's proof: every commitment in it is one more
//! non-native point in the in-circuit MSM, and the proof's size counts its commitments and
//! evaluations (an ECDSA proof of 6.9 KB costs about three times what a Merkle proof of 1.6 KB
//! does). A leaf's proof size is known from its kind ([`LeafEstimate::proof_bytes`]); a node's
//! is modelled as `proof_bytes_base + proof_bytes_per_column · columns`, since each column of a node adds its
//! commitments and evaluations to its proof. At aggregation `k` a node's cells fill
//! `columns = ⌈cells / (2^k − 9)⌉` columns, an *area* of `columns · 2^k` cells, and both
//! proving time and peak memory are modelled as affine in that area:
//! `seconds = (secs_base + secs_per_area · area) · ref_threads / t` (linear in the threads
//! `t`, an approximation) and `bytes = bytes_base + bytes_per_area · area`.
//!
//! The proof-size term is why `k` matters beyond memory: a node at a higher `k` has the same
//! area in fewer columns, so a smaller proof, so it is cheaper for its parent to verify.
//! [`AggCostModel::measured_2core`], the default, holds constants fitted to four measured node
//! layouts; [`AggCostModel::measured_xeon_2core`] is the first, fan-in-only fit.
//!
//! # The tree
//! For one fan-in `f`, level 0 is the leaves in order; each next level cuts the previous one, in
//! order, into runs of `f`; a run of several becomes a node, a lone last item moves up as it is.
//! This repeats until one node is left (one leaf alone still gets a node, so that the top is
//! always an aggregation proof with an accumulator). Order is kept at every level, so the root
//! chain of the leaves is the chain of the root node.
//!
//! # The choice
//! [`plan_tree`] tries every fan-in `2..=max_fan_in` and every `k` of the model's range, drops
//! any candidate with a node over the memory budget, and estimates each survivor's makespan by
//! a list schedule on `threads` one-thread workers under the memory budget (leaves first, in
//! order, then nodes level by level, each starting when a worker is free, its children are done
//! and its memory fits). The smallest makespan wins; ties go to the smaller peak node memory,
//! then the smaller fan-in.
//!
//! # Complexity
//! With `n` leaves, `F = max_fan_in − 1` fan-ins and `K` values of `k`: building one tree is
//! `O(n)` (it has fewer than `n` nodes) and its list schedule `O(n log n)` (a heap of running
//! tasks), so [`plan_tree`] is `O(F · K · n log n)` time and `O(n)` memory per candidate.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::RangeInclusive;

/// Rows of each column halo2-base keeps for blinding (as [`crate::harness::UNUSABLE_ROWS`]).
const UNUSABLE_ROWS: u64 = crate::harness::UNUSABLE_ROWS as u64;

/// A leaf proof to aggregate: what proving it costs, on one thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeafEstimate {
    /// Proving seconds with one thread.
    pub seconds: f64,
    /// Peak memory while proving, in bytes.
    pub peak_bytes: u64,
    /// Size of its proof in bytes (0 when unknown: the model's uniform `cells_per_child`).
    pub proof_bytes: u64,
}

/// The cost of one aggregation node as a function of fan-in and `k` (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct AggCostModel {
    /// Advice cells of a node that do not depend on the fan-in.
    pub cells_base: f64,
    /// Advice cells per aggregated child, whatever its proof.
    pub cells_per_child: f64,
    /// Further advice cells per byte of a child's proof.
    pub cells_per_proof_byte: f64,
    /// Bytes of a node's proof whatever its columns (the quotient, the lookup table, ...).
    pub proof_bytes_base: f64,
    /// Bytes of a node's proof per column of the node.
    pub proof_bytes_per_column: f64,
    /// Proving seconds, with `ref_threads` threads, independent of the area.
    pub secs_base: f64,
    /// Proving seconds, with `ref_threads` threads, per cell of area.
    pub secs_per_area: f64,
    /// Peak bytes independent of the area.
    pub bytes_base: f64,
    /// Peak bytes per cell of area.
    pub bytes_per_area: f64,
    /// Threads the seconds were measured with.
    pub ref_threads: usize,
    /// The aggregation `k` values the planner may pick.
    pub k_range: RangeInclusive<u32>,
    /// The largest fan-in the planner may pick (at least 2).
    pub max_fan_in: usize,
}

impl AggCostModel {
    /// Advice cells verifying one child with a proof of `proof_bytes` adds to its node.
    pub fn child_cells(&self, proof_bytes: u64) -> f64 {
        self.cells_per_child + self.cells_per_proof_byte * proof_bytes as f64
    }

    /// Advice cells of a node over children with proofs of `child_proof_bytes`.
    pub fn node_cells(&self, child_proof_bytes: &[u64]) -> f64 {
        self.cells_base
            + child_proof_bytes
                .iter()
                .map(|&b| self.child_cells(b))
                .sum::<f64>()
    }

    /// Advice cells of a node over `fan_in` children of unknown (zero) proof size.
    pub fn cells(&self, fan_in: usize) -> f64 {
        self.node_cells(&vec![0; fan_in])
    }

    /// Columns a node of `cells` occupies at `k`.
    pub fn columns_of(&self, cells: f64, k: u32) -> f64 {
        let rows = (1u64 << k).saturating_sub(UNUSABLE_ROWS).max(1) as f64;
        (cells / rows).ceil().max(1.0)
    }

    /// Columns × rows a node of `cells` occupies at `k`.
    pub fn area_of(&self, cells: f64, k: u32) -> f64 {
        self.columns_of(cells, k) * (1u64 << k) as f64
    }

    /// Proving seconds of a node of `cells` at `k` with `threads` threads.
    pub fn seconds_of(&self, cells: f64, k: u32, threads: usize) -> f64 {
        (self.secs_base + self.secs_per_area * self.area_of(cells, k)) * self.ref_threads as f64
            / threads.max(1) as f64
    }

    /// Peak bytes of proving a node of `cells` at `k`.
    pub fn peak_bytes_of(&self, cells: f64, k: u32) -> u64 {
        (self.bytes_base + self.bytes_per_area * self.area_of(cells, k)).ceil() as u64
    }

    /// Bytes of the proof of a node of `cells` at `k`.
    pub fn node_proof_bytes(&self, cells: f64, k: u32) -> u64 {
        (self.proof_bytes_base + self.proof_bytes_per_column * self.columns_of(cells, k)).ceil()
            as u64
    }

    /// [`AggCostModel::area_of`] a node over `fan_in` children of unknown proof size.
    pub fn area(&self, fan_in: usize, k: u32) -> f64 {
        self.area_of(self.cells(fan_in), k)
    }

    /// [`AggCostModel::seconds_of`] a node over `fan_in` children of unknown proof size.
    pub fn seconds(&self, fan_in: usize, k: u32, threads: usize) -> f64 {
        self.seconds_of(self.cells(fan_in), k, threads)
    }

    /// [`AggCostModel::peak_bytes_of`] a node over `fan_in` children of unknown proof size.
    pub fn peak_bytes(&self, fan_in: usize, k: u32) -> u64 {
        self.peak_bytes_of(self.cells(fan_in), k)
    }
}

/// A child of a planned node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildRef {
    /// Leaf `i` of the input, in order.
    Leaf(usize),
    /// Node `index` of level `level` (level 1 is the first level of nodes).
    Node {
        /// The level, from 1.
        level: usize,
        /// The node's position in its level.
        index: usize,
    },
}

/// One node of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedNode {
    /// Its children, in order.
    pub children: Vec<ChildRef>,
    /// Estimated proving seconds on one thread.
    pub seconds: f64,
    /// Estimated peak memory in bytes (never above the budget).
    pub peak_bytes: u64,
    /// Estimated size of its proof in bytes.
    pub proof_bytes: u64,
}

/// An aggregation tree.
#[derive(Clone, Debug, PartialEq)]
pub struct TreePlan {
    /// The fan-in of every level (a level's last node may take fewer children).
    pub fan_in: usize,
    /// The aggregation `k` of every node.
    pub k: u32,
    /// `levels[0]` is level 1 (its nodes aggregate leaves); the last level holds the root alone.
    pub levels: Vec<Vec<PlannedNode>>,
    /// Estimated makespan of leaves and nodes, in seconds.
    pub makespan_s: f64,
}

impl TreePlan {
    /// The root node.
    pub fn root(&self) -> &PlannedNode {
        &self.levels[self.levels.len() - 1][0]
    }

    /// Number of aggregation nodes.
    pub fn node_count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// The leaves under `child`, in order.
    pub fn leaves_under(&self, child: ChildRef) -> Vec<usize> {
        match child {
            ChildRef::Leaf(i) => vec![i],
            ChildRef::Node { level, index } => self.levels[level - 1][index]
                .children
                .iter()
                .flat_map(|&c| self.leaves_under(c))
                .collect(),
        }
    }
}

/// Why no tree could be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// Nothing to aggregate.
    #[error("no leaves to aggregate")]
    NoLeaves,
    /// Zero threads.
    #[error("the thread count must be at least 1")]
    NoThreads,
    /// The model allows no fan-in or no `k`.
    #[error("the cost model allows no candidate (max_fan_in {max_fan_in}, k range {k_range:?})")]
    EmptyModel {
        /// The model's largest fan-in.
        max_fan_in: usize,
        /// The model's `k` range.
        k_range: RangeInclusive<u32>,
    },
    /// A leaf alone needs more memory than the budget.
    #[error("leaf {index} needs {needed} bytes, over the memory budget of {budget} bytes")]
    LeafOverBudget {
        /// The leaf.
        index: usize,
        /// Its peak memory.
        needed: u64,
        /// The budget.
        budget: u64,
    },
    /// Even the smallest node the tree needs does not fit.
    #[error(
        "even a fan-in {fan_in} node needs {needed} bytes at its cheapest k = {k}, over the \
         memory budget of {budget} bytes"
    )]
    OverBudget {
        /// The smallest fan-in the tree needs (2, or 1 for a single leaf).
        fan_in: usize,
        /// The `k` where that node is cheapest.
        k: u32,
        /// Its peak memory there.
        needed: u64,
        /// The budget.
        budget: u64,
    },
}

/// Plans the aggregation tree of `leaves` (see the module docs).
///
/// # Errors
/// [`PlanError`]: no leaves, no threads, an empty model, a leaf over the budget, or no fan-in
/// whose nodes fit the budget at any `k` (named with the cheapest fan-in-2 node).
///
/// # Complexity
/// `O(F · K · n log n)` time for `n` leaves, `F` fan-ins and `K` values of `k`; `O(n)` memory.
pub fn plan_tree(
    leaves: &[LeafEstimate],
    model: &AggCostModel,
    budget_bytes: u64,
    threads: usize,
) -> Result<TreePlan, PlanError> {
    if leaves.is_empty() {
        return Err(PlanError::NoLeaves);
    }
    if threads == 0 {
        return Err(PlanError::NoThreads);
    }
    if model.max_fan_in < 2 || model.k_range.is_empty() {
        return Err(PlanError::EmptyModel {
            max_fan_in: model.max_fan_in,
            k_range: model.k_range.clone(),
        });
    }
    if let Some((index, leaf)) = leaves
        .iter()
        .enumerate()
        .find(|(_, l)| l.peak_bytes > budget_bytes)
    {
        return Err(PlanError::LeafOverBudget {
            index,
            needed: leaf.peak_bytes,
            budget: budget_bytes,
        });
    }
    let mut best: Option<(TreePlan, u64)> = None;
    for fan_in in 2..=model.max_fan_in {
        for k in model.k_range.clone() {
            let Some(levels) = build_levels(leaves, fan_in, k, model, budget_bytes) else {
                continue;
            };
            let makespan_s = list_schedule(leaves, &levels, threads, budget_bytes);
            let peak = levels
                .iter()
                .flatten()
                .map(|n| n.peak_bytes)
                .max()
                .unwrap_or(0);
            let better = match &best {
                None => true,
                Some((plan, best_peak)) => match makespan_s.total_cmp(&plan.makespan_s) {
                    Ordering::Less => true,
                    Ordering::Equal => peak < *best_peak,
                    Ordering::Greater => false,
                },
            };
            if better {
                let plan = TreePlan {
                    fan_in,
                    k,
                    levels,
                    makespan_s,
                };
                best = Some((plan, peak));
            }
        }
    }
    best.map(|(plan, _)| plan).ok_or_else(|| {
        // Every tree's first node takes leaf 0 and, with two or more leaves, leaf 1.
        let fan_in = if leaves.len() == 1 { 1 } else { 2 };
        let first: Vec<u64> = leaves[..fan_in].iter().map(|l| l.proof_bytes).collect();
        let cells = model.node_cells(&first);
        let (k, needed) = model
            .k_range
            .clone()
            .map(|k| (k, model.peak_bytes_of(cells, k)))
            .min_by_key(|&(_, bytes)| bytes)
            .expect("non-empty k range");
        PlanError::OverBudget {
            fan_in,
            k,
            needed,
            budget: budget_bytes,
        }
    })
}

/// The levels of nodes over `leaves` at `fan_in` and `k`, or `None` if a node is over budget.
fn build_levels(
    leaves: &[LeafEstimate],
    fan_in: usize,
    k: u32,
    model: &AggCostModel,
    budget: u64,
) -> Option<Vec<Vec<PlannedNode>>> {
    let node = |children: Vec<(ChildRef, u64)>| {
        let bytes: Vec<u64> = children.iter().map(|&(_, b)| b).collect();
        let cells = model.node_cells(&bytes);
        let peak_bytes = model.peak_bytes_of(cells, k);
        (peak_bytes <= budget).then(|| PlannedNode {
            seconds: model.seconds_of(cells, k, 1),
            peak_bytes,
            proof_bytes: model.node_proof_bytes(cells, k),
            children: children.into_iter().map(|(c, _)| c).collect(),
        })
    };
    let mut current: Vec<(ChildRef, u64)> = leaves
        .iter()
        .enumerate()
        .map(|(i, l)| (ChildRef::Leaf(i), l.proof_bytes))
        .collect();
    let mut levels: Vec<Vec<PlannedNode>> = Vec::new();
    if leaves.len() == 1 {
        levels.push(vec![node(current)?]);
        return Some(levels);
    }
    while current.len() > 1 {
        let level = levels.len() + 1;
        let mut nodes: Vec<PlannedNode> = Vec::new();
        let mut next = Vec::new();
        for run in current.chunks(fan_in) {
            if run.len() == 1 {
                next.push(run[0]);
            } else {
                let planned = node(run.to_vec())?;
                next.push((
                    ChildRef::Node {
                        level,
                        index: nodes.len(),
                    },
                    planned.proof_bytes,
                ));
                nodes.push(planned);
            }
        }
        levels.push(nodes);
        current = next;
    }
    Some(levels)
}

/// A running task in the list schedule, ordered by end time (earliest first in the heap).
#[derive(PartialEq)]
struct Running {
    end: f64,
    bytes: u64,
}

impl Eq for Running {}

impl PartialOrd for Running {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Running {
    fn cmp(&self, other: &Self) -> Ordering {
        other.end.total_cmp(&self.end)
    }
}

/// Makespan of leaves then nodes, in order, on `threads` one-thread workers under `budget`.
fn list_schedule(
    leaves: &[LeafEstimate],
    levels: &[Vec<PlannedNode>],
    threads: usize,
    budget: u64,
) -> f64 {
    let mut done_leaf = vec![0.0f64; leaves.len()];
    let mut done_node: Vec<Vec<f64>> = levels.iter().map(|l| vec![0.0; l.len()]).collect();
    let mut running: BinaryHeap<Running> = BinaryHeap::new();
    let (mut now, mut used) = (0.0f64, 0u64);
    let mut makespan = 0.0f64;
    // Waits until a worker and `bytes` of memory are free, then starts a task no earlier than
    // `ready`; returns its end.
    let mut start = |ready: f64, seconds: f64, bytes: u64| {
        while running.len() >= threads || used + bytes > budget {
            let Running { end, bytes: freed } = running.pop().expect("a running task");
            now = now.max(end);
            used -= freed;
        }
        let begin = now.max(ready);
        running.push(Running {
            end: begin + seconds,
            bytes,
        });
        used += bytes;
        makespan = makespan.max(begin + seconds);
        begin + seconds
    };
    for (i, leaf) in leaves.iter().enumerate() {
        done_leaf[i] = start(0.0, leaf.seconds, leaf.peak_bytes);
    }
    for (l, level) in levels.iter().enumerate() {
        for (j, node) in level.iter().enumerate() {
            let ready = node
                .children
                .iter()
                .map(|c| match *c {
                    ChildRef::Leaf(i) => done_leaf[i],
                    ChildRef::Node { level, index } => done_node[level - 1][index],
                })
                .fold(0.0, f64::max);
            done_node[l][j] = start(ready, node.seconds, node.peak_bytes);
        }
    }
    makespan
}

mod measured;
#[cfg(test)]
mod tests;
