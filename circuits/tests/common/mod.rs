//! Shared by the integration tests: the shipped operations on a shallower tree.
#![allow(dead_code)]

use circuits::operations::{default_operations_path, OperationsFile};

/// Tree depth of the tests: every circuit and rule as shipped, but Merkle paths of 16 levels
/// instead of 32, so a Merkle sub-proof takes a fraction of the time.
pub const TEST_TREE_DEPTH: usize = 16;

/// `datasets/operations.toml` with its tree depth set to [`TEST_TREE_DEPTH`].
pub fn shallow_operations() -> OperationsFile {
    let path = default_operations_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let shallow = text.replace(
        "tree_depth = 32",
        &format!("tree_depth = {TEST_TREE_DEPTH}"),
    );
    assert_ne!(
        text, shallow,
        "operations.toml no longer says `tree_depth = 32`"
    );
    OperationsFile::parse(&path, &shallow).unwrap()
}
