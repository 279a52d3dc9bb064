//! Operation definitions, read from `datasets/operations.toml`.
//!
//! The file holds the genesis world state and the four operations; each operation is a list of
//! steps, each step one native [`Action`] plus the sub-circuit slots (`subcircuit@role`) to prove.
//! This module only parses and validates; [`crate::world`] executes the actions.
//!
//! Every error names the file, the operation (and step) and the field that is wrong, because the
//! people editing this file are tuning workloads, not reading Rust.

use crate::kind::SubCircuitKind;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

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

fn parse_genesis(g: &Fields<'_>) -> Result<Genesis, SpecError> {
    g.only(&["tree_depth", "accounts", "tokens", "pools"])?;
    let tree_depth = g.uint("tree_depth")?;
    if !(2..=64).contains(&tree_depth) {
        return Err(g.error("tree_depth", "must be between 2 and 64"));
    }
    let mut accounts = Vec::new();
    for (i, a) in g.array_of_tables("accounts")?.into_iter().enumerate() {
        let a = a.renamed(format!("genesis account {}", i + 1));
        a.only(&["name", "id", "balance", "nonce"])?;
        accounts.push(AccountSpec {
            name: a.string("name")?,
            id: a.uint("id")?,
            balance: a.uint("balance")?,
            nonce: a.uint("nonce")?,
        });
    }
    let mut tokens = Vec::new();
    for (i, t) in g.array_of_tables("tokens")?.into_iter().enumerate() {
        let t = t.renamed(format!("genesis token {}", i + 1));
        t.only(&["name", "contract", "holders"])?;
        let mut holders = Vec::new();
        for h in t.array_of_tables("holders")? {
            h.only(&["account", "balance"])?;
            holders.push((h.string("account")?, h.uint("balance")?));
        }
        tokens.push(TokenSpec {
            name: t.string("name")?,
            contract: t.uint("contract")?,
            holders,
        });
    }
    let mut pools = Vec::new();
    for (i, p) in g.array_of_tables("pools")?.into_iter().enumerate() {
        let p = p.renamed(format!("genesis pool {}", i + 1));
        p.only(&[
            "name",
            "contract",
            "token_a",
            "token_b",
            "reserve_a",
            "reserve_b",
            "fee_bps",
        ])?;
        let fee_bps = p.uint("fee_bps")?;
        if fee_bps >= 10_000 {
            return Err(p.error("fee_bps", "must be below 10000 (100%)"));
        }
        pools.push(PoolSpec {
            name: p.string("name")?,
            contract: p.uint("contract")?,
            token_a: p.string("token_a")?,
            token_b: p.string("token_b")?,
            reserve_a: p.uint("reserve_a")?,
            reserve_b: p.uint("reserve_b")?,
            fee_bps: fee_bps as u16,
        });
    }
    Ok(Genesis {
        tree_depth: tree_depth as usize,
        accounts,
        tokens,
        pools,
    })
}

fn parse_operation(op: &Fields<'_>, index: usize) -> Result<OperationSpec, SpecError> {
    let id = op.string("id").map_err(|e| SpecError {
        context: format!("operation {}, field \"id\"", index + 1),
        ..e
    })?;
    let op = op.renamed(format!("operation \"{id}\""));
    op.only(&["id", "label", "description", "step"])?;
    let label = op.string("label")?;
    let description = op.string("description")?;
    let mut steps = Vec::new();
    for (i, step) in op.array_of_tables("step")?.into_iter().enumerate() {
        let step = step.renamed(format!("operation \"{id}\", step {}", i + 1));
        steps.push(parse_step(&step)?);
    }
    if steps.is_empty() {
        return Err(op.error("step", "an operation needs at least one step"));
    }
    Ok(OperationSpec {
        id,
        label,
        description,
        steps,
    })
}

