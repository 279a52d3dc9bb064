//! Reading the TOML: the field readers and the parsers of the genesis, an operation and a step.
//!
//! [`Fields`] is a TOML table together with its place in the file (`operation "erc20", step 1`),
//! so every reader's error names the file, the operation, the step and the field. A step is
//! checked against its action's roles here: each `subcircuit@role` must be a role of the action,
//! proved by the right sub-circuit, listed once, and every role that moves the state root must be
//! listed. Names of accounts, tokens and pools are checked against the genesis afterwards, once
//! the whole file is read ([`super::OperationsFile::parse`]).

use super::{
    AccountSpec, Action, Genesis, OperationSpec, PoolSpec, ProveSlot, SpecError, StepSpec,
    TokenSpec,
};
use crate::kind::SubCircuitKind;
use std::path::Path;
use toml::{Table, Value};

pub(super) fn parse_genesis(g: &Fields<'_>) -> Result<Genesis, SpecError> {
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

pub(super) fn parse_operation(op: &Fields<'_>, index: usize) -> Result<OperationSpec, SpecError> {
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
pub(super) struct Fields<'a> {
    file: &'a Path,
    context: String,
    table: &'a Table,
}

impl<'a> Fields<'a> {
    pub(super) fn new(file: &'a Path, context: String, table: &'a Table) -> Self {
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

    pub(super) fn error_at(&self, context: String, message: &str) -> SpecError {
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

    pub(super) fn only(&self, allowed: &[&str]) -> Result<(), SpecError> {
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

    pub(super) fn table(&self, field: &str) -> Result<Fields<'a>, SpecError> {
        match self.get(field)? {
            Value::Table(t) => Ok(Fields::new(self.file, format!("[{field}]"), t)),
            other => Err(self.error(
                field,
                &format!("expected a table, found {}", other.type_str()),
            )),
        }
    }

    pub(super) fn array_of_tables(&self, field: &str) -> Result<Vec<Fields<'a>>, SpecError> {
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
