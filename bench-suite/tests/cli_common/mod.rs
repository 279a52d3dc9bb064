//! Running the built `zkpar` in the CLI tests (`cli_info.rs`, `stg_cli.rs`): the binary, its
//! output as text, and its stdout as JSON.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs the built `zkpar` with `args` in `dir`.
pub fn zkpar(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkpar"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the zkpar binary runs")
}

/// Bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout as JSON, after checking the run succeeded.
pub fn json_stdout(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(&out.stdout)))
}
