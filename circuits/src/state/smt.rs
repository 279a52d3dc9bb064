//! A Poseidon sparse Merkle tree holding the whole world state under one root.
//!
//! # Shape
//! A complete binary tree of fixed depth `d` (default [`DEFAULT_DEPTH`] = 32) with `2^d` leaves.
//! Level 0 holds the leaves, level `d` the root; a parent is `hash2(left, right)` (see
//! [`super::poseidon`]). Bit `i` of a leaf index (least significant first) says whether the
//! node on the path at level `i` is a right child (`1`) or a left child (`0`), so the path
//! bits read bottom-up are exactly the binary digits of the index — which is what the Merkle
//! circuits constrain.
//!
//! # Sparseness
//! An empty leaf is `0`, and every all-empty subtree of height `h` hashes to a precomputed
//! `empty[h]` (`empty[0] = 0`, `empty[h+1] = hash2(empty[h], empty[h])`). Only nodes that
//! differ from the empty value of their level are stored (one `HashMap` per level), so a tree
//! of depth 32 with `n` non-empty leaves costs `O(n · d)` memory.
//!
//! # One tree, two disjoint halves
//! Accounts and contract storage share one tree so that every state-touching sub-proof chains
//! the same global root. The top path bit (bit `d-1` of the index) separates them:
//! - accounts live in the left half: index = account id, which must be `< 2^(d-1)`
//!   ([`account_index`]); the leaf is `Poseidon(balance, nonce)` ([`account_leaf`]);
//! - storage lives in the right half: the slot key is `Poseidon(contract, slot)`
//!   ([`storage_slot_key`]) and the index is `2^(d-1) | (key mod 2^(d-1))` ([`storage_index`]);
//!   the leaf is the stored value.
//!
//! Two storage slots may collide in the right half (probability about `2^-(d-1)` per pair: a
//! birthday bound of `2^15.5` slots at depth 32), exactly like any truncated-hash storage
//! layout; they can never collide with an account.

use super::poseidon::hash2;
use crate::Fp;
use ff::PrimeField;
use std::collections::HashMap;

/// Depth of the world-state tree: `2^31` account ids and `2^31` storage buckets.
pub const DEFAULT_DEPTH: usize = 32;

/// Smallest supported depth: one bit separates accounts from storage, at least one bit
/// indexes within each half.
pub const MIN_DEPTH: usize = 2;

/// Largest supported depth: leaf indices are `u64`.
pub const MAX_DEPTH: usize = 64;

/// What can go wrong when building or querying a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtError {
    /// The requested depth is not in `MIN_DEPTH..=MAX_DEPTH`.
    #[error("tree depth {depth} is not supported (must be between {MIN_DEPTH} and {MAX_DEPTH})")]
    BadDepth {
        /// The requested depth.
        depth: usize,
    },
    /// A leaf index does not fit in the tree.
    #[error("leaf index {index} is out of range for a depth-{depth} tree (must be < 2^{depth})")]
    IndexOutOfRange {
        /// The offending index.
        index: u64,
        /// The tree depth.
        depth: usize,
    },
    /// An account id does not fit in the account half of the tree.
    #[error(
        "account id {id} does not fit in the account half of a depth-{depth} tree \
         (must be < 2^{})",
        depth - 1
    )]
    AccountIdOutOfRange {
        /// The offending id.
        id: u64,
        /// The tree depth.
        depth: usize,
    },
    /// A Merkle path has the wrong number of siblings.
    #[error("Merkle path has {got} siblings, but the tree depth is {expected}")]
    PathLength {
        /// The tree depth.
        expected: usize,
        /// The number of siblings given.
        got: usize,
    },
}

/// Everything a Merkle update circuit needs to prove `old_root → new_root` by replacing one
/// leaf: the same path (index and siblings) authenticates the old leaf under the old root and
/// the new leaf under the new root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MerkleUpdateWitness {
    /// Tree depth (= number of siblings).
    pub depth: usize,
    /// Leaf index; its binary digits are the path bits.
    pub index: u64,
    /// Leaf before the update.
    #[serde(with = "crate::codec::fp")]
    pub old_leaf: Fp,
    /// Leaf after the update.
    #[serde(with = "crate::codec::fp")]
    pub new_leaf: Fp,
    /// Sibling hashes from the leaf level (index 0) up to just below the root.
    #[serde(with = "crate::codec::fp_vec")]
    pub siblings: Vec<Fp>,
    /// Root before the update.
    #[serde(with = "crate::codec::fp")]
    pub old_root: Fp,
    /// Root after the update.
    #[serde(with = "crate::codec::fp")]
    pub new_root: Fp,
}

