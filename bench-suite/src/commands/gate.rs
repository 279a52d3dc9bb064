//! `zkpar gate`: compare two `results.json` files (see [`crate::gate`] for the rule).
//!
//! Prints the comparison table on stdout, then: exit 0 when every ratio holds, 3 naming each
//! regressed operation, 2 when a file is unreadable or malformed or an operation of the
//! baseline is missing from the current file. With `--update-baseline` the current file is
//! copied over the baseline after the table is printed and the exit code is 0 (the numbers are
//! accepted); regressions are still named, as a warning.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::Outcome;
use crate::cli::GateArgs;
use crate::gate;
use crate::report::{ReportError, Results};

/// Runs `zkpar gate`.
pub fn run(args: &GateArgs) -> anyhow::Result<Outcome> {
    if args.update_baseline && args.baseline.len() != 1 {
        return Err(ReportError::Invalid {
            path: args.baseline[0].clone(),
            detail: format!(
                "--update-baseline replaces one baseline file, but {} were given",
                args.baseline.len()
            ),
        }
        .into());
    }
    let baselines = args
        .baseline
        .iter()
        .map(|path| {
            Results::load(path).with_context(|| format!("reading the baseline {}", path.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let current = Results::load(&args.current).context("reading the current results")?;
    let thresholds = args.limits.thresholds();
    let runs: Vec<gate::Run<'_>> = args
        .baseline
        .iter()
        .map(PathBuf::as_path)
        .zip(&baselines)
        .collect();
    let report = gate::compare(&runs, (&args.current, &current), thresholds)?;
    print!("{}", report.render());
    let regressed = report.regressed_ops();

    if args.update_baseline {
        let baseline = &args.baseline[0];
        replace_baseline(&args.current, baseline)?;
        if !regressed.is_empty() {
            log::warn!("accepted regressions in: {}", regressed.join(", "));
        }
        println!(
            "baseline `{}` updated from `{}`",
            baseline.display(),
            args.current.display()
        );
        return Ok(Outcome::Success);
    }
    if regressed.is_empty() {
        Ok(Outcome::Success)
    } else {
        eprintln!(
            "error: performance regression (dag/previous > +{}% or dag/calibration > +{}%) in: {}",
            thresholds.same_run_pct,
            thresholds.calibrated_pct,
            regressed.join(", ")
        );
        Ok(Outcome::Regressed)
    }
}

/// Copies `current` over `baseline` through a temporary file in the baseline's directory, so
/// an interrupted update never leaves a truncated baseline. Copying a file onto itself is a
/// no-op (a plain copy would truncate it first).
fn replace_baseline(current: &Path, baseline: &Path) -> Result<(), ReportError> {
    let same = match (current.canonicalize(), baseline.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Ok(());
    }
    let bytes = std::fs::read(current).map_err(|source| ReportError::Read {
        path: current.to_path_buf(),
        source,
    })?;
    let mut tmp = baseline.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let write = |path: &Path, source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, bytes).map_err(|e| write(&tmp, e))?;
    std::fs::rename(&tmp, baseline).map_err(|e| write(baseline, e))
}