fn parse_step(s: &Fields<'_>) -> Result<StepSpec, SpecError> {
    let action_name = s.string("action")?;
    let signed = s.optional_bool("signed")?.unwrap_or(true);
    let fee = |s: &Fields<'_>| -> Result<u64, SpecError> {
        if signed {
            s.uint("fee")
        } else if s.table.contains_key("fee") {
            Err(s.error("fee", "only the signed step of a transaction pays a fee"))
        } else {
            Ok(0)
        }
    };
    let action = match action_name.as_str() {
        "transfer" => {
            s.only(&["action", "signed", "prove", "from", "to", "amount", "fee"])?;
            Action::Transfer {
                from: s.string("from")?,
                to: s.string("to")?,
                amount: s.uint("amount")?,
                fee: fee(s)?,
            }
        }
        "token_transfer" => {
            s.only(&[
                "action", "signed", "prove", "from", "to", "token", "amount", "fee",
            ])?;
            Action::TokenTransfer {
                from: s.string("from")?,
                to: s.string("to")?,
                token: s.string("token")?,
                amount: s.uint("amount")?,
                fee: fee(s)?,
            }
        }
        "approve" => {
            s.only(&[
                "action", "signed", "prove", "from", "spender", "token", "amount", "fee",
            ])?;
            Action::Approve {
                from: s.string("from")?,
                spender: s.string("spender")?,
                token: s.string("token")?,
                amount: s.uint("amount")?,
                fee: fee(s)?,
            }
        }
        "swap" => {
            s.only(&[
                "action",
                "signed",
                "prove",
                "from",
                "pool",
                "token_in",
                "amount_in",
                "fee",
            ])?;
            Action::Swap {
                from: s.string("from")?,
                pool: s.string("pool")?,
                token_in: s.string("token_in")?,
                amount_in: s.uint("amount_in")?,
                fee: fee(s)?,
            }
        }
        other => {
            return Err(s.error(
                "action",
                &format!(
                    "unknown action \"{other}\" (known: transfer, token_transfer, approve, swap)"
                ),
            ))
        }
    };
    let mut prove = Vec::new();
    for entry in s.strings("prove")? {
        let (kind, role_name) = entry.split_once('@').ok_or_else(|| {
            s.error(
                "prove",
                &format!("entry \"{entry}\" is not of the form subcircuit@role"),
            )
        })?;
        let subcircuit: SubCircuitKind = kind
            .parse()
            .map_err(|e: crate::kind::UnknownSubCircuit| s.error("prove", &e.to_string()))?;
        let info = action
            .roles()
            .iter()
            .find(|r| r.role == role_name)
            .ok_or_else(|| {
                s.error(
                    "prove",
                    &format!(
                        "action \"{}\" has no role \"{role_name}\" (roles: {})",
                        action.name(),
                        action
                            .roles()
                            .iter()
                            .map(|r| r.role)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        if info.subcircuit != subcircuit {
            return Err(s.error(
                "prove",
                &format!(
                    "role \"{role_name}\" is proved by {}, not {subcircuit}",
                    info.subcircuit
                ),
            ));
        }
        if info.signed_only && !signed {
            return Err(s.error(
                "prove",
                &format!("role \"{role_name}\" exists only in a signed step (this one has signed = false)"),
            ));
        }
        if prove.iter().any(|p: &ProveSlot| p.role == role_name) {
            return Err(s.error("prove", &format!("role \"{role_name}\" listed twice")));
        }
        prove.push(ProveSlot {
            subcircuit,
            role: role_name.to_string(),
        });
    }
    for info in action.roles() {
        let exists = signed || !info.signed_only;
        if info.changes_state && exists && !prove.iter().any(|p| p.role == info.role) {
            return Err(s.error(
                "prove",
                &format!(
                    "missing \"{}@{}\": it changes the state root, so leaving it out would break the root chain",
                    info.subcircuit, info.role
                ),
            ));
        }
    }
    Ok(StepSpec {
        action,
        signed,
        prove,
    })
}

/// A table with its place in the file, for error messages.
struct Fields<'a> {
    file: &'a Path,
    context: String,
    table: &'a Table,
}

impl<'a> Fields<'a> {
    fn new(file: &'a Path, context: String, table: &'a Table) -> Self {
        Fields {
            file,
            context,
            table,
        }
    }

    fn renamed(&self, context: String) -> Fields<'a> {
        Fields {
            file: self.file,
            context,
            table: self.table,
        }
    }

    fn error_at(&self, context: String, message: &str) -> SpecError {
        SpecError {
            file: self.file.to_path_buf(),
            context,
            message: message.to_string(),
        }
    }

    fn error(&self, field: &str, message: &str) -> SpecError {
        self.error_at(format!("{}, field \"{field}\"", self.context), message)
    }

    fn get(&self, field: &str) -> Result<&'a Value, SpecError> {
        self.table
            .get(field)
            .ok_or_else(|| self.error(field, "missing field"))
    }

    fn only(&self, allowed: &[&str]) -> Result<(), SpecError> {
        match self.table.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(self.error(
                k,
                &format!("unknown field (allowed: {})", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn string(&self, field: &str) -> Result<String, SpecError> {
        match self.get(field)? {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            Value::String(_) => Err(self.error(field, "must not be empty")),
            other => Err(self.error(
                field,
                &format!("expected a string, found {}", other.type_str()),
            )),
        }
    }

    fn uint(&self, field: &str) -> Result<u64, SpecError> {
        match self.get(field)? {
            Value::Integer(i) if *i >= 0 => Ok(*i as u64),
            Value::Integer(i) => {
                Err(self.error(field, &format!("must not be negative (found {i})")))
            }
            other => Err(self.error(
                field,
                &format!(
                    "expected a non-negative integer, found {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn optional_bool(&self, field: &str) -> Result<Option<bool>, SpecError> {
        match self.table.get(field) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(other) => Err(self.error(
                field,
                &format!("expected true or false, found {}", other.type_str()),
            )),
        }
    }

    fn strings(&self, field: &str) -> Result<Vec<String>, SpecError> {
        match self.get(field)? {
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.error(
                        field,
                        &format!("expected a list of strings, found {}", other.type_str()),
                    )),
                })
                .collect(),
            other => Err(self.error(
                field,
                &format!("expected a list, found {}", other.type_str()),
            )),
        }
    }

    fn table(&self, field: &str) -> Result<Fields<'a>, SpecError> {
        match self.get(field)? {
            Value::Table(t) => Ok(Fields::new(self.file, format!("[{field}]"), t)),
            other => Err(self.error(
                field,
                &format!("expected a table, found {}", other.type_str()),
            )),
        }
    }

    fn array_of_tables(&self, field: &str) -> Result<Vec<Fields<'a>>, SpecError> {
        match self.get(field)? {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Table(t) => Ok(Fields::new(
                        self.file,
                        format!("{}, {field} entry {}", self.context, i + 1),
                        t,
                    )),
                    other => Err(self.error(
                        field,
                        &format!(
                            "entry {} should be a table, found {}",
                            i + 1,
                            other.type_str()
                        ),
                    )),
                })
                .collect(),
            other => Err(self.error(
                field,
                &format!("expected a list of tables, found {}", other.type_str()),
            )),
        }
    }
}

