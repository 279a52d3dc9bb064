//! The regression gate: is a new `results.json` slower than an accepted baseline?
//!
//! Absolute seconds move with the machine, its load and its clock, so the gate compares
//! ratios that cancel most of that out. Each is judged per operation and, once more, over all
//! operations together:
//!
//! 1. `dag / previous` from the same run: the scheduler's time relative to sequential proving on
//!    the same machine. This is the published improvement turned around, and it is what the
//!    project claims. When the file carries per-round samples (`samples.previous[i]` and
//!    `samples.dag[i]` timed back to back in round `i`), the ratio is the **median of the
//!    per-round ratios**, so a machine that drifts during the run moves both halves of each
//!    ratio alike; otherwise it is `dag_s / previous_s`.
//! 2. `dag / rayon`, the same way from `samples.rayon[i]`: the scheduler against the plain
//!    task-parallel peer timed in the same round. Both keep every core busy with whole proofs,
//!    so a core the hypervisor takes away slows both alike, where `previous` (every proof
//!    synchronising both cores many times) loses much more: on the 2-vCPU CI machine this
//!    ratio moves a fraction of what `dag / previous` moves between runs of one tree, and so
//!    can sit under a tighter limit. It cannot see what slows every policy alike.
//! 3. `dag / calibration`: the scheduler's time relative to a fixed calibration workload timed
//!    on the same machine. This catches a slowdown that hits `previous` and `dag` alike
//!    (e.g. a slower circuit), which ratios 1 and 2 cannot see. It is only judged when both
//!    files have a calibration (`calibration_s > 0`), and only against baselines recorded on
//!    the current run's CPU model (`machine.cpu`): the kernel cancels a machine's speed, not
//!    its microarchitecture (on the Intel Xeon CI machine the kernel takes 0.42 s where the AMD
//!    EPYC one took 0.59 s, a ratio proofs do not share). Otherwise the row says why it was not
//!    judged.
//!
//! The paired ratios (1 and 2) are judged against the baselines from the current run's CPU
//! model when there are any, and against all of them otherwise.
//!
//! Each ratio wanders by its own amount on a given machine, so each has its own limit. An
//! operation regresses when one of its ratios grows by more than that ratio's limit over the
//! baseline's: `current / baseline - 1 > limit / 100`.
//!
//! **All operations together.** A slower `dag` slows every operation, while the noise of one
//! operation's paired ratio (two policies timed back to back) is largely its own. So the two
//! paired ratios are judged once more over all operations: the geometric mean of the
//! operations' changes, under its own, tighter limit ([`Thresholds::overall_pct`]; never
//! looser than the ratio's own, since a mean can only pass a limit some operation passes).
//! With four operations of independent noise that mean moves about half as much as one
//! operation does. The row is named [`ALL_OPERATIONS`] and is only judged when every operation
//! of the baseline was. `dag / calibration` has no such row: its noise is the one calibration
//! of the run, shared by every operation, which a mean over them cannot cancel.
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
//! move between runs of one tree; `render.rs` prints a [`GateReport`]). [`work`] is the work
//! layer: instruction counts of each sub-circuit's witness and proof under Callgrind.
//! [`schedule`] is the schedule layer: makespans of every operation and block under every
//! policy, simulated with a committed, fixed cost table, so it judges scheduling changes
//! exactly and runs without a results file.

use std::path::Path;

use crate::report::results::median;
use crate::report::{ReportError, Results};

mod limits;
mod render;
pub mod schedule;
mod spread;
pub mod work;

pub use limits::{Limits, LimitsFile};
pub use spread::{OpSpread, Spread};

/// The `op` of the rows that judge a ratio over all operations together.
pub const ALL_OPERATIONS: &str = "all operations";

/// Which ratio a row judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `dag / previous` of the same run.
    SameRun,
    /// `dag / rayon` of the same run.
    VsRayon,
    /// `dag_s / calibration_s`.
    Calibrated,
}

