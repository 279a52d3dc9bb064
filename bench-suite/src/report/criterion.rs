//! Rebuilding `results.json` from criterion's output directory (`zkpar report`).
//!
//! The `operations` bench names one criterion group per operation (`transfer`, `erc20`, ...)
//! and one bench id per policy (`previous`, `rayon`, `dag`), so criterion writes
//! `<dir>/<op>/<policy>/new/estimates.json`. We take `median.point_estimate` (nanoseconds) as
//! the time, matching the medians `reproduce` reports.
//!
//! # What criterion cannot give
//!
//! Criterion measures wall time only. `lower_bound_s`, `lower_bound_naive_s`,
//! `peak_rss_bytes` and `calibration_s` (and the machine description, `scaling`, `reps`,
//! `quick`) are kept from an existing `results.json` when one is given; `efficiency` is then
//! recomputed against the new DAG time. Without one they are written as 0 and listed in
//! `unmeasured`, and the machine is described by [`super::provenance::basic_machine`].

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ReportError;
use super::provenance;
use super::published::PublishedTable;
use super::results::{LowerBounds, OperationResult, PeakRss, PublishedFigures, Results, Timings};

/// Criterion bench ids, one per policy, in results order.
pub const POLICIES: [&str; 3] = ["previous", "rayon", "dag"];

/// Fields written as 0 when no earlier `results.json` supplies them.
pub const NOT_FROM_CRITERION: [&str; 5] = [
    "lower_bound_s",
    "lower_bound_naive_s",
    "efficiency",
    "peak_rss_bytes",
    "calibration_s",
];

/// `<dir>/<op>/<policy>/new/estimates.json`.
pub fn estimates_path(dir: &Path, op: &str, policy: &str) -> PathBuf {
    dir.join(op).join(policy).join("new").join("estimates.json")
}

/// Reads `median.point_estimate` (nanoseconds) from a criterion `estimates.json`, in seconds.
pub fn read_median_s(path: &Path) -> Result<f64, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| ReportError::Syntax {
        path: path.to_path_buf(),
        format: "JSON",
        detail: e.to_string(),
    })?;
    let ns = value
        .get("median")
        .ok_or_else(|| ReportError::field(path, "median", "is missing"))?
        .get("point_estimate")
        .ok_or_else(|| ReportError::field(path, "median.point_estimate", "is missing"))?
        .as_f64()
        .filter(|ns| ns.is_finite() && *ns > 0.0)
        .ok_or_else(|| {
            ReportError::field(
                path,
                "median.point_estimate",
                "must be a positive number of nanoseconds",
            )
        })?;
    Ok(ns / 1e9)
}

/// The median times of every operation in `ops` that has a criterion directory under `dir`,
/// in `ops` order. An operation directory with a policy missing is an error naming the file;
/// no operation at all is [`ReportError::NoCriterionData`].
pub fn read_operations(dir: &Path, ops: &[&str]) -> Result<Vec<(String, Timings)>, ReportError> {
    let mut found = Vec::new();
    let mut absent = Vec::new();
    for op in ops {
        if !dir.join(op).is_dir() {
            absent.push(*op);
            continue;
        }
        let mut t = [0.0; 3];
        for (slot, policy) in t.iter_mut().zip(POLICIES) {
            *slot = read_median_s(&estimates_path(dir, op, policy))?;
        }
        found.push((
            op.to_string(),
            Timings {
                previous_s: t[0],
                rayon_s: t[1],
                dag_s: t[2],
            },
        ));
    }
    if found.is_empty() {
        return Err(ReportError::NoCriterionData {
            dir: dir.to_path_buf(),
            ops: ops.join(", "),
        });
    }
    if !absent.is_empty() {
        log::warn!(
            "no criterion data under `{}` for: {} (left out of the report)",
            dir.display(),
            absent.join(", ")
        );
    }
    Ok(found)
}

/// Builds [`Results`] from criterion's medians under `dir` for the published operations,
/// keeping what criterion cannot measure from `earlier` (see the module docs). `git_rev` and
/// `date` describe this rebuild.
pub fn results_from_criterion(
    dir: &Path,
    published: &PublishedTable,
    earlier: Option<&Results>,
    git_rev: String,
    date: String,
) -> Result<Results, ReportError> {
    let measured = read_operations(dir, &published.ids())?;
    let mut unmeasured: Vec<String> = earlier.map(|e| e.unmeasured.clone()).unwrap_or_default();
    let mut mark = |field: &str| {
        if !unmeasured.iter().any(|f| f == field) {
            unmeasured.push(field.to_string());
        }
    };

    let mut operations = Vec::with_capacity(measured.len());
    for (op, timings) in measured {
        let kept = earlier.and_then(|e| e.operation(&op));
        if kept.is_none() {
            for field in &NOT_FROM_CRITERION[..4] {
                mark(field);
            }
        }
        let bounds = kept.map_or(LowerBounds::default(), |k| LowerBounds {
            loaded_s: k.lower_bound_s,
            naive_s: k.lower_bound_naive_s,
        });
        let rss = kept.map_or(PeakRss::default(), |k| k.peak_rss_bytes);
        let figures =
            published
                .get(&op)
                .map_or(PublishedFigures::default(), |p| PublishedFigures {
                    previous_s: p.previous_s,
                    new_s: p.new_s,
                });
        operations.push(OperationResult::new(op, timings, bounds, rss, figures));
    }
    let calibration_s = earlier.map_or(0.0, |e| e.calibration_s);
    if calibration_s <= 0.0 {
        mark("calibration_s");
    }
    Ok(Results {
        machine: earlier.map_or_else(provenance::basic_machine, |e| e.machine.clone()),
        git_rev,
        date,
        operations,
        calibration_s,
        calibration_samples: earlier
            .map(|e| e.calibration_samples.clone())
            .unwrap_or_default(),
        scaling: earlier.map(|e| e.scaling.clone()).unwrap_or_default(),
        reps: earlier.and_then(|e| e.reps),
        quick: earlier.and_then(|e| e.quick),
        tree_depth: earlier.and_then(|e| e.tree_depth),
        unmeasured,
    })
}
