//! The AMM swap sub-circuit: one trade against a constant-product pool with a fee in basis
//! points. Mirrors the Pasta circuit `circuits/src/subcircuits/amm_swap.rs`.
//!
//! # The swap
//! A trader pays `dx = amount_in` into reserve `x = reserve_in` and receives `dy = amount_out`
//! from reserve `y = reserve_out`. With `f = fee_bps < 10000` and `g = 10000 − f`,
//!
//! ```text
//! dx_fee = dx · g,   denom = x · 10000 + dx_fee,   dy = floor(y · dx_fee / denom)
//! x' = x + dx,       y' = y − dy
//! ```
//!
//! which keeps the fee-adjusted product from shrinking: `denom · y' ≥ x · 10000 · y`.
//!
//! # Constraints
//! Arithmetic is in bn256's `Fr` (`r > 2^253`); range checks make it integer arithmetic:
//! - `x, y, dx, dy, x', y'` are 64-bit (so `x + dx` does not overflow and `dy ≤ y`), and so
//!   are `x − 1`, `y − 1` (a non-empty pool, so `denom ≥ 10000 > 0`);
//! - `f` and `9999 − f` are 14-bit, so `0 ≤ f ≤ 9999` and `1 ≤ g ≤ 10000`;
//! - the division: `rem = y·dx_fee − dy·denom` and `denom − 1 − rem` are 80-bit, so
//!   `0 ≤ rem < denom` and `dy` is exactly the floor quotient;
//! - the invariant: `diff = denom·y' − (x·10000)·y` is 80-bit, hence non-negative (it equals
//!   `rem` algebraically; checked on its own as an independent guard).
//!
//! ## Why nothing wraps
//! With every input within its bound, `dx_fee < 2^78`, `x·10000 < 2^78`, `denom < 2^79`, and
//! every product (`< 2^143`) is far below `r`, so field products are integer products. A
//! negative difference of two such values is `r − |d| > 2^252` in the field, far outside the
//! 80-bit checks; 80 bits cover the honest values (`rem < denom < 2^79`).
//!
//! # Public inputs
//! `[reserve_in, reserve_out, amount_in, amount_out, new_reserve_in, new_reserve_out, fee_bps]`.

use crate::harness::BaseCircuit;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::QuantumCell::Constant;
use halo2_base::{AssignedValue, Context};

/// Basis points in one whole.
pub const BPS: u64 = 10_000;
/// Width of reserves and amounts.
pub const VALUE_BITS: usize = 64;
/// Width proving `fee_bps ≤ 9999`: the smallest power of two above 9999 is `2^14`; both
/// `fee_bps` and `9999 − fee_bps` are checked to it.
pub const FEE_BITS: usize = 14;
/// Width of the remainder, its slack below the denominator and the invariant's difference: the
/// honest values are below `denom < 2^79` (see the module docs).
pub const REM_BITS: usize = 80;
/// Range-check table bits: 8 divides 64 and 80 (whole limbs) and leaves a 6-bit last limb for
/// the fee; a `2^8`-row table fits at `k = 9`, as for the balance circuit.
pub const LOOKUP_BITS: usize = 8;

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
        /// The fee.
        fee_bps: u16,
    },
    /// A reserve is zero.
    #[error("empty pool: reserve_in {reserve_in}, reserve_out {reserve_out}")]
    EmptyPool {
        /// Reserve in.
        reserve_in: u64,
        /// Reserve out.
        reserve_out: u64,
    },
    /// `reserve_in + amount_in` exceeds `u64::MAX`.
    #[error("reserve overflow: reserve_in {reserve_in} + amount_in {amount_in} exceeds u64::MAX")]
    ReserveOverflow {
        /// Reserve in.
        reserve_in: u64,
        /// Amount in.
        amount_in: u64,
    },
}

impl AmmSwapWitness {
    /// `floor(reserve_out · in_fee / (reserve_in · 10000 + in_fee))`, `in_fee = amount_in ·
    /// (10000 − fee_bps)`, or why the pool cannot quote.
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
        // in_fee < 2^78, denom < 2^79 fit u128; the numerator (< 2^142) does not.
        let in_fee = u128::from(self.amount_in) * u128::from(BPS - u64::from(self.fee_bps));
        let denom = u128::from(self.reserve_in) * u128::from(BPS) + in_fee;
        let quotient = mul_div(u128::from(self.reserve_out), in_fee, denom);
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
            new_reserve_out: self.reserve_out - amount_out,
        })
    }
}