impl Metric {
    /// Every ratio, in the order the rows list them.
    pub const ALL: [Metric; 3] = [Metric::SameRun, Metric::VsRayon, Metric::Calibrated];

    /// The ratios also judged over all operations together (the paired ones; see the module
    /// docs).
    pub const OVERALL: [Metric; 2] = [Metric::SameRun, Metric::VsRayon];

    /// The column text.
    pub fn name(self) -> &'static str {
        match self {
            Metric::SameRun => "dag/previous",
            Metric::VsRayon => "dag/rayon",
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
    /// Operation id, or [`ALL_OPERATIONS`].
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

impl GateRow {
    /// Whether this row judges all operations together.
    pub fn is_overall(&self) -> bool {
        self.op == ALL_OPERATIONS
    }
}

/// How much each ratio may grow before the gate fails, percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// For `dag / previous` ([`Metric::SameRun`]) of one operation.
    pub same_run_pct: f64,
    /// For `dag / rayon` ([`Metric::VsRayon`]) of one operation.
    pub rayon_pct: f64,
    /// For `dag / calibration` ([`Metric::Calibrated`]) of one operation.
    pub calibrated_pct: f64,
    /// For a paired ratio over all operations together (the geometric mean of their
    /// changes); the ratio's own limit where that is tighter.
    pub overall_pct: f64,
}

impl Thresholds {
    /// The same threshold for every ratio.
    pub fn uniform(pct: f64) -> Self {
        Thresholds {
            same_run_pct: pct,
            rayon_pct: pct,
            calibrated_pct: pct,
            overall_pct: pct,
        }
    }

    /// The threshold of `metric` for one operation.
    pub fn of(&self, metric: Metric) -> f64 {
        match metric {
            Metric::SameRun => self.same_run_pct,
            Metric::VsRayon => self.rayon_pct,
            Metric::Calibrated => self.calibrated_pct,
        }
    }

    /// The threshold of `metric` over all operations together.
    pub fn overall_of(&self, metric: Metric) -> f64 {
        self.overall_pct.min(self.of(metric))
    }

    /// The threshold of `row`: its metric's, or its metric's overall one.
    pub fn of_row(&self, row: &GateRow) -> f64 {
        if row.is_overall() {
            self.overall_of(row.metric)
        } else {
            self.of(row.metric)
        }
    }

    /// The limits as one line of text, as the gate and the spread print them.
    pub fn describe(&self) -> String {
        format!(
            "dag/previous +{}%, dag/rayon +{}%, dag/calibration +{}%, all operations +{}%",
            self.same_run_pct, self.rayon_pct, self.calibrated_pct, self.overall_pct
        )
    }
}

/// Everything the gate compared.
#[derive(Debug, Clone, PartialEq)]
pub struct GateReport {
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// Rows in baseline order (each operation's ratios), then the overall rows, then
    /// operations only in the current file.
    pub rows: Vec<GateRow>,
}

impl GateReport {
    /// The operations with at least one regressed ratio (and [`ALL_OPERATIONS`] when an
    /// overall row regressed), in row order, without duplicates.
    pub fn regressed_ops(&self) -> Vec<&str> {
        let mut ops: Vec<&str> = Vec::new();
        for row in self.rows.iter().filter(|r| r.verdict == Verdict::Regressed) {
            if !ops.contains(&row.op.as_str()) {
                ops.push(&row.op);
            }
        }
        ops
    }

    /// What regressed, one `op metric +x.x%` entry per regressed row.
    pub fn regressions(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regressed)
            .map(|r| {
                format!(
                    "{} {} {:+.1}% (limit +{}%)",
                    r.op,
                    r.metric.name(),
                    r.change_pct.unwrap_or(f64::NAN),
                    self.thresholds.of_row(r)
                )
            })
            .collect()
    }

