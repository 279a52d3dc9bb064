//! `results.json`: the record of one reproduction run.
//!
//! The required fields are a contract with the lead's `reproduce` command, the gate and anyone
//! reading the file by hand:
//!
//! ```text
//! {"machine": {"cpu", "cores", "numa_nodes", "topology_provider", "threads"},
//!  "git_rev", "date",
//!  "operations": [{"op", "previous_s", "rayon_s", "dag_s", "improvement_pct",
//!                  "lower_bound_s", "lower_bound_naive_s", "efficiency",
//!                  "peak_rss_bytes": {"previous", "rayon", "dag"},
//!                  "published": {"previous_s", "new_s"}}],
//!  "calibration_s"}
//! ```
//!
//! Optional extras (`calibration_samples`, `scaling`, `reps`, `quick`, `unmeasured`,
//! per-operation `samples`) default when absent and are omitted when empty, so a minimal file
//! stays exactly the schema above.
//!
//! # Unknown values
//!
//! A value that was not measured is written as `0` (never `NaN`, which JSON cannot carry) and its
//! field name is listed in the top-level `unmeasured` array, e.g. `"lower_bound_s"` or
//! `"peak_rss_bytes"`, so that renderers print "n/a" instead of a misleading zero.
//!
//! # Reading
//!
//! [`Results::load`] first checks the structure field by field so that a partial or hand-edited
//! file fails with the file name and the exact field (`operations[1].dag_s (op "erc20")`), then
//! deserializes.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ReportError;

/// The machine a run was measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Logical cores available to the process.
    pub cores: u64,
    /// NUMA nodes.
    pub numa_nodes: u64,
    /// What discovered the topology (e.g. `hwloc`, `sysfs`).
    pub topology_provider: String,
    /// Worker threads the run used.
    pub threads: u64,
}

/// Peak resident set size per policy, in bytes (0 = not measured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PeakRss {
    /// Sequential sub-circuits ("previous").
    pub previous: u64,
    /// Plain rayon spawning.
    pub rayon: u64,
    /// The `dag` scheduler.
    pub dag: u64,
}

/// The published figures for one operation, copied next to ours.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PublishedFigures {
    /// Published "Previous Time", seconds.
    pub previous_s: f64,
    /// Published "New Time", seconds.
    pub new_s: f64,
}

/// Raw per-round timings, seconds (optional extra).
///
/// `reproduce` times the policies of one operation back to back in each round, so
/// `previous[i]`, `rayon[i]` and `dag[i]` come from round `i` (an operation takes part in rounds
/// `0..n` without gaps) and the gate can pair them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Samples {
    /// Sequential sub-circuits.
    #[serde(default)]
    pub previous: Vec<f64>,
    /// Plain rayon.
    #[serde(default)]
    pub rayon: Vec<f64>,
    /// The `dag` scheduler.
    #[serde(default)]
    pub dag: Vec<f64>,
}

/// Median wall-clock time per policy, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    /// Sequential sub-circuits.
    pub previous_s: f64,
    /// Plain rayon.
    pub rayon_s: f64,
    /// The `dag` scheduler.
    pub dag_s: f64,
}

/// Lower bounds on the parallel proving time, seconds (0 = unknown).
///
/// Both are computed (by the code that runs the proofs) from the operation's dependency graph
/// and measured sub-circuit costs; this crate only stores and renders them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LowerBounds {
    /// The bound from sub-circuit costs measured under the run's parallel load; the one
    /// [`efficiency`] uses.
    pub loaded_s: f64,
    /// The bound from sub-circuit costs measured in isolation (optimistic).
    pub naive_s: f64,
}

/// One operation's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationResult {
    /// Operation id (`transfer`, `erc20`, `defi`, `multicall`).
    pub op: String,
    /// Sequential sub-circuits, each with halo2's own threads: median seconds.
    pub previous_s: f64,
    /// Plain rayon spawning: median seconds.
    pub rayon_s: f64,
    /// The `dag` scheduler: median seconds.
    pub dag_s: f64,
    /// [`improvement_pct`] of `previous_s` and `dag_s`.
    pub improvement_pct: f64,
    /// Lower bound on the parallel time given the load (0 = unknown).
    pub lower_bound_s: f64,
    /// Naive lower bound (0 = unknown).
    pub lower_bound_naive_s: f64,
    /// [`efficiency`] of `lower_bound_s` and `dag_s` (0 = unknown).
    pub efficiency: f64,
    /// Peak RSS per policy.
    pub peak_rss_bytes: PeakRss,
    /// The published figures for this operation.
    pub published: PublishedFigures,
    /// Per-repetition timings (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<Samples>,
}

