//! `zkpar gate`: compare two `results.json` files (see [`crate::gate`] for the rule), and/or
//! the current tree's simulated makespans with a schedule baseline
//! ([`crate::gate::schedule`]).
//!
//! Prints each layer's table on stdout, then: exit 0 when every ratio and makespan holds, 3
//! naming each regressed operation (and each regressed target, policy and machine with its
//! change), 2 when a file is unreadable or malformed or an operation of the baseline is missing
//! from the current file. With `--update-baseline` the current file is copied over the baseline
//! after the table is printed and the exit code is 0 (the numbers are accepted); regressions
//! are still named, as a warning. With `--record-schedule FILE` the makespans are written to
//! FILE as the new schedule baseline. `--work FILE` counts each kind of that baseline under
//! Callgrind and judges the counts ([`crate::gate::work`]); `--record-work FILE` records them.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::Outcome;
use crate::cli::GateArgs;
use crate::gate;
use crate::gate::schedule::{self, CostTable, ScheduleBaseline, Workloads};
use crate::gate::work::{self, WorkBaseline};
use crate::report::{ReportError, Results};

/// Runs `zkpar gate`: the wall-time layer when `--baseline` is given, then the schedule layer
/// when `--schedule` or `--record-schedule` is.
pub fn run(args: &GateArgs) -> anyhow::Result<Outcome> {
    let wall = match &args.current {
        Some(current) if !args.baseline.is_empty() => wall_time(args, current)?,
        _ => Outcome::Success,
    };
    let schedule = schedule_layer(args)?;
    let work = work_layer(args)?;
    Ok(
        if [wall, schedule, work]
            .iter()
            .all(|o| *o == Outcome::Success)
        {
            Outcome::Success
        } else {
            Outcome::Regressed
        },
    )
}

/// The work layer: records or judges instruction counts under Callgrind.
fn work_layer(args: &GateArgs) -> anyhow::Result<Outcome> {
    let cpu = crate::report::provenance::basic_machine().cpu;
    // Read the baselines before counting: a missing or malformed file fails at once.
    let baselines = args
        .work
        .iter()
        .map(|path| WorkBaseline::load(path))
        .collect::<Result<Vec<_>, _>>()?;
    let baseline = match (&args.record_work, baselines.is_empty()) {
        (Some(_), _) => None,
        (None, true) => return Ok(Outcome::Success),
        (None, false) => match baselines.into_iter().find(|b| b.cpu == cpu) {
            Some(b) => Some(b),
            None => {
                // The same binary executes other instructions on another CPU: glibc picks
                // memcpy and friends per CPU, crates pick SIMD paths at run time.
                println!(
                    "work layer: not judged, no baseline counted on this CPU model (`{cpu}`); \
                     record one with `zkpar gate --record-work reports/work/<cpu>.json`"
                );
                return Ok(Outcome::Success);
            }
        },
    };
    let (kinds, tree_depth): (Vec<String>, usize) = match &baseline {
        Some(b) => (
            b.rows.iter().map(|r| r.kind.clone()).collect(),
            b.tree_depth,
        ),
        None if args.work_kinds.is_empty() => (
            work::DEFAULT_KINDS.iter().map(|k| k.to_string()).collect(),
            work::DEFAULT_TREE_DEPTH,
        ),
        None => (
            args.work_kinds
                .iter()
                .map(|k| k.name().to_string())
                .collect(),
            work::DEFAULT_TREE_DEPTH,
        ),
    };
    let zkpar = std::env::current_exe().context("cannot find the zkpar executable")?;
    let data = crate::data::datasets_dir(args.data.as_deref())?;
    let mut rows = Vec::new();
    for kind in &kinds {
        let started = std::time::Instant::now();
        let instructions = work::count(&zkpar, kind, tree_depth, &data)?;
        eprintln!(
            "  counted {kind}: {instructions} instructions ({:.1} s under callgrind)",
            started.elapsed().as_secs_f64()
        );
        rows.push(work::WorkRow {
            kind: kind.clone(),
            instructions,
        });
    }
    let Some(baseline) = baseline else {
        let path = args.record_work.as_ref().expect("recording");
        let recorded = WorkBaseline {
            recorded_by: format!("zkpar gate --record-work {}", path.display()),
            cpu,
            tree_depth,
            rows,
        };
        recorded.save(path)?;
        println!(
            "work baseline `{}` recorded: {} instruction counts",
            path.display(),
            recorded.rows.len()
        );
        return Ok(Outcome::Success);
    };
    let compared = work::compare(&baseline, &rows, args.work_tolerance);
    print!("{}", work::render(&compared, args.work_tolerance));
    let regressed: Vec<String> = compared
        .iter()
        .filter(|r| r.regressed)
        .map(|r| format!("{} ({:+.2}%)", r.kind, r.change_pct))
        .collect();
    if regressed.is_empty() {
        Ok(Outcome::Success)
    } else {
        eprintln!(
            "error: work regression (instructions > +{}%) in: {}",
            args.work_tolerance,
            regressed.join(", ")
        );
        Ok(Outcome::Regressed)
    }
}

