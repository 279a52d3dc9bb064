//! The gate's work layer: instructions counted under Callgrind.
//!
//! Wall time on a shared 2-vCPU machine wanders by up to 20% from minute to minute; the number
//! of instructions a single-threaded proof executes does not depend on the machine's load at
//! all. So each sub-circuit's work is judged by its instruction count:
//!
//! 1. **What is counted.** `zkpar count --kind K` ([`crate::commands::count`]) prepares the
//!    KZG parameters and keys of sub-circuit `K` and executes the operations natively (set-up,
//!    not counted), then, on a one-thread rayon pool, builds `K`'s witness and proves it inside
//!    [`COUNTED_FUNCTION`]. Callgrind runs with `--toggle-collect` on that function, so only
//!    witness generation and proving are counted, never loading or generating keys.
//! 2. **How.** [`count`] runs `valgrind --tool=callgrind` on the current `zkpar` executable and
//!    reads the `totals:` line of the profile it writes: instructions executed (`Ir`).
//! 3. **The verdict.** A kind regresses when its count grows by more than the tolerance
//!    ([`DEFAULT_TOLERANCE_PCT`]) over the committed baseline (`reports/work/work.json`, written
//!    by `zkpar gate --record-work`).
//!
//! Counts are not bit-identical from run to run: proofs draw random blinding factors, and
//! multi-scalar multiplications and the allocator take slightly different paths for different
//! values. Two counts of one tree differ by well under 0.1% (the README's evidence), so a 2%
//! limit never fails an unchanged tree and still catches a few percent of real extra work. A
//! count is a property of the binary, not only of the source: another compiler, another
//! optimisation level or a CPU whose features pick another code path (the baseline records
//! the CPU model) moves it, and the baseline must then be recorded again.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::report::ReportError;

/// How much a count may grow, percent.
pub const DEFAULT_TOLERANCE_PCT: f64 = 2.0;
/// The function Callgrind counts inside (`--toggle-collect` pattern).
pub const COUNTED_FUNCTION: &str = "*counted_region*";
/// Tree depth the Merkle kinds are counted at: the same circuits with shorter paths, so a count
/// takes a minute or two instead of ten. 9 is the shallowest at which the shipped world's
/// storage keys own distinct leaves up to the first swap (at 8 two of defi's keys share leaf
/// 202, which the world refuses).
pub const DEFAULT_TREE_DEPTH: usize = 9;
/// The kinds CI counts: every sub-circuit but the ECDSA signature, whose one proof takes about
/// 13 s natively and so 10 minutes or more under Callgrind. `--work-kinds` adds it.
pub const DEFAULT_KINDS: [&str; 5] = [
    "balance",
    "amm_swap",
    "event_log",
    "account_update",
    "storage_update",
];

/// One kind's count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkRow {
    /// Sub-circuit kind.
    pub kind: String,
    /// Instructions executed by its witness generation and proof.
    pub instructions: u64,
}

/// A recorded set of counts (`reports/work/work.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkBaseline {
    /// The command that recorded it.
    pub recorded_by: String,
    /// The CPU model it was counted on.
    pub cpu: String,
    /// Tree depth of the Merkle kinds.
    pub tree_depth: usize,
    /// One row per kind.
    pub rows: Vec<WorkRow>,
}

impl WorkBaseline {
    /// Reads a baseline, naming the file when it is missing or malformed.
    pub fn load(path: &Path) -> Result<Self, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let baseline: WorkBaseline =
            serde_json::from_str(&text).map_err(|e| ReportError::Invalid {
                path: path.to_path_buf(),
                detail: format!("not a work baseline: {e}"),
            })?;
        if baseline.rows.is_empty() {
            return Err(ReportError::Invalid {
                path: path.to_path_buf(),
                detail: "the work baseline has no rows".into(),
            });
        }
        for row in &baseline.rows {
            if let Err(e) = row.kind.parse::<circuits::kind::SubCircuitKind>() {
                return Err(ReportError::Invalid {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                });
            }
        }
        if let Some(row) = baseline.rows.iter().find(|r| r.instructions == 0) {
            return Err(ReportError::Invalid {
                path: path.to_path_buf(),
                detail: format!("{} has a count of 0 instructions", row.kind),
            });
        }
        Ok(baseline)
    }

    /// Writes the baseline as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), ReportError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let text = serde_json::to_string_pretty(self).expect("a work baseline serialises");
        std::fs::write(path, text + "\n").map_err(|source| ReportError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Why a count could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    /// valgrind is not installed or did not start.
    #[error("cannot run valgrind (install Debian's `valgrind` package): {0}")]
    Valgrind(std::io::Error),
    /// The counted command failed.
    #[error("`zkpar count --kind {kind}` failed under callgrind ({status}): {stderr}")]
    Failed {
        /// The kind.
        kind: String,
        /// Its exit status.
        status: String,
        /// The end of what it printed.
        stderr: String,
    },
    /// The profile had no total.
    #[error("callgrind's profile {path} has no `totals:` line")]
    NoTotal {
        /// The profile.
        path: PathBuf,
    },
}

