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
