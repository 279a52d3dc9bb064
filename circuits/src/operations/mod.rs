//! Operation definitions, read from `datasets/operations.toml`.
//!
//! The file holds the genesis world state and the four operations; each operation is a list of
//! steps, each step one native [`Action`] plus the sub-circuit slots (`subcircuit@role`) to prove.
//! This module only parses and validates; [`crate::world`] executes the actions.
//!
//! Every error names the file, the operation (and step) and the field that is wrong, because the
//! people editing this file are tuning workloads, not reading Rust.
//!
//! This module holds the types, the roles each action produces and the checks across the whole
//! file (duplicate ids, names unknown to the genesis); `parse.rs` reads the TOML fields and checks
//! each step's `prove` list against its action's roles.

use crate::kind::SubCircuitKind;
use parse::{parse_genesis, parse_operation, Fields};
use std::path::{Path, PathBuf};
use toml::Table;

mod parse;

/// Where the default operations file lives, relative to the workspace root.
pub const DEFAULT_OPERATIONS_FILE: &str = "datasets/operations.toml";

/// A problem with an operations (or block) file; the message names file, operation and field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {context}: {message}")]
pub struct SpecError {
    /// The file being read.
    pub file: PathBuf,
    /// Where in the file: `operation "erc20", step 1, field "amount"`.
    pub context: String,
    /// What is wrong.
    pub message: String,
}

/// The whole operations file.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationsFile {
    /// The file it was read from.
    pub path: PathBuf,
    /// The world state every operation starts from.
    pub genesis: Genesis,
    /// The operations, in file order.
    pub operations: Vec<OperationSpec>,
    /// The file's text as read: what a task ships to a worker that has no copy of the file.
    pub source: String,
}

/// The initial world state.
#[derive(Clone, Debug, PartialEq)]
pub struct Genesis {
    /// Depth of the sparse Merkle tree shared by accounts and storage.
    pub tree_depth: usize,
    /// Externally owned accounts.
    pub accounts: Vec<AccountSpec>,
    /// Token contracts.
    pub tokens: Vec<TokenSpec>,
    /// Constant-product pools.
    pub pools: Vec<PoolSpec>,
}

/// An account at genesis.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountSpec {
    /// Name used by steps (`alice`).
    pub name: String,
    /// Account id (its leaf index in the accounts half of the tree).
    pub id: u64,
    /// Native balance.
    pub balance: u64,
    /// Nonce.
    pub nonce: u64,
}

/// A token contract at genesis.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSpec {
    /// Name used by steps (`USDC`).
    pub name: String,
    /// Contract address (a small integer, used as a field element).
    pub contract: u64,
    /// Initial holders: (account name, balance).
    pub holders: Vec<(String, u64)>,
}

/// A constant-product pool at genesis.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolSpec {
    /// Name used by steps (`USDC/WETH`).
    pub name: String,
    /// The pool's contract address; its reserves are storage slots 0 and 1.
    pub contract: u64,
    /// First token's name.
    pub token_a: String,
    /// Second token's name.
    pub token_b: String,
    /// Reserve of `token_a`.
    pub reserve_a: u64,
    /// Reserve of `token_b`.
    pub reserve_b: u64,
    /// Swap fee in basis points.
    pub fee_bps: u16,
}

/// One operation type.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationSpec {
    /// Stable id (`transfer`, `erc20`, `defi`, `multicall`).
    pub id: String,
    /// The published table's label (`Simple Transfer`).
    pub label: String,
    /// One sentence on what it does.
    pub description: String,
    /// Steps, executed in order on the world state.
    pub steps: Vec<StepSpec>,
}

/// One step of an operation.
#[derive(Clone, Debug, PartialEq)]
pub struct StepSpec {
    /// The native action.
    pub action: Action,
    /// Whether this step is the signed outer transaction (signature, nonce and fee) or an inner
    /// call of an already signed one.
    pub signed: bool,
    /// The sub-circuit slots to prove, in file order.
    pub prove: Vec<ProveSlot>,
}

/// A `subcircuit@role` entry of a step's `prove` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProveSlot {
    /// The sub-circuit that proves this role.
    pub subcircuit: SubCircuitKind,
    /// The role, as named by the action (`sender`, `from_balance`, ...).
    pub role: String,
}

