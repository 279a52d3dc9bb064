//! `zkpar spread`: the run-to-run spread of the gated ratios over several `results.json` files
//! of an unchanged tree (see [`crate::gate::Spread`]), and what a pair of limits gives: whether
//! an unchanged tree always passes, and the smallest `dag` slowdown that always fails.
//!
//! Prints the table on stdout and exits 0; 2 when a file is unreadable or the runs do not
//! cover the same operations.

use anyhow::Context as _;

use super::Outcome;
use crate::cli::SpreadArgs;
use crate::gate::Spread;
use crate::report::Results;

/// Runs `zkpar spread`.
pub fn run(args: &SpreadArgs) -> anyhow::Result<Outcome> {
    let runs = args
        .runs
        .iter()
        .map(|path| {
            Results::load(path)
                .map(|r| (path.clone(), r))
                .with_context(|| format!("reading run {}", path.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let spread = Spread::measure(&runs)?;
    // The runs of one spread come from one machine: the first names the CPU model.
    let (thresholds, chosen) = args.limits.thresholds_for(&runs[0].1.machine.cpu)?;
    if let Some(chosen) = chosen {
        println!("{chosen}");
    }
    print!("{}", spread.render(thresholds));
    Ok(Outcome::Success)
}
