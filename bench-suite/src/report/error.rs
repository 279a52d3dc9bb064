//! The error type shared by the report layer (reading and writing results, the published table,
//! criterion output) and the gate.
//!
//! Every variant names the file it is about and, where there is one, the field: a user who sees
//! the message must be able to open the file and find the problem without a debugger.

use std::path::PathBuf;

/// What went wrong while reading or writing report data.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read (missing, permissions, ...).
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write `{}`", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not syntactically valid (JSON or TOML).
    #[error("`{}` is not valid {format}: {detail}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// `JSON` or `TOML`.
        format: &'static str,
        /// The parser's message (with line and column).
        detail: String,
    },
    /// A field is missing or has the wrong type or an impossible value.
    #[error("`{}`: field `{field}` {problem}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// Dotted path of the field, e.g. `operations[1].dag_s (op "erc20")`.
        field: String,
        /// What is wrong with it, e.g. `is missing` or `must be a non-negative number`.
        problem: String,
    },
    /// The file is well-formed but inconsistent (duplicate ids, no operations, ...).
    #[error("`{}`: {detail}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is inconsistent.
        detail: String,
    },
    /// No criterion measurements were found where `zkpar report` looked for them.
    #[error(
        "no criterion data for any operation under `{}` (looked for `<op>/<policy>/new/estimates.json` \
         with ops {ops}): run `cargo bench --bench operations` first",
        dir.display()
    )]
    NoCriterionData {
        /// The criterion directory searched.
        dir: PathBuf,
        /// The operation ids looked for, comma separated.
        ops: String,
    },
    /// Operations in the baseline are absent from the current results.
    #[error(
        "operation(s) {} in the baseline `{}` missing from the current results `{}`",
        ops.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", "),
        baseline.display(),
        current.display()
    )]
    MissingOperations {
        /// The operation ids.
        ops: Vec<String>,
        /// The baseline file.
        baseline: PathBuf,
        /// The current file.
        current: PathBuf,
    },
}

impl ReportError {
    /// Whether the error is caused by bad or missing input (exit code 2) rather than by the
    /// environment failing while writing output (exit code 1).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, ReportError::Write { .. })
    }

    /// Shorthand for a [`ReportError::Field`].
    pub fn field(
        path: impl Into<PathBuf>,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        ReportError::Field {
            path: path.into(),
            field: field.into(),
            problem: problem.into(),
        }
    }
}
