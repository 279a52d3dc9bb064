//! How this crate's sub-circuits become halo2-base circuits: layout on a
//! [`BaseCircuitBuilder`], cell counts, the minimal `k`, and `MockProver` runs.
//!
//! # What "fits at k" means on halo2-base
//! halo2-base writes every gate into one virtual advice column and cuts it into physical columns
//! of `2^k − UNUSABLE_ROWS` rows, so any `k` "fits" given enough columns. What fixes `k` is a
//! column budget: a sub-circuit is sized at the smallest `k` such that
//! - its advice cells fill at most [`MAX_ADVICE_COLUMNS`] columns, and
//! - its range-check table (`2^lookup_bits` rows, when it has range checks) fits beside the
//!   blinding rows.
//!
//! At `k − 1` one of the two fails ([`Sizing::fits`] says which); the tests of each circuit
//! check both sides.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_base::halo2_proofs::plonk::ProvingKey;
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;

use crate::params::ProofError;
use halo2_base::gates::RangeChip;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::{AssignedValue, Context};

/// Rows of every column kept for halo2's blinding factors: 9, the figure halo2-base's own
/// testing helpers and zkEVM configs use (enough for the queries of the base gate and lookup).
pub const UNUSABLE_ROWS: usize = 9;

/// Most advice columns (gate plus lookup advice) a sub-circuit may use at its `k`. Each column
/// is one more commitment and opening for the verifier — and later for the aggregation circuit
/// of snark-verifier, where they are paid in-circuit — while each `k` step doubles the FFTs;
/// 4 columns keeps the verifier side small and the largest circuit (a depth-32 Merkle update)
/// at `k = 17`.
pub const MAX_ADVICE_COLUMNS: usize = 4;

/// Smallest `k` considered: halo2-axiom needs room for the blinding rows plus a few usable ones.
pub const MIN_K: u32 = 4;

/// Largest `k` considered: the crate's KZG parameters go up to `2^23` rows.
pub const MAX_K: u32 = 23;

/// Placeholder table size for a `RangeChip` used only for its gate (`RangeChip::new` divides
/// by it).
const NO_LOOKUP_BITS: usize = 8;

/// A sub-circuit laid out with halo2-base: its gates and its public inputs.
pub trait BaseCircuit {
    /// The sub-circuit's name, for messages.
    const NAME: &'static str;

    /// Bits of the range-check lookup table, or `None` if the circuit has no range checks.
    fn lookup_bits(&self) -> Option<usize>;

    /// Lays out the constraints and returns the cells exposed as public inputs, in order.
    fn synthesize(&self, ctx: &mut Context<Fr>, range: &RangeChip<Fr>) -> Vec<AssignedValue<Fr>>;

    /// The public inputs the honest witness yields (computed natively).
    fn public_inputs(&self) -> Vec<Fr>;
}

/// Cell counts of a layout (independent of `k`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cells {
    /// Advice cells of the gate columns.
    pub advice: usize,
    /// Cells copied into lookup columns for range checks.
    pub lookup: usize,
    /// Distinct constants (fixed cells).
    pub fixed: usize,
}

/// A circuit's cells and what they need at one `k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizing {
    /// The cell counts.
    pub cells: Cells,
    /// The lookup table size in bits, if any range check was queued.
    pub lookup_bits: Option<usize>,
}

impl Sizing {
    /// Usable rows per column at `k`.
    pub fn usable_rows(k: u32) -> usize {
        (1usize << k).saturating_sub(UNUSABLE_ROWS)
    }

    /// Advice columns (gate + lookup) needed at `k`.
    pub fn advice_columns(&self, k: u32) -> usize {
        let rows = Self::usable_rows(k).max(1);
        self.cells.advice.div_ceil(rows) + self.cells.lookup.div_ceil(rows)
    }

    /// Why the circuit does not fit at `k`, or `Ok` if it does.
    pub fn fits(&self, k: u32) -> Result<(), String> {
        if let Some(bits) = self.lookup_bits {
            if k as usize <= bits || (1usize << bits) > Self::usable_rows(k) {
                return Err(format!(
                    "the 2^{bits}-row lookup table does not fit at k = {k}"
                ));
            }
        }
        let columns = self.advice_columns(k);
        if columns > MAX_ADVICE_COLUMNS {
            return Err(format!(
                "{columns} advice columns needed at k = {k}, over the budget of \
                 {MAX_ADVICE_COLUMNS}"
            ));
        }
        Ok(())
    }

    /// The smallest `k` in `MIN_K..=MAX_K` that fits.
    pub fn min_k(&self) -> Option<u32> {
        (MIN_K..=MAX_K).find(|&k| self.fits(k).is_ok())
    }
}

/// Lays `circuit` out on a fresh builder at `k` (not yet configured).
fn layout<C: BaseCircuit>(circuit: &C, k: u32) -> BaseCircuitBuilder<Fr> {
    let mut builder = BaseCircuitBuilder::new(false)
        .use_k(k as usize)
        .use_instance_columns(1);
    if let Some(bits) = circuit.lookup_bits() {
        builder.set_lookup_bits(bits);
    }
    synthesize_on(circuit, builder)
}