/// A native action on the world state.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Native-currency transfer.
    Transfer {
        /// Sender account name.
        from: String,
        /// Recipient account name.
        to: String,
        /// Amount moved.
        amount: u64,
        /// Fee paid by the sender (signed steps only).
        fee: u64,
    },
    /// ERC-20 style token transfer.
    TokenTransfer {
        /// Sender account name.
        from: String,
        /// Recipient account name.
        to: String,
        /// Token name.
        token: String,
        /// Amount moved.
        amount: u64,
        /// Native fee paid by the sender (signed steps only).
        fee: u64,
    },
    /// ERC-20 style approval.
    Approve {
        /// Owner account name.
        from: String,
        /// Spender account name.
        spender: String,
        /// Token name.
        token: String,
        /// Allowance set.
        amount: u64,
        /// Native fee paid by the owner (signed steps only).
        fee: u64,
    },
    /// Swap through a constant-product pool.
    Swap {
        /// Trader account name.
        from: String,
        /// Pool name.
        pool: String,
        /// Token sold.
        token_in: String,
        /// Amount sold.
        amount_in: u64,
        /// Native fee paid by the trader (signed steps only).
        fee: u64,
    },
}

/// A role an action produces: its name, the sub-circuit that proves it, and whether it moves the
/// state root (such roles must be proved, or the root chain breaks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleInfo {
    /// Role name.
    pub role: &'static str,
    /// Sub-circuit proving it.
    pub subcircuit: SubCircuitKind,
    /// True when proving it is a state-root transition.
    pub changes_state: bool,
    /// True when the role exists only in signed steps.
    pub signed_only: bool,
}

const fn role(
    role: &'static str,
    subcircuit: SubCircuitKind,
    changes_state: bool,
    signed_only: bool,
) -> RoleInfo {
    RoleInfo {
        role,
        subcircuit,
        changes_state,
        signed_only,
    }
}

use SubCircuitKind::*;

const TRANSFER_ROLES: &[RoleInfo] = &[
    role("signature", Signature, false, true),
    role("sender", AccountUpdate, true, false),
    role("recipient", AccountUpdate, true, false),
    role("balance", Balance, false, false),
];
const TOKEN_TRANSFER_ROLES: &[RoleInfo] = &[
    role("signature", Signature, false, true),
    role("sender", AccountUpdate, true, true),
    role("from_balance", StorageUpdate, true, false),
    role("to_balance", StorageUpdate, true, false),
    role("token_balance", Balance, false, false),
    role("transfer_event", EventLog, false, false),
];
const APPROVE_ROLES: &[RoleInfo] = &[
    role("signature", Signature, false, true),
    role("sender", AccountUpdate, true, true),
    role("allowance", StorageUpdate, true, false),
    role("approval_event", EventLog, false, false),
];
const SWAP_ROLES: &[RoleInfo] = &[
    role("signature", Signature, false, true),
    role("sender", AccountUpdate, true, true),
    role("input_balance", Balance, false, false),
    role("user_in", StorageUpdate, true, false),
    role("pool_in", StorageUpdate, true, false),
    role("pool_out", StorageUpdate, true, false),
    role("user_out", StorageUpdate, true, false),
    role("reserve_in", StorageUpdate, true, false),
    role("reserve_out", StorageUpdate, true, false),
    role("swap", AmmSwap, false, false),
    role("swap_event", EventLog, false, false),
];

impl Action {
    /// The action's name as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Transfer { .. } => "transfer",
            Action::TokenTransfer { .. } => "token_transfer",
            Action::Approve { .. } => "approve",
            Action::Swap { .. } => "swap",
        }
    }

    /// Every role this action can produce, in execution order.
    pub fn roles(&self) -> &'static [RoleInfo] {
        match self {
            Action::Transfer { .. } => TRANSFER_ROLES,
            Action::TokenTransfer { .. } => TOKEN_TRANSFER_ROLES,
            Action::Approve { .. } => APPROVE_ROLES,
            Action::Swap { .. } => SWAP_ROLES,
        }
    }
}

