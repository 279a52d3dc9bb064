//! `zkpar calibrate`: measure what each sub-circuit costs to prove on this machine.
//!
//! [`circuits::calibrate::calibrate`] proves one real instance of every sub-circuit the
//! operations use, on one thread: alone (median of `--reps`), and loaded (`--threads` copies at
//! once, one per thread, as the scheduler runs them). The two fitted lines
//! `seconds = a · work units + b` price shapes that were not measured. The result is written
//! where `zkpar prove` and `reproduce` look for it (`target/zkpar-calibration.json`, or
//! `$ZKPAR_CALIBRATION`; `--out` to put it elsewhere), and printed as a table.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Context as _;
use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::cost::{default_calibration_path, Calibration, CostModel};
use circuits::kind::SubCircuitKind;
use circuits::pipeline::Prover;
use scheduler::topology::Topology;

use super::ops::load_operations;
use super::prove::progress_bar;
use super::Outcome;
use crate::cli::CalibrateArgs;

/// Runs `zkpar calibrate`.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<Outcome> {
    let ops = load_operations(args.data.as_deref())?;
    let kinds: BTreeSet<SubCircuitKind> = ops
        .operations
        .iter()
        .flat_map(|op| op.steps.iter())
        .flat_map(|step| step.prove.iter().map(|p| p.subcircuit))
        .collect();
    let threads = args
        .threads
        .unwrap_or_else(|| Topology::detect().num_cpus());
    let out = args.out.clone().unwrap_or_else(default_calibration_path);
    // Calibration measures costs, so it must not schedule by an earlier calibration's.
    let prover = Prover::new(ops, CostModel::new(None));

    let bar = progress_bar(kinds.len() as u64, "calibrating");
    bar.set_message(format!(
        "calibrating ({} reps alone, {threads} at once loaded)",
        args.reps
    ));
    let calibration = calibrate(
        &prover,
        CalibrationOptions {
            threads,
            reps: args.reps,
        },
        |kind, cost| {
            bar.inc(1);
            bar.set_message(format!(
                "calibrating: {kind} done ({:.3} s alone)",
                cost.alone_s
            ));
        },
    );
    bar.finish_and_clear();
    let calibration = calibration.context("calibrating")?;

    calibration.save(&out).context("writing the calibration")?;
    print!("{}", render(&calibration));
    println!("wrote {}", out.display());
    Ok(Outcome::Success)
}

fn render(c: &Calibration) -> String {
    let mut out = format!(
        "calibration on {} ({} threads loaded, tree depth {})\n\n",
        c.machine, c.threads, c.tree_depth
    );
    let _ = writeln!(
        out,
        "{:<16} {:>3} {:>10} {:>9} {:>9} {:>7} {:>9} {:>9}",
        "sub-circuit", "k", "work units", "alone s", "loaded s", "ratio", "witness s", "keygen s"
    );
    for (name, k) in &c.kinds {
        let ratio = if k.alone_s > 0.0 {
            k.loaded_s / k.alone_s
        } else {
            f64::NAN
        };
        let _ = writeln!(
            out,
            "{:<16} {:>3} {:>10.4} {:>9.3} {:>9.3} {:>7.2} {:>9.4} {:>9.3}",
            name,
            k.shape.k,
            k.shape.work_units(),
            k.alone_s,
            k.loaded_s,
            ratio,
            k.witness_s,
            k.keygen_s
        );
    }
    let _ = writeln!(
        out,
        "\nfit alone:  s = {:.6} · units + {:.4}",
        c.alone_fit.per_unit_s, c.alone_fit.fixed_s
    );
    let _ = writeln!(
        out,
        "fit loaded: s = {:.6} · units + {:.4}",
        c.loaded_fit.per_unit_s, c.loaded_fit.fixed_s
    );
    out
}
