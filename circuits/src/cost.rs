//! The cost model for sub-circuit tasks, calibrated per machine.
//!
//! A proof's cost follows from its circuit's shape: halo2 commits to every advice column and to
//! three polynomials per lookup (FFTs and multi-scalar multiplications of size `2^k`) and evaluates
//! the quotient on an extended domain whose size grows with the gate degree. [`ShapeStats::work_units`]
//! turns that into one number; calibration fits `seconds = a · units + b` on this machine, twice:
//!
//! * **alone**: one proof at a time on one thread;
//! * **loaded**: `P` proofs at once, one per worker thread — on a loaded machine memory bandwidth
//!   makes every proof slower (we measured 16 concurrent k=10 proofs at 74% of 16x the one-thread
//!   rate), and a schedule of `P` concurrent tasks sees these costs, not the alone ones.
//!
//! Each measured sub-circuit's own timings are kept too: scheduling uses them directly (they are
//! exact for these shapes); the fitted line prices shapes that were never measured. While running,
//! [`CostModel::observe`] folds measured task durations into the estimates.

use crate::any::AnyCircuit;
use crate::kind::SubCircuitKind;
use crate::Fr;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::halo2_proofs::plonk::{Circuit, ConstraintSystem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The shape numbers that drive proving cost, read from the circuit's constraint system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeStats {
    /// Degree parameter (`2^k` rows).
    pub k: u32,
    /// Advice columns.
    pub advice_columns: usize,
    /// Fixed columns.
    pub fixed_columns: usize,
    /// Instance columns.
    pub instance_columns: usize,
    /// Lookup arguments.
    pub lookups: usize,
    /// Maximum constraint degree.
    pub degree: usize,
}

impl ShapeStats {
    /// Reads the shape of `circuit` from its layout (one synthesis).
    pub fn of(circuit: &AnyCircuit) -> Self {
        let layout = circuit.layout();
        let config = &layout.config;
        let mut cs = ConstraintSystem::<Fr>::default();
        <BaseCircuitBuilder<Fr> as Circuit<Fr>>::configure_with_params(&mut cs, config.clone());
        ShapeStats {
            k: layout.k,
            advice_columns: cs.num_advice_columns(),
            fixed_columns: cs.num_fixed_columns(),
            instance_columns: cs.num_instance_columns(),
            lookups: cs.lookups().len(),
            degree: cs.degree(),
        }
    }

    /// The shape of `kind` at `tree_depth`, laid out once per process (the signature's
    /// synthesis alone takes about a second).
    pub fn of_kind(kind: SubCircuitKind, tree_depth: usize) -> Result<Self, String> {
        static SHAPES: Mutex<BTreeMap<(SubCircuitKind, usize), ShapeStats>> =
            Mutex::new(BTreeMap::new());
        if let Some(shape) = SHAPES.lock().get(&(kind, tree_depth)) {
            return Ok(shape.clone());
        }
        let shape = ShapeStats::of(&AnyCircuit::shape(kind, tree_depth)?);
        SHAPES.lock().insert((kind, tree_depth), shape.clone());
        Ok(shape)
    }

    /// Proving work in arbitrary units: rows × committed polynomials × extended-domain factor.
    pub fn work_units(&self) -> f64 {
        let rows = f64::from(1u32 << self.k.min(30));
        // Each lookup commits to permuted input, permuted table and a product polynomial.
        let polys = (self.advice_columns + 3 * self.lookups + self.instance_columns) as f64 + 1.0;
        // The quotient is evaluated on a domain (degree - 1) times larger, rounded up to a power of two.
        let extension = (self.degree.saturating_sub(1).max(1)).next_power_of_two() as f64;
        rows * polys * extension.sqrt().max(1.0) / 1.0e6
    }

    /// Peak memory of one proof modelled from its shape, in bytes: halo2 keeps every advice,
    /// fixed and lookup polynomial in coefficient and Lagrange form plus the extended-domain
    /// evaluations of the quotient. A rough upper estimate for when nothing was measured.
    pub fn modelled_peak_mem(&self) -> u64 {
        let rows = 1u64 << self.k.min(40);
        let polys = (self.advice_columns
            + self.fixed_columns
            + 3 * self.lookups
            + self.instance_columns
            + 4) as u64;
        let extension = (self.degree.saturating_sub(1).max(1)).next_power_of_two() as u64;
        rows * polys * 32 * (2 + extension)
    }
}

/// One sub-circuit's calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KindCost {
    /// Its shape.
    pub shape: ShapeStats,
    /// Median single-thread proving time, alone on the machine.
    pub alone_s: f64,
    /// Mean single-thread proving time with every worker proving a copy at the same time.
    pub loaded_s: f64,
    /// Witness generation time (single thread).
    pub witness_s: f64,
    /// Key generation time.
    pub keygen_s: f64,
    /// Measured peak memory of one proof on one thread: the process's peak resident set during
    /// the proof minus its resident set just before (keys and parameters were already loaded).
    /// Absent in calibrations written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_mem_bytes: Option<u64>,
}