impl OperationsFile {
    /// Reads and validates an operations file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SpecError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| SpecError {
            file: path.to_path_buf(),
            context: "file".into(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Parses and validates the text of an operations file (`path` is used in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self, SpecError> {
        let file = path.to_path_buf();
        let root: Table = text.parse().map_err(|e: toml::de::Error| SpecError {
            file: file.clone(),
            context: "TOML syntax".into(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let top = Fields::new(&file, "top level".into(), &root);
        top.only(&["genesis", "operation"])?;
        let genesis = parse_genesis(&top.table("genesis")?)?;
        let mut operations = Vec::new();
        for (i, op) in top.array_of_tables("operation")?.into_iter().enumerate() {
            let op = parse_operation(&op, i)?;
            if operations.iter().any(|o: &OperationSpec| o.id == op.id) {
                return Err(top.error_at(
                    format!("operation \"{}\", field \"id\"", op.id),
                    "duplicate operation id",
                ));
            }
            operations.push(op);
        }
        let parsed = OperationsFile {
            source: text.to_string(),
            path: file,
            genesis,
            operations,
        };
        parsed.check_names()?;
        Ok(parsed)
    }

    /// The same operations on a tree of another depth (quick runs and tests: every circuit and
    /// rule is the same, the Merkle paths shorter). Proving jobs carry the depth, so a job built
    /// from the result executes at that depth wherever it runs.
    pub fn with_tree_depth(mut self, depth: usize) -> Result<Self, SpecError> {
        if !(2..=64).contains(&depth) {
            return Err(SpecError {
                file: self.path.clone(),
                context: "genesis, field \"tree_depth\"".into(),
                message: format!("tree depth {depth} must be between 2 and 64"),
            });
        }
        self.genesis.tree_depth = depth;
        Ok(self)
    }

    /// The operation with this id, or an error listing the known ids.
    pub fn operation(&self, id: &str) -> Result<&OperationSpec, SpecError> {
        self.operations
            .iter()
            .find(|op| op.id == id)
            .ok_or_else(|| SpecError {
                file: self.path.clone(),
                context: format!("operation \"{id}\""),
                message: format!(
                    "unknown operation (known: {})",
                    self.operations
                        .iter()
                        .map(|o| o.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// Every account, token and pool a step names must exist in the genesis.
    fn check_names(&self) -> Result<(), SpecError> {
        let g = &self.genesis;
        let account = |n: &str| g.accounts.iter().any(|a| a.name == n);
        let token = |n: &str| g.tokens.iter().any(|t| t.name == n);
        let pool = |n: &str| g.pools.iter().any(|p| p.name == n);
        let err =
            |op: &OperationSpec, step: usize, field: &str, what: &str, name: &str| SpecError {
                file: self.path.clone(),
                context: format!(
                    "operation \"{}\", step {}, field \"{field}\"",
                    op.id,
                    step + 1
                ),
                message: format!("unknown {what} \"{name}\" (not in [genesis])"),
            };
        for t in &g.tokens {
            for (holder, _) in &t.holders {
                if !account(holder) {
                    return Err(SpecError {
                        file: self.path.clone(),
                        context: format!("genesis token \"{}\", field \"holders\"", t.name),
                        message: format!("unknown account \"{holder}\""),
                    });
                }
            }
        }
        for p in &g.pools {
            for (field, name) in [("token_a", &p.token_a), ("token_b", &p.token_b)] {
                if !token(name) {
                    return Err(SpecError {
                        file: self.path.clone(),
                        context: format!("genesis pool \"{}\", field \"{field}\"", p.name),
                        message: format!("unknown token \"{name}\""),
                    });
                }
            }
        }
        for op in &self.operations {
            for (i, step) in op.steps.iter().enumerate() {
                let accounts: Vec<(&str, &String)> = match &step.action {
                    Action::Transfer { from, to, .. } => vec![("from", from), ("to", to)],
                    Action::TokenTransfer {
                        from, to, token: t, ..
                    } => {
                        if !token(t) {
                            return Err(err(op, i, "token", "token", t));
                        }
                        vec![("from", from), ("to", to)]
                    }
                    Action::Approve {
                        from,
                        spender,
                        token: t,
                        ..
                    } => {
                        if !token(t) {
                            return Err(err(op, i, "token", "token", t));
                        }
                        vec![("from", from), ("spender", spender)]
                    }
                    Action::Swap {
                        from,
                        pool: p,
                        token_in,
                        ..
                    } => {
                        if !pool(p) {
                            return Err(err(op, i, "pool", "pool", p));
                        }
                        if !token(token_in) {
                            return Err(err(op, i, "token_in", "token", token_in));
                        }
                        vec![("from", from)]
                    }
                };
                for (field, name) in accounts {
                    if !account(name) {
                        return Err(err(op, i, field, "account", name));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The workspace's default operations file, found from this crate's manifest directory.
pub fn default_operations_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DEFAULT_OPERATIONS_FILE)
}

#[cfg(test)]
mod tests;