/// Counts `kind`'s witness generation and proof at `tree_depth` under Callgrind, running the
/// executable `zkpar` (normally the current one) with `data` as its datasets folder.
pub fn count(zkpar: &Path, kind: &str, tree_depth: usize, data: &Path) -> Result<u64, CountError> {
    let profile =
        std::env::temp_dir().join(format!("zkpar-callgrind-{}-{kind}.out", std::process::id()));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", profile.display()))
        .arg(format!("--toggle-collect={COUNTED_FUNCTION}"))
        .arg(zkpar)
        .args(["count", "--kind", kind, "--tree-depth"])
        .arg(tree_depth.to_string())
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "error")
        .output()
        .map_err(CountError::Valgrind)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(CountError::Failed {
            kind: kind.to_string(),
            status: output.status.to_string(),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
        });
    }
    let text = std::fs::read_to_string(&profile).unwrap_or_default();
    let _ = std::fs::remove_file(&profile);
    parse_total(&text).ok_or(CountError::NoTotal { path: profile })
}

/// The `totals:` (or, failing that, `summary:`) count of a callgrind profile.
pub fn parse_total(profile: &str) -> Option<u64> {
    let find = |prefix: &str| {
        profile.lines().find_map(|l| {
            l.strip_prefix(prefix)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
        })
    };
    find("totals:").or_else(|| find("summary:"))
}

/// One kind's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkComparison {
    /// Sub-circuit kind.
    pub kind: String,
    /// The baseline's count.
    pub baseline: u64,
    /// The current count.
    pub current: u64,
    /// `current / baseline - 1`, percent.
    pub change_pct: f64,
    /// Whether it grew by more than the tolerance.
    pub regressed: bool,
}

/// Judges `current` counts (by kind) against the baseline's.
pub fn compare(
    baseline: &WorkBaseline,
    current: &[WorkRow],
    tolerance_pct: f64,
) -> Vec<WorkComparison> {
    baseline
        .rows
        .iter()
        .filter_map(|b| {
            let c = current.iter().find(|c| c.kind == b.kind)?;
            let change_pct = (c.instructions as f64 / b.instructions as f64 - 1.0) * 100.0;
            Some(WorkComparison {
                kind: b.kind.clone(),
                baseline: b.instructions,
                current: c.instructions,
                change_pct,
                regressed: change_pct > tolerance_pct,
            })
        })
        .collect()
}

/// The work layer's table.
pub fn render(rows: &[WorkComparison], tolerance_pct: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "work layer (instructions under callgrind, limit +{tolerance_pct}%)"
    );
    let _ = writeln!(
        s,
        "{:<16} {:>16} {:>16} {:>9}  verdict",
        "kind", "baseline", "current", "change"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:<16} {:>16} {:>16} {:>+8.3}%  {}",
            r.kind,
            r.baseline,
            r.current,
            r.change_pct,
            if r.regressed { "REGRESSED" } else { "ok" }
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_from_a_profile() {
        let profile = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 1234\n\
                       fn=(1) main\n3 4\ntotals: 1234\n";
        assert_eq!(parse_total(profile), Some(1234));
        assert_eq!(parse_total("summary: 77\n"), Some(77));
        assert_eq!(parse_total("events: Ir\n"), None);
    }

    #[test]
    fn growth_over_the_tolerance_regresses_and_shrinking_never_does() {
        let baseline = WorkBaseline {
            recorded_by: "test".into(),
            cpu: "test".into(),
            tree_depth: 4,
            rows: vec![
                WorkRow {
                    kind: "balance".into(),
                    instructions: 1_000_000,
                },
                WorkRow {
                    kind: "event_log".into(),
                    instructions: 1_000_000,
                },
            ],
        };
        let current = [
            WorkRow {
                kind: "balance".into(),
                instructions: 1_030_000,
            },
            WorkRow {
                kind: "event_log".into(),
                instructions: 900_000,
            },
        ];
        let rows = compare(&baseline, &current, 2.0);
        assert!(rows[0].regressed, "{rows:?}");
        assert!(!rows[1].regressed, "{rows:?}");
        assert!(render(&rows, 2.0).contains("REGRESSED"));
        assert!(!compare(&baseline, &current, 3.5)[0].regressed);
    }
}
