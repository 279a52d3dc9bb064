//! The cost model's constants, as measured (see `reports/kzg/aggregation.md` and
//! `reports/final/`).

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
            cells_per_proof_byte: 0.0,
            // The measured node's proof: 12 032 bytes over 38 columns.
            proof_bytes_base: 0.0,
            proof_bytes_per_column: 12_032.0 / 38.0,
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

/// Bytes of a node's proof per column: the slope through the two measured node proofs.
const NODE_PROOF_BYTES_PER_COLUMN: f64 = (57_184.0 - 5_088.0) / (187.0 - 15.0);
/// Bytes of a node's proof whatever its columns: the intercept of that line.
const NODE_PROOF_BYTES_BASE: f64 = 5_088.0 - 15.0 * NODE_PROOF_BYTES_PER_COLUMN;

/// Rows of a column at `k = 17` that hold cells (`2^17 − 9`): the unit the layouts below count in.
const ROWS_K17: f64 = 131_063.0;

impl AggCostModel {
    /// The planner's default, fitted to four node layouts whose children's proof sizes are
    /// known (`reports/kzg/circuits.md`: signature 6 944 B, account update 1 568 B, storage
    /// update 1 728 B, event log 1 568 B, balance 992 B), in columns at `k = 17`:
    ///
    /// | node | children | proof bytes | columns |
    /// |---|---|---:|---:|
    /// | transfer (`reports/final/transfer.md`) | signature, 2 account, balance | 11 072 | 187 |
    /// | erc20, first node (2026-12-04, AMD) | signature, account, storage | 10 240 | 164 |
    /// | erc20, second node (same run) | storage, event log, balance | 4 288 | 95 |
    /// | `reports/kzg/aggregation.md` (`k = 18`) | 2 account | 3 136 | 76 (38 at `k = 18`) |
    ///
    /// A least-squares fit of `columns = base + per_child · n + per_byte · Σ bytes` gives
    /// 18.56, 9.637 and 0.011558 (each row within 3%), times `2^17 − 9` rows for cells.
    ///
    /// - Node proofs: a line through the two measured ones, 57 184 bytes at 187 columns
    ///   (`transfer.md`) and 5 088 bytes at 15 columns (`transfer-10gib.md`'s root, k = 20):
    ///   545 bytes plus 302.9 per column.
    /// - Memory: 481 B per cell of area, the larger of the two measured ratios: the Xeon
    ///   node's key generation (4.79 GB over 38 · 2^18) and the transfer node's whole process
    ///   (10.56 GB over 187 · 2^17, 431 B). The aggregate task generates its key when the
    ///   store lacks it, and key generation peaks above proving, so the estimate must cover it.
    /// - Time: the transfer node's aggregate task, 538.8 s with 2 threads on the 2-core AMD
    ///   EPYC, key generation included, over its area (2.198e-5 s per cell).
    ///
    /// Nodes over other nodes are costed through the node proof size; the one measured (the
    /// root of `transfer-10gib.md`: 15 columns at k = 20) is reproduced within 10%.
    pub fn measured_2core() -> Self {
        let transfer_area = 187.0 * (1u64 << 17) as f64;
        let xeon_keygen_area = 38.0 * (1u64 << 18) as f64;
        Self {
            cells_base: 18.558 * ROWS_K17,
            cells_per_child: 9.6367 * ROWS_K17,
            cells_per_proof_byte: 0.011_558 * ROWS_K17,
            proof_bytes_base: NODE_PROOF_BYTES_BASE,
            proof_bytes_per_column: NODE_PROOF_BYTES_PER_COLUMN,
            secs_base: 0.0,
            secs_per_area: 538.8 / transfer_area,
            bytes_base: 0.0,
            bytes_per_area: (4.79e9 / xeon_keygen_area).max(10_557_784_064.0 / transfer_area),
            ref_threads: 2,
            k_range: 17..=21,
            max_fan_in: 8,
        }
    }
}
