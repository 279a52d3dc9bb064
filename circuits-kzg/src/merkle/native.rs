//! The native Poseidon sparse Merkle tree, the rule the Merkle circuits enforce.
//!
//! # Shape
//! A complete binary tree of fixed depth `d` (default [`DEFAULT_DEPTH`] = 32, the
//! `genesis.tree_depth` of `datasets/operations.toml`). Level 0 holds the leaves, level `d`
//! the root; a parent is `hash2(left, right)` ([`crate::poseidon::hash2`]). Bit `i` of a leaf
//! index (least significant first) says whether the path node at level `i` is a right child,
//! so the path bits read bottom-up are the binary digits of the index.
//!
//! # Sparseness
//! An empty leaf is `0`; an all-empty subtree of height `h` hashes to `empty[h]`. Only nodes
//! that differ from the empty value of their level are stored, so `n` leaves cost `O(n·d)`.
//!
//! # Two disjoint halves
//! The top path bit separates accounts (left half: index = account id `< 2^(d−1)`, leaf
//! `Poseidon(balance, nonce)`) from storage (right half: index `2^(d−1) | (key mod 2^(d−1))`
//! with `key = Poseidon(contract, slot)`, leaf = the stored value), as in the Pasta circuits.

use crate::poseidon::hash2;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};
use std::collections::HashMap;

/// Depth of the world-state tree (`datasets/operations.toml`, `genesis.tree_depth`).
pub const DEFAULT_DEPTH: usize = 32;
/// Smallest depth: one bit for the half, at least one within it.
pub const MIN_DEPTH: usize = 2;
/// Largest depth: leaf indices are `u64`, and the storage key split keeps the path bits within
/// the low 128 bits of the key (see [`super::gadget`]).
pub const MAX_DEPTH: usize = 64;

/// What can go wrong when building or querying a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtError {
    /// The depth is not in `MIN_DEPTH..=MAX_DEPTH`.
    #[error("tree depth {0} is not supported (must be between {MIN_DEPTH} and {MAX_DEPTH})")]
    BadDepth(usize),
    /// A leaf index does not fit in the tree.
    #[error("leaf index {index} is out of range for a depth-{depth} tree")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The depth.
        depth: usize,
    },
    /// An account id does not fit in the account half.
    #[error("account id {id} does not fit in the account half of a depth-{depth} tree")]
    AccountIdOutOfRange {
        /// The id.
        id: u64,
        /// The depth.
        depth: usize,
    },
}

/// Everything a leaf-update circuit needs: one path authenticates the old leaf under the old
/// root and the new leaf under the new root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MerkleUpdateWitness {
    /// Tree depth (= number of siblings).
    pub depth: usize,
    /// Leaf index; its binary digits are the path bits.
    pub index: u64,
    /// Leaf before.
    #[serde(with = "crate::serde_fields::fr")]
    pub old_leaf: Fr,
    /// Leaf after.
    #[serde(with = "crate::serde_fields::fr")]
    pub new_leaf: Fr,
    /// Siblings from the leaf level up to just below the root.
    #[serde(with = "crate::serde_fields::fr_vec")]
    pub siblings: Vec<Fr>,
    /// Root before.
    #[serde(with = "crate::serde_fields::fr")]
    pub old_root: Fr,
    /// Root after.
    #[serde(with = "crate::serde_fields::fr")]
    pub new_root: Fr,
}

impl MerkleUpdateWitness {
    /// Checks natively that both paths hash to the claimed roots.
    pub fn verify(&self) -> Result<(), String> {
        if self.siblings.len() != self.depth {
            return Err(format!(
                "{} siblings for depth {}",
                self.siblings.len(),
                self.depth
            ));
        }
        for (leaf, root, which) in [
            (self.old_leaf, self.old_root, "old"),
            (self.new_leaf, self.new_root, "new"),
        ] {
            if compute_root(self.index, leaf, &self.siblings).map_err(|e| e.to_string())? != root {
                return Err(format!(
                    "{which} leaf at index {} does not hash to the claimed {which} root",
                    self.index
                ));
            }
        }
        Ok(())
    }
}

fn check_depth(depth: usize) -> Result<(), SmtError> {
    if (MIN_DEPTH..=MAX_DEPTH).contains(&depth) {
        Ok(())
    } else {
        Err(SmtError::BadDepth(depth))
    }
}

fn check_index(depth: usize, index: u64) -> Result<(), SmtError> {
    if depth >= 64 || index < (1u64 << depth) {
        Ok(())
    } else {
        Err(SmtError::IndexOutOfRange { index, depth })
    }
}

/// `empty[h]` for `h in 0..=depth`.
pub fn empty_hashes(depth: usize) -> Vec<Fr> {
    let mut empty = vec![Fr::ZERO];
    for h in 0..depth {
        empty.push(hash2(empty[h], empty[h]));
    }
    empty
}

/// Hashes `leaf` up the path of `index` (depth = `siblings.len()`).
pub fn compute_root(index: u64, leaf: Fr, siblings: &[Fr]) -> Result<Fr, SmtError> {
    check_index(siblings.len(), index)?;
    Ok(siblings
        .iter()
        .enumerate()
        .fold(leaf, |node, (level, sibling)| {
            if (index >> level) & 1 == 0 {
                hash2(node, *sibling)
            } else {
                hash2(*sibling, node)
            }
        }))
}

/// Whether `leaf` sits at `index` under `root`.
pub fn verify_path(index: u64, leaf: Fr, siblings: &[Fr], root: Fr) -> bool {
    compute_root(index, leaf, siblings).is_ok_and(|r| r == root)
}

