//! How far the wall-time layer's ratios move between runs of an unchanged tree: the evidence
//! for choosing its limits (`zkpar spread`).

use std::fmt::Write as _;

use super::{compare, Metric, Run, Thresholds, ALL_OPERATIONS};
use crate::report::{ReportError, Results};

/// How far the gated ratios move between runs of an unchanged tree, and what that means for a
/// set of limits: the evidence behind CI's `--max-regression` and its siblings (see
/// `zkpar spread`).
///
/// Each run in turn plays the new run and is compared, as the gate would compare it, against
/// the others as its baselines (leave one out): exactly CI's situation, where a fresh run is
/// judged against the committed runs of the accepted tree. A uniform slowdown of `dag` by a
/// factor `f` multiplies every current ratio by `f` (each is linear in the `dag` timings, and
/// so is a geometric mean of them), so the slowdown the gate always catches follows from the
/// same comparisons without running anything again.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// How many runs were compared.
    pub runs: usize,
    /// One entry per operation of the first run, in its order, then [`ALL_OPERATIONS`].
    pub ops: Vec<OpSpread>,
}

/// The comparisons of one operation (or of all together), one per run judged against the
/// others.
#[derive(Debug, Clone, PartialEq)]
pub struct OpSpread {
    /// Operation id, or [`ALL_OPERATIONS`].
    pub op: String,
    /// Per run (judged against the others): the change of each ratio in [`Metric::ALL`] order,
    /// in percent (`None` where not judged).
    pub changes: Vec<[Option<f64>; 3]>,
}

/// The factor by which `dag` must slow down to lift a ratio that changed by `change` percent
/// past `limit` percent.
fn needed(change: f64, limit: f64) -> f64 {
    (1.0 + limit / 100.0) / (1.0 + change / 100.0)
}

impl OpSpread {
    /// The largest growth of `metric` over all runs, percent (`None` if never judged).
    pub fn worst_growth_pct(&self, metric: Metric) -> Option<f64> {
        let index = Metric::ALL.iter().position(|&m| m == metric)?;
        self.changes
            .iter()
            .filter_map(|run| run[index])
            .max_by(f64::total_cmp)
    }

    /// The limit of `metric` for this entry at `thresholds`.
    fn limit(&self, metric: Metric, thresholds: Thresholds) -> f64 {
        if self.op == ALL_OPERATIONS {
            thresholds.overall_of(metric)
        } else {
            thresholds.of(metric)
        }
    }

    /// Per run, the smallest factor by which `dag` must slow down for one of this entry's
    /// ratios to pass its limit (infinite when none is judged).
    fn needed_per_run(&self, thresholds: Thresholds) -> Vec<f64> {
        self.changes
            .iter()
            .map(|run| {
                Metric::ALL
                    .iter()
                    .zip(run)
                    .filter_map(|(&m, change)| change.map(|c| needed(c, self.limit(m, thresholds))))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect()
    }

    /// The smallest slowdown of `dag`, percent, that fails this entry on every run at
    /// `thresholds`: on each run the slowdown must push one of its ratios past its limit.
    pub fn always_caught_slowdown_pct(&self, thresholds: Thresholds) -> f64 {
        self.needed_per_run(thresholds)
            .into_iter()
            .fold(1.0, f64::max)
            .mul_add(100.0, -100.0)
    }
}

impl Spread {
    /// Compares each of `runs` (path, results) against the others with [`compare`].
    ///
    /// Errors: fewer than two runs, or any error of [`compare`] (an operation of one run
    /// missing from another, a non-positive time).
    ///
    /// # Complexity
    /// O(n² · c) for n runs of c operations each.
    pub fn measure(runs: &[(std::path::PathBuf, Results)]) -> Result<Spread, ReportError> {
        if runs.len() < 2 {
            return Err(ReportError::Invalid {
                path: runs.first().map(|(p, _)| p.clone()).unwrap_or_default(),
                detail: format!(
                    "the spread needs at least two runs to compare, got {}",
                    runs.len()
                ),
            });
        }
        let mut ops: Vec<OpSpread> = runs[0]
            .1
            .operations
            .iter()
            .map(|o| o.op.clone())
            .chain([ALL_OPERATIONS.to_string()])
            .map(|op| OpSpread {
                op,
                changes: Vec::new(),
            })
            .collect();
        for (i, (path, run)) in runs.iter().enumerate() {
            let others: Vec<Run<'_>> = runs
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, (p, r))| (p.as_path(), r))
                .collect();
            // The limits do not matter here: only the changes are kept.
            let report = compare(&others, (path, run), Thresholds::uniform(0.0))?;
            for entry in &mut ops {
                let change = |metric| {
                    report
                        .rows
                        .iter()
                        .find(|r| r.op == entry.op && r.metric == metric)
                        .and_then(|r| r.change_pct)
                };
                entry.changes.push(Metric::ALL.map(change));
            }
        }
        Ok(Spread {
            runs: runs.len(),
            ops,
        })
    }

