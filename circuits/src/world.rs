//! The native world state and the execution of operations.
//!
//! One Poseidon sparse Merkle tree holds everything (see [`circuits_kzg::merkle::native`]): account leaves
//! `Poseidon(balance, nonce)` in the left half, contract storage slots in the right half at
//! `Poseidon(contract, slot)`. Token balances live in the token contract's storage at slot =
//! holder address; allowances at slot `Poseidon(owner + 2^32, spender)`; a pool's reserves in its
//! own storage at slots 0 and 1, and its token holdings in the token contracts like any holder.
//!
//! Executing an operation is sequential (every state change starts from the previous root) and
//! cheap: it records, per proved slot, the plain inputs of that sub-circuit ([`SlotInput`]). Turning
//! an input into a circuit with its full witness ([`SlotInput::into_circuit`]) is independent of
//! every other slot, so the prover pipeline runs those witness tasks in parallel.

use crate::any::{AnyCircuit, WitnessData};
use crate::kind::SubCircuitKind;
use crate::operations::{Action, Genesis, OperationSpec, OperationsFile, StepSpec};
use crate::Fr;
use circuits_kzg::amm_swap::AmmSwapWitness;
use circuits_kzg::balance::BalanceWitness;
use circuits_kzg::event_log::Event;
use circuits_kzg::merkle::native::{
    account_index_at, account_leaf, storage_index_at, storage_slot_key, MerkleUpdateWitness,
    SmtError, SparseMerkleTree,
};
use circuits_kzg::merkle::{AccountUpdateWitness, StorageUpdateWitness};
use circuits_kzg::poseidon::native::{hash2, hash_fields};
use circuits_kzg::signature::native::{Keypair, SignedTransaction, Transaction};
use std::collections::BTreeMap;

/// Chain id folded into every transaction hash, so a signature cannot be replayed elsewhere.
const CHAIN_ID: u64 = 0x7a6b_7061;
/// Event signatures (the first topic), like Solidity's `keccak("Transfer(...)")` but as small
/// field constants: distinct is all they need to be.
const TRANSFER_EVENT: u64 = 0x5452_414e_5346_4552;
const APPROVAL_EVENT: u64 = 0x4150_5052_4f56_414c;
const SWAP_EVENT: u64 = 0x5357_4150;
/// Offset that keeps allowance slots away from balance slots (holder addresses are < 2^32).
const ALLOWANCE_SLOT_OFFSET: u64 = 1 << 32;

/// Why an operation could not be executed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionError {
    /// A name in the step is not in the world (the loader normally catches this first).
    #[error("{op}, step {step}: unknown {what} \"{name}\"")]
    Unknown {
        /// Operation id.
        op: String,
        /// Step number (1-based).
        step: usize,
        /// Kind of thing.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The action is not valid on the current state (overdraft, overflow, empty pool...).
    #[error("{op}, step {step}: {message}")]
    Invalid {
        /// Operation id.
        op: String,
        /// Step number (1-based).
        step: usize,
        /// What went wrong.
        message: String,
    },
    /// The Merkle tree refused an index.
    #[error("{op}, step {step}: {source}")]
    Tree {
        /// Operation id.
        op: String,
        /// Step number (1-based).
        step: usize,
        /// The tree's error.
        source: SmtError,
    },
}

/// The inputs of one sub-circuit instance, recorded during execution.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum SlotInput {
    /// Sign `tx` with the signer's key (witness generation does the signing).
    Signature {
        /// The signer's secp256k1 secret key (test accounts: derived from their names).
        secret: [u8; 32],
        /// The transaction; its `data` commits to every step of the call.
        tx: Transaction,
    },
    /// An account leaf update.
    AccountUpdate(AccountUpdateWitness),
    /// A storage slot update.
    StorageUpdate(StorageUpdateWitness),
    /// Balance and nonce arithmetic.
    Balance(BalanceWitness),
    /// A constant-product swap.
    AmmSwap(AmmSwapWitness),
    /// An event to hash.
    EventLog(Event),
}

impl SlotInput {
    /// The sub-circuit this input is for.
    pub fn kind(&self) -> SubCircuitKind {
        match self {
            SlotInput::Signature { .. } => SubCircuitKind::Signature,
            SlotInput::AccountUpdate(_) => SubCircuitKind::AccountUpdate,
            SlotInput::StorageUpdate(_) => SubCircuitKind::StorageUpdate,
            SlotInput::Balance(_) => SubCircuitKind::Balance,
            SlotInput::AmmSwap(_) => SubCircuitKind::AmmSwap,
            SlotInput::EventLog(_) => SubCircuitKind::EventLog,
        }
    }

