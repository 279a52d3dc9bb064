//! The balance sub-circuit: a value transfer between two accounts with a fee.
//!
//! The sender pays `amount + fee` and bumps its nonce; the receiver gains `amount` (who collects
//! the fee is the surrounding operation's business). Mirrors the Pasta circuit
//! `circuits/src/subcircuits/balance.rs`.
//!
//! # Constraints
//! Arithmetic is in bn256's `Fr` (`r > 2^253`); 64-bit range checks make it integer arithmetic:
//! - the inputs `sender`, `nonce`, `receiver`, `amount`, `fee` are 64-bit;
//! - `new_sender = sender − amount − fee` is 64-bit. As integers the difference lies in
//!   `(−2^65, 2^64)`; a negative one (an overdraft) is `r − |d| > 2^252` in the field and fails
//!   the check, so an accepted proof means `sender ≥ amount + fee`;
//! - `new_receiver = receiver + amount < 2^65` cannot wrap; its check rules out overflow;
//! - `new_nonce = nonce + 1` is 64-bit, ruling out a nonce at `u64::MAX`.
//!
//! # Public inputs
//! `[sender_old, sender_new, nonce_old, nonce_new, receiver_old, receiver_new, amount, fee]`.
//!
//! # Size
//! Eight 64-bit checks of eight 8-bit limbs each, plus three additions: a few hundred cells
//! (the tests print the count); the `2^8`-row table sets `k` ([`LOOKUP_BITS`]).

use crate::harness::BaseCircuit;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::QuantumCell::Constant;
use halo2_base::{AssignedValue, Context};

/// Width of balances, amounts, fees and nonces.
pub const VALUE_BITS: usize = 64;

/// Range-check table bits: 8 divides [`VALUE_BITS`] (eight limbs, no remainder limb), and a
/// `2^8`-row table fits at `k = 9`, where a few hundred cells already fit one column; a
/// smaller table would need more limbs and still `k ≥ 9` for the cells within the budget.
pub const LOOKUP_BITS: usize = 8;

/// The native inputs of one transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BalanceWitness {
    /// Sender's balance before.
    pub sender_balance: u64,
    /// Sender's nonce before.
    pub sender_nonce: u64,
    /// Receiver's balance before.
    pub receiver_balance: u64,
    /// Value moved to the receiver.
    pub amount: u64,
    /// Fee paid by the sender on top of `amount`.
    pub fee: u64,
}

/// The state after a valid transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceOutcome {
    /// `sender_balance − amount − fee`.
    pub sender_balance: u64,
    /// `sender_nonce + 1`.
    pub sender_nonce: u64,
    /// `receiver_balance + amount`.
    pub receiver_balance: u64,
}

/// Why a transfer is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BalanceError {
    /// The sender cannot pay `amount + fee`.
    #[error("overdraft: sender balance {balance} is below amount {amount} + fee {fee}")]
    Overdraft {
        /// Sender's balance.
        balance: u64,
        /// Amount.
        amount: u64,
        /// Fee.
        fee: u64,
    },
    /// The receiver's balance would exceed `u64::MAX`.
    #[error("overflow: receiver balance {balance} + amount {amount} exceeds u64::MAX")]
    Overflow {
        /// Receiver's balance.
        balance: u64,
        /// Amount.
        amount: u64,
    },
    /// The sender's nonce is already `u64::MAX`.
    #[error("nonce overflow: sender nonce {nonce} cannot be incremented")]
    NonceOverflow {
        /// Sender's nonce.
        nonce: u64,
    },
}

impl BalanceWitness {
    /// The native transfer: the outcome the circuit proves, or why there is none.
    pub fn apply(&self) -> Result<BalanceOutcome, BalanceError> {
        let overdraft = BalanceError::Overdraft {
            balance: self.sender_balance,
            amount: self.amount,
            fee: self.fee,
        };
        let spent = self.amount.checked_add(self.fee).ok_or(overdraft)?;
        let sender_balance = self.sender_balance.checked_sub(spent).ok_or(overdraft)?;
        let receiver_balance =
            self.receiver_balance
                .checked_add(self.amount)
                .ok_or(BalanceError::Overflow {
                    balance: self.receiver_balance,
                    amount: self.amount,
                })?;
        let sender_nonce = self
            .sender_nonce
            .checked_add(1)
            .ok_or(BalanceError::NonceOverflow {
                nonce: self.sender_nonce,
            })?;
        Ok(BalanceOutcome {
            sender_balance,
            sender_nonce,
            receiver_balance,
        })
    }
}

/// The balance sub-circuit (see the module docs).
#[derive(Clone, Debug)]
pub struct BalanceCircuit {
    /// `[sender, nonce, receiver, amount, fee]`.
    inputs: [Fr; 5],
}

impl BalanceCircuit {
    /// A circuit for a valid transfer; the native rule runs first.
    pub fn new(witness: &BalanceWitness) -> Result<Self, BalanceError> {
        witness.apply()?;
        Ok(Self::unchecked(witness))
    }

    /// A circuit for any inputs, skipping the native rule: for an invalid transfer its
    /// constraints are unsatisfiable (what the tests use it for).
    pub fn unchecked(w: &BalanceWitness) -> Self {
        Self::from_field(
            [
                w.sender_balance,
                w.sender_nonce,
                w.receiver_balance,
                w.amount,
                w.fee,
            ]
            .map(Fr::from),
        )
    }

    /// A circuit over arbitrary field inputs `[sender, nonce, receiver, amount, fee]`, for
    /// testing values no `u64` holds.
    pub fn from_field(inputs: [Fr; 5]) -> Self {
        Self { inputs }
    }
}

impl BaseCircuit for BalanceCircuit {
    const NAME: &'static str = "balance";

    fn lookup_bits(&self) -> Option<usize> {
        Some(LOOKUP_BITS)
    }

    fn synthesize(&self, ctx: &mut Context<Fr>, range: &RangeChip<Fr>) -> Vec<AssignedValue<Fr>> {
        let gate = range.gate();
        let [sender, nonce, receiver, amount, fee] = self.inputs.map(|v| ctx.load_witness(v));
        let spent = gate.add(ctx, amount, fee);
        let sender_new = gate.sub(ctx, sender, spent);
        let receiver_new = gate.add(ctx, receiver, amount);
        let nonce_new = gate.add(ctx, nonce, Constant(Fr::ONE));
        let public = vec![
            sender,
            sender_new,
            nonce,
            nonce_new,
            receiver,
            receiver_new,
            amount,
            fee,
        ];
        for cell in &public {
            range.range_check(ctx, *cell, VALUE_BITS);
        }
        public
    }

    /// Computed in the field, like the circuit, so an invalid witness yields the values the
    /// constraints then reject.
    fn public_inputs(&self) -> Vec<Fr> {
        let [sender, nonce, receiver, amount, fee] = self.inputs;
        vec![
            sender,
            sender - amount - fee,
            nonce,
            nonce + Fr::ONE,
            receiver,
            receiver + amount,
            amount,
            fee,
        ]
    }
}