/// Synthesizes `circuit` on `builder` and registers its public inputs.
fn synthesize_on<C: BaseCircuit>(
    circuit: &C,
    mut builder: BaseCircuitBuilder<Fr>,
) -> BaseCircuitBuilder<Fr> {
    let lookup_bits = circuit.lookup_bits();
    // A circuit without range checks still gets a `RangeChip` (for its gate); the table size
    // is then irrelevant but must be non-zero, and queuing a lookup would be caught by
    // halo2-base at synthesis, since no table is configured.
    let range = RangeChip::new(
        lookup_bits.unwrap_or(NO_LOOKUP_BITS),
        builder.lookup_manager().clone(),
    );
    let public = circuit.synthesize(builder.main(0), &range);
    builder.assigned_instances[0] = public;
    builder
}

/// Whether any range check was queued (halo2-base then needs the lookup table).
fn uses_lookups(builder: &BaseCircuitBuilder<Fr>) -> bool {
    builder
        .statistics()
        .total_lookup_advice_per_phase
        .iter()
        .any(|&n| n > 0)
}

/// The cells of `circuit` and the table it needs.
pub fn sizing<C: BaseCircuit>(circuit: &C) -> Sizing {
    let builder = layout(circuit, MAX_K);
    let stats = builder.statistics();
    Sizing {
        cells: Cells {
            advice: stats.gate.total_advice_per_phase.iter().sum(),
            lookup: stats.total_lookup_advice_per_phase.iter().sum(),
            fixed: stats.gate.total_fixed,
        },
        lookup_bits: if uses_lookups(&builder) {
            circuit.lookup_bits()
        } else {
            None
        },
    }
}

/// The smallest `k` that fits `circuit` (see the module docs).
///
/// # Panics
/// If no `k` up to [`MAX_K`] fits: a shape error of the circuit itself.
pub fn min_k<C: BaseCircuit>(circuit: &C) -> u32 {
    sizing(circuit)
        .min_k()
        .unwrap_or_else(|| panic!("{}: no k up to {MAX_K} fits", C::NAME))
}

/// The configured builder of `circuit` at `k`, ready for the `MockProver` or a prover, and its
/// parameters.
pub fn builder<C: BaseCircuit>(circuit: &C, k: u32) -> (BaseCircuitBuilder<Fr>, BaseCircuitParams) {
    let mut builder = layout(circuit, k);
    if !uses_lookups(&builder) {
        builder.config_params.lookup_bits = None;
    }
    let params = builder.calculate_params(Some(UNUSABLE_ROWS));
    (builder, params)
}

/// A sub-circuit's keys at its `k`, with the layout the prover must reuse.
#[derive(Debug)]
pub struct CircuitKeys {
    /// The proving key (`pk.get_vk()` is the verifying key).
    pub pk: ProvingKey<G1Affine>,
    /// The circuit shape fixed at key generation.
    pub config: BaseCircuitParams,
    /// Where the virtual region breaks into columns, fixed at key generation.
    pub break_points: MultiPhaseThreadBreakPoints,
}

/// Key generation for `circuit`'s shape at `params.k()` (any honest witness of the circuit lays
/// out the same shape).
pub fn keygen<C: BaseCircuit>(
    circuit: &C,
    params: &ParamsKZG<Bn256>,
) -> Result<CircuitKeys, ProofError> {
    let (builder, config) = builder(circuit, params.k());
    let pk = crate::params::keygen(params, &builder)?;
    Ok(CircuitKeys {
        pk,
        config,
        break_points: builder.break_points(),
    })
}

/// A real SHPLONK proof of `circuit` with the keys from [`keygen`].
pub fn prove<C: BaseCircuit>(
    circuit: &C,
    params: &ParamsKZG<Bn256>,
    keys: &CircuitKeys,
) -> Result<Vec<u8>, ProofError> {
    let builder = synthesize_on(
        circuit,
        BaseCircuitBuilder::prover(keys.config.clone(), keys.break_points.clone()),
    );
    crate::params::prove(params, &keys.pk, builder, &[circuit.public_inputs()])
}

/// Runs the `MockProver` on `circuit` at `k` against `public`.
pub fn mock_at<C: BaseCircuit>(circuit: &C, k: u32, public: Vec<Fr>) -> Result<(), String> {
    let (builder, _) = builder(circuit, k);
    MockProver::run(k, &builder, vec![public])
        .map_err(|e| format!("{}: {e:?}", C::NAME))?
        .verify()
        .map_err(|e| format!("{}: {} failures, first {:?}", C::NAME, e.len(), e.first()))
}

/// Runs the `MockProver` on `circuit` at its minimal `k` against `public`.
pub fn mock<C: BaseCircuit>(circuit: &C, public: Vec<Fr>) -> Result<(), String> {
    mock_at(circuit, min_k(circuit), public)
}

/// Test helper: `circuit` is accepted against its own public inputs at its minimal `k`, `k`
/// fits and `k − 1` does not, and each listed public input changed by one is rejected. Returns
/// the sizing and `k` for reports.
pub fn assert_sound_at_min_k<C: BaseCircuit>(
    circuit: &C,
    tamper: &[(usize, &str)],
) -> (Sizing, u32) {
    let sizing = sizing(circuit);
    let k = sizing.min_k().expect("some k fits");
    assert!(sizing.fits(k).is_ok());
    assert!(
        sizing.fits(k - 1).is_err(),
        "{}: k - 1 = {} fits too",
        C::NAME,
        k - 1
    );
    let public = circuit.public_inputs();
    assert_eq!(mock_at(circuit, k, public.clone()), Ok(()));
    for &(row, what) in tamper {
        let mut wrong = public.clone();
        wrong[row] += Fr::from(1u64);
        assert!(
            mock_at(circuit, k, wrong).is_err(),
            "{}: {what} accepted",
            C::NAME
        );
    }
    (sizing, k)
}
