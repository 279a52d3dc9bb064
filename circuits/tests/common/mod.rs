//! Shared by the integration tests: the shipped operations on a shallower tree.
#![allow(dead_code)]

use circuits::operations::{default_operations_path, OperationsFile};

/// Tree depth of the tests: every circuit and rule as shipped, but Merkle paths of 12 levels
/// instead of 32, so a Merkle sub-proof takes a fraction of the time. 12, the quick runs' depth,
/// is where every operation and block is known to run without a storage-key collision.
pub const TEST_TREE_DEPTH: usize = 12;

/// `datasets/operations.toml` with its tree depth set to [`TEST_TREE_DEPTH`].
pub fn shallow_operations() -> OperationsFile {
    OperationsFile::load(default_operations_path())
        .and_then(|ops| ops.with_tree_depth(TEST_TREE_DEPTH))
        .unwrap()
}