/// A fitted line `seconds = per_unit_s · units + fixed_s`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// Seconds per work unit.
    pub per_unit_s: f64,
    /// Fixed overhead per proof.
    pub fixed_s: f64,
}

impl Fit {
    /// Least squares over `(units, seconds)` points (a line through the origin for one point).
    pub fn least_squares(points: &[(f64, f64)]) -> Fit {
        let n = points.len() as f64;
        if points.is_empty() {
            return Fit {
                per_unit_s: 0.0,
                fixed_s: 0.0,
            };
        }
        let (sx, sy) = points
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (sx / n, sy / n);
        let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
        let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        if sxx <= f64::EPSILON {
            return Fit {
                per_unit_s: if mx > 0.0 { my / mx } else { 0.0 },
                fixed_s: 0.0,
            };
        }
        let per_unit_s = sxy / sxx;
        let fixed_s = (my - per_unit_s * mx).max(0.0);
        Fit {
            per_unit_s,
            fixed_s,
        }
    }

    /// Predicted seconds for `units`.
    pub fn predict(&self, units: f64) -> f64 {
        (self.per_unit_s * units + self.fixed_s).max(1e-6)
    }
}

/// The calibration file's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Which machine (CPU model, cores) it was measured on.
    pub machine: String,
    /// Worker threads used for the loaded measurement.
    pub threads: usize,
    /// Merkle tree depth of the measured shapes.
    pub tree_depth: usize,
    /// Per sub-circuit measurements, by name.
    pub kinds: BTreeMap<String, KindCost>,
    /// Fitted alone cost line.
    pub alone_fit: Fit,
    /// Fitted loaded cost line.
    pub loaded_fit: Fit,
}

/// Calibration file errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum CostError {
    /// Cannot read or write the file.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Where `zkpar calibrate` writes by default: `zkpar-calibration.json` under the workspace's
/// target folder ([`crate::keys::workspace_target_dir`]), or `$ZKPAR_CALIBRATION`.
pub fn default_calibration_path() -> PathBuf {
    std::env::var_os("ZKPAR_CALIBRATION")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::keys::workspace_target_dir().join("zkpar-calibration.json"))
}

impl Calibration {
    /// Reads a calibration file.
    pub fn load(path: &Path) -> Result<Self, CostError> {
        let bytes = std::fs::read(path).map_err(|e| CostError::File {
            path: path.into(),
            message: e.to_string(),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| CostError::File {
            path: path.into(),
            message: format!("malformed calibration: {e}"),
        })
    }

    /// Writes it (creating the directory).
    pub fn save(&self, path: &Path) -> Result<(), CostError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| CostError::File {
                path: dir.into(),
                message: e.to_string(),
            })?;
        }
        let text = serde_json::to_string_pretty(self).expect("calibration serialises");
        std::fs::write(path, text).map_err(|e| CostError::File {
            path: path.into(),
            message: e.to_string(),
        })
    }
}

/// Cost estimates for scheduling: a calibration plus what runs have observed since.
pub struct CostModel {
    calibration: Option<Calibration>,
    observed_loaded: Mutex<BTreeMap<SubCircuitKind, f64>>,
}

/// Weight of a new observation in the running estimate: high enough that a few runs correct a
/// stale calibration, low enough that one noisy run does not swing priorities.
pub const OBSERVATION_WEIGHT: f64 = 0.3;

/// Headroom on a measured peak: one proof's transient memory moved by up to about 10% between
/// repetitions on the 2-core Xeon (allocator reuse decides how much of it is fresh pages), and
/// an estimate that comes out low lets admission overshoot the budget.
pub const MEASURED_MEM_MARGIN: f64 = 1.25;

/// Seconds per work unit when nothing was calibrated: a rough single-thread rate of a 2020s x86
/// core for the shapes here, good enough to order tasks (only ratios matter for priorities).
const UNCALIBRATED_PER_UNIT_S: f64 = 0.05;

impl CostModel {
    /// A model from a calibration (or shape-only estimates when `None`).
    pub fn new(calibration: Option<Calibration>) -> Self {
        CostModel {
            calibration,
            observed_loaded: Mutex::new(BTreeMap::new()),
        }
    }

    /// Loads the default calibration file if it exists.
    pub fn from_default_file() -> Self {
        let path = default_calibration_path();
        match Calibration::load(&path) {
            Ok(c) => CostModel::new(Some(c)),
            Err(e) => {
                if path.exists() {
                    log::warn!("{e}; using uncalibrated shape estimates");
                }
                CostModel::new(None)
            }
        }
    }

