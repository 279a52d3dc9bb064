//! Block workloads, read from `datasets/blocks/*.json`: a list of operation types with counts.
//!
//! A block executes its operations one after another on one world state (each starts from the
//! previous one's root); the prover pipeline then generates witnesses and proves every sub-circuit
//! of every operation in parallel.

use crate::operations::{OperationsFile, SpecError};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A block: an id and the expanded, ordered list of operation ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSpec {
    /// The file it was read from.
    pub path: PathBuf,
    /// Block id.
    pub id: String,
    /// One sentence on what the block is.
    pub description: String,
    /// Where the mix comes from.
    pub basis: String,
    /// Operation ids in execution order (counts expanded, types interleaved round-robin so the
    /// block looks like a real one rather than sorted by type).
    pub operations: Vec<String>,
}

/// The most operations a block file may ask for: far above any real block we prove, low enough that
/// a typo (an extra zero) is caught before it allocates for minutes.
pub const MAX_BLOCK_OPERATIONS: u64 = 10_000;

impl BlockSpec {
    /// Reads a block file and checks every operation id against `ops`.
    pub fn load(path: impl AsRef<Path>, ops: &OperationsFile) -> Result<Self, SpecError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| err(path, "file", format!("cannot read: {e}")))?;
        Self::parse(path, &text, ops)
    }

    /// Parses the text of a block file (`path` is used in errors).
    pub fn parse(path: &Path, text: &str, ops: &OperationsFile) -> Result<Self, SpecError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| err(path, "JSON syntax", format!("{e}")))?;
        let obj = root
            .as_object()
            .ok_or_else(|| err(path, "top level", "expected a JSON object".into()))?;
        if let Some(k) = obj
            .keys()
            .find(|k| !["id", "description", "basis", "operations"].contains(&k.as_str()))
        {
            return Err(err(
                path,
                &format!("field \"{k}\""),
                "unknown field (allowed: id, description, basis, operations)".into(),
            ));
        }
        let string = |field: &str| -> Result<String, SpecError> {
            match obj.get(field) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                Some(_) => Err(err(
                    path,
                    &format!("field \"{field}\""),
                    "expected a non-empty string".into(),
                )),
                None => Err(err(
                    path,
                    &format!("field \"{field}\""),
                    "missing field".into(),
                )),
            }
        };
        let id = string("id")?;
        let description = string("description")?;
        let basis = string("basis")?;
        let entries = match obj.get("operations") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(Value::Array(_)) => {
                return Err(err(
                    path,
                    "field \"operations\"",
                    "a block needs at least one operation".into(),
                ))
            }
            Some(_) => return Err(err(path, "field \"operations\"", "expected a list".into())),
            None => return Err(err(path, "field \"operations\"", "missing field".into())),
        };
        let mut groups: Vec<(String, u64)> = Vec::new();
        let mut total = 0u64;
        for (i, entry) in entries.iter().enumerate() {
            let at = |field: &str| format!("operations entry {}, field \"{field}\"", i + 1);
            let e = entry.as_object().ok_or_else(|| {
                err(
                    path,
                    &format!("operations entry {}", i + 1),
                    "expected an object".into(),
                )
            })?;
            if let Some(k) = e.keys().find(|k| !["op", "count"].contains(&k.as_str())) {
                return Err(err(
                    path,
                    &at(k),
                    "unknown field (allowed: op, count)".into(),
                ));
            }
            let op = match e.get("op") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(err(path, &at("op"), "expected a string".into())),
                None => return Err(err(path, &at("op"), "missing field".into())),
            };
            ops.operation(&op)
                .map_err(|e| err(path, &at("op"), e.message))?;
            let count = match e.get("count") {
                Some(Value::Number(n)) => n.as_u64().filter(|&c| c > 0).ok_or_else(|| {
                    err(
                        path,
                        &at("count"),
                        format!("expected a positive integer, found {n}"),
                    )
                })?,
                Some(_) => {
                    return Err(err(
                        path,
                        &at("count"),
                        "expected a positive integer".into(),
                    ))
                }
                None => return Err(err(path, &at("count"), "missing field".into())),
            };
            total += count;
            if total > MAX_BLOCK_OPERATIONS {
                return Err(err(
                    path,
                    &at("count"),
                    format!("the block would have more than {MAX_BLOCK_OPERATIONS} operations"),
                ));
            }
            groups.push((op, count));
        }
        let mut operations = Vec::with_capacity(total as usize);
        let mut left: Vec<u64> = groups.iter().map(|g| g.1).collect();
        while operations.len() < total as usize {
            for (g, (op, _)) in groups.iter().enumerate() {
                if left[g] > 0 {
                    left[g] -= 1;
                    operations.push(op.clone());
                }
            }
        }
        Ok(BlockSpec {
            path: path.to_path_buf(),
            id,
            description,
            basis,
            operations,
        })
    }
}

fn err(path: &Path, context: &str, message: String) -> SpecError {
    SpecError {
        file: path.to_path_buf(),
        context: context.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::default_operations_path;

    fn ops() -> OperationsFile {
        OperationsFile::load(default_operations_path()).unwrap()
    }

    fn blocks_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/blocks")
    }

    #[test]
    fn shipped_blocks_load_and_interleave() {
        let ops = ops();
        let block = BlockSpec::load(blocks_dir().join("mainnet-mix.json"), &ops).unwrap();
        assert_eq!(block.operations.len(), 12);
        assert_eq!(
            &block.operations[..4],
            ["transfer", "erc20", "defi", "multicall"]
        );
        assert_eq!(
            block.operations.iter().filter(|o| *o == "transfer").count(),
            5
        );
        for name in ["defi-heavy.json", "small.json"] {
            BlockSpec::load(blocks_dir().join(name), &ops).unwrap();
        }
    }

    #[test]
    fn malformed_blocks_are_named() {
        let ops = ops();
        let p = Path::new("b.json");
        let cases = [
            ("{", "JSON syntax"),
            ("[]", "expected a JSON object"),
            (
                r#"{"id":"x","description":"d","basis":"b"}"#,
                "field \"operations\": missing field",
            ),
            (
                r#"{"id":"x","description":"d","basis":"b","operations":[{"op":"swapz","count":1}]}"#,
                "operations entry 1, field \"op\": unknown operation",
            ),
            (
                r#"{"id":"x","description":"d","basis":"b","operations":[{"op":"defi","count":0}]}"#,
                "operations entry 1, field \"count\": expected a positive integer",
            ),
            (
                r#"{"id":"x","description":"d","basis":"b","operations":[{"op":"defi"}]}"#,
                "field \"count\": missing field",
            ),
            (
                r#"{"id":"x","description":"d","basis":"b","operations":[{"op":"defi","count":99999}]}"#,
                "more than 10000",
            ),
            (
                r#"{"id":"x","description":"d","basis":"b","extra":1,"operations":[]}"#,
                "field \"extra\": unknown field",
            ),
        ];
        for (text, want) in cases {
            let e = BlockSpec::parse(p, text, &ops).unwrap_err().to_string();
            assert!(e.starts_with("b.json: "), "{e}");
            assert!(e.contains(want), "{text} -> {e}");
        }
        let e = BlockSpec::load("/nonexistent/b.json", &ops)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read"), "{e}");
    }
}
