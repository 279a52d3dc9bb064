//! Hard random graphs in the `.stg` format, for measuring the planner where the published sets
//! are easy: [`layered_stg`].
//!
//! Write a 1,000- and a 5,000-task graph with
//! `STG_GEN_DIR=/tmp/stg-hard cargo test --release -p bench-suite --lib write_hard_graphs -- --ignored`,
//! then time `zkpar stg --dir /tmp/stg-hard/layered-5000 --procs 16 --policy heft` (a folder with no
//! table: the gap is measured against the planner's proven lower bound).

use std::fmt::Write as _;
use std::ops::RangeInclusive;

/// SplitMix64: a tiny seeded generator (the graphs must not change with a dependency's version).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `range` (the modulo bias is irrelevant for test graphs).
    fn range(&mut self, range: RangeInclusive<usize>) -> usize {
        let (lo, hi) = range.into_inner();
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A random layered graph of `tasks` positive-cost tasks in the `.stg` format, communication-free
/// like every STG graph, and hard to schedule: layers of `widths` tasks (pick about 4 to 8 times
/// the processor count), each task with 1 to 3 predecessors in the layer before, integer costs
/// log-uniform in `1..=max_cost`, and a zero-cost *barrier* task after every layer but the last.
/// The barriers make each layer its own packing problem, which neither the critical path nor
/// the work bound sees, so the first schedule misses the lower bound and the local search runs
/// until its budget stops it. `N` in the file counts the barriers too.
///
/// # Panics
/// If `widths` starts at 0 or `max_cost` is 0.
pub fn layered_stg(
    tasks: usize,
    widths: RangeInclusive<usize>,
    max_cost: u64,
    seed: u64,
) -> String {
    assert!(*widths.start() > 0 && max_cost > 0, "empty layers or costs");
    let mut rng = SplitMix(seed);
    // (cost, predecessors) of the real tasks, ids from 1; 0 is the entry dummy.
    let mut nodes: Vec<(u64, Vec<usize>)> = Vec::new();
    let mut previous = vec![0usize];
    let mut placed = 0;
    while placed < tasks {
        let width = rng.range(widths.clone()).min(tasks - placed);
        let mut layer = Vec::with_capacity(width);
        for _ in 0..width {
            let want = rng.range(1..=3).min(previous.len());
            let mut preds = Vec::with_capacity(want);
            while preds.len() < want {
                let p = previous[rng.range(0..=previous.len() - 1)];
                if !preds.contains(&p) {
                    preds.push(p);
                }
            }
            preds.sort_unstable();
            let cost = (rng.unit() * (max_cost as f64).ln()).exp().round().max(1.0) as u64;
            nodes.push((cost.min(max_cost), preds));
            layer.push(nodes.len());
        }
        placed += width;
        previous = if placed < tasks {
            nodes.push((0, layer));
            vec![nodes.len()]
        } else {
            layer
        };
    }
    let n = nodes.len();
    let mut has_successor = vec![false; n + 2];
    for (_, preds) in &nodes {
        for &p in preds {
            has_successor[p] = true;
        }
    }
    let exit_preds: Vec<usize> = (1..=n).filter(|&t| !has_successor[t]).collect();
    let mut out = format!("{n:>11}\n");
    let mut line = |id: usize, cost: u64, preds: &[usize]| {
        let _ = write!(out, "{id:>11}{cost:>11}{:>11}", preds.len());
        for p in preds {
            let _ = write!(out, "{p:>11}");
        }
        out.push('\n');
    };
    line(0, 0, &[]);
    for (k, (cost, preds)) in nodes.iter().enumerate() {
        line(k + 1, *cost, preds);
    }
    line(n + 1, 0, &exit_preds);
    let _ = writeln!(
        out,
        "# Layered random graph with barriers (zkpar), seed {seed}"
    );
    let _ = writeln!(
        out,
        "#   Tasks : {tasks} of positive cost + {} barriers (+dummy tasks : 2)",
        n - tasks
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stg::parse_stg;

    #[test]
    fn layered_graphs_parse_with_their_barriers() {
        let text = layered_stg(500, 30..=60, 1000, 7);
        let shape = parse_stg(&text, "generated").unwrap();
        let positive = shape.tasks.iter().filter(|t| t.cost_s > 0.0).count();
        assert_eq!(positive, 500);
        let barriers = shape.len() - 2 - positive;
        assert!(
            (500 / 60..=500 / 30).contains(&barriers),
            "{barriers} barriers"
        );
        assert!(shape
            .tasks
            .iter()
            .all(|t| (0.0..=1000.0).contains(&t.cost_s)));
        // The same seed gives the same graph.
        assert_eq!(layered_stg(500, 30..=60, 1000, 7), text);
    }

    /// Writes the graphs behind the planning-time figures: `$STG_GEN_DIR/layered-{1000,5000}/layered.stg`
    /// (layers of 60 to 120 tasks, costs up to 1000: hard on 16 processors). The folders are not
    /// named by size: with the barriers `N` is not 1000 or 5000, so they are plain folders.
    #[test]
    #[ignore = "writes large graphs for a measurement"]
    fn write_hard_graphs() {
        let Ok(dir) = std::env::var("STG_GEN_DIR") else {
            println!("set STG_GEN_DIR to write the graphs");
            return;
        };
        for n in [1000, 5000] {
            let sub = std::path::Path::new(&dir).join(format!("layered-{n}"));
            std::fs::create_dir_all(&sub).unwrap();
            let text = layered_stg(n, 60..=120, 1000, 11);
            std::fs::write(sub.join("layered.stg"), text).unwrap();
        }
    }
}
