//! `zkpar ops`: the operations of `operations.toml`, each expanded into the sub-circuit slots it
//! proves (one per step and role, in file order) with each sub-circuit's degree parameter `k`.
//!
//! `k` comes from the circuit itself ([`AnyCircuit::shape`] at the genesis tree depth), not from
//! the file, so the listing shows what proving will actually use. `--json` prints an array of
//! `{"op", "label", "subcircuits": [{"name", "k", "step", "role"}]}`.

use std::collections::BTreeMap;

use anyhow::Context as _;
use circuits::any::AnyCircuit;
use circuits::kind::SubCircuitKind;
use circuits::operations::{OperationsFile, SpecError};
use serde::Serialize;

use super::Outcome;
use crate::cli::OpsArgs;
use crate::data;

/// One operation's listing.
#[derive(Debug, Serialize)]
struct OpListing {
    op: String,
    label: String,
    subcircuits: Vec<SlotListing>,
}

/// One sub-circuit slot of an operation.
#[derive(Debug, Serialize)]
struct SlotListing {
    name: &'static str,
    k: u32,
    /// 1-based step in the file.
    step: usize,
    role: String,
}

/// Runs `zkpar ops`.
pub fn run(args: &OpsArgs) -> anyhow::Result<Outcome> {
    let ops = load_operations(args.data.as_deref())?;
    let listing = list(&ops)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&listing)?);
    } else {
        print!("{}", render(&ops, &listing));
    }
    Ok(Outcome::Success)
}

/// Loads `operations.toml` from the datasets folder; a bad file is an input error (exit 2).
pub(crate) fn load_operations(data: Option<&std::path::Path>) -> anyhow::Result<OperationsFile> {
    let path = data::operations_path(data)?;
    OperationsFile::load(&path).map_err(spec_error)
}

/// An operations or block file error as an input error, keeping the library's message.
pub(crate) fn spec_error(e: SpecError) -> anyhow::Error {
    data::input_error(&e.file, format!("{}: {}", e.context, e.message))
}

fn list(ops: &OperationsFile) -> anyhow::Result<Vec<OpListing>> {
    let depth = ops.genesis.tree_depth;
    let mut ks: BTreeMap<SubCircuitKind, u32> = BTreeMap::new();
    let mut k_of = |kind: SubCircuitKind| -> anyhow::Result<u32> {
        if let Some(k) = ks.get(&kind) {
            return Ok(*k);
        }
        let k = AnyCircuit::shape(kind, depth)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("building the {kind} circuit at tree depth {depth}"))?
            .layout()
            .k;
        ks.insert(kind, k);
        Ok(k)
    };
    ops.operations
        .iter()
        .map(|op| {
            let mut subcircuits = Vec::new();
            for (i, step) in op.steps.iter().enumerate() {
                for slot in &step.prove {
                    subcircuits.push(SlotListing {
                        name: slot.subcircuit.name(),
                        k: k_of(slot.subcircuit)?,
                        step: i + 1,
                        role: slot.role.clone(),
                    });
                }
            }
            Ok(OpListing {
                op: op.id.clone(),
                label: op.label.clone(),
                subcircuits,
            })
        })
        .collect()
}

fn render(ops: &OperationsFile, listing: &[OpListing]) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "{} ({} operations, tree depth {})\n",
        ops.path.display(),
        listing.len(),
        ops.genesis.tree_depth
    );
    for op in listing {
        let _ = writeln!(
            out,
            "\n{}  {}  ({} sub-circuits)",
            op.op,
            op.label,
            op.subcircuits.len()
        );
        let _ = writeln!(
            out,
            "  {:>4}  {:<18} {:<16} {:>3}",
            "step", "role", "sub-circuit", "k"
        );
        for s in &op.subcircuits {
            let _ = writeln!(
                out,
                "  {:>4}  {:<18} {:<16} {:>3}",
                s.step, s.role, s.name, s.k
            );
        }
    }
    out
}
