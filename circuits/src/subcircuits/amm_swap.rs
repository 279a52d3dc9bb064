//! The AMM swap sub-circuit: one trade against a constant-product pool with a fee in basis
//! points.
//!
//! # The swap
//!
//! A trader pays `dx = amount_in` into reserve `x = reserve_in` and receives `dy = amount_out`
//! from reserve `y = reserve_out`. With `f = fee_bps < 10000` and `g = 10000 − f`,
//!
//! ```text
//! dx_fee = dx · g                       (amount_in_after_fee, scaled by 10000)
//! denom  = x · 10000 + dx_fee
//! dy     = floor(y · dx_fee / denom)
//! x' = x + dx,   y' = y − dy
//! ```
//!
//! which keeps the fee-adjusted product from shrinking: `(x·10000 + dx_fee) · y' ≥ x·y·10000`.
//!
//! # Constraints
//!
//! All arithmetic is in the field [`Fp`] (`p > 2^254`); range checks bound every operand so that
//! it is integer arithmetic:
//!
//! * `x, y, dx, dy, x', y'` are 64-bit (so `x + dx` does not overflow and `dy ≤ y`), and so are
//!   `x − 1`, `y − 1` (the pool is not empty: `x, y ≥ 1`, hence `denom ≥ 10000 > 0`);
//! * `f` and `9999 − f` are 14-bit, so `0 ≤ f ≤ 9999` and `1 ≤ g ≤ 10000`;
//! * the division: `rem = y·dx_fee − dy·denom` and `denom − 1 − rem` are 80-bit, so
//!   `0 ≤ rem < denom` and `dy` is exactly the floor quotient;
//! * the invariant: `diff = denom · y' − (x·10000) · y` is 80-bit, so it is non-negative. It
//!   equals `rem` algebraically (expand `y' = y − dy`), which is why 80 bits suffice for every
//!   honest swap; it is checked on its own all the same, as an independent guard.
//!
//! ## Why nothing wraps around
//!
//! With every input below its bound: `g ≤ 10000 < 2^14`, so `dx_fee < 2^78` and `x·10000 < 2^78`,
//! `denom < 2^79`; the products `y·dx_fee < 2^142`, `dy·denom < 2^143`, `denom·y' < 2^143` and
//! `(x·10000)·y < 2^142` are all far below `p`, so each field product is the integer product. A
//! difference of two such values lies in `(−2^143, 2^143)`; a negative one is `p − |d| > 2^253` in
//! the field, far outside the 80-bit checks. The 80-bit width covers the honest values
//! (`rem < denom < 2^79`) and is exactly 8 lookup words.
//!
//! # Public inputs
//!
//! One instance column:
//! `[reserve_in, reserve_out, amount_in, amount_out, new_reserve_in, new_reserve_out, fee_bps]`.
//!
//! # Rows
//!
//! Eight 64-bit checks (10 rows each), two 14-bit (5 rows) and three 80-bit (9 rows) fill 117
//! rows of the running-sum column, beside 25 arithmetic rows (5 inputs, 3 constants,
//! 17 operations); the `2^10`-row lookup table dominates, so `k = 11`.

use super::range::{ArithCircuitConfig, ArithInstructions, RangeCheckInstructions};
use super::SubCircuit;
use crate::Fp;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};

/// Smallest `k` holding the circuit: the `2^10` lookup table plus halo2's blinding rows exceed
/// `2^10`, and the 117 advice rows fit alongside the table (checked by the tests via
/// [`super::range::rows_used`]).
const K: u32 = 11;

/// Basis points in one whole: fees are `fee_bps / 10000` of the input.
pub const BPS: u64 = 10_000;

/// Width of reserves and amounts.
const VALUE_BITS: usize = 64;
/// Width proving `fee_bps ≤ 9999`: 14 bits is the smallest power of two above 9999, and both
/// `fee_bps` and `9999 − fee_bps` are checked to it.
const FEE_BITS: usize = 14;
/// Width of the remainder, its slack below the denominator, and the invariant's difference: the
/// honest values are below `denom < 2^79` (see the module documentation).
const REM_BITS: usize = 80;

