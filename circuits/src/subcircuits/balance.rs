//! The balance sub-circuit: a value transfer between two accounts with a fee.
//!
//! The sender pays `amount + fee` and bumps its nonce; the receiver gains `amount` (the fee leaves
//! the two accounts; who collects it is the surrounding operation's business).
//!
//! # Constraints
//!
//! All arithmetic is in the field [`Fp`] (`p > 2^254`); range checks make it integer arithmetic:
//!
//! * the five inputs `sender`, `nonce`, `receiver`, `amount`, `fee` are 64-bit;
//! * `new_sender = sender − amount − fee` is 64-bit. As integers the difference lies in
//!   `(−2^65, 2^64)`; a negative one (an overdraft) becomes `p − |d| > 2^253` in the field and
//!   fails the 64-bit check, so an accepted proof means `sender ≥ amount + fee`;
//! * `new_receiver = receiver + amount < 2^65` cannot wrap; its 64-bit check rules out overflow;
//! * `new_nonce = nonce + 1` is 64-bit, ruling out a nonce at `u64::MAX`.
//!
//! # Public inputs
//!
//! One instance column:
//! `[sender_old, sender_new, nonce_old, nonce_new, receiver_old, receiver_new, amount, fee]`.
//!
//! # Rows
//!
//! Eight 64-bit checks fill 80 rows of the running-sum column (10 each), beside 10 rows of the
//! arithmetic columns (5 inputs, 1 constant, 4 operations); the `2^10`-row lookup table
//! dominates, so `k = 11`.

use super::range::{ArithCircuitConfig, ArithInstructions, RangeCheckInstructions};
use super::SubCircuit;
use crate::Fp;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};

/// Smallest `k` holding the circuit: the `2^10` lookup table plus halo2's blinding rows exceed
/// `2^10`, and the 80 advice rows fit alongside the table (checked by the tests via
/// [`super::range::rows_used`]).
const K: u32 = 11;

/// Width of balances, amounts, fees and nonces.
const VALUE_BITS: usize = 64;

/// The native inputs of one transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BalanceWitness {
    /// Sender's balance before the transfer.
    pub sender_balance: u64,
    /// Sender's nonce before the transfer.
    pub sender_nonce: u64,
    /// Receiver's balance before the transfer.
    pub receiver_balance: u64,
    /// Value moved to the receiver.
    pub amount: u64,
    /// Fee paid by the sender on top of `amount`.
    pub fee: u64,
}

