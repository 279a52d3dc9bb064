//! One step of an operation: the per-action rules on the world state.
//!
//! A [`StepContext`] runs one [`StepSpec`]'s action (native transfer, token transfer, approval,
//! constant-product swap) against the [`WorldState`], checking it is valid on the current state,
//! applying every change to the Merkle tree in order, and emitting a [`Slot`] for each role the
//! step asks to prove. A signed step also pays its fee and bumps the sender's nonce; its signature
//! slot is a placeholder until [`WorldState::execute`] has folded every step into the transaction.

use super::{
    address_bytes, step_sender, Account, ExecutionError, Slot, SlotInput, WorldState, CHAIN_ID,
};
use crate::operations::{Action, StepSpec};
use crate::Fr;
use circuits_kzg::amm_swap::AmmSwapWitness;
use circuits_kzg::balance::BalanceWitness;
use circuits_kzg::event_log::Event;
use circuits_kzg::merkle::native::{
    account_index_at, account_leaf, storage_slot_key, MerkleUpdateWitness, SmtError,
};
use circuits_kzg::merkle::{AccountUpdateWitness, StorageUpdateWitness};
use circuits_kzg::poseidon::native::{hash2, hash_fields};
use circuits_kzg::signature::native::Transaction;

/// Event signatures (the first topic), like Solidity's `keccak("Transfer(...)")` but as small
/// field constants: distinct is all they need to be.
const TRANSFER_EVENT: u64 = 0x5452_414e_5346_4552;
const APPROVAL_EVENT: u64 = 0x4150_5052_4f56_414c;
const SWAP_EVENT: u64 = 0x5357_4150;
/// Offset that keeps allowance slots away from balance slots (holder addresses are < 2^32).
const ALLOWANCE_SLOT_OFFSET: u64 = 1 << 32;

/// The state one step runs against, and the slots it has emitted so far.
pub(super) struct StepContext<'a> {
    /// The world the step changes.
    pub(super) world: &'a mut WorldState,
    /// The operation's label in slots (`erc20` or `erc20#3`).
    pub(super) op: &'a str,
    /// Step number (1-based).
    pub(super) step: usize,
    /// The step as read from the operations file.
    pub(super) spec: &'a StepSpec,
    /// The proved slots, in execution order.
    pub(super) out: Vec<Slot>,
}