/// The native inputs of one swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AmmSwapWitness {
    /// Pool reserve of the token paid in.
    pub reserve_in: u64,
    /// Pool reserve of the token paid out.
    pub reserve_out: u64,
    /// Amount the trader pays in (fee included).
    pub amount_in: u64,
    /// Fee in basis points (`< 10000`).
    pub fee_bps: u16,
}

/// The state after a valid swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmmSwapOutcome {
    /// Amount the trader receives.
    pub amount_out: u64,
    /// `reserve_in + amount_in`.
    pub new_reserve_in: u64,
    /// `reserve_out − amount_out`.
    pub new_reserve_out: u64,
}

/// Why a swap is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmmError {
    /// The fee is 100% or more.
    #[error("fee of {fee_bps} basis points is not below 10000")]
    FeeTooHigh {
        /// The requested fee.
        fee_bps: u16,
    },
    /// A reserve is zero: the pool has no price.
    #[error(
        "empty pool: reserve_in {reserve_in}, reserve_out {reserve_out} (both must be non-zero)"
    )]
    EmptyPool {
        /// Reserve of the token paid in.
        reserve_in: u64,
        /// Reserve of the token paid out.
        reserve_out: u64,
    },
    /// `reserve_in + amount_in` exceeds `u64::MAX`.
    #[error("reserve overflow: reserve_in {reserve_in} + amount_in {amount_in} exceeds u64::MAX")]
    ReserveOverflow {
        /// Reserve of the token paid in.
        reserve_in: u64,
        /// Amount paid in.
        amount_in: u64,
    },
}

impl AmmSwapWitness {
    /// The amount out: `floor(reserve_out · in_fee / (reserve_in · 10000 + in_fee))` with
    /// `in_fee = amount_in · (10000 − fee_bps)`, or why the pool cannot quote.
    pub fn quote(&self) -> Result<u64, AmmError> {
        if u64::from(self.fee_bps) >= BPS {
            return Err(AmmError::FeeTooHigh {
                fee_bps: self.fee_bps,
            });
        }
        if self.reserve_in == 0 || self.reserve_out == 0 {
            return Err(AmmError::EmptyPool {
                reserve_in: self.reserve_in,
                reserve_out: self.reserve_out,
            });
        }
        // in_fee < 2^78 and denom < 2^79 fit u128; the numerator (< 2^142) does not, hence the
        // 256-bit division. The quotient is below reserve_out (in_fee < denom as reserve_in ≥ 1).
        let in_fee = u128::from(self.amount_in) * u128::from(BPS - u64::from(self.fee_bps));
        let denom = u128::from(self.reserve_in) * u128::from(BPS) + in_fee;
        let (quotient, _) = mul_div(u128::from(self.reserve_out), in_fee, denom);
        Ok(u64::try_from(quotient).expect("quotient < reserve_out ≤ u64::MAX"))
    }

    /// The native swap: the outcome the circuit proves, or why there is none.
    pub fn apply(&self) -> Result<AmmSwapOutcome, AmmError> {
        let amount_out = self.quote()?;
        let new_reserve_in =
            self.reserve_in
                .checked_add(self.amount_in)
                .ok_or(AmmError::ReserveOverflow {
                    reserve_in: self.reserve_in,
                    amount_in: self.amount_in,
                })?;
        Ok(AmmSwapOutcome {
            amount_out,
            new_reserve_in,
            // quote() < reserve_out, so this cannot underflow.
            new_reserve_out: self.reserve_out - amount_out,
        })
    }
}

/// `(a·b / d, a·b mod d)` for `a, b < 2^128`, `0 < d < 2^127`, through a 256-bit product; the
/// quotient must fit `u128` (true for every call here, see [`AmmSwapWitness::quote`]).
///
/// # Complexity
///
/// 256 shift-and-subtract steps.
fn mul_div(a: u128, b: u128, d: u128) -> (u128, u128) {
    debug_assert!(d > 0 && d < 1 << 127);
    const HALF: u32 = 64;
    let mask = (1u128 << HALF) - 1;
    let (a_hi, a_lo) = (a >> HALF, a & mask);
    let (b_hi, b_lo) = (b >> HALF, b & mask);
    // Schoolbook product of 64-bit limbs into (hi, lo).
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> HALF) + (lh & mask) + (hl & mask);
    let lo = (ll & mask) | (mid << HALF);
    let hi = hh + (lh >> HALF) + (hl >> HALF) + (mid >> HALF);

    let (mut quotient, mut rem) = (0u128, 0u128);
    for i in (0..256).rev() {
        let bit = if i >= 128 {
            (hi >> (i - 128)) & 1
        } else {
            (lo >> i) & 1
        };
        // rem < d < 2^127, so the shift cannot overflow.
        rem = (rem << 1) | bit;
        if rem >= d {
            rem -= d;
            debug_assert!(i < 128, "quotient exceeds u128");
            quotient |= 1 << i;
        }
    }
    (quotient, rem)
}

