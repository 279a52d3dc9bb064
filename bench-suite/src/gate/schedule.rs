//! The gate's schedule layer: simulated makespans from a committed, fixed cost table.
//!
//! Wall times on a shared 2-core machine wander by up to 20% from minute to minute, so the
//! wall-time layer only catches large slowdowns. A scheduling regression — a priority, the
//! admission of tasks, the mapping of costs to tasks or the shape of the task graph — can be
//! judged without running a proof at all, and then exactly:
//!
//! 1. **A fixed cost table** ([`CostTable`], `reports/schedule/schedule-costs.json`): a real
//!    calibration (`zkpar calibrate`, or the `calibration.json` of a `zkpar reproduce` run),
//!    committed with the command and machine that measured it. It never changes with the
//!    machine the gate runs on, so neither do the makespans.
//! 2. **The pipeline's own jobs**: every operation of `operations.toml` and every block of
//!    `blocks/*.json`, built by [`Prover::job`] with a [`CostModel`] over that table at the
//!    table's tree depth, so the costs, threads and memory per task, the priorities and the
//!    graph are the ones `zkpar prove` would use.
//! 3. **Each policy's dispatch** ([`PolicyName::ALL`]) of the job's shape, interpreted by the
//!    discrete-event simulator ([`scheduler::sim::simulate`], the same `Dispatch` the executor
//!    runs) on [`MACHINE_THREADS`] uniform workers, seed 0; and the fleet's claim order
//!    (highest bottom level first across `W × P` lanes, [`crate::sizing::predict_job`]) for
//!    each block on [`FLEET_WORKERS`] × [`FLEET_THREADS`] lanes.
//!
//! A row regresses when its makespan grows by more than the tolerance
//! ([`DEFAULT_TOLERANCE_PCT`]): `current / baseline - 1 > tolerance / 100`. The simulation is a
//! pure function of the tree and the table (no clock, no load, a seeded generator), so the
//! unchanged tree reproduces every makespan to the last bit; the tolerance is not there for
//! noise. It is there so that the millisecond bookkeeping tasks (`execute` at 3 ms per
//! operation, `assemble` at 1 ms, witnesses at 0–20 ms against proofs of 0.15–26 s) may be
//! re-estimated without failing the gate: such changes move a makespan of 15 s or more by
//! well under 0.5%, while moving one proof of the table, the smallest of which is 0.15 s
//! (1% of the shortest makespan), past another does not.
//!
//! The simulator does not model memory admission (see [`scheduler::sim`]); what admission
//! decides before dispatch (the job's task costs and threads) is covered.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use circuits::block::BlockSpec;
use circuits::cost::{Calibration, CostModel};
use circuits::operations::OperationsFile;
use circuits::pipeline::{Prover, Target};
use scheduler::policy::{Policy, PolicyName};
use scheduler::sim::{simulate, SimMachine};
use serde::{Deserialize, Serialize};

use super::Verdict;
use crate::report::ReportError;
use crate::sizing::{predict_job, FleetModel};

/// Threads of the simulated single machine: the CI machine's 2, and a 16-core prover.
pub const MACHINE_THREADS: [usize; 2] = [2, 16];
/// Worker processes of the simulated fleet.
pub const FLEET_WORKERS: usize = 4;
/// Threads (lanes) per worker process of the simulated fleet.
pub const FLEET_THREADS: usize = 4;
/// How much a makespan may grow, percent (see the module docs for why not 0).
pub const DEFAULT_TOLERANCE_PCT: f64 = 0.5;
/// The `policy` column of the fleet rows: the fleet claims by bottom level, `dag`'s order.
pub const FLEET_POLICY: &str = "fleet-dag";

/// The committed cost table: a calibration, as `zkpar calibrate` or `zkpar reproduce` wrote
/// it, plus where it came from. The calibration's fields sit at the top level, so the file is
/// also a calibration file `CostModel` loads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostTable {
    /// The command (and tree) that measured the calibration, and when.
    pub source: String,
    /// The calibration itself.
    #[serde(flatten)]
    pub calibration: Calibration,
}

