//! The regression gate: is a new `results.json` slower than an accepted baseline?
//!
//! Absolute seconds move with the machine, its load and its clock, so the gate compares two
//! ratios that cancel most of that out:
//!
//! 1. `dag / previous` from the same run: the scheduler's time relative to sequential proving on
//!    the same machine. This is the published improvement turned around, and it is what the
//!    project claims. When the file carries per-round samples (`samples.previous[i]` and
//!    `samples.dag[i]` timed back to back in round `i`), the ratio is the **median of the
//!    per-round ratios**, so a machine that drifts during the run moves both halves of each
//!    ratio alike; otherwise it is `dag_s / previous_s`.
//! 2. `dag / calibration`: the scheduler's time relative to a fixed calibration workload timed
//!    on the same machine. This catches a slowdown that hits `previous` and `dag` alike
//!    (e.g. a slower circuit), which ratio 1 cannot see. It is only judged when both files have
//!    a calibration (`calibration_s > 0`), and only against baselines recorded on the current
//!    run's CPU model (`machine.cpu`): the kernel cancels a machine's speed, not its
//!    microarchitecture (on the Intel Xeon CI machine the kernel takes 0.42 s where the AMD EPYC
//!    one took 0.59 s, a ratio proofs do not share). Otherwise the row says why it was not judged.
//!
//! Each ratio wanders by its own amount on a given machine (on a shared 2-vCPU VM, `previous`,
//! whose every proof synchronises both cores many times, suffers more from a stolen core than
//! `dag` does), so each has its own limit. An operation regresses when either ratio grows by
//! more than its limit over the baseline's: `current / baseline - 1 > limit / 100`.
//!
//! The baseline may be several runs of the accepted tree: each ratio is then judged against the
//! median of theirs. One run's ratio is itself a sample; the median of six moves about half as
//! much, which is what lets a limit sit above the noise and still catch a real slowdown.
//! Every operation of a baseline must be in the current file (a dropped operation is an input
//! error, not a pass).
//!
//! # Complexity
//! O(n · c² + n · s log s) for n baselines of c operations (a handful) with s samples each
//! (a few dozen at most).
//!
//! # Layers
//! This module is the wall-time layer ([`Spread`], in `spread.rs`, measures how far its ratios
//! move between runs of one tree). [`work`] is the work layer: instruction counts of each
//! sub-circuit's witness and proof under Callgrind. [`schedule`] is the schedule layer: makespans of every
//! operation and block under every policy, simulated with a committed, fixed cost table, so
//! it judges scheduling changes exactly and runs without a results file.

use std::fmt::Write as _;
use std::path::Path;

use crate::report::results::median;
use crate::report::{ReportError, Results};

pub mod schedule;
mod spread;
pub mod work;

pub use spread::{OpSpread, Spread};

/// Which ratio a row judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `dag_s / previous_s` of the same run.
    SameRun,
    /// `dag_s / calibration_s`.
    Calibrated,
}

impl Metric {
    /// The column text.
    pub fn name(self) -> &'static str {
        match self {
            Metric::SameRun => "dag/previous",
            Metric::Calibrated => "dag/calibration",
        }
    }
}

/// The outcome of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Within the threshold (or faster).
    Holds,
    /// Grew by more than the threshold.
    Regressed,
    /// Could not be judged; the reason is printed.
    NotJudged(&'static str),
}

/// One compared ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct GateRow {
    /// Operation id.
    pub op: String,
    /// Which ratio.
    pub metric: Metric,
    /// The baseline's ratio (`None` if not available).
    pub baseline: Option<Ratio>,
    /// The current ratio (`None` if not available).
    pub current: Option<Ratio>,
    /// `(current / baseline - 1) * 100` when both are available.
    pub change_pct: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// How much each ratio may grow before the gate fails, percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// For `dag / previous` ([`Metric::SameRun`]).
    pub same_run_pct: f64,
    /// For `dag / calibration` ([`Metric::Calibrated`]).
    pub calibrated_pct: f64,
}

impl Thresholds {
    /// The same threshold for both ratios.
    pub fn uniform(pct: f64) -> Self {
        Thresholds {
            same_run_pct: pct,
            calibrated_pct: pct,
        }
    }

    /// The threshold of `metric`.
    pub fn of(&self, metric: Metric) -> f64 {
        match metric {
            Metric::SameRun => self.same_run_pct,
            Metric::Calibrated => self.calibrated_pct,
        }
    }
}

/// Everything the gate compared.
#[derive(Debug, Clone, PartialEq)]
pub struct GateReport {
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// Rows in baseline order, then operations only in the current file.
    pub rows: Vec<GateRow>,
}

impl GateReport {
    /// The operations with at least one regressed ratio, in row order, without duplicates.
    pub fn regressed_ops(&self) -> Vec<&str> {
        let mut ops: Vec<&str> = Vec::new();
        for row in self.rows.iter().filter(|r| r.verdict == Verdict::Regressed) {
            if !ops.contains(&row.op.as_str()) {
                ops.push(&row.op);
            }
        }
        ops
    }