    /// Witness generation: builds the circuit with every value it needs. Independent of every
    /// other slot; deterministic (the signing nonce is derived from the key and message).
    pub fn into_circuit(self) -> Result<AnyCircuit, String> {
        self.into_witness()?.into_circuit()
    }

    /// Witness generation's first half: completes the witness (signs the transaction of a
    /// signature slot; RFC 6979 nonces, so reruns sign identically).
    pub fn into_witness(self) -> Result<WitnessData, String> {
        Ok(match self {
            SlotInput::Signature { secret, tx } => {
                let keypair =
                    Keypair::from_secret(&secret).map_err(|e| format!("signature: {e}"))?;
                let signed =
                    SignedTransaction::sign(&keypair, tx).map_err(|e| format!("signature: {e}"))?;
                WitnessData::Signature(signed)
            }
            SlotInput::AccountUpdate(w) => WitnessData::AccountUpdate(w),
            SlotInput::StorageUpdate(w) => WitnessData::StorageUpdate(w),
            SlotInput::Balance(w) => WitnessData::Balance(w),
            SlotInput::AmmSwap(w) => WitnessData::AmmSwap(w),
            SlotInput::EventLog(e) => WitnessData::EventLog(e),
        })
    }
}

/// One sub-circuit instance of an executed operation.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Slot {
    /// Operation id (and position in a block, e.g. `erc20#3`).
    pub op: String,
    /// Step number (1-based).
    pub step: usize,
    /// Role within the step.
    pub role: String,
    /// Its inputs.
    pub input: SlotInput,
}

impl Slot {
    /// `op/step/role`, unique within an execution; names tasks and bundle entries.
    pub fn label(&self) -> String {
        format!("{}/{}/{}", self.op, self.step, self.role)
    }
}

/// The result of executing one operation (or a block of them).
#[derive(Clone, Debug)]
pub struct Execution {
    /// State root before.
    pub initial_root: Fr,
    /// State root after.
    pub final_root: Fr,
    /// The proved slots, in execution order (state-changing slots chain their roots in this order).
    pub slots: Vec<Slot>,
}

#[derive(Clone, Debug)]
struct Account {
    address: u64,
    balance: u64,
    nonce: u64,
    /// secp256k1 secret key, derived from the account's name (a test world, not a wallet).
    secret: [u8; 32],
}

#[derive(Clone, Debug)]
struct Token {
    contract: u64,
    balances: BTreeMap<u64, u64>,
    allowances: BTreeMap<(u64, u64), u64>,
}

#[derive(Clone, Debug)]
struct Pool {
    contract: u64,
    token_a: String,
    token_b: String,
    reserve_a: u64,
    reserve_b: u64,
    fee_bps: u16,
}

/// The world: accounts, token contracts and pools, committed to by one sparse Merkle tree.
#[derive(Clone, Debug)]
pub struct WorldState {
    tree: SparseMerkleTree,
    accounts: BTreeMap<String, Account>,
    tokens: BTreeMap<String, Token>,
    pools: BTreeMap<String, Pool>,
}

impl WorldState {
    /// Builds the genesis state (keys derived deterministically from account names).
    pub fn genesis(genesis: &Genesis) -> Result<Self, ExecutionError> {
        let at = |source| ExecutionError::Tree {
            op: "genesis".into(),
            step: 0,
            source,
        };
        let mut world = WorldState {
            tree: SparseMerkleTree::new(genesis.tree_depth).map_err(at)?,
            accounts: BTreeMap::new(),
            tokens: BTreeMap::new(),
            pools: BTreeMap::new(),
        };
        for a in &genesis.accounts {
            let secret = account_secret(&a.name);
            world.accounts.insert(
                a.name.clone(),
                Account {
                    address: a.id,
                    balance: a.balance,
                    nonce: a.nonce,
                    secret,
                },
            );
            let index = account_index_at(genesis.tree_depth, a.id).map_err(at)?;
            world
                .tree
                .update(index, account_leaf(a.balance, a.nonce))
                .map_err(at)?;
        }
        for t in &genesis.tokens {
            let mut token = Token {
                contract: t.contract,
                balances: BTreeMap::new(),
                allowances: BTreeMap::new(),
            };
            for (holder, balance) in &t.holders {
                token
                    .balances
                    .insert(world.accounts[holder].address, *balance);
            }
            world.tokens.insert(t.name.clone(), token);
        }
        for p in &genesis.pools {
            world.pools.insert(
                p.name.clone(),
                Pool {
                    contract: p.contract,
                    token_a: p.token_a.clone(),
                    token_b: p.token_b.clone(),
                    reserve_a: p.reserve_a,
                    reserve_b: p.reserve_b,
                    fee_bps: p.fee_bps,
                },
            );
            // The pool holds its reserves in the token contracts, like any holder.
            for (token, reserve) in [(&p.token_a, p.reserve_a), (&p.token_b, p.reserve_b)] {
                let t = world.tokens.get_mut(token).expect("checked by the loader");
                *t.balances.entry(p.contract).or_default() += reserve;
            }
        }
        let depth = genesis.tree_depth;
        for token in world.tokens.values() {
            for (&holder, &balance) in &token.balances {
                let index =
                    storage_index_at(depth, token_slot_key(token.contract, holder)).map_err(at)?;
                world.tree.update(index, Fr::from(balance)).map_err(at)?;
            }
        }
        for pool in world.pools.values() {
            for (slot, reserve) in [(0, pool.reserve_a), (1, pool.reserve_b)] {
                let key = storage_slot_key(Fr::from(pool.contract), Fr::from(slot));
                let index = storage_index_at(depth, key).map_err(at)?;
                world.tree.update(index, Fr::from(reserve)).map_err(at)?;
            }
        }
        Ok(world)
    }