/// The state after a valid transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceOutcome {
    /// Sender's new balance: `sender_balance − amount − fee`.
    pub sender_balance: u64,
    /// Sender's new nonce: `sender_nonce + 1`.
    pub sender_nonce: u64,
    /// Receiver's new balance: `receiver_balance + amount`.
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
        /// Requested amount.
        amount: u64,
        /// Requested fee.
        fee: u64,
    },
    /// The receiver's balance would exceed `u64::MAX`.
    #[error("overflow: receiver balance {balance} + amount {amount} exceeds u64::MAX")]
    Overflow {
        /// Receiver's balance.
        balance: u64,
        /// Requested amount.
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

/// The balance sub-circuit (see the [module documentation](self)).
#[derive(Clone, Debug)]
pub struct BalanceCircuit {
    /// `[sender, nonce, receiver, amount, fee]` as field elements; unknown for a shape-only copy.
    witness: Value<[Fp; 5]>,
    /// The public inputs, computed in the field from the witness (kept by `without_witnesses`:
    /// they are public).
    public: Vec<Fp>,
}

impl BalanceCircuit {
    /// The witness-free circuit (for key generation and verification): same shape as any
    /// instance, every witness unknown.
    pub fn shape() -> Self {
        BalanceCircuit {
            witness: Value::unknown(),
            public: vec![Fp::zero(); 8],
        }
    }

    /// A circuit for a valid transfer; the native check runs first.
    pub fn new(witness: &BalanceWitness) -> Result<Self, BalanceError> {
        witness.apply()?;
        Ok(Self::unchecked(witness))
    }

    /// A circuit for any inputs, valid or not, skipping the native check. For an invalid
    /// transfer the circuit's constraints are unsatisfiable (that is what the tests use it for):
    /// no proof can be made.
    pub fn unchecked(witness: &BalanceWitness) -> Self {
        Self::from_field(
            [
                witness.sender_balance,
                witness.sender_nonce,
                witness.receiver_balance,
                witness.amount,
                witness.fee,
            ]
            .map(Fp::from),
        )
    }

    /// A circuit over arbitrary field values `[sender, nonce, receiver, amount, fee]`, for
    /// testing values no `u64` can hold.
    fn from_field(values: [Fp; 5]) -> Self {
        let [sender, nonce, receiver, amount, fee] = values;
        let public = vec![
            sender,
            sender - amount - fee,
            nonce,
            nonce + Fp::from(1),
            receiver,
            receiver + amount,
            amount,
            fee,
        ];
        BalanceCircuit {
            witness: Value::known(values),
            public,
        }
    }
}

impl Circuit<Fp> for BalanceCircuit {
    type Config = ArithCircuitConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        BalanceCircuit {
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

        let [sender, nonce, receiver, amount, fee] = arith.witness_array(
            &mut layouter,
            ["sender", "nonce", "receiver", "amount", "fee"],
            self.witness,
        )?;

        let spent = arith.add(layouter.namespace(|| "amount + fee"), &amount, &fee)?;
        let sender_new = arith.sub(layouter.namespace(|| "new sender"), &sender, &spent)?;
        let receiver_new = arith.add(layouter.namespace(|| "new receiver"), &receiver, &amount)?;
        let one = arith.constant(layouter.namespace(|| "1"), Fp::from(1))?;
        let nonce_new = arith.add(layouter.namespace(|| "new nonce"), &nonce, &one)?;

        // Public-input order: see the module documentation.
        let outputs = [
            ("sender_old", &sender),
            ("sender_new", &sender_new),
            ("nonce_old", &nonce),
            ("nonce_new", &nonce_new),
            ("receiver_old", &receiver),
            ("receiver_new", &receiver_new),
            ("amount", &amount),
            ("fee", &fee),
        ];
        for (row, (name, cell)) in outputs.into_iter().enumerate() {
            range.check_bits(layouter.namespace(|| name), cell, VALUE_BITS)?;
            layouter.constrain_instance(cell.cell(), config.instance, row)?;
        }
        Ok(())
    }
}

impl SubCircuit for BalanceCircuit {
    const NAME: &'static str = "balance";

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
    use crate::subcircuits::range::test_support::{
        accepted, assert_k_is_minimal, assert_public_inputs_bound, assert_range_rejected,
        assert_real_proof_round_trip, run, u64_edges,
    };
    use proptest::prelude::*;

    fn transfer(sender: u64, nonce: u64, receiver: u64, amount: u64, fee: u64) -> BalanceWitness {
        BalanceWitness {
            sender_balance: sender,
            sender_nonce: nonce,
            receiver_balance: receiver,
            amount,
            fee,
        }
    }

    fn public_of(outcome: &BalanceOutcome, w: &BalanceWitness) -> Vec<Fp> {
        [
            w.sender_balance,
            outcome.sender_balance,
            w.sender_nonce,
            outcome.sender_nonce,
            w.receiver_balance,
            outcome.receiver_balance,
            w.amount,
            w.fee,
        ]
        .map(Fp::from)
        .to_vec()
    }

    #[test]
    fn accepts_valid_transfers() {
        let cases = [
            transfer(1_000, 7, 50, 300, 2),
            transfer(1_000, 0, 50, 0, 0),    // zero amount and fee
            transfer(1_000, 3, 50, 990, 10), // exact full spend
            transfer(5, 9, u64::MAX, 0, 5),  // u64::MAX receiver, transfer of 0
            transfer(u64::MAX, u64::MAX - 1, 0, u64::MAX, 0), // largest values that still fit
        ];
        for w in cases {
            let outcome = w.apply().expect("valid");
            let circuit = BalanceCircuit::new(&w).unwrap();
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
        let circuit = BalanceCircuit::new(&transfer(10, 0, 0, 1, 1)).unwrap();
        // The advice rows the module documentation accounts for.
        assert_k_is_minimal(&circuit, 80);
    }

    #[test]
    fn rejects_overdraft() {
        let w = transfer(100, 0, 0, 90, 11);
        assert_eq!(
            w.apply(),
            Err(BalanceError::Overdraft {
                balance: 100,
                amount: 90,
                fee: 11
            })
        );
        assert_range_rejected(&BalanceCircuit::unchecked(&w));
        // amount + fee itself beyond u64: still an overdraft, still rejected.
        let w = transfer(u64::MAX, 0, 0, u64::MAX, 1);
        assert!(matches!(w.apply(), Err(BalanceError::Overdraft { .. })));
        assert_range_rejected(&BalanceCircuit::unchecked(&w));
    }

    #[test]
    fn rejects_receiver_overflow() {
        let w = transfer(100, 0, u64::MAX - 5, 6, 0);
        assert_eq!(
            w.apply(),
            Err(BalanceError::Overflow {
                balance: u64::MAX - 5,
                amount: 6
            })
        );
        assert_range_rejected(&BalanceCircuit::unchecked(&w));
    }

    #[test]
    fn rejects_nonce_overflow() {
        let w = transfer(100, u64::MAX, 0, 1, 1);
        assert_eq!(
            w.apply(),
            Err(BalanceError::NonceOverflow { nonce: u64::MAX })
        );
        assert_range_rejected(&BalanceCircuit::unchecked(&w));
    }

    #[test]
    fn rejects_wrong_public_inputs() {
        let circuit = BalanceCircuit::new(&transfer(1_000, 4, 20, 100, 1)).unwrap();
        // sender_new (index 1), nonce_new (3) and receiver_new (5) each off by one.
        assert_public_inputs_bound(&circuit, &[1, 3, 5]);
    }

    #[test]
    fn rejects_value_of_2_pow_64() {
        let two_64 = Fp::from(u64::MAX) + Fp::from(1);
        // A sender balance of 2^64 paying 1: the new balance 2^64 − 1 fits, the old one does not.
        let circuit = BalanceCircuit::from_field([
            two_64,
            Fp::from(0),
            Fp::from(0),
            Fp::from(1),
            Fp::from(0),
        ]);
        assert_range_rejected(&circuit);
    }

    #[test]
    fn real_proof_round_trip() {
        let circuit = BalanceCircuit::new(&transfer(1_000, 4, 20, 100, 1)).unwrap();
        assert_real_proof_round_trip(&circuit, 5);
    }

    proptest! {
        // MockProver runs take ~0.1 s each: a handful of cases keeps the suite quick.
        #![proptest_config(ProptestConfig::with_cases(8))]

        /// The circuit accepts exactly the transfers the native check accepts, with its outcome.
        #[test]
        fn native_and_circuit_agree(
            sender in u64_edges(), nonce in u64_edges(), receiver in u64_edges(), amount in u64_edges(), fee in 0u64..100
        ) {
            let w = transfer(sender, nonce, receiver, amount, fee);
            let circuit = BalanceCircuit::unchecked(&w);
            match w.apply() {
                Ok(outcome) => {
                    prop_assert_eq!(circuit.public_inputs(), vec![public_of(&outcome, &w)]);
                    prop_assert!(accepted(&circuit));
                }
                Err(_) => prop_assert!(!accepted(&circuit)),
            }
        }
    }
}