    /// The calibration in use, if any.
    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    /// Estimated single-thread proving seconds of `circuit` alone on the machine.
    pub fn alone_s(&self, kind: SubCircuitKind, shape: &ShapeStats) -> f64 {
        match &self.calibration {
            Some(c) => match c.kinds.get(kind.name()).filter(|k| k.shape == *shape) {
                Some(k) => k.alone_s,
                None => c.alone_fit.predict(shape.work_units()),
            },
            None => UNCALIBRATED_PER_UNIT_S * shape.work_units(),
        }
    }

    /// Calibrated single-thread proving seconds with every worker busy (what lower bounds use:
    /// fixed for the process, so bounds from different runs compare).
    pub fn loaded_s(&self, kind: SubCircuitKind, shape: &ShapeStats) -> f64 {
        match &self.calibration {
            Some(c) => match c.kinds.get(kind.name()).filter(|k| k.shape == *shape) {
                Some(k) => k.loaded_s,
                None => c.loaded_fit.predict(shape.work_units()),
            },
            None => self.alone_s(kind, shape),
        }
    }

    /// The estimate scheduling uses: the calibrated loaded cost, refined by what runs observed.
    pub fn scheduling_s(&self, kind: SubCircuitKind, shape: &ShapeStats) -> f64 {
        match self.observed_loaded.lock().get(&kind) {
            Some(seen) => *seen,
            None => self.loaded_s(kind, shape),
        }
    }

    /// Estimated peak memory of one proof, for memory-aware admission: the calibrated
    /// measurement of this kind and shape with [`MEASURED_MEM_MARGIN`], or the shape model
    /// ([`ShapeStats::modelled_peak_mem`]) when none was measured.
    pub fn peak_mem(&self, kind: SubCircuitKind, shape: &ShapeStats) -> u64 {
        self.calibration
            .as_ref()
            .and_then(|c| c.kinds.get(kind.name()))
            .filter(|k| k.shape == *shape)
            .and_then(|k| k.peak_mem_bytes)
            .map(|bytes| (bytes as f64 * MEASURED_MEM_MARGIN).ceil() as u64)
            .unwrap_or_else(|| shape.modelled_peak_mem())
    }

    /// Estimated witness-generation seconds.
    pub fn witness_s(&self, kind: SubCircuitKind) -> f64 {
        self.calibration
            .as_ref()
            .and_then(|c| c.kinds.get(kind.name()))
            .map(|k| k.witness_s)
            .unwrap_or(0.001)
    }

    /// Folds a task duration measured while every worker was busy into [`CostModel::scheduling_s`]
    /// (an exponential moving average, see [`OBSERVATION_WEIGHT`]).
    pub fn observe(&self, kind: SubCircuitKind, shape: &ShapeStats, seconds: f64) {
        if !(seconds.is_finite() && seconds > 0.0) {
            return;
        }
        let prior = self.scheduling_s(kind, shape);
        let mut seen = self.observed_loaded.lock();
        seen.insert(kind, prior + OBSERVATION_WEIGHT * (seconds - prior));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_recovers_a_line() {
        let fit = Fit::least_squares(&[(1.0, 3.0), (2.0, 5.0), (4.0, 9.0)]);
        assert!(
            (fit.per_unit_s - 2.0).abs() < 1e-9 && (fit.fixed_s - 1.0).abs() < 1e-9,
            "{fit:?}"
        );
        let one = Fit::least_squares(&[(2.0, 4.0)]);
        assert!((one.predict(3.0) - 6.0).abs() < 1e-9);
    }

    #[test]
    fn observations_refine_scheduling_but_not_bounds() {
        let shape = ShapeStats {
            k: 11,
            advice_columns: 10,
            fixed_columns: 5,
            instance_columns: 1,
            lookups: 1,
            degree: 5,
        };
        let model = CostModel::new(None);
        let kind = SubCircuitKind::Balance;
        let before = model.loaded_s(kind, &shape);
        model.observe(kind, &shape, before * 3.0);
        let refined = model.scheduling_s(kind, &shape);
        assert!(
            (refined - before * (1.0 + 2.0 * OBSERVATION_WEIGHT)).abs() < 1e-9,
            "{refined}"
        );
        assert_eq!(model.loaded_s(kind, &shape), before);
        model.observe(kind, &shape, f64::NAN);
        assert_eq!(model.scheduling_s(kind, &shape), refined);
    }

    #[test]
    fn calibration_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cal.json");
        std::fs::write(&path, "{not json").unwrap();
        let e = Calibration::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("cal.json") && e.contains("malformed calibration"),
            "{e}"
        );
    }
}