    /// The current state root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// The address a signed step calls and the native value it sends, as a transaction's `to`
    /// and `value` (names were checked when the step ran).
    fn call_target(&self, action: &Action) -> (u64, u64) {
        match action {
            Action::Transfer { to, amount, .. } => (self.accounts[to].address, *amount),
            Action::TokenTransfer { token, .. } | Action::Approve { token, .. } => {
                (self.tokens[token].contract, 0)
            }
            Action::Swap { pool, .. } => (self.pools[pool].contract, 0),
        }
    }

    /// Executes one operation; `label` names it in slots (e.g. `erc20` or `erc20#3`).
    pub fn execute(
        &mut self,
        op: &OperationSpec,
        label: &str,
    ) -> Result<Execution, ExecutionError> {
        let initial_root = self.root();
        let mut slots = Vec::new();
        // The transaction hash folds every step, so one signature covers a whole multi-step call;
        // the signature slot is filled in once all steps are known.
        let mut tx_hash = Fr::from(CHAIN_ID);
        // (slot position, signer, call target, native value) of the signed step.
        let mut signed: Option<(usize, String, u64, u64)> = None;
        let mut tx_nonce = 0;
        for (i, step) in op.steps.iter().enumerate() {
            let mut cx = StepContext {
                world: self,
                op: label,
                step: i + 1,
                spec: step,
                out: Vec::new(),
            };
            let position = slots.len();
            if step.signed {
                tx_nonce = cx.account(step_sender(&step.action))?.nonce;
            }
            let fields = cx.run(tx_nonce)?;
            slots.extend(cx.out);
            if step.signed {
                let (to, value) = self.call_target(&step.action);
                let from = step_sender(&step.action).to_string();
                signed = Some((position, from, to, value));
            }
            tx_hash = hash2(tx_hash, fields);
        }
        if let Some((position, signer, to, value)) = signed {
            if let Some(slot) = slots
                .iter_mut()
                .skip(position)
                .find(|s| s.role == "signature")
            {
                let account = &self.accounts[&signer];
                slot.input = SlotInput::Signature {
                    secret: account.secret,
                    tx: Transaction {
                        from: address_bytes(account.address),
                        to: address_bytes(to),
                        value: u128::from(value),
                        nonce: tx_nonce,
                        chain_id: CHAIN_ID,
                        data: tx_hash,
                    },
                };
            }
        }
        Ok(Execution {
            initial_root,
            final_root: self.root(),
            slots,
        })
    }
}

/// Executes operations one after another from the genesis of `ops`, as one block.
pub fn execute_block(
    ops: &OperationsFile,
    operation_ids: &[String],
) -> Result<Execution, ExecutionError> {
    let mut world = WorldState::genesis(&ops.genesis)?;
    let initial_root = world.root();
    let mut slots = Vec::new();
    for (i, id) in operation_ids.iter().enumerate() {
        let op = ops.operation(id).map_err(|e| ExecutionError::Unknown {
            op: id.clone(),
            step: 0,
            what: "operation",
            name: e.message,
        })?;
        let label = if operation_ids.len() == 1 {
            id.clone()
        } else {
            format!("{id}#{}", i + 1)
        };
        slots.extend(world.execute(op, &label)?.slots);
    }
    Ok(Execution {
        initial_root,
        final_root: world.root(),
        slots,
    })
}

fn step_sender(action: &Action) -> &str {
    match action {
        Action::Transfer { from, .. }
        | Action::TokenTransfer { from, .. }
        | Action::Approve { from, .. }
        | Action::Swap { from, .. } => from,
    }
}