impl StepContext<'_> {
    fn invalid(&self, message: String) -> ExecutionError {
        ExecutionError::Invalid {
            op: self.op.to_string(),
            step: self.step,
            message,
        }
    }

    fn unknown(&self, what: &'static str, name: &str) -> ExecutionError {
        ExecutionError::Unknown {
            op: self.op.to_string(),
            step: self.step,
            what,
            name: name.to_string(),
        }
    }

    fn tree(&self, source: SmtError) -> ExecutionError {
        ExecutionError::Tree {
            op: self.op.to_string(),
            step: self.step,
            source,
        }
    }

    pub(super) fn account(&self, name: &str) -> Result<&Account, ExecutionError> {
        self.world
            .accounts
            .get(name)
            .ok_or_else(|| self.unknown("account", name))
    }

    fn wants(&self, role: &str) -> bool {
        self.spec.prove.iter().any(|p| p.role == role)
    }

    fn emit(&mut self, role: &str, input: SlotInput) {
        if self.wants(role) {
            self.out.push(Slot {
                op: self.op.to_string(),
                step: self.step,
                role: role.to_string(),
                input,
            });
        }
    }

    /// Sets an account's balance and nonce, proving the leaf update as `role`.
    fn set_account(
        &mut self,
        role: &str,
        name: &str,
        balance: u64,
        nonce: u64,
    ) -> Result<(), ExecutionError> {
        let depth = self.world.tree.depth();
        let account = self.account(name)?.clone();
        let index = account_index_at(depth, account.address).map_err(|e| self.tree(e))?;
        let update = self
            .world
            .tree
            .update(index, account_leaf(balance, nonce))
            .map_err(|e| self.tree(e))?;
        let a = self.world.accounts.get_mut(name).expect("looked up above");
        a.balance = balance;
        a.nonce = nonce;
        self.emit(
            role,
            SlotInput::AccountUpdate(AccountUpdateWitness {
                update,
                old_balance: account.balance,
                old_nonce: account.nonce,
                new_balance: balance,
                new_nonce: nonce,
            }),
        );
        Ok(())
    }

    /// Writes a storage slot, proving it as `role`.
    fn set_storage(
        &mut self,
        role: &str,
        contract: u64,
        slot: Fr,
        value: u64,
    ) -> Result<(), ExecutionError> {
        let key = storage_slot_key(Fr::from(contract), slot);
        let index = self
            .world
            .storage_index(key)
            .map_err(|message| self.invalid(message))?;
        let update: MerkleUpdateWitness = self
            .world
            .tree
            .update(index, Fr::from(value))
            .map_err(|e| self.tree(e))?;
        self.emit(
            role,
            SlotInput::StorageUpdate(StorageUpdateWitness {
                update,
                contract: Fr::from(contract),
                slot_index: slot,
            }),
        );
        Ok(())
    }

    fn token_balance(&self, token: &str, holder: u64) -> Result<u64, ExecutionError> {
        let t = self
            .world
            .tokens
            .get(token)
            .ok_or_else(|| self.unknown("token", token))?;
        Ok(t.balances.get(&holder).copied().unwrap_or(0))
    }

    /// Moves `amount` of `token` from `from` to `to` in the token's storage.
    fn move_tokens(
        &mut self,
        token: &str,
        (from, from_role): (u64, &str),
        (to, to_role): (u64, &str),
        amount: u64,
    ) -> Result<(), ExecutionError> {
        let from_balance = self.token_balance(token, from)?;
        let to_balance = self.token_balance(token, to)?;
        let new_from = from_balance.checked_sub(amount).ok_or_else(|| {
            self.invalid(format!(
                "{token} balance {from_balance} of {from} cannot cover {amount}"
            ))
        })?;
        let contract = self.world.tokens[token].contract;
        let t = self.world.tokens.get_mut(token).expect("looked up above");
        t.balances.insert(from, new_from);
        let new_to = to_balance
            .checked_add(amount)
            .ok_or_else(|| self.invalid(format!("{token} balance of {to} would overflow")))?;
        self.world
            .tokens
            .get_mut(token)
            .expect("looked up above")
            .balances
            .insert(to, new_to);
        self.set_storage(from_role, contract, Fr::from(from), new_from)?;
        self.set_storage(to_role, contract, Fr::from(to), new_to)
    }

    /// Charges the signed step's fee and bumps the nonce (the `sender` account update).
    fn pay_fee(&mut self, from: &str, fee: u64) -> Result<(), ExecutionError> {
        let a = self.account(from)?.clone();
        let balance = a.balance.checked_sub(fee).ok_or_else(|| {
            self.invalid(format!(
                "{from} cannot pay the fee {fee} from balance {}",
                a.balance
            ))
        })?;
        let nonce = a
            .nonce
            .checked_add(1)
            .ok_or_else(|| self.invalid(format!("{from}'s nonce overflows")))?;
        self.set_account("sender", from, balance, nonce)
    }

    /// Runs the step's action; returns the hash of its fields (folded into the transaction hash).
    pub(super) fn run(&mut self, tx_nonce: u64) -> Result<Fr, ExecutionError> {
        if self.spec.signed {
            // A placeholder until every step is known; `execute` fills in the transaction.
            let from = step_sender(&self.spec.action);
            let secret = self.account(from)?.secret;
            let address = address_bytes(self.account(from)?.address);
            self.emit(
                "signature",
                SlotInput::Signature {
                    secret,
                    tx: Transaction {
                        from: address,
                        to: [0; 20],
                        value: 0,
                        nonce: 0,
                        chain_id: CHAIN_ID,
                        data: Fr::from(0),
                    },
                },
            );
        }
        let action = self.spec.action.clone();
        match &action {
            Action::Transfer {
                from,
                to,
                amount,
                fee,
            } => {
                let sender = self.account(from)?.clone();
                let recipient = self.account(to)?.clone();
                let witness = BalanceWitness {
                    sender_balance: sender.balance,
                    sender_nonce: tx_nonce,
                    receiver_balance: recipient.balance,
                    amount: *amount,
                    fee: *fee,
                };
                let outcome = witness.apply().map_err(|e| self.invalid(e.to_string()))?;
                let nonce = if self.spec.signed {
                    outcome.sender_nonce
                } else {
                    sender.nonce
                };
                self.set_account("sender", from, outcome.sender_balance, nonce)?;
                let recipient_balance = self.account(to)?.balance;
                let new_recipient = recipient_balance
                    .checked_add(*amount)
                    .ok_or_else(|| self.invalid(format!("{to}'s balance would overflow")))?;
                self.set_account("recipient", to, new_recipient, recipient.nonce)?;
                self.emit("balance", SlotInput::Balance(witness));
                Ok(hash_fields(&[
                    Fr::from(1),
                    Fr::from(sender.address),
                    Fr::from(recipient.address),
                    Fr::from(*amount),
                    Fr::from(*fee),
                    Fr::from(tx_nonce),
                ]))
            }
            Action::TokenTransfer {
                from,
                to,
                token,
                amount,
                fee,
            } => {
                let (from_addr, to_addr) = (self.account(from)?.address, self.account(to)?.address);
                if self.spec.signed {
                    self.pay_fee(from, *fee)?;
                }
                let witness = BalanceWitness {
                    sender_balance: self.token_balance(token, from_addr)?,
                    sender_nonce: tx_nonce,
                    receiver_balance: self.token_balance(token, to_addr)?,
                    amount: *amount,
                    fee: 0,
                };
                witness
                    .apply()
                    .map_err(|e| self.invalid(format!("{token}: {e}")))?;
                self.move_tokens(
                    token,
                    (from_addr, "from_balance"),
                    (to_addr, "to_balance"),
                    *amount,
                )?;
                self.emit("token_balance", SlotInput::Balance(witness));
                let contract = self.world.tokens[token].contract;
                self.emit(
                    "transfer_event",
                    SlotInput::EventLog(Event {
                        topics: vec![
                            Fr::from(TRANSFER_EVENT),
                            Fr::from(from_addr),
                            Fr::from(to_addr),
                        ],
                        data: vec![Fr::from(*amount), Fr::from(contract)],
                    }),
                );
                Ok(hash_fields(&[
                    Fr::from(2),
                    Fr::from(from_addr),
                    Fr::from(to_addr),
                    Fr::from(contract),
                    Fr::from(*amount),
                    Fr::from(*fee),
                ]))
            }
            Action::Approve {
                from,
                spender,
                token,
                amount,
                fee,
            } => {
                let (owner, spender_addr) =
                    (self.account(from)?.address, self.account(spender)?.address);
                if self.spec.signed {
                    self.pay_fee(from, *fee)?;
                }
                let contract = self
                    .world
                    .tokens
                    .get(token)
                    .ok_or_else(|| self.unknown("token", token))?
                    .contract;
                self.world
                    .tokens
                    .get_mut(token)
                    .expect("looked up")
                    .allowances
                    .insert((owner, spender_addr), *amount);
                let slot = hash2(
                    Fr::from(owner + ALLOWANCE_SLOT_OFFSET),
                    Fr::from(spender_addr),
                );
                self.set_storage("allowance", contract, slot, *amount)?;
                self.emit(
                    "approval_event",
                    SlotInput::EventLog(Event {
                        topics: vec![
                            Fr::from(APPROVAL_EVENT),
                            Fr::from(owner),
                            Fr::from(spender_addr),
                        ],
                        data: vec![Fr::from(*amount), Fr::from(contract)],
                    }),
                );
                Ok(hash_fields(&[
                    Fr::from(3),
                    Fr::from(owner),
                    Fr::from(spender_addr),
                    Fr::from(contract),
                    Fr::from(*amount),
                    Fr::from(*fee),
                ]))
            }
            Action::Swap {
                from,
                pool,
                token_in,
                amount_in,
                fee,
            } => {
                let trader = self.account(from)?.address;
                if self.spec.signed {
                    self.pay_fee(from, *fee)?;
                }
                let p = self
                    .world
                    .pools
                    .get(pool)
                    .ok_or_else(|| self.unknown("pool", pool))?
                    .clone();
                let (a_to_b, token_out) = if *token_in == p.token_a {
                    (true, p.token_b.clone())
                } else if *token_in == p.token_b {
                    (false, p.token_a.clone())
                } else {
                    return Err(self.invalid(format!("pool {pool} does not trade {token_in}")));
                };
                let (reserve_in, reserve_out) = if a_to_b {
                    (p.reserve_a, p.reserve_b)
                } else {
                    (p.reserve_b, p.reserve_a)
                };
                let swap = AmmSwapWitness {
                    reserve_in,
                    reserve_out,
                    amount_in: *amount_in,
                    fee_bps: p.fee_bps,
                };
                let outcome = swap
                    .apply()
                    .map_err(|e| self.invalid(format!("{pool}: {e}")))?;
                let amount_out = outcome.amount_out;
                let input = BalanceWitness {
                    sender_balance: self.token_balance(token_in, trader)?,
                    sender_nonce: tx_nonce,
                    receiver_balance: self.token_balance(token_in, p.contract)?,
                    amount: *amount_in,
                    fee: 0,
                };
                input
                    .apply()
                    .map_err(|e| self.invalid(format!("{token_in}: {e}")))?;
                self.emit("input_balance", SlotInput::Balance(input));
                self.move_tokens(
                    token_in,
                    (trader, "user_in"),
                    (p.contract, "pool_in"),
                    *amount_in,
                )?;
                self.move_tokens(
                    &token_out,
                    (p.contract, "pool_out"),
                    (trader, "user_out"),
                    amount_out,
                )?;
                let (new_in, new_out) = (outcome.new_reserve_in, outcome.new_reserve_out);
                let (slot_in, slot_out) = if a_to_b { (0u64, 1u64) } else { (1, 0) };
                self.set_storage("reserve_in", p.contract, Fr::from(slot_in), new_in)?;
                self.set_storage("reserve_out", p.contract, Fr::from(slot_out), new_out)?;
                let pm = self.world.pools.get_mut(pool).expect("looked up");
                if a_to_b {
                    (pm.reserve_a, pm.reserve_b) = (new_in, new_out);
                } else {
                    (pm.reserve_b, pm.reserve_a) = (new_in, new_out);
                }
                self.emit("swap", SlotInput::AmmSwap(swap));
                self.emit(
                    "swap_event",
                    SlotInput::EventLog(Event {
                        topics: vec![Fr::from(SWAP_EVENT), Fr::from(p.contract), Fr::from(trader)],
                        data: vec![
                            Fr::from(*amount_in),
                            Fr::from(amount_out),
                            Fr::from(new_in),
                            Fr::from(new_out),
                        ],
                    }),
                );
                Ok(hash_fields(&[
                    Fr::from(4),
                    Fr::from(trader),
                    Fr::from(p.contract),
                    Fr::from(u64::from(a_to_b)),
                    Fr::from(*amount_in),
                    Fr::from(*fee),
                ]))
            }
        }
    }
}