/// The workspace's default operations file, found from this crate's manifest directory.
pub fn default_operations_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DEFAULT_OPERATIONS_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> String {
        std::fs::read_to_string(default_operations_path()).expect("datasets/operations.toml")
    }

    fn parse(text: &str) -> Result<OperationsFile, SpecError> {
        OperationsFile::parse(Path::new("ops.toml"), text)
    }

    #[test]
    fn shipped_file_has_the_four_operations() {
        let file = OperationsFile::load(default_operations_path()).unwrap();
        let ids: Vec<&str> = file.operations.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["transfer", "erc20", "defi", "multicall"]);
        assert_eq!(file.genesis.tree_depth, 32);
        let slots = |id: &str| {
            file.operation(id)
                .unwrap()
                .steps
                .iter()
                .map(|s| s.prove.len())
                .sum::<usize>()
        };
        assert!(slots("transfer") < slots("erc20"));
        assert!(slots("erc20") < slots("defi"));
        assert!(slots("defi") < slots("multicall"));
    }

    #[test]
    fn unknown_subcircuit_names_file_operation_and_field() {
        let text = shipped().replace("\"balance@balance\"]", "\"balanse@balance\"]");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("ops.toml: "), "{err}");
        assert!(
            err.contains("operation \"transfer\", step 1, field \"prove\""),
            "{err}"
        );
        assert!(err.contains("unknown sub-circuit `balanse`"), "{err}");
    }

    #[test]
    fn missing_field_names_file_operation_and_field() {
        let text = shipped().replacen("  amount = 25_000_000\n", "", 1);
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("operation \"erc20\", step 1, field \"amount\": missing field"),
            "{err}"
        );
    }

    #[test]
    fn missing_state_changing_role_is_rejected() {
        let text = shipped().replace(
            "\"account_update@sender\", \"account_update@recipient\", \"balance@balance\"]\n\n",
            "\"account_update@sender\", \"balance@balance\"]\n\n",
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("missing \"account_update@recipient\""),
            "{err}"
        );
    }

    #[test]
    fn wrong_subcircuit_for_role_unknown_role_and_unknown_names() {
        let err = parse(&shipped().replace(
            "\"event_log@transfer_event\"]\n\n",
            "\"balance@transfer_event\"]\n\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("proved by event_log, not balance"), "{err}");
        let err = parse(&shipped().replace("\"amm_swap@swap\"", "\"amm_swap@swop\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no role \"swop\""), "{err}");
        let err = parse(&shipped().replacen("pool = \"WETH/DAI\"", "pool = \"WETH/XYZ\"", 1))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("operation \"defi\", step 2, field \"pool\": unknown pool"),
            "{err}"
        );
        let err = parse(&shipped().replacen("action = \"swap\"", "action = \"flashloan\"", 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown action \"flashloan\""), "{err}");
    }

    #[test]
    fn syntax_errors_and_type_errors_are_reported() {
        let err = parse("[[operation]\nid=").unwrap_err();
        assert_eq!(err.context, "TOML syntax");
        let err = parse(&shipped().replacen("amount = 1_500_000", "amount = \"lots\"", 1))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("field \"amount\": expected a non-negative integer, found string"),
            "{err}"
        );
        let err = parse(&shipped().replacen("amount = 1_500_000", "amount = -3", 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("must not be negative"), "{err}");
        let err = OperationsFile::load("/nonexistent/ops.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/ops.toml: file: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn unknown_operation_lists_known_ones() {
        let file = OperationsFile::load(default_operations_path()).unwrap();
        let err = file.operation("flashloan").unwrap_err().to_string();
        assert!(
            err.contains("unknown operation (known: transfer, erc20, defi, multicall)"),
            "{err}"
        );
    }
}
