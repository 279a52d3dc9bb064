//! Where the datasets live, and how commands flag bad input.
//!
//! # Finding `datasets/`
//!
//! The commands that read workloads (`ops`, `prove`, `calibrate`, `reproduce`, `scale`) need the
//! folder holding `operations.toml` and `blocks/`. [`datasets_dir`] looks, in order, at:
//!
//! 1. the `--data DIR` argument, when given (it must exist: a typo is an error, not a silent
//!    fallback to other data);
//! 2. `./datasets`, when it holds `operations.toml` — so a copied binary run next to a copied
//!    `datasets/` folder works on a machine without the source tree;
//! 3. the workspace's `datasets/`, found from this crate's manifest directory at build time — so
//!    `cargo run` works from any directory of a checkout.
//!
//! The marker is `operations.toml` rather than the folder alone because other folders are also
//! called `datasets` (the shared STG set lives in one) and would otherwise shadow the real one.
//!
//! # Input errors
//!
//! The exit code is chosen by [`crate::commands::exit_code`], which treats a
//! [`ReportError`] other than a write failure as bad input (exit 2). [`input_error`] wraps the
//! libraries' own messages (operations files, blocks, bundles, STG files) in one, so a bad file
//! reads as one line and exits 2, while environment failures keep exit 1.

use std::path::{Path, PathBuf};

use crate::report::ReportError;

/// The file whose presence marks a datasets folder.
pub const OPERATIONS_FILE_NAME: &str = "operations.toml";

/// The workspace's datasets folder, as seen from this crate's sources at build time.
pub fn workspace_datasets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("datasets")
}

/// The datasets folder to read (see the module docs for the order); errors name every folder
/// tried.
pub fn datasets_dir(arg: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = arg {
        if dir.is_dir() {
            return Ok(dir.to_path_buf());
        }
        return Err(input_error(
            dir,
            "the datasets folder given with --data does not exist or is not a folder",
        ));
    }
    let local = PathBuf::from("datasets");
    if local.join(OPERATIONS_FILE_NAME).is_file() {
        return Ok(local);
    }
    let workspace = workspace_datasets_dir();
    if workspace.join(OPERATIONS_FILE_NAME).is_file() {
        return Ok(workspace);
    }
    Err(input_error(
        &local,
        format!(
            "no datasets folder found: neither `{}` nor `{}` holds {OPERATIONS_FILE_NAME} \
             (pass --data DIR)",
            local.display(),
            workspace.display()
        ),
    ))
}

/// `operations.toml` inside the datasets folder chosen by [`datasets_dir`].
pub fn operations_path(arg: Option<&Path>) -> anyhow::Result<PathBuf> {
    Ok(datasets_dir(arg)?.join(OPERATIONS_FILE_NAME))
}

/// An error caused by the input file `path` (exit code 2), reading `` `path`: detail ``.
pub fn input_error(path: impl Into<PathBuf>, detail: impl std::fmt::Display) -> anyhow::Error {
    ReportError::Invalid {
        path: path.into(),
        detail: detail.to_string(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_folder_wins_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(datasets_dir(Some(dir.path())).unwrap(), dir.path());
        let missing = dir.path().join("nope");
        let e = datasets_dir(Some(&missing)).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        assert_eq!(crate::commands::exit_code(&e), crate::commands::EXIT_INPUT);
    }

    #[test]
    fn the_workspace_folder_is_found_without_an_argument() {
        let found = datasets_dir(None).unwrap();
        assert!(found.join(OPERATIONS_FILE_NAME).is_file(), "{found:?}");
    }
}