/// A test account's secp256k1 secret: Blake2b-256 of its name (below the group order with
/// overwhelming probability; `Keypair::from_secret` rejects the rest).
fn account_secret(name: &str) -> [u8; 32] {
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkpar-account\0\0\0")
        .hash(name.as_bytes());
    hash.as_bytes().try_into().expect("32 bytes")
}

/// A 64-bit account or contract address as a 20-byte big-endian Ethereum-style address.
fn address_bytes(address: u64) -> [u8; 20] {
    let mut out = [0u8; 20];
    out[12..].copy_from_slice(&address.to_be_bytes());
    out
}

fn token_slot_key(contract: u64, holder: u64) -> Fr {
    storage_slot_key(Fr::from(contract), Fr::from(holder))
}

struct StepContext<'a> {
    world: &'a mut WorldState,
    op: &'a str,
    step: usize,
    spec: &'a StepSpec,
    out: Vec<Slot>,
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

    fn account(&self, name: &str) -> Result<&Account, ExecutionError> {
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
        let index = storage_index_at(self.world.tree.depth(), key).map_err(|e| self.tree(e))?;
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
    fn run(&mut self, tx_nonce: u64) -> Result<Fr, ExecutionError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::default_operations_path;

    fn ops() -> OperationsFile {
        OperationsFile::load(default_operations_path()).unwrap()
    }

    /// Every slot builds a circuit whose public inputs have the advertised shape, and the
    /// state-changing slots chain from the initial root to the final one.
    fn check_execution(execution: &Execution) -> Vec<AnyCircuit> {
        let mut root = execution.initial_root;
        let mut circuits = Vec::new();
        for slot in &execution.slots {
            let circuit = slot
                .input
                .clone()
                .into_circuit()
                .unwrap_or_else(|e| panic!("{}: {e}", slot.label()));
            assert_eq!(circuit.kind(), slot.input.kind());
            let lens: Vec<usize> = circuit.public_inputs().iter().map(Vec::len).collect();
            let shape = AnyCircuit::shape(circuit.kind(), 32).unwrap();
            let expected: Vec<usize> = shape.public_inputs().iter().map(Vec::len).collect();
            assert_eq!(lens, expected, "{}", slot.label());
            if let Some((pre, post)) = circuit.state_transition() {
                assert_eq!(pre, root, "{} does not chain", slot.label());
                root = post;
            }
            circuits.push(circuit);
        }
        assert_eq!(root, execution.final_root);
        circuits
    }

    #[test]
    fn every_operation_executes_and_chains_its_roots() {
        let ops = ops();
        for op in &ops.operations {
            let mut world = WorldState::genesis(&ops.genesis).unwrap();
            let execution = world.execute(op, &op.id).unwrap();
            let planned: usize = op.steps.iter().map(|s| s.prove.len()).sum();
            assert_eq!(execution.slots.len(), planned, "{}", op.id);
            check_execution(&execution);
        }
    }

    #[test]
    fn one_witness_of_every_kind_satisfies_its_circuit() {
        let ops = ops();
        let mut world = WorldState::genesis(&ops.genesis).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for op in &ops.operations {
            for circuit in check_execution(&world.execute(op, &op.id).unwrap()) {
                if seen.insert(circuit.kind()) {
                    circuit
                        .mock_check()
                        .unwrap_or_else(|e| panic!("{}: {e}", circuit.kind()));
                }
            }
        }
        assert_eq!(seen.len(), SubCircuitKind::ALL.len());
    }

    #[test]
    fn a_block_chains_operations_and_signatures_differ() {
        let ops = ops();
        let ids: Vec<String> = ["transfer", "transfer", "erc20", "defi"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let execution = execute_block(&ops, &ids).unwrap();
        let circuits = check_execution(&execution);
        let msgs: Vec<Vec<Fr>> = circuits
            .iter()
            .filter(|c| c.kind() == SubCircuitKind::Signature)
            .map(|c| c.public_inputs()[0].clone())
            .collect();
        assert_eq!(msgs.len(), 4);
        assert_ne!(
            msgs[0], msgs[1],
            "the second transfer has a new nonce, so a new message"
        );
        assert!(execution.slots.iter().any(|s| s.op == "transfer#2"));
    }

    #[test]
    fn invalid_actions_are_named() {
        let mut ops = ops();
        if let Action::Transfer { amount, .. } = &mut ops.operations[0].steps[0].action {
            *amount = u64::MAX;
        }
        let mut world = WorldState::genesis(&ops.genesis).unwrap();
        let e = world
            .execute(&ops.operations[0], "transfer")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("transfer, step 1:"), "{e}");
    }
}