impl MerkleUpdateWitness {
    /// Checks natively that both paths hash to the claimed roots.
    pub fn verify(&self) -> Result<(), String> {
        if self.siblings.len() != self.depth {
            return Err(SmtError::PathLength {
                expected: self.depth,
                got: self.siblings.len(),
            }
            .to_string());
        }
        let old =
            compute_root(self.index, self.old_leaf, &self.siblings).map_err(|e| e.to_string())?;
        if old != self.old_root {
            return Err(format!(
                "old leaf at index {} does not hash to the claimed old root",
                self.index
            ));
        }
        let new =
            compute_root(self.index, self.new_leaf, &self.siblings).map_err(|e| e.to_string())?;
        if new != self.new_root {
            return Err(format!(
                "new leaf at index {} does not hash to the claimed new root",
                self.index
            ));
        }
        Ok(())
    }
}

fn check_depth(depth: usize) -> Result<(), SmtError> {
    if (MIN_DEPTH..=MAX_DEPTH).contains(&depth) {
        Ok(())
    } else {
        Err(SmtError::BadDepth { depth })
    }
}

fn check_index(depth: usize, index: u64) -> Result<(), SmtError> {
    if depth >= 64 || index < (1u64 << depth) {
        Ok(())
    } else {
        Err(SmtError::IndexOutOfRange { index, depth })
    }
}

/// `empty[h]` for `h in 0..=depth`: the root of an all-empty subtree of height `h`.
///
/// # Complexity
/// `depth` hashes.
pub fn empty_hashes(depth: usize) -> Vec<Fp> {
    let mut empty = Vec::with_capacity(depth + 1);
    empty.push(Fp::zero());
    for h in 0..depth {
        empty.push(hash2(empty[h], empty[h]));
    }
    empty
}

/// Hashes `leaf` up the path given by `index` and `siblings` (bottom-up); the depth is
/// `siblings.len()`.
///
/// # Complexity
/// `siblings.len()` hashes.
pub fn compute_root(index: u64, leaf: Fp, siblings: &[Fp]) -> Result<Fp, SmtError> {
    check_index(siblings.len(), index)?;
    let mut node = leaf;
    for (level, sibling) in siblings.iter().enumerate() {
        node = if (index >> level) & 1 == 0 {
            hash2(node, *sibling)
        } else {
            hash2(*sibling, node)
        };
    }
    Ok(node)
}

/// Whether `leaf` sits at `index` under `root`, given its siblings (bottom-up). An index out of
/// range for `siblings.len()` levels is simply not a valid path.
pub fn verify_path(index: u64, leaf: Fp, siblings: &[Fp], root: Fp) -> bool {
    compute_root(index, leaf, siblings).is_ok_and(|r| r == root)
}

/// The tree index of account `id` in a tree of the default depth (the left half).
pub fn account_index(id: u64) -> Result<u64, SmtError> {
    account_index_at(DEFAULT_DEPTH, id)
}

/// The tree index of account `id` in a depth-`depth` tree: `id` itself, which must be
/// `< 2^(depth-1)` so that the top path bit is 0.
pub fn account_index_at(depth: usize, id: u64) -> Result<u64, SmtError> {
    check_depth(depth)?;
    if id < (1u64 << (depth - 1)) {
        Ok(id)
    } else {
        Err(SmtError::AccountIdOutOfRange { id, depth })
    }
}

/// The account leaf `Poseidon(balance, nonce)`.
pub fn account_leaf(balance: u64, nonce: u64) -> Fp {
    hash2(Fp::from(balance), Fp::from(nonce))
}

/// The storage slot key `Poseidon(contract, slot)`.
pub fn storage_slot_key(contract: Fp, slot: Fp) -> Fp {
    hash2(contract, slot)
}

/// The tree index of a storage slot key in a tree of the default depth (the right half).
pub fn storage_index(key: Fp) -> u64 {
    storage_index_at(DEFAULT_DEPTH, key).expect("DEFAULT_DEPTH is a supported depth")
}

/// The tree index of a storage slot key in a depth-`depth` tree: top bit 1, then the low
/// `depth - 1` bits of the key's canonical little-endian representation.
pub fn storage_index_at(depth: usize, key: Fp) -> Result<u64, SmtError> {
    check_depth(depth)?;
    let repr = key.to_repr();
    let low = u64::from_le_bytes(repr[..8].try_into().expect("8 bytes"));
    let half = 1u64 << (depth - 1);
    Ok(half | (low & (half - 1)))
}

