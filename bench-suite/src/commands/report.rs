//! `zkpar report`: rebuild `results.json`, `results.md` and `comparison.svg` from criterion.
//!
//! Reads `<criterion>/<op>/<policy>/new/estimates.json` for the published operations (see
//! [`crate::report::criterion`]). Lower bounds, peak RSS, calibration and the machine are kept
//! from `<out>/results.json` when it exists (a malformed one is an error rather than being
//! silently overwritten); otherwise they are written as 0 and listed in `unmeasured`.

use std::path::Path;

use anyhow::Context as _;

use super::Outcome;
use crate::cli::ReportArgs;
use crate::report::criterion::results_from_criterion;
use crate::report::{provenance, write_report, PublishedTable, Results, RESULTS_JSON};

/// Runs `zkpar report`.
pub fn run(args: &ReportArgs) -> anyhow::Result<Outcome> {
    let published = PublishedTable::embedded()?;
    let existing = args.out.join(RESULTS_JSON);
    let earlier = if existing.exists() {
        log::info!(
            "keeping lower bounds, peak RSS, calibration and machine from `{}`",
            existing.display()
        );
        Some(Results::load(&existing).with_context(|| {
            format!(
                "reading the earlier results to keep what criterion cannot measure \
                 (move `{}` away to start fresh)",
                existing.display()
            )
        })?)
    } else {
        None
    };
    let results = results_from_criterion(
        &args.criterion,
        &published,
        earlier.as_ref(),
        provenance::git_rev(Path::new(".")),
        provenance::utc_date_today(),
    )?;
    if !results.unmeasured.is_empty() {
        log::warn!(
            "not measured (written as 0, shown as n/a): {}",
            results.unmeasured.join(", ")
        );
    }
    for path in write_report(&results, &published, &args.out)? {
        println!("wrote {}", path.display());
    }
    Ok(Outcome::Success)
}
