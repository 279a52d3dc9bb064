//! Small STG sets written in the published format (`N/randNNNN.stg`, `optimal/CaseN_P_OPT.csv`)
//! for the tests, from a seeded random generator.
#![allow(dead_code)] // each test crate uses its own part

use std::fmt::Write as _;
use std::path::Path;

use bench_suite::stg;
use scheduler::analysis;

/// SplitMix64: a tiny seeded generator, enough for test graphs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

/// A random graph of `n` real tasks in the `.stg` format, as the published files lay it out
/// (right-aligned columns, the generator's notes as trailing comments). Processing times are
/// uniform in 1..=10, like the published sets'; each task has 0..=3 predecessors among the
/// previous `2·√n` tasks (the entry dummy when none), and the exit dummy follows every task
/// without a successor.
pub fn random_stg(n: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let window = ((n as f64).sqrt() * 2.0).ceil() as usize;
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n + 2];
    let mut has_succ = vec![false; n + 2];
    for (j, slot) in preds.iter_mut().enumerate().take(n + 1).skip(1) {
        let lo = j.saturating_sub(window).max(1);
        let want = rng.range(0, 3).min(j - lo);
        let mut ps = Vec::new();
        while ps.len() < want {
            let p = rng.range(lo, j - 1);
            if !ps.contains(&p) {
                ps.push(p);
            }
        }
        if ps.is_empty() {
            ps.push(0);
        }
        ps.sort_unstable();
        for &p in &ps {
            has_succ[p] = true;
        }
        *slot = ps;
    }
    render(n, seed, preds, has_succ, &mut rng)
}

/// A random layered graph of `n` real tasks: layers of `min_width..=max_width` tasks, each task
/// with 1..=3 predecessors in the layer before (the entry dummy for the first layer), processing
/// times uniform in 1..=10. With layers about 1.5 times as wide as the processor count, the
/// critical path and the work per processor are close, which makes the graph hard to schedule
/// optimally.
pub fn layered_stg(n: usize, seed: u64, min_width: usize, max_width: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n + 2];
    let mut has_succ = vec![false; n + 2];
    let mut previous: Vec<usize> = vec![0];
    let mut next = 1;
    while next <= n {
        let width = rng.range(min_width, max_width).min(n + 1 - next);
        let layer: Vec<usize> = (next..next + width).collect();
        for &j in &layer {
            let want = rng.range(1, 3).min(previous.len());
            let mut ps = Vec::new();
            while ps.len() < want {
                let p = previous[rng.range(0, previous.len() - 1)];
                if !ps.contains(&p) {
                    ps.push(p);
                }
            }
            ps.sort_unstable();
            for &p in &ps {
                has_succ[p] = true;
            }
            preds[j] = ps;
        }
        next += width;
        previous = layer;
    }
    render(n, seed, preds, has_succ, &mut rng)
}

/// The `.stg` text of a graph of `n` real tasks whose real tasks' predecessors are set: the exit
/// dummy follows every task without a successor; costs are drawn in 1..=10.
fn render(
    n: usize,
    seed: u64,
    mut preds: Vec<Vec<usize>>,
    has_succ: Vec<bool>,
    rng: &mut Rng,
) -> String {
    preds[n + 1] = (1..=n).filter(|&t| !has_succ[t]).collect();
    let mut out = format!("{n:>11}\n");
    for (id, ps) in preds.iter().enumerate() {
        let cost = if id == 0 || id == n + 1 {
            0
        } else {
            rng.range(1, 10)
        };
        let _ = write!(out, "{id:>11}{cost:>11}{:>11}", ps.len());
        for p in ps {
            let _ = write!(out, "{p:>11}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "# Standard Task Graph Set Project");
    let _ = writeln!(out, "# Random Task Graph (zkpar test fixture), seed {seed}");
    let _ = writeln!(out, "#   Tasks             : {n} (+dummy tasks : 2)");
    out
}

/// A proven lower bound and an upper bound on the optimum of `text` on `procs` processors:
/// (max(critical path, ⌈work / P⌉), work).
pub fn simple_bounds(text: &str, procs: usize) -> (f64, f64) {
    let shape = stg::parse_stg(text, "fixture").unwrap();
    let work = analysis::total_work(&shape);
    let cp = analysis::critical_path(&shape).unwrap();
    (cp.max((work / procs as f64).ceil()), work)
}

/// Writes `count` random graphs of `size` tasks under `root/size/` and, for each P in `procs`,
/// `root/optimal/Case{size}_{P}_OPT.csv` with `LOWER,UPPER` lines from [`simple_bounds`] (one value
/// where the two meet). Returns the graphs' names.
pub fn write_published(root: &Path, size: usize, count: usize, procs: &[usize]) -> Vec<String> {
    let dir = root.join(size.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = Vec::new();
    let mut texts = Vec::new();
    for k in 0..count {
        let text = random_stg(size, 1000 * size as u64 + k as u64);
        std::fs::write(dir.join(format!("rand{k:04}.stg")), &text).unwrap();
        names.push(format!("{size}/rand{k:04}.stg"));
        texts.push(text);
    }
    if !procs.is_empty() {
        std::fs::create_dir_all(root.join("optimal")).unwrap();
    }
    for &p in procs {
        let mut table = String::new();
        for (name, text) in names.iter().zip(&texts) {
            let (lower, upper) = simple_bounds(text, p);
            if lower == upper {
                let _ = writeln!(table, "{name},{p},{lower}");
            } else {
                let _ = writeln!(table, "{name},{p},{lower},{upper}");
            }
        }
        std::fs::write(
            root.join("optimal").join(format!("Case{size}_{p}_OPT.csv")),
            table,
        )
        .unwrap();
    }
    names
}