/// The schedule layer: records or judges the simulated makespans.
fn schedule_layer(args: &GateArgs) -> anyhow::Result<Outcome> {
    let Some(baseline_path) = args.schedule.as_ref().or(args.record_schedule.as_ref()) else {
        return Ok(Outcome::Success);
    };
    let costs_path = args.schedule_costs.clone().unwrap_or_else(|| {
        baseline_path
            .parent()
            .unwrap_or(Path::new(""))
            .join("schedule-costs.json")
    });
    // Read the baseline before simulating: a missing or malformed file fails at once.
    let baseline = match &args.schedule {
        Some(path) => Some(ScheduleBaseline::load(path)?),
        None => None,
    };
    let table = CostTable::load(&costs_path)?;
    let data = crate::data::datasets_dir(args.data.as_deref())?;
    let workloads = Workloads::load(&data, &table)?;
    let rows = workloads.simulate(&|p| p.policy())?;
    let Some(baseline) = baseline else {
        let recorded = ScheduleBaseline {
            recorded_by: format!(
                "zkpar gate --record-schedule {} --schedule-costs {}",
                baseline_path.display(),
                costs_path.display()
            ),
            costs_digest: table.digest(),
            tree_depth: workloads.tree_depth(),
            rows,
        };
        recorded.save(baseline_path)?;
        println!(
            "schedule baseline `{}` recorded: {} makespans from `{}`",
            baseline_path.display(),
            recorded.rows.len(),
            costs_path.display()
        );
        return Ok(Outcome::Success);
    };
    let report = schedule::compare(
        baseline_path,
        &baseline,
        &table,
        &rows,
        args.schedule_tolerance,
    )?;
    print!("{}", report.render());
    if report.passed() {
        Ok(Outcome::Success)
    } else {
        eprintln!(
            "error: schedule regression (simulated makespan > +{}%) in: {}",
            args.schedule_tolerance,
            report.regressions().join(", ")
        );
        Ok(Outcome::Regressed)
    }
}

/// The wall-time layer.
fn wall_time(args: &GateArgs, current_path: &Path) -> anyhow::Result<Outcome> {
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
    let current = Results::load(current_path).context("reading the current results")?;
    let (thresholds, chosen) = args.limits.thresholds_for(&current.machine.cpu)?;
    if let Some(chosen) = chosen {
        println!("{chosen}");
    }
    let runs: Vec<gate::Run<'_>> = args
        .baseline
        .iter()
        .map(PathBuf::as_path)
        .zip(&baselines)
        .collect();
    let report = gate::compare(&runs, (current_path, &current), thresholds)?;
    print!("{}", report.render());
    let regressed = report.regressed_ops();

    if args.update_baseline {
        let baseline = &args.baseline[0];
        replace_baseline(current_path, baseline)?;
        if !regressed.is_empty() {
            log::warn!("accepted regressions in: {}", regressed.join(", "));
        }
        println!(
            "baseline `{}` updated from `{}`",
            baseline.display(),
            current_path.display()
        );
        return Ok(Outcome::Success);
    }
    if regressed.is_empty() {
        Ok(Outcome::Success)
    } else {
        eprintln!(
            "error: performance regression in: {}",
            report.regressions().join("; ")
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