/// The AMM swap sub-circuit (see the [module documentation](self)).
#[derive(Clone, Debug)]
pub struct AmmSwapCircuit {
    /// `[reserve_in, reserve_out, amount_in, fee_bps, amount_out]` as field elements; unknown for
    /// a shape-only copy.
    witness: Value<[Fp; 5]>,
    /// The public inputs, computed in the field from the witness (kept by `without_witnesses`:
    /// they are public).
    public: Vec<Fp>,
}

impl AmmSwapCircuit {
    /// The witness-free circuit (for key generation and verification): same shape as any
    /// instance, every witness unknown.
    pub fn shape() -> Self {
        AmmSwapCircuit {
            witness: Value::unknown(),
            public: vec![Fp::zero(); 7],
        }
    }

    /// A circuit for a valid swap at the native quote; the native check runs first.
    pub fn new(witness: &AmmSwapWitness) -> Result<Self, AmmError> {
        let outcome = witness.apply()?;
        Ok(Self::with_amount_out(witness, outcome.amount_out))
    }

    /// A circuit claiming `amount_out` for the swap, skipping every native check. Unless the
    /// swap is valid and `amount_out` is its quote, the circuit's constraints are unsatisfiable
    /// (that is what the tests use it for): no proof can be made.
    pub fn with_amount_out(witness: &AmmSwapWitness, amount_out: u64) -> Self {
        Self::from_field([
            Fp::from(witness.reserve_in),
            Fp::from(witness.reserve_out),
            Fp::from(witness.amount_in),
            Fp::from(u64::from(witness.fee_bps)),
            Fp::from(amount_out),
        ])
    }

    /// A circuit over arbitrary field values `[reserve_in, reserve_out, amount_in, fee_bps,
    /// amount_out]`, for testing values no `u64` can hold.
    fn from_field(values: [Fp; 5]) -> Self {
        let [x, y, dx, f, dy] = values;
        AmmSwapCircuit {
            witness: Value::known(values),
            public: vec![x, y, dx, dy, x + dx, y - dy, f],
        }
    }
}

impl Circuit<Fp> for AmmSwapCircuit {
    type Config = ArithCircuitConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        AmmSwapCircuit {
            witness: Value::unknown(),
            public: self.public.clone(),
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        ArithCircuitConfig::configure(meta)
    }

