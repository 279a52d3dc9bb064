//! Run data and its renderings.
//!
//! - [`results`] is the `results.json` data model (the contract with the code that measures);
//! - [`published`] loads the published table being reproduced
//!   (`datasets/published/seed-claim.toml`);
//! - [`markdown`] renders `results.md`;
//! - [`charts`] draws the SVG charts (comparison, scaling, Gantt);
//! - [`criterion`] rebuilds results from criterion's output directory;
//! - [`provenance`] gives the date, git revision and a basic machine description;
//! - [`error`] holds the error type naming file and field.
//!
//! [`write_report`] writes the standard set of files for one [`Results`].

pub(crate) mod chart_style;
pub mod charts;
pub mod criterion;
pub mod error;
pub mod markdown;
pub mod provenance;
pub mod published;
pub mod results;

use std::path::{Path, PathBuf};

pub use error::ReportError;
pub use published::PublishedTable;
pub use results::Results;

/// File names written by [`write_report`].
pub const RESULTS_JSON: &str = "results.json";
/// See [`RESULTS_JSON`].
pub const RESULTS_MD: &str = "results.md";
/// See [`RESULTS_JSON`].
pub const COMPARISON_SVG: &str = "comparison.svg";
/// See [`RESULTS_JSON`].
pub const SCALING_SVG: &str = "scaling.svg";

/// Writes `results.json`, `results.md`, `comparison.svg` and, when `results.scaling` is not
/// empty, `scaling.svg` into `out_dir` (created if needed). Returns the paths written.
pub fn write_report(
    results: &Results,
    published: &PublishedTable,
    out_dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out_dir).map_err(|source| ReportError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();

    let json = out_dir.join(RESULTS_JSON);
    results.save(&json)?;
    written.push(json);

    let md = out_dir.join(RESULTS_MD);
    std::fs::write(&md, markdown::render(results, published)).map_err(|source| {
        ReportError::Write {
            path: md.clone(),
            source,
        }
    })?;
    written.push(md);

    let comparison = out_dir.join(COMPARISON_SVG);
    charts::comparison_chart(results, published, &comparison)?;
    written.push(comparison);

    if !results.scaling.is_empty() {
        let scaling = out_dir.join(SCALING_SVG);
        charts::scaling_chart(&results.scaling, &scaling)?;
        written.push(scaling);
    }
    Ok(written)
}