/// One point of a thread-scaling sweep (optional extra, also the input of the scaling chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPoint {
    /// Operation id.
    pub op: String,
    /// Policy name (`previous`, `rayon`, `dag`).
    pub policy: String,
    /// Worker threads.
    pub threads: u64,
    /// Median seconds.
    pub seconds: f64,
}

/// The whole `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// The machine.
    pub machine: Machine,
    /// `git rev-parse --short HEAD` of the measured tree (or `unknown`).
    pub git_rev: String,
    /// UTC date of the run, `YYYY-MM-DD`.
    pub date: String,
    /// One row per operation, in published order.
    pub operations: Vec<OperationResult>,
    /// Seconds of a fixed calibration workload on this machine (0 = unknown); the gate divides
    /// by it to compare runs across machines.
    pub calibration_s: f64,
    /// Every timing of the calibration kernel in the run (optional): a few at the start, then
    /// one before each round, so that [`Results::calibration_s`] (their median) reflects the
    /// machine's speed over the whole run, not just its first seconds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calibration_samples: Vec<f64>,
    /// Thread-scaling sweep (optional).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scaling: Vec<ScalingPoint>,
    /// Repetitions per measurement (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reps: Option<u32>,
    /// Whether this was a `--quick` run (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick: Option<bool>,
    /// Sparse Merkle tree depth the operations were proved at (optional; older runs did not
    /// record it). Runs at different depths prove different circuits and never compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_depth: Option<u32>,
    /// Names of fields written as 0 because they were not measured (see module docs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmeasured: Vec<String>,
}

/// `(previous_s - dag_s) / previous_s * 100`; 0 when `previous_s` is not positive.
pub fn improvement_pct(previous_s: f64, dag_s: f64) -> f64 {
    if previous_s > 0.0 {
        (previous_s - dag_s) / previous_s * 100.0
    } else {
        0.0
    }
}

/// `lower_bound_s / dag_s` (1.0 = as fast as the dependency graph allows); 0 when either is
/// unknown (not positive).
pub fn efficiency(lower_bound_s: f64, dag_s: f64) -> f64 {
    if lower_bound_s > 0.0 && dag_s > 0.0 {
        lower_bound_s / dag_s
    } else {
        0.0
    }
}

/// The median of `values` (mean of the two middle values for an even count); `None` when empty
/// or when any value is NaN.
///
/// # Complexity
/// O(n log n) (sorts a copy).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

impl OperationResult {
    /// A row with the derived fields (`improvement_pct`, `efficiency`) computed.
    pub fn new(
        op: impl Into<String>,
        timings: Timings,
        bounds: LowerBounds,
        peak_rss_bytes: PeakRss,
        published: PublishedFigures,
    ) -> Self {
        let mut row = OperationResult {
            op: op.into(),
            previous_s: timings.previous_s,
            rayon_s: timings.rayon_s,
            dag_s: timings.dag_s,
            improvement_pct: 0.0,
            lower_bound_s: bounds.loaded_s,
            lower_bound_naive_s: bounds.naive_s,
            efficiency: 0.0,
            peak_rss_bytes,
            published,
            samples: None,
        };
        row.recompute();
        row
    }

    /// Recomputes the derived fields from the measured ones.
    pub fn recompute(&mut self) {
        self.improvement_pct = improvement_pct(self.previous_s, self.dag_s);
        self.efficiency = efficiency(self.lower_bound_s, self.dag_s);
    }

    /// `rayon_s / dag_s`: how much faster the scheduler is than plain rayon (0 if unknown).
    pub fn dag_speedup_over_rayon(&self) -> f64 {
        if self.rayon_s > 0.0 && self.dag_s > 0.0 {
            self.rayon_s / self.dag_s
        } else {
            0.0
        }
    }
}

impl Results {
    /// The row for operation `op`.
    pub fn operation(&self, op: &str) -> Option<&OperationResult> {
        self.operations.iter().find(|o| o.op == op)
    }

    /// Whether `field` is listed in [`Results::unmeasured`].
    pub fn is_unmeasured(&self, field: &str) -> bool {
        self.unmeasured.iter().any(|f| f == field)
    }