/// A sparse Merkle tree over [`Fp`] leaves with Poseidon 2-to-1 nodes (see the module docs).
#[derive(Debug, Clone)]
pub struct SparseMerkleTree {
    depth: usize,
    /// `empty[h]`: hash of an all-empty subtree of height `h`.
    empty: Vec<Fp>,
    /// `levels[h]`: the stored (non-empty) nodes at height `h`, by position.
    levels: Vec<HashMap<u64, Fp>>,
}

impl Default for SparseMerkleTree {
    /// An empty tree of [`DEFAULT_DEPTH`].
    fn default() -> Self {
        Self::new(DEFAULT_DEPTH).expect("DEFAULT_DEPTH is a supported depth")
    }
}

impl SparseMerkleTree {
    /// An empty tree of the given depth (`MIN_DEPTH..=MAX_DEPTH`).
    pub fn new(depth: usize) -> Result<Self, SmtError> {
        check_depth(depth)?;
        Ok(Self {
            depth,
            empty: empty_hashes(depth),
            levels: vec![HashMap::new(); depth + 1],
        })
    }

    /// The tree depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The hash of an all-empty subtree of height `height` (`0..=depth`).
    pub fn empty_hash(&self, height: usize) -> Option<Fp> {
        self.empty.get(height).copied()
    }

    /// The current root.
    pub fn root(&self) -> Fp {
        self.node(self.depth, 0)
    }

    /// Number of non-empty leaves.
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether every leaf is empty.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    fn node(&self, height: usize, position: u64) -> Fp {
        self.levels[height]
            .get(&position)
            .copied()
            .unwrap_or(self.empty[height])
    }

    fn set_node(&mut self, height: usize, position: u64, value: Fp) {
        // Keep only nodes that differ from the empty subtree, so clearing a leaf frees memory.
        if value == self.empty[height] {
            self.levels[height].remove(&position);
        } else {
            self.levels[height].insert(position, value);
        }
    }

    /// The leaf at `index` (0 if never set).
    pub fn get(&self, index: u64) -> Result<Fp, SmtError> {
        check_index(self.depth, index)?;
        Ok(self.node(0, index))
    }

    /// The siblings of the path to `index`, bottom-up.
    ///
    /// # Complexity
    /// `O(depth)` map lookups.
    pub fn siblings(&self, index: u64) -> Result<Vec<Fp>, SmtError> {
        check_index(self.depth, index)?;
        Ok((0..self.depth)
            .map(|h| self.node(h, (index >> h) ^ 1))
            .collect())
    }