/// The index of account `id`: `id` itself, which must be `< 2^(depth−1)`.
pub fn account_index_at(depth: usize, id: u64) -> Result<u64, SmtError> {
    check_depth(depth)?;
    if id < (1u64 << (depth - 1)) {
        Ok(id)
    } else {
        Err(SmtError::AccountIdOutOfRange { id, depth })
    }
}

/// The account leaf `Poseidon(balance, nonce)`.
pub fn account_leaf(balance: u64, nonce: u64) -> Fr {
    hash2(Fr::from(balance), Fr::from(nonce))
}

/// The storage slot key `Poseidon(contract, slot)`.
pub fn storage_slot_key(contract: Fr, slot: Fr) -> Fr {
    hash2(contract, slot)
}

/// The index of a slot key: top bit 1, then the low `depth − 1` bits of the key's canonical
/// little-endian representation.
pub fn storage_index_at(depth: usize, key: Fr) -> Result<u64, SmtError> {
    check_depth(depth)?;
    let low = u64::from_le_bytes(key.to_repr()[..8].try_into().expect("8 bytes"));
    let half = 1u64 << (depth - 1);
    Ok(half | (low & (half - 1)))
}

/// A sparse Merkle tree over `Fr` leaves with Poseidon nodes (see the module docs).
#[derive(Debug, Clone)]
pub struct SparseMerkleTree {
    depth: usize,
    empty: Vec<Fr>,
    /// `levels[h]`: the non-empty nodes at height `h`, by position.
    levels: Vec<HashMap<u64, Fr>>,
}

impl SparseMerkleTree {
    /// An empty tree of the given depth.
    pub fn new(depth: usize) -> Result<Self, SmtError> {
        check_depth(depth)?;
        Ok(Self {
            depth,
            empty: empty_hashes(depth),
            levels: vec![HashMap::new(); depth + 1],
        })
    }

    /// The depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.node(self.depth, 0)
    }

    /// Number of stored (non-empty) nodes over all levels.
    pub fn stored_nodes(&self) -> usize {
        self.levels.iter().map(HashMap::len).sum()
    }

    fn node(&self, height: usize, position: u64) -> Fr {
        self.levels[height]
            .get(&position)
            .copied()
            .unwrap_or(self.empty[height])
    }

    fn set_node(&mut self, height: usize, position: u64, value: Fr) {
        if value == self.empty[height] {
            self.levels[height].remove(&position);
        } else {
            self.levels[height].insert(position, value);
        }
    }

    /// The leaf at `index` (0 if never set).
    pub fn get(&self, index: u64) -> Result<Fr, SmtError> {
        check_index(self.depth, index)?;
        Ok(self.node(0, index))
    }

    /// The siblings of the path to `index`, bottom-up.
    pub fn siblings(&self, index: u64) -> Result<Vec<Fr>, SmtError> {
        check_index(self.depth, index)?;
        Ok((0..self.depth)
            .map(|h| self.node(h, (index >> h) ^ 1))
            .collect())
    }

    /// Sets the leaf at `index` (insert, update or clear with 0) and returns the witness.
    ///
    /// # Complexity
    /// `depth` hashes.
    pub fn update(&mut self, index: u64, new_leaf: Fr) -> Result<MerkleUpdateWitness, SmtError> {
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
    use rand::{Rng, SeedableRng};

    fn naive_root(leaves: &[Fr]) -> Fr {
        let mut level = leaves.to_vec();
        while level.len() > 1 {
            level = level.chunks(2).map(|p| hash2(p[0], p[1])).collect();
        }
        level[0]
    }

    #[test]
    fn random_updates_match_a_naive_full_tree() {
        const DEPTH: usize = 4;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut tree = SparseMerkleTree::new(DEPTH).unwrap();
        let mut leaves = vec![Fr::ZERO; 1 << DEPTH];
        assert_eq!(tree.root(), naive_root(&leaves));
        for step in 0..60 {
            let index = rng.gen_range(0..(1u64 << DEPTH));
            let value = if step % 5 == 0 {
                Fr::ZERO
            } else {
                Fr::from(rng.gen::<u64>())
            };
            let w = tree.update(index, value).unwrap();
            assert_eq!(w.old_leaf, leaves[index as usize]);
            leaves[index as usize] = value;
            assert_eq!(tree.root(), naive_root(&leaves), "step {step}");
            w.verify().unwrap();
            assert!(verify_path(index, value, &w.siblings, tree.root()));
        }
        for (i, leaf) in leaves.iter().enumerate() {
            assert_eq!(tree.get(i as u64).unwrap(), *leaf);
        }
        // Clearing every leaf frees every node.
        for i in 0..(1u64 << DEPTH) {
            tree.update(i, Fr::ZERO).unwrap();
        }
        assert_eq!(tree.stored_nodes(), 0);
        assert_eq!(tree.root(), empty_hashes(DEPTH)[DEPTH]);
    }

    #[test]
    fn halves_and_errors() {
        assert_eq!(storage_index_at(4, Fr::from(0b10111)).unwrap(), 0b1111);
        assert_eq!(account_index_at(4, 7).unwrap(), 7);
        assert!(account_index_at(4, 8).is_err());
        assert!(SparseMerkleTree::new(1).is_err() && SparseMerkleTree::new(65).is_err());
        let mut tree = SparseMerkleTree::new(4).unwrap();
        assert!(tree.update(16, Fr::ONE).is_err());
        assert!(!verify_path(16, Fr::ONE, &[Fr::ZERO; 4], tree.root()));
        let w = tree.update(3, Fr::ONE).unwrap();
        let mut bad = w.clone();
        bad.siblings[2] += Fr::ONE;
        assert!(bad.verify().unwrap_err().contains("old leaf"));
    }
}
