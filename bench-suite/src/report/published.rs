//! The published table zkpar reproduces, loaded from `datasets/published/seed-claim.toml`.
//!
//! The file is data, not code, so that the numbers being compared against are reviewable on
//! their own and cannot drift from the source. The loader checks every field (naming the file
//! and the field when one is wrong) and that each published improvement agrees with its two
//! times to within the published rounding.
//!
//! A copy of the file is embedded in the binary ([`PublishedTable::embedded`]) so `zkpar` works
//! from any directory; [`PublishedTable::load`] reads an explicit file.

use std::path::{Path, PathBuf};

use super::error::ReportError;
use super::results::improvement_pct;

/// Path of the seed claim relative to the workspace root.
pub const SEED_CLAIM_PATH: &str = "datasets/published/seed-claim.toml";

/// The seed claim as compiled into the binary.
const EMBEDDED: &str = include_str!("../../../datasets/published/seed-claim.toml");

/// How far (in percentage points) a published improvement may sit from the one computed from
/// its two times. The table rounds to whole percent, so the true value is within 0.5 points;
/// 1.0 leaves room for the times themselves being rounded to 0.1 s.
const IMPROVEMENT_TOLERANCE_PCT: f64 = 1.0;

/// Where the published numbers come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Who published what.
    pub description: String,
    /// Whether code was published alongside the table (it was not).
    pub code_published: bool,
    /// Caveats about comparing against it.
    pub note: String,
}

/// One row of the published table.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedOp {
    /// zkpar's operation id (`transfer`, `erc20`, `defi`, `multicall`).
    pub id: String,
    /// The published "Operation Type" label, e.g. `Simple Transfer`.
    pub label: String,
    /// Published "Previous Time" in seconds.
    pub previous_s: f64,
    /// Published "New Time" in seconds.
    pub new_s: f64,
    /// Published "Improvement" in percent.
    pub improvement_pct: f64,
}

/// The whole published table, rows in published order.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedTable {
    /// Provenance.
    pub source: Source,
    /// The rows.
    pub operations: Vec<PublishedOp>,
}

/// The default location of the seed claim in a source checkout.
pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(SEED_CLAIM_PATH)
}

impl PublishedTable {
    /// Reads and validates a published-table TOML file.
    pub fn load(path: &Path) -> Result<Self, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// The seed claim compiled into the binary.
    pub fn embedded() -> Result<Self, ReportError> {
        Self::parse(EMBEDDED, Path::new(SEED_CLAIM_PATH))
    }

    /// Parses and validates TOML text; `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, ReportError> {
        let root: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ReportError::Syntax {
                path: origin.to_path_buf(),
                format: "TOML",
                detail: e.to_string().trim().to_string(),
            })?;
        let fields = Fields { origin };

        let source = fields.table(&root, "", "source")?;
        let source = Source {
            description: fields.string(source, "source.", "description")?,
            code_published: fields.boolean(source, "source.", "code_published")?,
            note: fields.string(source, "source.", "note")?,
        };

        let rows = match root.get("operation") {
            None => {
                return Err(ReportError::field(
                    origin,
                    "operation",
                    "is missing (expected `[[operation]]` tables)",
                ))
            }
            Some(toml::Value::Array(rows)) => rows,
            Some(_) => {
                return Err(ReportError::field(
                    origin,
                    "operation",
                    "must be an array of tables (`[[operation]]`)",
                ))
            }
        };
        if rows.is_empty() {
            return Err(ReportError::Invalid {
                path: origin.to_path_buf(),
                detail: "no `[[operation]]` rows".into(),
            });
        }

        let mut operations: Vec<PublishedOp> = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let prefix = format!("operation[{i}].");
            let row = row.as_table().ok_or_else(|| {
                ReportError::field(origin, format!("operation[{i}]"), "must be a table")
            })?;
            let op = PublishedOp {
                id: fields.string(row, &prefix, "id")?,
                label: fields.string(row, &prefix, "label")?,
                previous_s: fields.positive(row, &prefix, "previous_s")?,
                new_s: fields.positive(row, &prefix, "new_s")?,
                improvement_pct: fields.number(row, &prefix, "improvement_pct")?,
            };
            if operations.iter().any(|o| o.id == op.id) {
                return Err(ReportError::field(
                    origin,
                    format!("{prefix}id"),
                    format!("`{}` appears twice", op.id),
                ));
            }
            let computed = improvement_pct(op.previous_s, op.new_s);
            if (computed - op.improvement_pct).abs() > IMPROVEMENT_TOLERANCE_PCT {
                return Err(ReportError::field(
                    origin,
                    format!("{prefix}improvement_pct"),
                    format!(
                        "is {} but previous_s = {} and new_s = {} give {computed:.1}",
                        op.improvement_pct, op.previous_s, op.new_s
                    ),
                ));
            }
            operations.push(op);
        }
        Ok(PublishedTable { source, operations })
    }

    /// The row for operation `id`, if published.
    pub fn get(&self, id: &str) -> Option<&PublishedOp> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// The published label of `id`, or `id` itself for an unpublished operation.
    pub fn label(&self, id: &str) -> String {
        self.get(id)
            .map_or_else(|| id.to_string(), |o| o.label.clone())
    }

    /// The operation ids in published order.
    pub fn ids(&self) -> Vec<&str> {
        self.operations.iter().map(|o| o.id.as_str()).collect()
    }
}