    /// Replaces the leaf at `index` and returns the witness of that update.
    ///
    /// # Complexity
    /// `depth` hashes and `O(depth)` map operations.
    pub fn update(&mut self, index: u64, new_leaf: Fp) -> Result<MerkleUpdateWitness, SmtError> {
        let siblings = self.siblings(index)?;
        let old_leaf = self.node(0, index);
        let old_root = self.root();
        let mut node = new_leaf;
        self.set_node(0, index, node);
        for (h, sibling) in siblings.iter().enumerate() {
            let position = index >> h;
            node = if position & 1 == 0 {
                hash2(node, *sibling)
            } else {
                hash2(*sibling, node)
            };
            self.set_node(h + 1, position >> 1, node);
        }
        Ok(MerkleUpdateWitness {
            depth: self.depth,
            index,
            old_leaf,
            new_leaf,
            siblings,
            old_root,
            new_root: node,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn naive_root(depth: usize, leaves: &[Fp]) -> Fp {
        assert_eq!(leaves.len(), 1 << depth);
        let mut level = leaves.to_vec();
        while level.len() > 1 {
            level = level.chunks(2).map(|p| hash2(p[0], p[1])).collect();
        }
        level[0]
    }

    #[test]
    fn empty_tree_root_is_the_empty_subtree_hash() {
        let tree = SparseMerkleTree::default();
        assert_eq!(tree.depth(), DEFAULT_DEPTH);
        assert_eq!(tree.root(), empty_hashes(DEFAULT_DEPTH)[DEFAULT_DEPTH]);
        let small = SparseMerkleTree::new(4).unwrap();
        assert_eq!(small.root(), naive_root(4, &[Fp::zero(); 16]));
        assert!(small.is_empty());
    }

    #[test]
    fn update_get_root_and_siblings_agree() {
        let mut tree = SparseMerkleTree::default();
        let w = tree.update(5, Fp::from(99)).unwrap();
        assert_eq!(w.old_leaf, Fp::zero());
        assert_eq!(w.old_root, empty_hashes(DEFAULT_DEPTH)[DEFAULT_DEPTH]);
        assert_eq!(w.new_root, tree.root());
        assert_eq!(tree.get(5).unwrap(), Fp::from(99));
        assert_eq!(tree.get(4).unwrap(), Fp::zero());
        w.verify().unwrap();
        let siblings = tree.siblings(5).unwrap();
        assert!(verify_path(5, Fp::from(99), &siblings, tree.root()));
        assert!(!verify_path(4, Fp::from(99), &siblings, tree.root()));
        assert!(!verify_path(5, Fp::from(98), &siblings, tree.root()));
        // Clearing the leaf restores the empty tree and frees every stored node.
        tree.update(5, Fp::zero()).unwrap();
        assert_eq!(tree.root(), empty_hashes(DEFAULT_DEPTH)[DEFAULT_DEPTH]);
        assert!(tree.levels.iter().all(HashMap::is_empty));
    }

    #[test]
    fn random_updates_match_a_naive_full_tree() {
        const DEPTH: usize = 5;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut tree = SparseMerkleTree::new(DEPTH).unwrap();
        let mut leaves = vec![Fp::zero(); 1 << DEPTH];
        for step in 0..200 {
            let index = rng.random_range(0..(1u64 << DEPTH));
            // Every fifth write clears a leaf, exercising node removal.
            let value = if step % 5 == 0 {
                Fp::zero()
            } else {
                Fp::from(rng.random::<u64>())
            };
            let w = tree.update(index, value).unwrap();
            assert_eq!(w.old_leaf, leaves[index as usize]);
            leaves[index as usize] = value;
            assert_eq!(tree.root(), naive_root(DEPTH, &leaves), "step {step}");
            w.verify().unwrap();
        }
        for (i, leaf) in leaves.iter().enumerate() {
            assert_eq!(tree.get(i as u64).unwrap(), *leaf);
        }
    }

    #[test]
    fn thousands_of_leaves_at_depth_32_stay_sparse() {
        let mut tree = SparseMerkleTree::default();
        for id in 0..2000u64 {
            tree.update(account_index(id * 7919).unwrap(), account_leaf(id, 0))
                .unwrap();
        }
        assert_eq!(tree.len(), 2000);
        let stored: usize = tree.levels.iter().map(HashMap::len).sum();
        assert!(stored <= 2000 * (DEFAULT_DEPTH + 1));
        let siblings = tree.siblings(7919).unwrap();
        assert!(verify_path(
            7919,
            account_leaf(1, 0),
            &siblings,
            tree.root()
        ));
    }

    #[test]
    fn out_of_range_inputs_are_errors() {
        let mut tree = SparseMerkleTree::new(4).unwrap();
        assert_eq!(
            tree.update(16, Fp::one()),
            Err(SmtError::IndexOutOfRange {
                index: 16,
                depth: 4
            })
        );
        assert!(tree.get(16).is_err());
        assert!(tree.siblings(u64::MAX).is_err());
        assert_eq!(
            SparseMerkleTree::new(1).unwrap_err(),
            SmtError::BadDepth { depth: 1 }
        );
        assert!(SparseMerkleTree::new(65).is_err());
        assert!(SparseMerkleTree::new(64).is_ok());
        assert_eq!(
            account_index(1 << 31),
            Err(SmtError::AccountIdOutOfRange {
                id: 1 << 31,
                depth: 32
            })
        );
        assert!(!verify_path(16, Fp::one(), &[Fp::zero(); 4], tree.root()));
        let msg = SmtError::AccountIdOutOfRange { id: 9, depth: 4 }.to_string();
        assert!(msg.contains("2^3"), "{msg}");
    }

    #[test]
    fn accounts_and_storage_never_share_an_index() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let half = 1u64 << (DEFAULT_DEPTH - 1);
        for _ in 0..500 {
            let id = rng.random_range(0..half);
            let key =
                storage_slot_key(Fp::from(rng.random::<u64>()), Fp::from(rng.random::<u64>()));
            let a = account_index(id).unwrap();
            let s = storage_index(key);
            assert!(a < half && s >= half && s < 2 * half);
            assert_ne!(a, s);
            // The low bits of the storage index are the low bits of the key.
            let low = u64::from_le_bytes(key.to_repr()[..8].try_into().unwrap());
            assert_eq!(s & (half - 1), low & (half - 1));
        }
        assert_eq!(storage_index_at(4, Fp::from(0b10111)).unwrap(), 0b1111);
        assert_eq!(account_index_at(4, 7).unwrap(), 7);
    }
}