    /// Whether every run of the unchanged tree passes the gate against the others at
    /// `thresholds`.
    pub fn unchanged_passes(&self, thresholds: Thresholds) -> bool {
        self.ops.iter().all(|o| {
            Metric::ALL.iter().all(|&m| {
                o.worst_growth_pct(m)
                    .is_none_or(|worst| worst <= o.limit(m, thresholds))
            })
        })
    }

    /// The smallest slowdown of `dag`, percent, that fails the gate in every run at
    /// `thresholds` (on each run, through whichever row it crosses first).
    pub fn always_caught_slowdown_pct(&self, thresholds: Thresholds) -> f64 {
        let per_entry: Vec<Vec<f64>> = self
            .ops
            .iter()
            .map(|o| o.needed_per_run(thresholds))
            .collect();
        (0..self.runs)
            .map(|run| {
                per_entry
                    .iter()
                    .map(|e| e[run])
                    .fold(f64::INFINITY, f64::min)
            })
            .fold(1.0, f64::max)
            .mul_add(100.0, -100.0)
    }

    /// The smallest slowdown of `dag`, percent, that fails every operation (its own rows) of
    /// every run at `thresholds`.
    pub fn every_operation_caught_slowdown_pct(&self, thresholds: Thresholds) -> f64 {
        self.ops
            .iter()
            .filter(|o| o.op != ALL_OPERATIONS)
            .map(|o| o.always_caught_slowdown_pct(thresholds))
            .fold(0.0, f64::max)
    }

    /// A table of the worst growth per operation and ratio, then what `thresholds` give.
    pub fn render(&self, thresholds: Thresholds) -> String {
        let fmt = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:+.1}%"));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} runs, each judged against the median of the other {}; worst growth of each ratio:",
            self.runs,
            self.runs - 1
        );
        let _ = writeln!(
            out,
            "{:<14} {:>14} {:>11} {:>17} {:>16}",
            "op", "dag/previous", "dag/rayon", "dag/calibration", "always caught"
        );
        for o in &self.ops {
            let _ = writeln!(
                out,
                "{:<14} {:>14} {:>11} {:>17} {:>16}",
                o.op,
                fmt(o.worst_growth_pct(Metric::SameRun)),
                fmt(o.worst_growth_pct(Metric::VsRayon)),
                fmt(o.worst_growth_pct(Metric::Calibrated)),
                format!("dag +{:.1}%", o.always_caught_slowdown_pct(thresholds)),
            );
        }
        let _ = writeln!(
            out,
            "limits {}: an unchanged tree {}; a dag slowdown of {:.1}% or more fails the gate \
             in every run, and of {:.1}% or more fails every operation of every run",
            thresholds.describe(),
            if self.unchanged_passes(thresholds) {
                "passes in every run"
            } else {
                "FAILS in at least one run"
            },
            self.always_caught_slowdown_pct(thresholds),
            self.every_operation_caught_slowdown_pct(thresholds)
        );
        out
    }
}
