//! The cost model's constants, as measured (see `reports/kzg/aggregation.md`).

use super::AggCostModel;

impl AggCostModel {
    /// The model fitted from `reports/kzg/aggregation.md`, written by
    /// `cargo run --release -p circuits-kzg --example aggregation_table -- --k 18 --fan-in 2`
    /// on the 2-core Intel Xeon CI machine (2 hardware threads), while other jobs were running:
    ///
    /// - cells: layouts of a node over 2 and 3 leaves at `k = 18` (9 556 371 and 14 163 360
    ///   advice + lookup cells) → `cells_base = 342 393`, `cells_per_child = 4 606 989`;
    /// - time and memory: the one measured node (fan-in 2, `k = 18`, 33 advice + 5 lookup
    ///   columns, area 38 · 2^18): 241.6 s proving with 2 threads and 4.27 GB peak RSS →
    ///   `secs_per_area = 2.4251e-5`, `bytes_per_area = 428.25`, both bases 0 (a proportional
    ///   fit: one point cannot separate a constant term).
    ///
    /// Only fan-in 2 at `k = 18` is measured; other fan-ins and `k` in `17..=21` are
    /// extrapolated by cells and area. Re-measure with the example on the target machine.
    /// It under-estimates larger nodes: see [`AggCostModel::measured_2core`], the default.
    pub fn measured_xeon_2core() -> Self {
        Self {
            cells_base: 342_393.0,
            cells_per_child: 4_606_989.0,
            secs_base: 0.0,
            secs_per_area: 2.4251e-5,
            bytes_base: 0.0,
            bytes_per_area: 428.25,
            ref_threads: 2,
            k_range: 17..=21,
            max_fan_in: 8,
        }
    }
}

/// Process peak of the fan-in-4 node at `k = 17` in `reports/final/transfer.md` (2-core AMD EPYC).
const AMD_FAN_IN_4_K17_PEAK_BYTES: f64 = 10_557_784_064.0;
/// That node's aggregate task (its key generation included), in seconds, with 2 threads.
const AMD_FAN_IN_4_K17_SECONDS: f64 = 538.8;

impl AggCostModel {
    /// The planner's default: [`AggCostModel::measured_xeon_2core`]'s cell counts, refitted to
    /// the larger node of `reports/final/transfer.md` (`zkpar prove --op transfer --final` on
    /// the 2-core AMD EPYC: fan-in 4 at `k = 17`, area 144 · 2^17), where the Xeon fit
    /// under-estimated the peak by a quarter and the budget was exceeded:
    ///
    /// - memory: that run's whole-process peak (10.56 GB) over the area, 559 B per cell. This
    ///   is the larger of the two measured ratios (the Xeon node's key generation peaked at
    ///   4.79 GB, 494 B per cell) and counts the process's other memory (sub-circuit keys,
    ///   parameters) against the node, so the estimate errs high: a budget must not be
    ///   exceeded, and admission only works from estimates;
    /// - time: that aggregate task's 538.8 s with 2 threads, key generation included (the
    ///   first node of each shape generates its key, a cost the plan must not leave out).
    ///
    /// With these, a node over 4 children needs 10.6 GB and the default 8 GiB budget admits
    /// fan-in 3 at most (8.0 GB at `k = 17`).
    pub fn measured_2core() -> Self {
        let xeon = Self::measured_xeon_2core();
        let area = xeon.area(4, 17);
        Self {
            secs_per_area: AMD_FAN_IN_4_K17_SECONDS / area,
            bytes_per_area: AMD_FAN_IN_4_K17_PEAK_BYTES / area,
            ..xeon
        }
    }
}
