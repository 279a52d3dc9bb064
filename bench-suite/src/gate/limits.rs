//! The wall-time layer's limits per CPU model, committed beside the baselines they were set
//! from (`reports/baseline/limits.json`).
//!
//! How far the gated ratios move between runs of one tree depends on the machine: on the
//! 2-vCPU AMD EPYC CI VM, ten quick runs moved by at most 3% on the paired ratios, while two
//! runs on an Intel Xeon that other jobs shared moved by up to 24%. A limit is only as good as the spread measured under
//! it, so each CPU model whose runs were measured gets its own limits, and a run on any other
//! model is judged by the file's `default` limits (loose, until that model's runs are
//! recorded). Each entry says in `why` what it was set from.
//!
//! ```json
//! {
//!   "default": { "dag_previous_pct": 35, "dag_rayon_pct": 35, "dag_calibration_pct": 35,
//!                "all_operations_pct": 35, "why": "..." },
//!   "cpus": [ { "cpu": "AMD EPYC", "dag_previous_pct": 15, "dag_rayon_pct": 8,
//!               "dag_calibration_pct": 25, "all_operations_pct": 8, "why": "..." } ]
//! }
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Thresholds;
use crate::report::ReportError;

/// One set of limits, percent, and what it was set from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The CPU model (`machine.cpu` of a results file) these apply to; absent in `default`.
    #[serde(default)]
    pub cpu: Option<String>,
    /// [`Thresholds::same_run_pct`].
    pub dag_previous_pct: f64,
    /// [`Thresholds::rayon_pct`].
    pub dag_rayon_pct: f64,
    /// [`Thresholds::calibrated_pct`].
    pub dag_calibration_pct: f64,
    /// [`Thresholds::overall_pct`].
    pub all_operations_pct: f64,
    /// What the limits were set from (runs, spread, what they catch).
    pub why: String,
}

impl Limits {
    /// The limits as the gate takes them.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            same_run_pct: self.dag_previous_pct,
            rayon_pct: self.dag_rayon_pct,
            calibrated_pct: self.dag_calibration_pct,
            overall_pct: self.all_operations_pct,
        }
    }
}

/// A limits file: the default limits and those of each measured CPU model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// For a CPU model with no entry of its own.
    pub default: Limits,
    /// Per CPU model.
    #[serde(default)]
    pub cpus: Vec<Limits>,
    /// Where the file was read from.
    #[serde(skip)]
    pub path: PathBuf,
}

impl LimitsFile {
    /// Reads and checks a limits file: every limit a finite, non-negative percentage, every
    /// CPU entry named once, the default naming none.
    pub fn load(path: &Path) -> Result<LimitsFile, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut file: LimitsFile =
            serde_json::from_str(&text).map_err(|e| ReportError::Syntax {
                path: path.to_path_buf(),
                format: "JSON (a gate limits file)",
                detail: e.to_string(),
            })?;
        file.path = path.to_path_buf();
        if file.default.cpu.is_some() {
            return Err(ReportError::field(
                path,
                "default.cpu",
                "must be absent: the default applies to every CPU model without an entry",
            ));
        }
        for (i, entry) in file.cpus.iter().enumerate() {
            let Some(cpu) = &entry.cpu else {
                return Err(ReportError::field(
                    path,
                    format!("cpus[{i}].cpu"),
                    "is missing",
                ));
            };
            if file.cpus[..i].iter().any(|e| e.cpu.as_ref() == Some(cpu)) {
                return Err(ReportError::field(
                    path,
                    format!("cpus[{i}].cpu"),
                    format!("names `{cpu}` a second time"),
                ));
            }
        }
        let entries = std::iter::once(("default".to_string(), &file.default)).chain(
            file.cpus
                .iter()
                .enumerate()
                .map(|(i, e)| (format!("cpus[{i}]"), e)),
        );
        for (name, entry) in entries {
            for (field, value) in [
                ("dag_previous_pct", entry.dag_previous_pct),
                ("dag_rayon_pct", entry.dag_rayon_pct),
                ("dag_calibration_pct", entry.dag_calibration_pct),
                ("all_operations_pct", entry.all_operations_pct),
            ] {
                if !(value.is_finite() && value >= 0.0) {
                    return Err(ReportError::field(
                        path,
                        format!("{name}.{field}"),
                        format!("must be a non-negative percentage (got {value})"),
                    ));
                }
            }
        }
        Ok(file)
    }

    /// The limits for a run on `cpu`: its own entry, else the default.
    pub fn for_cpu(&self, cpu: &str) -> &Limits {
        self.cpus
            .iter()
            .find(|e| e.cpu.as_deref() == Some(cpu))
            .unwrap_or(&self.default)
    }

    /// One line naming the limits chosen for `cpu` and where they come from.
    pub fn describe_choice(&self, cpu: &str) -> String {
        let chosen = self.for_cpu(cpu);
        let whose = match &chosen.cpu {
            Some(cpu) => format!("CPU model `{cpu}`"),
            None => format!("the default (no entry for CPU model `{cpu}`)"),
        };
        format!(
            "limits of {whose} from `{}`: {}",
            self.path.display(),
            chosen.why
        )
    }
}