/// `floor(a·b / d)` for `a < 2^64`, `b < 2^78`, `0 < d < 2^127`, through a 256-bit product and
/// 256 shift-and-subtract steps; the quotient must fit `u128` (true for [`AmmSwapWitness::quote`]).
fn mul_div(a: u128, b: u128, d: u128) -> u128 {
    const HALF: u32 = 64;
    let mask = (1u128 << HALF) - 1;
    let (a_hi, a_lo, b_hi, b_lo) = (a >> HALF, a & mask, b >> HALF, b & mask);
    let (ll, lh, hl, hh) = (a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi);
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
        rem = (rem << 1) | bit;
        if rem >= d {
            rem -= d;
            quotient |= 1 << i;
        }
    }
    quotient
}

/// The AMM swap sub-circuit (see the module docs).
#[derive(Clone, Debug)]
pub struct AmmSwapCircuit {
    /// `[reserve_in, reserve_out, amount_in, fee_bps, amount_out]`.
    inputs: [Fr; 5],
}

impl AmmSwapCircuit {
    /// A circuit for a valid swap at the native quote; the native rule runs first.
    pub fn new(witness: &AmmSwapWitness) -> Result<Self, AmmError> {
        let outcome = witness.apply()?;
        Ok(Self::with_amount_out(witness, outcome.amount_out))
    }

    /// A circuit claiming `amount_out`, skipping the native rule: unless the swap is valid and
    /// `amount_out` is its quote, its constraints are unsatisfiable.
    pub fn with_amount_out(w: &AmmSwapWitness, amount_out: u64) -> Self {
        Self::from_field(
            [
                w.reserve_in,
                w.reserve_out,
                w.amount_in,
                u64::from(w.fee_bps),
                amount_out,
            ]
            .map(Fr::from),
        )
    }

    /// A circuit over arbitrary field inputs `[reserve_in, reserve_out, amount_in, fee_bps,
    /// amount_out]`.
    pub fn from_field(inputs: [Fr; 5]) -> Self {
        Self { inputs }
    }
}

impl BaseCircuit for AmmSwapCircuit {
    const NAME: &'static str = "amm_swap";

    fn lookup_bits(&self) -> Option<usize> {
        Some(LOOKUP_BITS)
    }

    fn synthesize(&self, ctx: &mut Context<Fr>, range: &RangeChip<Fr>) -> Vec<AssignedValue<Fr>> {
        let gate = range.gate();
        let [x, y, dx, f, dy] = self.inputs.map(|v| ctx.load_witness(v));
        let bps = Constant(Fr::from(BPS));
        let g = gate.sub(ctx, bps, f);
        let fee_slack = gate.sub(ctx, Constant(Fr::from(BPS - 1)), f);
        let dx_fee = gate.mul(ctx, dx, g);
        let x_bps = gate.mul(ctx, x, bps);
        let denom = gate.add(ctx, x_bps, dx_fee);
        let num = gate.mul(ctx, y, dx_fee);
        // rem = num − dy·denom.
        let rem = gate.sub_mul(ctx, num, dy, denom);
        let denom_minus_1 = gate.sub(ctx, denom, Constant(Fr::ONE));
        let rem_slack = gate.sub(ctx, denom_minus_1, rem);
        let x_new = gate.add(ctx, x, dx);
        let y_new = gate.sub(ctx, y, dy);
        let x_nonzero = gate.sub(ctx, x, Constant(Fr::ONE));
        let y_nonzero = gate.sub(ctx, y, Constant(Fr::ONE));
        let lhs = gate.mul(ctx, denom, y_new);
        let rhs = gate.mul(ctx, x_bps, y);
        let invariant = gate.sub(ctx, lhs, rhs);

        let checks = [
            (x, VALUE_BITS),
            (y, VALUE_BITS),
            (dx, VALUE_BITS),
            (dy, VALUE_BITS),
            (x_new, VALUE_BITS),
            (y_new, VALUE_BITS),
            (x_nonzero, VALUE_BITS),
            (y_nonzero, VALUE_BITS),
            (f, FEE_BITS),
            (fee_slack, FEE_BITS),
            (rem, REM_BITS),
            (rem_slack, REM_BITS),
            (invariant, REM_BITS),
        ];
        for (cell, bits) in checks {
            range.range_check(ctx, cell, bits);
        }
        vec![x, y, dx, dy, x_new, y_new, f]
    }

    /// Computed in the field, like the circuit.
    fn public_inputs(&self) -> Vec<Fr> {
        let [x, y, dx, f, dy] = self.inputs;
        vec![x, y, dx, dy, x + dx, y - dy, f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_div_matches_u128_where_it_fits_and_handles_wide_products() {
        assert_eq!(mul_div(7, 9, 4), 15);
        assert_eq!(
            mul_div(u128::from(u64::MAX), 1 << 77, 1 << 100),
            u128::from(u64::MAX) >> 23
        );
        let (a, b, d) = (u128::from(u64::MAX), (1u128 << 78) - 1, (1u128 << 79) - 3);
        // a·b/d < a since b < d.
        assert!(mul_div(a, b, d) < a);
    }
}
