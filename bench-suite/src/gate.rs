//! The regression gate: is a new `results.json` slower than an accepted baseline?
//!
//! Absolute seconds move with the machine, its load and its clock, so the gate compares two
//! ratios that cancel most of that out:
//!
//! 1. `dag_s / previous_s` from the same run: the scheduler's time relative to sequential
//!    proving measured minutes apart on the same machine. This is the published improvement
//!    turned around, and it is what the project claims.
//! 2. `dag_s / calibration_s`: the scheduler's time relative to a fixed calibration workload
//!    timed on the same machine. This catches a slowdown that hits `previous` and `dag` alike
//!    (e.g. a slower circuit), which ratio 1 cannot see. It is only judged when both files have
//!    a calibration (`calibration_s > 0`); otherwise the row says so.
//!
//! An operation regresses when either ratio grows by more than the threshold relative to the
//! baseline's ratio: `current / baseline - 1 > max_regression_pct / 100`. Every operation of
//! the baseline must be in the current file (a dropped operation is an input error, not a pass).
//!
//! # Complexity
//! O(b * c) for b baseline and c current operations (both are a handful).

use std::fmt::Write as _;
use std::path::Path;

use crate::report::{ReportError, Results};

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
    pub baseline: Option<f64>,
    /// The current ratio (`None` if not available).
    pub current: Option<f64>,
    /// `(current / baseline - 1) * 100` when both are available.
    pub change_pct: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// Everything the gate compared.
#[derive(Debug, Clone, PartialEq)]
pub struct GateReport {
    /// The threshold used, percent.
    pub max_regression_pct: f64,
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
        let fmt_ratio = |r: Option<f64>| r.map_or_else(|| "-".to_string(), |r| format!("{r:.4}"));
        let mut lines: Vec<[String; 6]> = vec![[
            "op".into(),
            "metric".into(),
            "baseline".into(),
            "current".into(),
            "change".into(),
            "verdict".into(),
        ]];
        for row in &self.rows {
            lines.push([
                row.op.clone(),
                row.metric.name().into(),
                fmt_ratio(row.baseline),
                fmt_ratio(row.current),
                row.change_pct
                    .map_or_else(|| "-".into(), |c| format!("{c:+.1}%")),
                match &row.verdict {
                    Verdict::Holds => "ok".into(),
                    Verdict::Regressed => "REGRESSED".into(),
                    Verdict::NotJudged(why) => format!("not judged ({why})"),
                },
            ]);
        }
        let mut widths = [0usize; 6];
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
                    0 | 1 => {
                        let _ = write!(text, "{cell:<w$}  ");
                    }
                    5 => text.push_str(cell),
                    _ => {
                        let _ = write!(text, "{cell:>w$}  ");
                    }
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        }
        let regressed = self.regressed_ops();
        if regressed.is_empty() {
            let _ = writeln!(
                out,
                "gate: pass (no ratio grew by more than {}%)",
                self.max_regression_pct
            );
        } else {
            let _ = writeln!(
                out,
                "gate: FAIL: regressed by more than {}%: {}",
                self.max_regression_pct,
                regressed.join(", ")
            );
        }
        out
    }
}

/// `dag_s / previous_s`, or an error naming the file and field when `previous_s` or `dag_s`
/// is not positive (the ratio would be meaningless).
fn same_run_ratio(results: &Results, op: &str, path: &Path) -> Result<f64, ReportError> {
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
    Ok(row.dag_s / row.previous_s)
}

/// Compares `current` against `baseline` (see the module docs). `baseline_path` and
/// `current_path` only name the files in errors.
///
/// Errors: an operation of the baseline missing from `current`
/// ([`ReportError::MissingOperations`]), or a non-positive `previous_s` / `dag_s`.
pub fn compare(
    baseline: &Results,
    current: &Results,
    max_regression_pct: f64,
    baseline_path: &Path,
    current_path: &Path,
) -> Result<GateReport, ReportError> {
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
    let judge = |b: f64, c: f64| {
        let change = (c / b - 1.0) * 100.0;
        let verdict = if change > max_regression_pct {
            Verdict::Regressed
        } else {
            Verdict::Holds
        };
        (Some(change), verdict)
    };

    let mut rows = Vec::new();
    for b in &baseline.operations {
        let base = same_run_ratio(baseline, &b.op, baseline_path)?;
        let cur = same_run_ratio(current, &b.op, current_path)?;
        let (change_pct, verdict) = judge(base, cur);
        rows.push(GateRow {
            op: b.op.clone(),
            metric: Metric::SameRun,
            baseline: Some(base),
            current: Some(cur),
            change_pct,
            verdict,
        });

        let c = current.operation(&b.op).map_or(0.0, |c| c.dag_s);
        let base = (baseline.calibration_s > 0.0).then(|| b.dag_s / baseline.calibration_s);
        let cur = (current.calibration_s > 0.0).then(|| c / current.calibration_s);
        let (change_pct, verdict) = match (base, cur) {
            (Some(bv), Some(cv)) => judge(bv, cv),
            (None, _) => (None, Verdict::NotJudged("baseline has no calibration")),
            (_, None) => (None, Verdict::NotJudged("current has no calibration")),
        };
        rows.push(GateRow {
            op: b.op.clone(),
            metric: Metric::Calibrated,
            baseline: base,
            current: cur,
            change_pct,
            verdict,
        });
    }
    for c in &current.operations {
        if baseline.operation(&c.op).is_none() {
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
    Ok(GateReport {
        max_regression_pct,
        rows,
    })
}