/// Typed field access with errors naming the file and the dotted field path.
struct Fields<'a> {
    origin: &'a Path,
}

impl Fields<'_> {
    fn get<'t>(
        &self,
        table: &'t toml::Table,
        prefix: &str,
        key: &str,
    ) -> Result<&'t toml::Value, ReportError> {
        table
            .get(key)
            .ok_or_else(|| ReportError::field(self.origin, format!("{prefix}{key}"), "is missing"))
    }

    fn table<'t>(
        &self,
        table: &'t toml::Table,
        prefix: &str,
        key: &str,
    ) -> Result<&'t toml::Table, ReportError> {
        self.get(table, prefix, key)?.as_table().ok_or_else(|| {
            ReportError::field(self.origin, format!("{prefix}{key}"), "must be a table")
        })
    }

    fn string(&self, table: &toml::Table, prefix: &str, key: &str) -> Result<String, ReportError> {
        match self.get(table, prefix, key)?.as_str() {
            Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
            Some(_) => Err(ReportError::field(
                self.origin,
                format!("{prefix}{key}"),
                "must not be empty",
            )),
            None => Err(ReportError::field(
                self.origin,
                format!("{prefix}{key}"),
                "must be a string",
            )),
        }
    }

    fn boolean(&self, table: &toml::Table, prefix: &str, key: &str) -> Result<bool, ReportError> {
        self.get(table, prefix, key)?.as_bool().ok_or_else(|| {
            ReportError::field(
                self.origin,
                format!("{prefix}{key}"),
                "must be true or false",
            )
        })
    }

    fn number(&self, table: &toml::Table, prefix: &str, key: &str) -> Result<f64, ReportError> {
        // TOML distinguishes `39` from `39.0`; both are fine for a published figure.
        let value = match self.get(table, prefix, key)? {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            _ => {
                return Err(ReportError::field(
                    self.origin,
                    format!("{prefix}{key}"),
                    "must be a number",
                ))
            }
        };
        if !value.is_finite() {
            return Err(ReportError::field(
                self.origin,
                format!("{prefix}{key}"),
                "must be finite",
            ));
        }
        Ok(value)
    }

    fn positive(&self, table: &toml::Table, prefix: &str, key: &str) -> Result<f64, ReportError> {
        let value = self.number(table, prefix, key)?;
        if value <= 0.0 {
            return Err(ReportError::field(
                self.origin,
                format!("{prefix}{key}"),
                format!("must be a positive number of seconds (got {value})"),
            ));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_seed_claim_has_the_four_published_rows() {
        let table = PublishedTable::embedded().unwrap();
        assert_eq!(table.ids(), ["transfer", "erc20", "defi", "multicall"]);
        let defi = table.get("defi").unwrap();
        assert_eq!(defi.label, "Complex DeFi Interaction");
        assert_eq!(
            (defi.previous_s, defi.new_s, defi.improvement_pct),
            (12.8, 7.7, 40.0)
        );
        assert!(!table.source.code_published);
    }

    #[test]
    fn file_on_disk_matches_embedded_copy() {
        let on_disk = PublishedTable::load(&default_path()).unwrap();
        assert_eq!(on_disk, PublishedTable::embedded().unwrap());
    }
}
