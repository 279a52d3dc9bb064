//! Lower bounds on the makespan: heads and tails strengthened by set arguments, and the energy
//! test on the windows they define.
//!
//! Everything here works on the [`Reduced`] problem (tasks of positive cost only); every value
//! is a lower bound for *some optimal schedule*: when all costs are integers there is an optimal
//! schedule with integer start times (every active schedule has them), so bounds may be rounded
//! up to integers.
//!
//! # Heads and tails
//! The head `r_j` is a lower bound on the start of `j`, the tail `q_j` one on the time between the
//! end of `j` and the end of the schedule. Longest paths give the classic values; a set argument
//! raises them: all ancestors `A` of `j` must be finished before `j` starts, an ancestor `i`
//! needs at least `g_ij` (the longest chain of costs strictly between `i` and `j`) after it
//! ends, and none starts before its own head. For any thresholds `h` and `g`, the ancestors with
//! `r_i >= h` and `g_ij >= g` form a set `S` processed on `P` workers after `h`, so
//! `r_j >= h + L(S) + g`, where `L(S)` is a lower bound on the length of `P || Cmax` for `S`:
//! `ceil(W(S) / P)`, and the pigeonhole bound (of the `kP + 1` longest tasks some worker runs
//! `k + 1`, at least the `k + 1` shortest of them). On layered graphs, where a whole layer must
//! finish before the next starts, this is far stronger than any path. Tails are heads of the
//! reversed graph.

use super::bnb::Reduced;

/// Bitsets over the tasks of a [`Reduced`] problem.
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
}

/// Ancestor sets (transitive) of every task, given predecessor lists and a topological order.
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

/// `ceil(x)` for integral problems (with a guard against division noise), `x` otherwise.
fn round_up(x: f64, integral: bool) -> f64 {
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

/// Heads of the module docs, for predecessor lists `preds` and successor lists `succs` in
/// topological order `topo` (pass the successor lists as `preds` and the reversed order to get
/// tails).
///
/// # Complexity
/// O(|V| · (|V| + |E|) + |V|³) for the pairwise chains and the set bounds.
pub(super) fn heads(
    dur: &[f64],
    preds: &[Vec<usize>],
    succs: &[Vec<usize>],
    topo: &[usize],
    cap: usize,
    integral: bool,
) -> Vec<f64> {
    let n = dur.len();
    let anc = closure(n, preds, topo);
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

/// A lower bound on the makespan from heads and tails: the longest `r + d + q`, and the set
/// bound over all tasks with tails as deliveries.
pub(super) fn head_tail_bound(red: &Reduced, head: &[f64], tail: &[f64]) -> f64 {
    let mut items: Vec<(f64, f64, f64)> =
        (0..red.n).map(|i| (head[i], red.dur[i], tail[i])).collect();
    let path = (0..red.n)
        .map(|i| head[i] + red.dur[i] + tail[i])
        .fold(0.0f64, f64::max);
    path.max(set_bound(&mut items, red.cap, red.integral))
}

/// The energy test for makespan `t`: every task `i` runs inside `[head_i, t - tail_i]`, and the
/// work that must fall inside any interval `[a, b]` is at most `P (b - a)`.
///
/// # Complexity
/// O(|V|³).
pub(super) fn energy_feasible(red: &Reduced, head: &[f64], tail: &[f64], t: f64) -> bool {
    let n = red.n;
    let lst: Vec<f64> = (0..n).map(|i| t - tail[i] - red.dur[i]).collect();
    if (0..n).any(|i| lst[i] < head[i] - 1e-9) {
        return false;
    }
    let mut lefts: Vec<f64> = head.to_vec();
    let mut rights: Vec<f64> = (0..n).map(|i| lst[i] + red.dur[i]).collect();
    lefts.sort_by(f64::total_cmp);
    lefts.dedup();
    rights.sort_by(f64::total_cmp);
    rights.dedup();
    let cap = red.cap as f64;
    for &a in &lefts {
        for &b in rights.iter().filter(|&&b| b > a) {
            let len = b - a;
            let mut need = 0.0;
            for i in 0..n {
                let d = red.dur[i];
                let part = d.min(len).min(head[i] + d - a).min(b - lst[i]);
                if part > 0.0 {
                    need += part;
                }
            }
            if need > cap * len + 1e-9 * need.max(1.0) {
                return false;
            }
        }
    }
    true
}