    fn synthesize(
        &self,
        config: Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let (range, arith) = config.chips();
        range.load_table(&mut layouter)?;

        let [x, y, dx, f, dy] = arith.witness_array(
            &mut layouter,
            [
                "reserve_in",
                "reserve_out",
                "amount_in",
                "fee_bps",
                "amount_out",
            ],
            self.witness,
        )?;

        let bps = arith.constant(layouter.namespace(|| "10000"), Fp::from(BPS))?;
        let max_fee = arith.constant(layouter.namespace(|| "9999"), Fp::from(BPS - 1))?;
        let one = arith.constant(layouter.namespace(|| "1"), Fp::from(1))?;

        let g = arith.sub(layouter.namespace(|| "10000 - fee"), &bps, &f)?;
        let fee_slack = arith.sub(layouter.namespace(|| "9999 - fee"), &max_fee, &f)?;
        let dx_fee = arith.mul(layouter.namespace(|| "dx * g"), &dx, &g)?;
        let x_bps = arith.mul(layouter.namespace(|| "x * 10000"), &x, &bps)?;
        let denom = arith.add(layouter.namespace(|| "denom"), &x_bps, &dx_fee)?;
        let num = arith.mul(layouter.namespace(|| "y * dx_fee"), &y, &dx_fee)?;
        let q = arith.mul(layouter.namespace(|| "dy * denom"), &dy, &denom)?;
        // rem + dy·denom = y·dx_fee.
        let rem = arith.sub(layouter.namespace(|| "rem"), &num, &q)?;
        let denom_minus_rem = arith.sub(layouter.namespace(|| "denom - rem"), &denom, &rem)?;
        let rem_slack = arith.sub(
            layouter.namespace(|| "denom - rem - 1"),
            &denom_minus_rem,
            &one,
        )?;

        let x_new = arith.add(layouter.namespace(|| "x + dx"), &x, &dx)?;
        let y_new = arith.sub(layouter.namespace(|| "y - dy"), &y, &dy)?;
        let x_nonzero = arith.sub(layouter.namespace(|| "x - 1"), &x, &one)?;
        let y_nonzero = arith.sub(layouter.namespace(|| "y - 1"), &y, &one)?;

        let lhs = arith.mul(layouter.namespace(|| "denom * y'"), &denom, &y_new)?;
        let rhs = arith.mul(layouter.namespace(|| "x * 10000 * y"), &x_bps, &y)?;
        let invariant = arith.sub(layouter.namespace(|| "invariant"), &lhs, &rhs)?;

        let checks = [
            ("reserve_in", &x, VALUE_BITS),
            ("reserve_out", &y, VALUE_BITS),
            ("amount_in", &dx, VALUE_BITS),
            ("amount_out", &dy, VALUE_BITS),
            ("new_reserve_in", &x_new, VALUE_BITS),
            ("new_reserve_out", &y_new, VALUE_BITS),
            ("reserve_in - 1", &x_nonzero, VALUE_BITS),
            ("reserve_out - 1", &y_nonzero, VALUE_BITS),
            ("fee_bps", &f, FEE_BITS),
            ("9999 - fee_bps", &fee_slack, FEE_BITS),
            ("rem", &rem, REM_BITS),
            ("denom - rem - 1", &rem_slack, REM_BITS),
            ("invariant", &invariant, REM_BITS),
        ];
        for (name, cell, bits) in checks {
            range.check_bits(layouter.namespace(|| name), cell, bits)?;
        }

        // Public-input order: see the module documentation.
        for (row, cell) in [&x, &y, &dx, &dy, &x_new, &y_new, &f]
            .into_iter()
            .enumerate()
        {
            layouter.constrain_instance(cell.cell(), config.instance, row)?;
        }
        Ok(())
    }
}

impl SubCircuit for AmmSwapCircuit {
    const NAME: &'static str = "amm_swap";

    fn k(&self) -> u32 {
        K
    }