    /// Whether no ratio regressed.
    pub fn passed(&self) -> bool {
        self.regressed_ops().is_empty()
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
    /// The geometric mean of this many operations' ratios.
    Operations(usize),
}

impl Ratio {
    /// The `from` column: `5 rounds`, `medians` or `6 runs`.
    pub(crate) fn basis(&self) -> String {
        match self.basis {
            Basis::Rounds(1) => "1 round".into(),
            Basis::Rounds(n) => format!("{n} rounds"),
            Basis::Medians => "medians".into(),
            Basis::Runs(n) => format!("{n} runs"),
            Basis::Operations(n) => format!("{n} ops"),
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

/// The median of the per-round ratios `dag[i] / other[i]` of one operation's `row`, or the
/// ratio of its reported medians when it has no usable rounds; `other_s` and `other_rounds` are
/// the `previous` or the `rayon` side. `None` when either median is not positive.
fn paired_ratio(
    row: &crate::report::results::OperationResult,
    other_s: f64,
    other_rounds: Option<&[f64]>,
) -> Option<Ratio> {
    if other_s <= 0.0 || row.dag_s <= 0.0 {
        return None;
    }
    let dag_rounds = row.samples.as_ref().map_or(&[][..], |s| s.dag.as_slice());
    let per_round: Vec<f64> = other_rounds
        .unwrap_or_default()
        .iter()
        .zip(dag_rounds)
        .filter(|(o, d)| **o > 0.0 && **d > 0.0)
        .map(|(o, d)| d / o)
        .collect();
    Some(match median(&per_round) {
        Some(value) => Ratio {
            value,
            basis: Basis::Rounds(per_round.len()),
        },
        None => Ratio {
            value: row.dag_s / other_s,
            basis: Basis::Medians,
        },
    })
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
    let rounds = row.samples.as_ref().map(|s| s.previous.as_slice());
    Ok(paired_ratio(row, row.previous_s, rounds).expect("both sides are positive"))
}

/// The `dag / rayon` ratio of `op`, when `results` timed `rayon` (`rayon_s > 0`).
fn rayon_ratio(results: &Results, op: &str) -> Option<Ratio> {
    let row = results.operation(op)?;
    let rounds = row.samples.as_ref().map(|s| s.rayon.as_slice());
    paired_ratio(row, row.rayon_s, rounds)
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

/// Checks that `current` can be judged against every baseline: the same tree depth, and every
/// operation of each baseline present.
fn check_comparable(baselines: &[Run<'_>], current: Run<'_>) -> Result<(), ReportError> {
    let (current_path, current) = current;
    if baselines.is_empty() {
        return Err(ReportError::Invalid {
            path: current_path.to_path_buf(),
            detail: "no baseline to compare against".into(),
        });
    }
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
    Ok(())
}

/// A row for `metric` of `op`: judged when both sides are known, else not judged for `why`.
fn row(
    op: &str,
    metric: Metric,
    base: Option<Ratio>,
    cur: Option<Ratio>,
    limit: f64,
    why: &'static str,
) -> GateRow {
    let change_pct = match (base, cur) {
        (Some(base), Some(cur)) => Some((cur.value / base.value - 1.0) * 100.0),
        _ => None,
    };
    GateRow {
        op: op.to_string(),
        metric,
        baseline: base,
        current: cur,
        change_pct,
        verdict: match change_pct {
            Some(change) if change > limit => Verdict::Regressed,
            Some(_) => Verdict::Holds,
            None => Verdict::NotJudged(why),
        },
    }
}

/// The overall row of `metric`: the geometric mean of the operations' ratios on each side
/// (so its change is the geometric mean of their changes), judged only when every operation's
/// row of `metric` was.
fn overall_row(rows: &[GateRow], metric: Metric, limit: f64) -> GateRow {
    let of_metric: Vec<&GateRow> = rows.iter().filter(|r| r.metric == metric).collect();
    let geometric_mean = |side: fn(&GateRow) -> Option<Ratio>| -> Option<Ratio> {
        let values: Option<Vec<f64>> = of_metric.iter().map(|r| side(r).map(|r| r.value)).collect();
        let values = values.filter(|v| !v.is_empty())?;
        Some(Ratio {
            value: (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp(),
            basis: Basis::Operations(values.len()),
        })
    };
    let judged = of_metric.iter().all(|r| r.change_pct.is_some());
    let (base, cur) = if judged {
        (
            geometric_mean(|r| r.baseline),
            geometric_mean(|r| r.current),
        )
    } else {
        (None, None)
    };
    row(
        ALL_OPERATIONS,
        metric,
        base,
        cur,
        limit,
        "not judged for every operation",
    )
}

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
    check_comparable(baselines, current)?;
    let (current_path, current) = current;
    let first = baselines[0].1;

    let mut rows = Vec::new();
    // The first baseline's operations, in its order; an operation another baseline lacks is
    // judged on the baselines that have it.
    for b in &first.operations {
        let having_all: Vec<Run<'_>> = baselines
            .iter()
            .copied()
            .filter(|(_, baseline)| baseline.operation(&b.op).is_some())
            .collect();
        let same_cpu: Vec<Run<'_>> = having_all
            .iter()
            .copied()
            .filter(|(_, baseline)| baseline.machine.cpu == current.machine.cpu)
            .collect();
        // The paired ratios are judged against the baselines from the current run's CPU model
        // when there are any: how well halo2's own threads use a machine (previous) and how
        // whole proofs share it (rayon, dag) differ between CPU models too, if far less than
        // the kernel does. A run on a CPU model without baselines is judged against them all.
        let having = if same_cpu.is_empty() {
            &having_all
        } else {
            &same_cpu
        };
        let same_run = having
            .iter()
            .map(|&(path, baseline)| same_run_ratio(baseline, &b.op, path))
            .collect::<Result<Vec<_>, _>>()?;
        let cur = same_run_ratio(current, &b.op, current_path)?;
        rows.push(row(
            &b.op,
            Metric::SameRun,
            Ratio::pooled(&same_run),
            Some(cur),
            thresholds.same_run_pct,
            "unreachable: both sides are positive",
        ));

        let rayon: Option<Vec<Ratio>> = having
            .iter()
            .map(|&(_, baseline)| rayon_ratio(baseline, &b.op))
            .collect();
        let base = rayon.and_then(|r| Ratio::pooled(&r));
        let cur = rayon_ratio(current, &b.op);
        rows.push(row(
            &b.op,
            Metric::VsRayon,
            base,
            cur,
            thresholds.rayon_pct,
            if base.is_none() {
                "a baseline has no rayon timing"
            } else {
                "current has no rayon timing"
            },
        ));

        // The kernel cancels a machine's speed, not its microarchitecture: how fast Poseidon
        // hashing runs relative to proving differs between CPU models, so dag/calibration is
        // only judged against baselines recorded on the current run's CPU model.
        let calibrated: Option<Vec<Ratio>> = same_cpu
            .iter()
            .map(|&(_, baseline)| calibrated_ratio(baseline, &b.op))
            .collect();
        let base = calibrated.and_then(|c| Ratio::pooled(&c));
        rows.push(row(
            &b.op,
            Metric::Calibrated,
            base,
            calibrated_ratio(current, &b.op),
            thresholds.calibrated_pct,
            if same_cpu.is_empty() {
                "no baseline from this CPU model"
            } else if base.is_none() {
                "baseline has no calibration"
            } else {
                "current has no calibration"
            },
        ));
    }
    let overall: Vec<GateRow> = Metric::OVERALL
        .iter()
        .map(|&metric| overall_row(&rows, metric, thresholds.overall_of(metric)))
        .collect();
    rows.extend(overall);
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