impl CostTable {
    /// Reads the table; errors name the file (exit code 2).
    pub fn load(path: &Path) -> Result<CostTable, ReportError> {
        load_json(path)
    }

    /// A short fingerprint of the calibration (FNV-1a 64 of its JSON): a baseline recorded
    /// with another table is refused rather than compared.
    pub fn digest(&self) -> String {
        let text = serde_json::to_string(&self.calibration).expect("a calibration serialises");
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("fnv1a64:{hash:016x}")
    }
}

/// One simulated makespan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleRow {
    /// The operation id, or `block <id>`.
    pub target: String,
    /// A policy name ([`PolicyName`]), or [`FLEET_POLICY`].
    pub policy: String,
    /// Worker processes: 1 for one machine.
    pub workers: usize,
    /// Threads per machine.
    pub threads: usize,
    /// Tasks in the job.
    pub tasks: usize,
    /// The simulated makespan, seconds.
    pub makespan_s: f64,
}

impl ScheduleRow {
    /// `2 threads`, `16 threads` or `fleet 4x4`.
    pub fn machine(&self) -> String {
        if self.workers == 1 {
            format!("{} threads", self.threads)
        } else {
            format!("fleet {}x{}", self.workers, self.threads)
        }
    }

    fn key(&self) -> (&str, &str, usize, usize) {
        (&self.target, &self.policy, self.workers, self.threads)
    }
}

/// The committed baseline: the makespans of the accepted tree under one cost table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleBaseline {
    /// How the file was made.
    pub recorded_by: String,
    /// The cost table it was simulated with ([`CostTable::digest`]).
    pub costs_digest: String,
    /// The tree depth of the jobs (the table's).
    pub tree_depth: usize,
    /// The makespans.
    pub rows: Vec<ScheduleRow>,
}

impl ScheduleBaseline {
    /// Reads a baseline; errors name the file (exit code 2).
    pub fn load(path: &Path) -> Result<ScheduleBaseline, ReportError> {
        let baseline: ScheduleBaseline = load_json(path)?;
        if baseline.rows.is_empty() {
            return Err(invalid(path, "the schedule baseline has no rows".into()));
        }
        if let Some(r) = baseline
            .rows
            .iter()
            .find(|r| !(r.makespan_s.is_finite() && r.makespan_s > 0.0))
        {
            return Err(invalid(
                path,
                format!(
                    "{} {} {}: makespan_s must be a positive number (got {})",
                    r.target,
                    r.policy,
                    r.machine(),
                    r.makespan_s
                ),
            ));
        }
        Ok(baseline)
    }

    /// Writes it as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), ReportError> {
        let text = serde_json::to_string_pretty(self).expect("a baseline serialises") + "\n";
        std::fs::write(path, text).map_err(|source| ReportError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

fn invalid(path: &Path, detail: String) -> ReportError {
    ReportError::Invalid {
        path: path.to_path_buf(),
        detail,
    }
}

fn load_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let bytes = std::fs::read(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ReportError::Syntax {
        path: path.to_path_buf(),
        format: "JSON",
        detail: e.to_string(),
    })
}

/// The workloads the layer simulates: the pipeline's prover over a fixed cost table.
pub struct Workloads {
    prover: Prover,
    targets: Vec<Target>,
    tree_depth: usize,
}

impl Workloads {
    /// Every operation of `data/operations.toml` and every block of `data/blocks/*.json`
    /// (by file name), at the table's tree depth, costed by the table.
    pub fn load(data: &Path, table: &CostTable) -> anyhow::Result<Workloads> {
        let depth = table.calibration.tree_depth;
        let ops = OperationsFile::load(data.join("operations.toml"))?.with_tree_depth(depth)?;
        let mut targets: Vec<Target> = ops
            .operations
            .iter()
            .map(|o| Target::Operation(o.id.clone()))
            .collect();
        let mut blocks: Vec<PathBuf> = match std::fs::read_dir(data.join("blocks")) {
            Ok(dir) => dir
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect(),
            Err(_) => Vec::new(),
        };
        blocks.sort();
        for path in blocks {
            targets.push(Target::Block(BlockSpec::load(&path, &ops)?));
        }
        let prover = Prover::new(ops, CostModel::new(Some(table.calibration.clone())));
        Ok(Workloads {
            prover,
            targets,
            tree_depth: depth,
        })
    }