    /// Whether no operation regressed.
    pub fn passed(&self) -> bool {
        self.regressed_ops().is_empty()
    }

    /// The comparison as an aligned text table followed by a one-line summary.
    pub fn render(&self) -> String {
        let fmt_ratio = |r: &Option<Ratio>| {
            r.as_ref()
                .map_or_else(|| "-".to_string(), |r| format!("{:.4}", r.value))
        };
        let fmt_basis = |r: &Option<Ratio>| r.as_ref().map_or_else(String::new, Ratio::basis);
        let mut lines: Vec<[String; 9]> = vec![[
            "op".into(),
            "metric".into(),
            "baseline".into(),
            "from".into(),
            "current".into(),
            "from".into(),
            "change".into(),
            "limit".into(),
            "verdict".into(),
        ]];
        for row in &self.rows {
            lines.push([
                row.op.clone(),
                row.metric.name().into(),
                fmt_ratio(&row.baseline),
                fmt_basis(&row.baseline),
                fmt_ratio(&row.current),
                fmt_basis(&row.current),
                row.change_pct
                    .map_or_else(|| "-".into(), |c| format!("{c:+.1}%")),
                format!("+{}%", self.thresholds.of(row.metric)),
                match &row.verdict {
                    Verdict::Holds => "ok".into(),
                    Verdict::Regressed => "REGRESSED".into(),
                    Verdict::NotJudged(why) => format!("not judged ({why})"),
                },
            ]);
        }
        let mut widths = [0usize; 9];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = String::new();
        for line in &lines {
            let mut text = String::new();
            for (i, (cell, w)) in line.iter().zip(widths).enumerate() {
                // Names left-aligned, numbers right-aligned; the last column is not padded.
                match i {
                    0 | 1 | 3 | 5 => {
                        let _ = write!(text, "{cell:<w$}  ");
                    }
                    8 => text.push_str(cell),
                    _ => {
                        let _ = write!(text, "{cell:>w$}  ");
                    }
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        }
        let limits = format!(
            "dag/previous +{}%, dag/calibration +{}%",
            self.thresholds.same_run_pct, self.thresholds.calibrated_pct
        );
        let regressed = self.regressed_ops();
        if regressed.is_empty() {
            let _ = writeln!(out, "gate: pass (no ratio grew past its limit: {limits})");
        } else {
            let _ = writeln!(
                out,
                "gate: FAIL: grew past its limit ({limits}): {}",
                regressed.join(", ")
            );
        }
        out
    }
}

/// One side of a compared ratio, and what it was computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    /// The ratio.
    pub value: f64,
    /// What it was computed from.
    pub basis: Basis,
}

/// What a [`Ratio`] was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The median of this many per-round ratios of one run.
    Rounds(usize),
    /// The ratio of one run's reported medians (the file has no usable per-round samples).
    Medians,
    /// The median of this many baseline runs' ratios.
    Runs(usize),
}

impl Ratio {
    /// The `from` column: `5 rounds`, `medians` or `6 runs`.
    fn basis(&self) -> String {
        match self.basis {
            Basis::Rounds(1) => "1 round".into(),
            Basis::Rounds(n) => format!("{n} rounds"),
            Basis::Medians => "medians".into(),
            Basis::Runs(n) => format!("{n} runs"),
        }
    }

    /// One ratio for several runs: the median of theirs (the single one, unchanged).
    fn pooled(ratios: &[Ratio]) -> Option<Ratio> {
        match ratios {
            [] => None,
            [one] => Some(*one),
            many => Some(Ratio {
                value: median(&many.iter().map(|r| r.value).collect::<Vec<_>>())?,
                basis: Basis::Runs(many.len()),
            }),
        }
    }
}

/// The `dag / previous` ratio of `op` (see the module docs), or an error naming the file and
/// field when `previous_s` or `dag_s` is not positive (the ratio would be meaningless).
fn same_run_ratio(results: &Results, op: &str, path: &Path) -> Result<Ratio, ReportError> {
    let index = results
        .operations
        .iter()
        .position(|o| o.op == op)
        .unwrap_or(0);
    let row = &results.operations[index];
    for (name, value) in [("previous_s", row.previous_s), ("dag_s", row.dag_s)] {
        if value <= 0.0 {
            return Err(ReportError::field(
                path,
                format!("operations[{index}].{name} (op \"{op}\")"),
                format!("must be positive for the gate (got {value})"),
            ));
        }
    }
    let per_round: Vec<f64> = row
        .samples
        .as_ref()
        .map(|s| {
            s.previous
                .iter()
                .zip(&s.dag)
                .filter(|(p, d)| **p > 0.0 && **d > 0.0)
                .map(|(p, d)| d / p)
                .collect()
        })
        .unwrap_or_default();
    Ok(match median(&per_round) {
        Some(value) => Ratio {
            value,
            basis: Basis::Rounds(per_round.len()),
        },
        None => Ratio {
            value: row.dag_s / row.previous_s,
            basis: Basis::Medians,
        },
    })
}