    fn public_inputs(&self) -> Vec<Vec<Fp>> {
        vec![self.public.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subcircuits::range::rows_used;
    use crate::subcircuits::range::test_support::{
        accepted, assert_k_is_minimal, assert_public_inputs_bound, assert_range_rejected,
        assert_real_proof_round_trip, run, u64_edges,
    };
    use ff::PrimeField;
    use proptest::prelude::*;

    fn swap(reserve_in: u64, reserve_out: u64, amount_in: u64, fee_bps: u16) -> AmmSwapWitness {
        AmmSwapWitness {
            reserve_in,
            reserve_out,
            amount_in,
            fee_bps,
        }
    }

    fn public_of(outcome: &AmmSwapOutcome, w: &AmmSwapWitness) -> Vec<Fp> {
        [
            w.reserve_in,
            w.reserve_out,
            w.amount_in,
            outcome.amount_out,
            outcome.new_reserve_in,
            outcome.new_reserve_out,
            u64::from(w.fee_bps),
        ]
        .map(Fp::from)
        .to_vec()
    }

    /// The quote straight from the formula, for values small enough for u128.
    fn small_quote(w: &AmmSwapWitness) -> u64 {
        let in_fee = u128::from(w.amount_in) * u128::from(BPS - u64::from(w.fee_bps));
        let denom = u128::from(w.reserve_in) * u128::from(BPS) + in_fee;
        (u128::from(w.reserve_out) * in_fee / denom) as u64
    }

    #[test]
    fn quote_matches_formula() {
        let w = swap(1_000_000, 2_000_000, 10_000, 30);
        assert_eq!(w.quote(), Ok(small_quote(&w)));
        assert_eq!(w.quote(), Ok(19_743));
        // Large values, checked against the u256 division's defining identity.
        let w = swap(u64::MAX / 3, u64::MAX, u64::MAX / 2, 1);
        let q = u128::from(w.quote().unwrap());
        let in_fee = u128::from(w.amount_in) * 9_999;
        let denom = u128::from(w.reserve_in) * 10_000 + in_fee;
        let (q2, rem) = mul_div(u128::from(w.reserve_out), in_fee, denom);
        assert_eq!(q, q2);
        assert!(rem < denom);
        // q·denom + rem = y·in_fee, compared modulo 2^128 and through the field.
        let lhs = Fp::from_u128(q) * Fp::from_u128(denom) + Fp::from_u128(rem);
        let rhs = Fp::from_u128(u128::from(w.reserve_out)) * Fp::from_u128(in_fee);
        assert_eq!(lhs, rhs);
    }

    #[test]
    fn accepts_valid_swaps() {
        let cases = [
            swap(1_000_000, 2_000_000, 10_000, 30),
            swap(1_000_000, 2_000_000, 0, 30), // zero amount in: nothing out
            swap(1_000, 1_000, 500, 0),        // no fee
            swap(1_000, 1_000, 500, 9_999),    // highest fee
            swap(1, 1, 1, 0),                  // tiny pool: rounds down to 0
            swap(1, u64::MAX, u64::MAX - 1, 0), // near-draining swap: y' stays ≥ 1
            swap(u64::MAX - 10, u64::MAX, 10, 5), // new reserve_in exactly u64::MAX
        ];
        for w in cases {
            let outcome = w.apply().expect("valid");
            let circuit = AmmSwapCircuit::new(&w).unwrap();
            assert_eq!(circuit.public_inputs(), vec![public_of(&outcome, &w)]);
            assert_eq!(
                run(&circuit, circuit.public_inputs()[0].clone()),
                Ok(()),
                "{w:?}"
            );
        }
    }

    #[test]
    fn k_is_minimal() {
        let circuit = AmmSwapCircuit::new(&swap(1_000, 1_000, 10, 30)).unwrap();
        // The advice rows the module documentation accounts for.
        assert_k_is_minimal(&circuit, 117);
    }

    #[test]
    fn rejects_amount_out_off_by_one() {
        for w in [swap(1_000_000, 2_000_000, 10_000, 30), swap(7, 3, 1_000, 0)] {
            let quote = w.quote().unwrap();
            // One more breaks the invariant (rem < 0); one less is not the floor (rem ≥ denom).
            assert_range_rejected(&AmmSwapCircuit::with_amount_out(&w, quote + 1));
            assert_range_rejected(&AmmSwapCircuit::with_amount_out(&w, quote - 1));
        }
    }

    #[test]
    fn rejects_wrong_amount_out_in_public_inputs() {
        let circuit = AmmSwapCircuit::new(&swap(1_000_000, 2_000_000, 10_000, 30)).unwrap();
        // amount_out (index 3), new_reserve_in (4), new_reserve_out (5).
        assert_public_inputs_bound(&circuit, &[3, 4, 5]);
    }

    #[test]
    fn rejects_fee_of_10000_bps_or_more() {
        for fee_bps in [10_000, 10_001, u16::MAX] {
            let w = swap(1_000, 1_000, 10, fee_bps);
            assert_eq!(w.quote(), Err(AmmError::FeeTooHigh { fee_bps }));
            // At 100% fee the honest output would be 0.
            assert_range_rejected(&AmmSwapCircuit::with_amount_out(&w, 0));
        }
    }

    #[test]
    fn rejects_empty_pool_and_reserve_overflow() {
        let w = swap(0, 1_000, 10, 30);
        assert_eq!(
            w.quote(),
            Err(AmmError::EmptyPool {
                reserve_in: 0,
                reserve_out: 1_000
            })
        );
        // With x = 0 the formula would hand out the whole reserve_out.
        assert_range_rejected(&AmmSwapCircuit::with_amount_out(&w, 1_000));
        let w = swap(1_000, 0, 10, 30);
        assert!(matches!(w.quote(), Err(AmmError::EmptyPool { .. })));
        assert_range_rejected(&AmmSwapCircuit::with_amount_out(&w, 0));

        let w = swap(u64::MAX - 5, 1_000, 10, 30);
        assert_eq!(
            w.apply(),
            Err(AmmError::ReserveOverflow {
                reserve_in: u64::MAX - 5,
                amount_in: 10
            })
        );
        assert_range_rejected(&AmmSwapCircuit::with_amount_out(&w, w.quote().unwrap()));
    }

    #[test]
    fn rejects_value_of_2_pow_64() {
        let two_64 = Fp::from(u64::MAX) + Fp::from(1);
        // reserve_in = 2^64 with zero input: every derived value is honest, only the bound fails.
        let circuit = AmmSwapCircuit::from_field([
            two_64,
            Fp::from(1_000),
            Fp::from(0),
            Fp::from(30),
            Fp::from(0),
        ]);
        assert_range_rejected(&circuit);
        // amount_in = 2^64 (its new reserve_in also leaves 64 bits).
        let circuit = AmmSwapCircuit::from_field([
            Fp::from(1),
            Fp::from(1_000),
            two_64,
            Fp::from(0),
            Fp::from(999),
        ]);
        assert_range_rejected(&circuit);
    }

    #[test]
    fn real_proof_round_trip() {
        let circuit = AmmSwapCircuit::new(&swap(1_000_000, 2_000_000, 10_000, 30)).unwrap();
        assert_real_proof_round_trip(&circuit, 3);
    }

    proptest! {
        // MockProver runs take ~0.1 s each: a handful of cases keeps the suite quick.
        #![proptest_config(ProptestConfig::with_cases(8))]

        /// The circuit accepts exactly the swaps the native check accepts, at its quote.
        #[test]
        fn native_and_circuit_agree(
            x in u64_edges(), y in u64_edges(), dx in u64_edges(), fee in prop_oneof![0u16..10_000, any::<u16>()]
        ) {
            let w = swap(x, y, dx, fee);
            match w.apply() {
                Ok(outcome) => {
                    let circuit = AmmSwapCircuit::with_amount_out(&w, outcome.amount_out);
                    prop_assert_eq!(circuit.public_inputs(), vec![public_of(&outcome, &w)]);
                    prop_assert!(accepted(&circuit));
                }
                Err(_) => {
                    // Whatever amount_out is claimed, the circuit must refuse: try the
                    // formula's value where it exists, else 0.
                    let claimed = w.quote().unwrap_or(0);
                    prop_assert!(!accepted(&AmmSwapCircuit::with_amount_out(&w, claimed)));
                }
            }
        }
    }

    /// Prints k, rows, keygen time and the median of three proving times for both arithmetic
    /// circuits. Run single-threaded:
    /// `RAYON_NUM_THREADS=1 cargo test -p circuits measure_arith -- --ignored --nocapture`.
    #[test]
    #[ignore = "measurement; prints numbers"]
    fn measure_arith_single_thread() {
        use crate::subcircuits::balance::{BalanceCircuit, BalanceWitness};
        let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into());
        println!("RAYON_NUM_THREADS={threads}");
        let balance = BalanceCircuit::new(&BalanceWitness {
            sender_balance: 1_000,
            sender_nonce: 4,
            receiver_balance: 20,
            amount: 100,
            fee: 1,
        })
        .unwrap();
        let amm = AmmSwapCircuit::new(&swap(1_000_000, 2_000_000, 10_000, 30)).unwrap();
        measure(&balance);
        measure(&amm);
    }

    fn measure<C: SubCircuit<Config = ArithCircuitConfig>>(circuit: &C) {
        use crate::proving::{keygen, prove, verify, IpaParams};
        use rand::SeedableRng;
        use std::time::Instant;
        let usage = rows_used(circuit).unwrap();
        let params = IpaParams::new(circuit.k());
        let start = Instant::now();
        let pk = keygen(&params, circuit).unwrap();
        let keygen_time = start.elapsed();
        let mut times = Vec::new();
        for seed in 0..3 {
            let rng = rand::rngs::StdRng::seed_from_u64(seed);
            let start = Instant::now();
            let proof = prove(&params, &pk, circuit, rng).unwrap();
            times.push(start.elapsed());
            verify(&params, pk.get_vk(), &proof, &circuit.public_inputs()).unwrap();
        }
        times.sort();
        println!(
            "{}: k={} rows_used={} advice_rows={} reserved={} keygen={:?} prove_median={:?} (all {:?})",
            C::NAME,
            circuit.k(),
            usage.used,
            usage.advice,
            usage.reserved,
            keygen_time,
            times[1],
            times
        );
    }
}