    /// The tree depth of the jobs.
    pub fn tree_depth(&self) -> usize {
        self.tree_depth
    }

    /// Every makespan, with each policy from `policy_for` (normally [`PolicyName::policy`];
    /// tests pass a different one to check that a wrong order is caught).
    ///
    /// # Complexity
    /// One job and one simulation per target, policy and machine: O((V + E) log V + events ·
    /// P) each, plus `heft`'s budgeted planning.
    pub fn simulate(
        &self,
        policy_for: &dyn Fn(PolicyName) -> Box<dyn Policy>,
    ) -> anyhow::Result<Vec<ScheduleRow>> {
        let mut rows = Vec::new();
        for target in &self.targets {
            let name = match target {
                Target::Operation(id) => id.clone(),
                Target::Block(b) => format!("block {}", b.id),
            };
            for threads in MACHINE_THREADS {
                for policy_name in PolicyName::ALL {
                    let job = self.prover.job(target, policy_name.as_str(), threads)?;
                    let shape = job.spec.shape();
                    let dispatch = policy_for(policy_name).dispatch(&shape, threads);
                    let report = simulate(&shape, &dispatch, &SimMachine::uniform(threads), 0)
                        .map_err(|e| {
                            anyhow::anyhow!("simulating {name} under {policy_name}: {e}")
                        })?;
                    rows.push(ScheduleRow {
                        target: name.clone(),
                        policy: policy_name.as_str().into(),
                        workers: 1,
                        threads,
                        tasks: job.spec.len(),
                        makespan_s: report.makespan_s,
                    });
                }
            }
            if let Target::Block(_) = target {
                let job = self.prover.job(target, "dag", FLEET_THREADS)?;
                let model = FleetModel {
                    threads_per_worker: FLEET_THREADS,
                    ..FleetModel::default()
                };
                let sized = predict_job(&job, &model, &[FLEET_WORKERS])?;
                rows.push(ScheduleRow {
                    target: name.clone(),
                    policy: FLEET_POLICY.into(),
                    workers: FLEET_WORKERS,
                    threads: FLEET_THREADS,
                    tasks: job.spec.len(),
                    makespan_s: sized.points[0].simulated_s,
                });
            }
        }
        Ok(rows)
    }
}

/// One compared makespan.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleCheckRow {
    /// The baseline's row (`None`: a target or row new in the current tree).
    pub baseline: Option<ScheduleRow>,
    /// The current tree's row.
    pub current: ScheduleRow,
    /// `(current / baseline - 1) * 100`.
    pub change_pct: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// The schedule layer's comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleReport {
    /// The tolerance, percent.
    pub tolerance_pct: f64,
    /// Rows in the current tree's order.
    pub rows: Vec<ScheduleCheckRow>,
}