/// The `dag / calibration` ratio of `op`, when `results` has a calibration.
fn calibrated_ratio(results: &Results, op: &str) -> Option<Ratio> {
    let row = results.operation(op)?;
    (results.calibration_s > 0.0 && row.dag_s > 0.0).then(|| Ratio {
        value: row.dag_s / results.calibration_s,
        basis: Basis::Medians,
    })
}

/// A results file and the path that names it in errors.
pub type Run<'a> = (&'a Path, &'a Results);

/// Compares `current` against the accepted `baselines` (see the module docs): with several
/// baselines, each ratio is judged against the median of theirs, so that one baseline run that
/// happened to be lucky or unlucky does not move the bar.
///
/// Errors: no baseline, a baseline at another tree depth, an operation of a baseline missing
/// from `current`
/// ([`ReportError::MissingOperations`]), or a non-positive `previous_s` / `dag_s`.
pub fn compare(
    baselines: &[Run<'_>],
    current: Run<'_>,
    thresholds: Thresholds,
) -> Result<GateReport, ReportError> {
    let (current_path, current) = current;
    let Some(&(_, first)) = baselines.first() else {
        return Err(ReportError::Invalid {
            path: current_path.to_path_buf(),
            detail: "no baseline to compare against".into(),
        });
    };
    for &(baseline_path, baseline) in baselines {
        // A run at another tree depth proves other circuits (Merkle paths of another length):
        // its ratios say nothing about this run's.
        if baseline.tree_depth != current.tree_depth {
            let depth = |d: Option<u32>| d.map_or("unrecorded".to_string(), |d| d.to_string());
            return Err(ReportError::Invalid {
                path: baseline_path.to_path_buf(),
                detail: format!(
                    "baseline proved at tree depth {}, the current run at {}: record baselines at the current run's depth",
                    depth(baseline.tree_depth),
                    depth(current.tree_depth)
                ),
            });
        }
        let missing: Vec<String> = baseline
            .operations
            .iter()
            .filter(|b| current.operation(&b.op).is_none())
            .map(|b| b.op.clone())
            .collect();
        if !missing.is_empty() {
            return Err(ReportError::MissingOperations {
                ops: missing,
                baseline: baseline_path.to_path_buf(),
                current: current_path.to_path_buf(),
            });
        }
    }
    let judged = |op: &str, metric: Metric, base: Ratio, cur: Ratio| {
        let change = (cur.value / base.value - 1.0) * 100.0;
        GateRow {
            op: op.to_string(),
            metric,
            baseline: Some(base),
            current: Some(cur),
            change_pct: Some(change),
            verdict: if change > thresholds.of(metric) {
                Verdict::Regressed
            } else {
                Verdict::Holds
            },
        }
    };

    let mut rows = Vec::new();
    // The first baseline's operations, in its order; an operation another baseline lacks is
    // judged on the baselines that have it.
    for b in &first.operations {
        let mut same_run = Vec::new();
        for &(path, baseline) in baselines {
            if baseline.operation(&b.op).is_some() {
                same_run.push(same_run_ratio(baseline, &b.op, path)?);
            }
        }
        let base = Ratio::pooled(&same_run).expect("the first baseline has the operation");
        let cur = same_run_ratio(current, &b.op, current_path)?;
        rows.push(judged(&b.op, Metric::SameRun, base, cur));

        // The kernel cancels a machine's speed, not its microarchitecture: how fast Poseidon
        // hashing runs relative to proving differs between CPU models, so dag/calibration is
        // only judged against baselines recorded on the current run's CPU model.
        let same_cpu: Vec<&Results> = baselines
            .iter()
            .map(|&(_, baseline)| baseline)
            .filter(|baseline| baseline.operation(&b.op).is_some())
            .filter(|baseline| baseline.machine.cpu == current.machine.cpu)
            .collect();
        let calibrated: Option<Vec<Ratio>> = same_cpu
            .iter()
            .map(|baseline| calibrated_ratio(baseline, &b.op))
            .collect();
        let base = calibrated.and_then(|c| Ratio::pooled(&c));
        let cur = calibrated_ratio(current, &b.op);
        rows.push(match (base, cur) {
            (Some(base), Some(cur)) => judged(&b.op, Metric::Calibrated, base, cur),
            (base, cur) => GateRow {
                op: b.op.clone(),
                metric: Metric::Calibrated,
                baseline: base,
                current: cur,
                change_pct: None,
                verdict: Verdict::NotJudged(if same_cpu.is_empty() {
                    "no baseline from this CPU model"
                } else if base.is_none() {
                    "baseline has no calibration"
                } else {
                    "current has no calibration"
                }),
            },
        });
    }
    for c in &current.operations {
        if baselines.iter().all(|(_, b)| b.operation(&c.op).is_none()) {
            rows.push(GateRow {
                op: c.op.clone(),
                metric: Metric::SameRun,
                baseline: None,
                current: same_run_ratio(current, &c.op, current_path).ok(),
                change_pct: None,
                verdict: Verdict::NotJudged("not in the baseline"),
            });
        }
    }
    Ok(GateReport { thresholds, rows })
}
