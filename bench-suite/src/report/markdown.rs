//! `results.md`: the human-readable report of a run.
//!
//! Sections, in order: our numbers in the published table's own columns; the full comparison
//! (rayon peer, lower bounds, efficiency, memory); published figures beside ours; the optional
//! scaling sweep; the machine; what the numbers mean. The output depends only on its inputs
//! (fixed decimals, input order), so it is golden-tested and diffs cleanly between runs.
//!
//! Values stored as 0 because they were not measured (see [`super::results`]) print as `n/a`.

use std::fmt::Write as _;

use super::published::PublishedTable;
use super::results::{improvement_pct, OperationResult, Results};

/// What the numbers mean: fixed text so the report reads the same on every run.
const MEANING: &str = "\
*Previous* proves an operation's sub-circuits one after another, each using halo2's own \
multi-threading; *New* proves them with zkpar's `dag` scheduler, which runs independent \
sub-circuits in parallel. Improvement is (previous - new) / previous. The published team released \
only its table (no code, hardware or circuit sizes), so absolute seconds are not comparable across \
machines: the improvement is the quantity being reproduced. *Rayon* runs the same parallel work \
with plain rayon spawning, isolating what the scheduler itself adds (DAG vs rayon above 1.00x \
means the scheduler is faster). The lower bounds are the shortest time any schedule could reach \
given the dependency graph and the measured sub-circuit costs (loaded: costs measured under the \
run's parallel load; naive: costs measured in isolation). Efficiency is loaded lower bound / DAG \
time: 1.00 means the scheduler reached the bound. The bound is only as good as the calibration: an \
efficiency above 1.00 means the machine ran faster during the measured run than while the costs \
were calibrated (shared or throttled machines drift), not that a schedule beat the bound. Times are medians over the repetitions. `n/a` \
marks a value this run did not measure.";

/// Renders `results.md`. `published` supplies the operation labels ("Simple Transfer", ...);
/// the published figures themselves come from each row's `published` field.
pub fn render(results: &Results, published: &PublishedTable) -> String {
    let mut md = String::new();
    let label = |row: &OperationResult| published.label(&row.op);
    // `write!` into a String cannot fail.
    macro_rules! w {
        ($($arg:tt)*) => { let _ = writeln!(md, $($arg)*); };
    }

    w!("# zkpar results");
    w!();
    w!("Reproduction of a published zkEVM parallel-proving table on this machine.");
    w!();

    w!("## Our numbers in the published table's columns");
    w!();
    w!("| Operation Type | Previous Time | New Time | Improvement |");
    w!("|---|---:|---:|---:|");
    for row in &results.operations {
        w!(
            "| {} | {} | {} | {} |",
            label(row),
            secs(row.previous_s),
            secs(row.dag_s),
            pct(row.improvement_pct)
        );
    }
    w!();

    w!("## Policies, lower bounds and memory");
    w!();
    w!(
        "| Operation | Previous | Rayon | DAG | DAG vs rayon | Lower bound (loaded) | \
         Lower bound (naive) | Efficiency | Peak RSS previous | Peak RSS rayon | Peak RSS DAG |"
    );
    w!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let rss_known = !results.is_unmeasured("peak_rss_bytes");
    for row in &results.operations {
        let speedup = row.dag_speedup_over_rayon();
        w!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            label(row),
            secs(row.previous_s),
            secs(row.rayon_s),
            secs(row.dag_s),
            if speedup > 0.0 {
                format!("{speedup:.2}x")
            } else {
                "n/a".into()
            },
            known_secs(row.lower_bound_s),
            known_secs(row.lower_bound_naive_s),
            if row.efficiency > 0.0 {
                format!("{:.2}", row.efficiency)
            } else {
                "n/a".into()
            },
            bytes(row.peak_rss_bytes.previous, rss_known),
            bytes(row.peak_rss_bytes.rayon, rss_known),
            bytes(row.peak_rss_bytes.dag, rss_known),
        );
    }
    w!();

    w!("## Published figures beside ours");
    w!();
    w!(
        "| Operation Type | Published previous | Published new | Published improvement | \
         Our previous | Our new (DAG) | Our improvement |"
    );
    w!("|---|---:|---:|---:|---:|---:|---:|");
    for row in &results.operations {
        let p = row.published;
        let (p_prev, p_new, p_impr) = if p.previous_s > 0.0 {
            (
                format!("{}s", p.previous_s),
                format!("{}s", p.new_s),
                pct(improvement_pct(p.previous_s, p.new_s)),
            )
        } else {
            ("n/a".into(), "n/a".into(), "n/a".into())
        };
        w!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            label(row),
            p_prev,
            p_new,
            p_impr,
            secs(row.previous_s),
            secs(row.dag_s),
            pct(row.improvement_pct)
        );
    }
    w!();

    if !results.scaling.is_empty() {
        w!("## Thread scaling");
        w!();
        w!("| Operation | Policy | Threads | Time | Speed-up vs fewest threads |");
        w!("|---|---|---:|---:|---:|");
        for point in &results.scaling {
            // Speed-up relative to the same op/policy at its smallest thread count.
            let base = results
                .scaling
                .iter()
                .filter(|q| q.op == point.op && q.policy == point.policy)
                .min_by_key(|q| q.threads)
                .map(|q| q.seconds)
                .unwrap_or(0.0);
            let speedup = if point.seconds > 0.0 && base > 0.0 {
                format!("{:.2}x", base / point.seconds)
            } else {
                "n/a".into()
            };
            w!(
                "| {} | {} | {} | {} | {} |",
                published.label(&point.op),
                point.policy,
                point.threads,
                secs(point.seconds),
                speedup
            );
        }
        w!();
    }

    let m = &results.machine;
    w!("## Machine");
    w!();
    w!("- CPU: {}", m.cpu);
    w!("- Cores: {}", m.cores);
    w!("- NUMA nodes: {}", m.numa_nodes);
    w!("- Topology provider: {}", m.topology_provider);
    w!("- Threads: {}", m.threads);
    w!(
        "- Calibration workload: {}",
        known_secs(results.calibration_s)
    );
    w!("- Git revision: {}", results.git_rev);
    w!("- Date: {}", results.date);
    if let Some(reps) = results.reps {
        w!("- Repetitions: {reps}");
    }
    if let Some(quick) = results.quick {
        w!("- Quick run: {}", if quick { "yes" } else { "no" });
    }
    if let Some(depth) = results.tree_depth {
        w!("- Merkle tree depth: {depth}");
    }
    if !results.unmeasured.is_empty() {
        w!(
            "- Not measured in this run: {}",
            results.unmeasured.join(", ")
        );
    }
    w!();

    w!("## What the numbers mean");
    w!();
    w!("{MEANING}");
    md
}

/// Seconds with two decimals.
fn secs(s: f64) -> String {
    format!("{s:.2}s")
}

/// Seconds, or `n/a` for the "not measured" 0.
fn known_secs(s: f64) -> String {
    if s > 0.0 {
        secs(s)
    } else {
        "n/a".into()
    }
}

/// Percent with one decimal.
fn pct(p: f64) -> String {
    format!("{p:.1}%")
}

/// Bytes in binary units with one decimal, or `n/a`.
fn bytes(b: u64, known: bool) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    const GIB: f64 = MIB * 1024.0;
    if !known || b == 0 {
        "n/a".into()
    } else if b as f64 >= GIB {
        format!("{:.2} GiB", b as f64 / GIB)
    } else {
        format!("{:.1} MiB", b as f64 / MIB)
    }
}
