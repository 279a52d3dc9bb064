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

/// Tree depth of the test datasets: the shipped operations on a shallower tree, so the Merkle
/// sub-proofs (k = 17 at the shipped depth 32) take a fraction of the time. Every circuit and
/// rule is the same; only the paths are shorter. 12, the quick runs' depth, is the shallowest at
/// which every operation and block runs without a storage-key collision (a world test checks).
pub const TEST_TREE_DEPTH: usize = 12;

/// Writes `dir/datasets/`: the workspace's `operations.toml` at [`TEST_TREE_DEPTH`] and its
/// block files, so a `zkpar` run in `dir` (which reads `./datasets`) proves on the shallow tree.
pub fn shallow_datasets(dir: &Path) -> std::path::PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets");
    let data = dir.join("datasets");
    std::fs::create_dir_all(data.join("blocks")).unwrap();
    let ops = std::fs::read_to_string(shipped.join("operations.toml")).unwrap();
    let shallow = ops.replace(
        "tree_depth = 32",
        &format!("tree_depth = {TEST_TREE_DEPTH}"),
    );
    assert_ne!(
        ops, shallow,
        "operations.toml no longer says `tree_depth = 32`"
    );
    std::fs::write(data.join("operations.toml"), shallow).unwrap();
    for entry in std::fs::read_dir(shipped.join("blocks")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, data.join("blocks").join(path.file_name().unwrap())).unwrap();
    }
    data
}