    /// Reads and validates a `results.json`.
    pub fn load(path: &Path) -> Result<Self, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_str(&text, path)
    }

    /// Parses and validates JSON text; `origin` names the file in error messages.
    pub fn from_json_str(text: &str, origin: &Path) -> Result<Self, ReportError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ReportError::Syntax {
            path: origin.to_path_buf(),
            format: "JSON",
            detail: e.to_string(),
        })?;
        check(&value, &Shape::Object(TOP), "", origin)?;
        let results: Results = serde_json::from_value(value).map_err(|e| ReportError::Invalid {
            path: origin.to_path_buf(),
            detail: format!("optional field has the wrong shape: {e}"),
        })?;
        let mut seen: Vec<&str> = Vec::new();
        for (i, row) in results.operations.iter().enumerate() {
            if seen.contains(&row.op.as_str()) {
                return Err(ReportError::field(
                    origin,
                    format!("operations[{i}].op"),
                    format!("`{}` appears twice", row.op),
                ));
            }
            seen.push(&row.op);
        }
        Ok(results)
    }

    /// Pretty JSON with a trailing newline (stable field order: declaration order).
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain structs of strings and finite numbers cannot fail; non-finite
        // numbers become `null`, which `load` then rejects with the field's name.
        let mut text = serde_json::to_string_pretty(self).expect("results serialize to JSON");
        text.push('\n');
        text
    }

    /// Writes [`Results::to_json_pretty`] to `path`.
    pub fn save(&self, path: &Path) -> Result<(), ReportError> {
        std::fs::write(path, self.to_json_pretty()).map_err(|source| ReportError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The expected shape of a JSON value, for error messages that name the field.
enum Shape {
    Str,
    /// Any finite number (may be negative).
    Num,
    /// A finite number `>= 0`.
    NonNeg,
    /// A non-negative integer.
    UInt,
    Object(&'static [(&'static str, Shape)]),
    Array(&'static Shape),
}

const MACHINE: &[(&str, Shape)] = &[
    ("cpu", Shape::Str),
    ("cores", Shape::UInt),
    ("numa_nodes", Shape::UInt),
    ("topology_provider", Shape::Str),
    ("threads", Shape::UInt),
];

const PEAK_RSS: &[(&str, Shape)] = &[
    ("previous", Shape::UInt),
    ("rayon", Shape::UInt),
    ("dag", Shape::UInt),
];

const PUBLISHED: &[(&str, Shape)] = &[("previous_s", Shape::NonNeg), ("new_s", Shape::NonNeg)];

const OPERATION: &[(&str, Shape)] = &[
    ("op", Shape::Str),
    ("previous_s", Shape::NonNeg),
    ("rayon_s", Shape::NonNeg),
    ("dag_s", Shape::NonNeg),
    ("improvement_pct", Shape::Num),
    ("lower_bound_s", Shape::NonNeg),
    ("lower_bound_naive_s", Shape::NonNeg),
    ("efficiency", Shape::NonNeg),
    ("peak_rss_bytes", Shape::Object(PEAK_RSS)),
    ("published", Shape::Object(PUBLISHED)),
];

const TOP: &[(&str, Shape)] = &[
    ("machine", Shape::Object(MACHINE)),
    ("git_rev", Shape::Str),
    ("date", Shape::Str),
    ("operations", Shape::Array(&Shape::Object(OPERATION))),
    ("calibration_s", Shape::NonNeg),
];

/// Checks `value` against `shape`; `path` is the dotted location of `value`.
fn check(value: &Value, shape: &Shape, path: &str, origin: &Path) -> Result<(), ReportError> {
    let bad = |problem: &str| ReportError::field(origin, path, problem);
    match shape {
        Shape::Str => value
            .as_str()
            .map(|_| ())
            .ok_or_else(|| bad("must be a string")),
        Shape::Num => match value.as_f64() {
            Some(v) if v.is_finite() => Ok(()),
            _ => Err(bad("must be a number")),
        },
        Shape::NonNeg => match value.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(()),
            _ => Err(bad("must be a non-negative number")),
        },
        Shape::UInt => value
            .as_u64()
            .map(|_| ())
            .ok_or_else(|| bad("must be a non-negative integer")),
        Shape::Array(element) => {
            let items = value.as_array().ok_or_else(|| bad("must be an array"))?;
            for (i, item) in items.iter().enumerate() {
                // Name the operation too: "operations[1] (op "erc20")" is easier to find.
                let label = match item.get("op").and_then(Value::as_str) {
                    Some(op) => format!("{path}[{i}] (op \"{op}\")"),
                    None => format!("{path}[{i}]"),
                };
                check(item, element, &label, origin)?;
            }
            Ok(())
        }
        Shape::Object(fields) => {
            let object = value.as_object().ok_or_else(|| {
                ReportError::field(
                    origin,
                    if path.is_empty() { "(top level)" } else { path },
                    "must be an object",
                )
            })?;
            for (name, field_shape) in fields.iter() {
                let field_path = if path.is_empty() {
                    (*name).to_string()
                } else {
                    format!("{path}.{name}")
                };
                match object.get(*name) {
                    None => return Err(ReportError::field(origin, field_path, "is missing")),
                    Some(v) => check(v, field_shape, &field_path, origin)?,
                }
            }
            Ok(())
        }
    }
}
