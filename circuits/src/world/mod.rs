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
//!
//! This module holds the state, the slots and the operation-level driver ([`WorldState::execute`],
//! [`execute_block`]: one signature per operation, over a hash of every step); `step.rs` holds the
//! per-action rules (transfer, token transfer, approve, swap) each step applies.

use crate::any::{AnyCircuit, WitnessData};
use crate::kind::SubCircuitKind;
use crate::operations::{Action, Genesis, OperationSpec, OperationsFile};
use crate::Fr;
use circuits_kzg::amm_swap::AmmSwapWitness;
use circuits_kzg::balance::BalanceWitness;
use circuits_kzg::event_log::Event;
use circuits_kzg::merkle::native::{
    account_index_at, account_leaf, storage_index_at, storage_slot_key, SmtError, SparseMerkleTree,
};
use circuits_kzg::merkle::{AccountUpdateWitness, StorageUpdateWitness};
use circuits_kzg::poseidon::native::hash2;
use circuits_kzg::signature::native::{Keypair, SignedTransaction, Transaction};
use std::collections::BTreeMap;
use step::StepContext;

mod step;

/// Chain id folded into every transaction hash, so a signature cannot be replayed elsewhere.
const CHAIN_ID: u64 = 0x7a6b_7061;

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
    /// Which storage key owns each storage leaf index in use: the index is the key's low bits,
    /// so on a shallow tree two keys can land on one leaf, and that must be an error rather
    /// than two slots silently sharing a value.
    storage_keys: BTreeMap<u64, Fr>,
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
            storage_keys: BTreeMap::new(),
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
        let mut writes = Vec::new();
        for token in world.tokens.values() {
            for (&holder, &balance) in &token.balances {
                writes.push((token_slot_key(token.contract, holder), balance));
            }
        }
        for pool in world.pools.values() {
            for (slot, reserve) in [(0, pool.reserve_a), (1, pool.reserve_b)] {
                writes.push((
                    storage_slot_key(Fr::from(pool.contract), Fr::from(slot)),
                    reserve,
                ));
            }
        }
        for (key, value) in writes {
            let index = world
                .storage_index(key)
                .map_err(|message| ExecutionError::Invalid {
                    op: "genesis".into(),
                    step: 0,
                    message,
                })?;
            world.tree.update(index, Fr::from(value)).map_err(at)?;
        }
        Ok(world)
    }

    /// The leaf index of storage `key`, claimed for it: an error names both keys when another
    /// key already owns that index (the tree is too shallow for this world).
    pub(super) fn storage_index(&mut self, key: Fr) -> Result<u64, String> {
        let depth = self.tree.depth();
        let index = storage_index_at(depth, key).map_err(|e| e.to_string())?;
        match self.storage_keys.get(&index) {
            Some(owner) if *owner != key => Err(format!(
                "storage keys {owner:?} and {key:?} share leaf index {index} at tree depth {depth}: the tree is too shallow for this world"
            )),
            Some(_) => Ok(index),
            None => {
                self.storage_keys.insert(index, key);
                Ok(index)
            }
        }
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

#[cfg(test)]
mod tests;