/// Compares the current tree's makespans with the baseline's. Errors (exit code 2, naming
/// `baseline_path`): a baseline recorded with another cost table or tree depth, or a row of the
/// baseline the current tree no longer produces (a dropped target is an input error, not a
/// pass).
pub fn compare(
    baseline_path: &Path,
    baseline: &ScheduleBaseline,
    table: &CostTable,
    current: &[ScheduleRow],
    tolerance_pct: f64,
) -> Result<ScheduleReport, ReportError> {
    if baseline.costs_digest != table.digest() {
        return Err(invalid(
            baseline_path,
            format!(
                "recorded with the cost table {}, but the table given is {}: record the schedule \
                 baseline again with this table (zkpar gate --record-schedule)",
                baseline.costs_digest,
                table.digest()
            ),
        ));
    }
    if baseline.tree_depth != table.calibration.tree_depth {
        return Err(invalid(
            baseline_path,
            format!(
                "recorded at tree depth {}, the cost table is at {}",
                baseline.tree_depth, table.calibration.tree_depth
            ),
        ));
    }
    let by_key: BTreeMap<_, &ScheduleRow> = current.iter().map(|r| (r.key(), r)).collect();
    let missing: Vec<String> = baseline
        .rows
        .iter()
        .filter(|b| !by_key.contains_key(&b.key()))
        .map(|b| format!("{} {} {}", b.target, b.policy, b.machine()))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(
            baseline_path,
            format!(
                "the current tree no longer simulates: {}",
                missing.join(", ")
            ),
        ));
    }
    let base_by_key: BTreeMap<_, &ScheduleRow> =
        baseline.rows.iter().map(|r| (r.key(), r)).collect();
    let rows = current
        .iter()
        .map(|cur| match base_by_key.get(&cur.key()) {
            Some(base) => {
                let change = (cur.makespan_s / base.makespan_s - 1.0) * 100.0;
                ScheduleCheckRow {
                    baseline: Some((*base).clone()),
                    current: cur.clone(),
                    change_pct: Some(change),
                    verdict: if change > tolerance_pct {
                        Verdict::Regressed
                    } else {
                        Verdict::Holds
                    },
                }
            }
            None => ScheduleCheckRow {
                baseline: None,
                current: cur.clone(),
                change_pct: None,
                verdict: Verdict::NotJudged("not in the baseline"),
            },
        })
        .collect();
    Ok(ScheduleReport {
        tolerance_pct,
        rows,
    })
}

impl ScheduleReport {
    /// The regressed rows as `target policy machine +x.x%`.
    pub fn regressions(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regressed)
            .map(|r| {
                format!(
                    "{} {} {} {:+.2}%",
                    r.current.target,
                    r.current.policy,
                    r.current.machine(),
                    r.change_pct.unwrap_or(0.0)
                )
            })
            .collect()
    }

    /// Whether no makespan grew past the tolerance.
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| r.verdict != Verdict::Regressed)
    }

    /// The table (one line per target, policy and machine) and a summary line.
    pub fn render(&self) -> String {
        let mut lines: Vec<[String; 7]> = vec![[
            "target".into(),
            "policy".into(),
            "machine".into(),
            "baseline s".into(),
            "current s".into(),
            "change".into(),
            "verdict".into(),
        ]];
        for r in &self.rows {
            lines.push([
                r.current.target.clone(),
                r.current.policy.clone(),
                r.current.machine(),
                r.baseline
                    .as_ref()
                    .map_or_else(|| "-".into(), |b| format!("{:.4}", b.makespan_s)),
                format!("{:.4}", r.current.makespan_s),
                r.change_pct
                    .map_or_else(|| "-".into(), |c| format!("{c:+.2}%")),
                match &r.verdict {
                    Verdict::Holds => "ok".into(),
                    Verdict::Regressed => "REGRESSED".into(),
                    Verdict::NotJudged(why) => format!("not judged ({why})"),
                },
            ]);
        }
        let mut widths = [0usize; 7];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = String::from("schedule layer (simulated makespans, fixed cost table):\n");
        for line in &lines {
            let mut text = String::new();
            for (i, (cell, w)) in line.iter().zip(widths).enumerate() {
                match i {
                    0..=2 => {
                        let _ = write!(text, "{cell:<w$}  ");
                    }
                    6 => text.push_str(cell),
                    _ => {
                        let _ = write!(text, "{cell:>w$}  ");
                    }
                }
            }
            let _ = writeln!(out, "{}", text.trim_end());
        }
        let regressed = self.regressions();
        if regressed.is_empty() {
            let _ = writeln!(
                out,
                "schedule: pass (no makespan grew past +{}%)",
                self.tolerance_pct
            );
        } else {
            let _ = writeln!(
                out,
                "schedule: FAIL: makespan grew past +{}%: {}",
                self.tolerance_pct,
                regressed.join(", ")
            );
        }
        out
    }
}
