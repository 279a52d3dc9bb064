//! Proof bundles: the one verifiable result of proving an operation or a block.
//!
//! # Format (version 2, all integers little-endian)
//!
//! ```text
//! magic        8 bytes   "ZKPARBND"
//! version      u16       2 (version 1 held Pasta/IPA proofs; it is refused)
//! header_len   u32       then that many bytes of JSON: BundleHeader
//! proof_count  u32       then, per sub-proof, in header order:
//!   label_len  u16 + label (utf-8)
//!   kind       u8        index into SubCircuitKind::ALL
//!   k          u8
//!   columns    u8        then per instance column: len u32 + len × 32-byte bn254 scalars
//!   proof_len  u32 + proof bytes (KZG/SHPLONK over bn256, Poseidon transcript)
//! final        u8        0: no final proof; 1: the final-proof section follows
//!   agg_k      u8        aggregation k of every node
//!   levels     u16       1..=64, then per level (level 1 aggregates sub-proofs, the last holds
//!                        the root alone): nodes u32, then per node: children u16, then per child
//!                        tag u8 = 0 + sub-proof index u32, or tag 1 + level u16 + index u32
//!   instances  u32 (= 17) + 17 × 32-byte bn254 scalars: the root's public inputs (12 KZG
//!                        accumulator limbs, pre root, post root, moves_state, vk_commitment,
//!                        inputs_commitment; see circuits_kzg::aggregation)
//!   proof_len  u32 + proof bytes (the root node's SHPLONK proof)
//! checksum     32 bytes  Blake2b-256 of every byte before it
//! ```
//!
//! The tree is what a verifier needs to recompute the final proof's statement
//! ([`verify_final`]): which sub-proofs (in bundle order, the order the roots chain in) and which
//! child nodes each node aggregated. Reading checks it is a tree over exactly the bundle's
//! sub-proofs, in order.
//!
//! Reading checks, in order: magic, version, checksum (so a flipped byte anywhere is caught before
//! parsing), then every length against the bytes left (a truncated or inflated length is an error,
//! never a panic or a huge allocation), canonical field encodings, and that the entries match the
//! header, and the final-proof section's tree. [`assemble`] builds a bundle from proved sub-circuits (checking the chain of state roots);
//! [`assemble_and_verify`] checks a bundle someone gave us: keys, the same chain, and every proof.

use crate::kind::SubCircuitKind;
use crate::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use serde::{Deserialize, Serialize};
use std::path::Path;

mod assemble;
mod final_section;
mod verify_final;

pub use assemble::{
    assemble, assemble_and_verify, check_root_chain, state_transition, subproof_header, Statement,
    VerifyReport,
};
pub use final_section::FinalProof;
pub use verify_final::{verify_final, verify_final_keys, FinalVerifyReport};

/// First bytes of every bundle.
pub const BUNDLE_MAGIC: &[u8; 8] = b"ZKPARBND";
/// The format version this code writes and reads.
pub const BUNDLE_VERSION: u16 = 2;
/// Largest sub-proof count a bundle may declare: a 10,000-operation block has well under this,
/// and it bounds what a corrupted count can make the reader allocate.
const MAX_PROOFS: usize = 1 << 20;

/// What is wrong with a bundle. Every variant says where.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The bytes are not a well-formed bundle.
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// A version this code does not read.
    #[error("unsupported bundle version {found} (this zkpar reads version {BUNDLE_VERSION})")]
    Version {
        /// The version in the file.
        found: u16,
    },
    /// The checksum does not match: the file was changed or corrupted after it was written.
    #[error("bundle checksum mismatch: the file is corrupted or was modified after proving")]
    Checksum,
    /// Assembly failed: roots do not chain, keys do not match, or a proof does not verify.
    #[error("bundle rejected: {0}")]
    Rejected(String),
}

/// One sub-proof's entry in the header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubProofHeader {
    /// `op/step/role`.
    pub label: String,
    /// Sub-circuit name.
    pub name: String,
    /// Degree parameter.
    pub k: u32,
    /// Blake2b-256 (hex) of the verifying key it was proved against.
    pub vk_fingerprint: String,
}

/// The bundle header (JSON inside the file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    /// Same as the binary version field.
    pub format_version: u16,
    /// `operation` or `block`.
    pub kind: String,
    /// Operation or block id.
    pub id: String,
    /// Sparse Merkle tree depth of the state the sub-circuits prove against.
    pub tree_depth: usize,
    /// State root before (hex, little-endian field encoding).
    pub initial_root: String,
    /// State root after.
    pub final_root: String,
    /// The scheduling policy that produced it (informational).
    pub policy: String,
    /// The sub-proofs, in order.
    pub subcircuits: Vec<SubProofHeader>,
}

/// One sub-proof with its public inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubProof {
    /// `op/step/role`.
    pub label: String,
    /// Which sub-circuit.
    pub kind: SubCircuitKind,
    /// Degree parameter.
    pub k: u32,
    /// Public inputs, one vector per instance column.
    pub public_inputs: Vec<Vec<Fr>>,
    /// The halo2 proof.
    pub proof: Vec<u8>,
}

/// A whole bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The header.
    pub header: BundleHeader,
    /// The sub-proofs, in header order.
    pub proofs: Vec<SubProof>,
    /// The final proof of all of them, when the job aggregated them.
    pub final_proof: Option<FinalProof>,
}

/// Hex of a field element's canonical little-endian encoding.
pub fn fr_to_hex(x: &Fr) -> String {
    to_hex(x.to_repr().as_ref())
}

/// Parses [`fr_to_hex`] output.
pub fn fr_from_hex(s: &str) -> Option<Fr> {
    let bytes = from_hex(s)?;
    let repr: [u8; 32] = bytes.try_into().ok()?;
    Option::from(Fr::from_repr(repr))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn checksum(bytes: &[u8]) -> [u8; 32] {
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkpar-bundle-v1\0")
        .hash(bytes);
    hash.as_bytes().try_into().expect("32-byte hash")
}

impl Bundle {
    /// Encodes the bundle (format above).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(BUNDLE_MAGIC);
        out.extend_from_slice(&BUNDLE_VERSION.to_le_bytes());
        let header = serde_json::to_vec(&self.header).expect("header serialises");
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&(self.proofs.len() as u32).to_le_bytes());
        for p in &self.proofs {
            out.extend_from_slice(&(p.label.len() as u16).to_le_bytes());
            out.extend_from_slice(p.label.as_bytes());
            let kind = SubCircuitKind::ALL
                .iter()
                .position(|k| *k == p.kind)
                .expect("known kind");
            out.push(kind as u8);
            out.push(p.k as u8);
            out.push(p.public_inputs.len() as u8);
            for column in &p.public_inputs {
                out.extend_from_slice(&(column.len() as u32).to_le_bytes());
                for x in column {
                    out.extend_from_slice(x.to_repr().as_ref());
                }
            }
            out.extend_from_slice(&(p.proof.len() as u32).to_le_bytes());
            out.extend_from_slice(&p.proof);
        }
        final_section::encode(&mut out, self.final_proof.as_ref());
        let sum = checksum(&out);
        out.extend_from_slice(&sum);
        out
    }

    /// Decodes and structurally checks a bundle (no proof verification: see [`assemble_and_verify`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(8, "magic")? != BUNDLE_MAGIC {
            return Err(BundleError::Malformed(
                "not a zkpar bundle (bad magic bytes)".into(),
            ));
        }
        let version = r.u16("version")?;
        if version != BUNDLE_VERSION {
            return Err(BundleError::Version { found: version });
        }
        if bytes.len() < r.pos + 32 {
            return Err(BundleError::Malformed(format!(
                "truncated: {} bytes, too short for a checksum",
                bytes.len()
            )));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if checksum(body) != sum {
            return Err(BundleError::Checksum);
        }
        let mut r = Reader {
            bytes: body,
            pos: r.pos,
        };
        let header_len = r.u32("header length")? as usize;
        let header: BundleHeader = serde_json::from_slice(r.take(header_len, "header")?)
            .map_err(|e| BundleError::Malformed(format!("header JSON: {e}")))?;
        if header.format_version != BUNDLE_VERSION {
            return Err(BundleError::Version {
                found: header.format_version,
            });
        }
        let count = r.u32("proof count")? as usize;
        if count > MAX_PROOFS {
            return Err(BundleError::Malformed(format!(
                "declares {count} sub-proofs (at most {MAX_PROOFS})"
            )));
        }
        let mut proofs = Vec::new();
        for i in 0..count {
            let at = |what: &str| format!("sub-proof {i}: {what}");
            let label_len = r.u16(&at("label length"))? as usize;
            let label = String::from_utf8(r.take(label_len, &at("label"))?.to_vec())
                .map_err(|_| BundleError::Malformed(at("label is not UTF-8")))?;
            let kind_index = r.u8(&at("kind"))? as usize;
            let kind = *SubCircuitKind::ALL.get(kind_index).ok_or_else(|| {
                BundleError::Malformed(at(&format!("unknown sub-circuit kind {kind_index}")))
            })?;
            let k = u32::from(r.u8(&at("k"))?);
            let columns = r.u8(&at("column count"))? as usize;
            let mut public_inputs = Vec::with_capacity(columns);
            for c in 0..columns {
                let len = r.u32(&at("column length"))? as usize;
                let raw = r.take(
                    len.saturating_mul(32),
                    &at(&format!("public inputs of column {c}")),
                )?;
                let column = raw
                    .chunks_exact(32)
                    .map(|chunk| {
                        let repr: [u8; 32] = chunk.try_into().expect("32-byte chunk");
                        Option::from(Fr::from_repr(repr)).ok_or_else(|| {
                            BundleError::Malformed(at("non-canonical field element"))
                        })
                    })
                    .collect::<Result<Vec<Fr>, _>>()?;
                public_inputs.push(column);
            }
            let proof_len = r.u32(&at("proof length"))? as usize;
            let proof = r.take(proof_len, &at("proof"))?.to_vec();
            proofs.push(SubProof {
                label,
                kind,
                k,
                public_inputs,
                proof,
            });
        }
        let final_proof = final_section::decode(&mut r)?;
        if r.pos != body.len() {
            return Err(BundleError::Malformed(format!(
                "{} unexpected bytes after the last section",
                body.len() - r.pos
            )));
        }
        let bundle = Bundle {
            header,
            proofs,
            final_proof,
        };
        bundle.check_header_matches()?;
        bundle.check_final_section()?;
        Ok(bundle)
    }

    /// Writes the bundle to a file.
    pub fn write(&self, path: &Path) -> Result<(), BundleError> {
        std::fs::write(path, self.to_bytes()).map_err(|source| BundleError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads a bundle file (structure only; see [`assemble_and_verify`]).
    pub fn read(path: &Path) -> Result<Self, BundleError> {
        let bytes = std::fs::read(path).map_err(|source| BundleError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    fn check_header_matches(&self) -> Result<(), BundleError> {
        if self.header.subcircuits.len() != self.proofs.len() {
            return Err(BundleError::Malformed(format!(
                "header lists {} sub-proofs, the body holds {}",
                self.header.subcircuits.len(),
                self.proofs.len()
            )));
        }
        for (i, (h, p)) in self.header.subcircuits.iter().zip(&self.proofs).enumerate() {
            if h.label != p.label || h.name != p.kind.name() || h.k != p.k {
                return Err(BundleError::Malformed(format!(
                    "sub-proof {i} is {} ({}, k={}) but the header says {} ({}, k={}): sub-proofs reordered or swapped",
                    p.label,
                    p.kind,
                    p.k,
                    h.label,
                    h.name,
                    h.k
                )));
            }
        }
        Ok(())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], BundleError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                BundleError::Malformed(format!(
                    "truncated: {what} needs {n} bytes at offset {}, only {} left",
                    self.pos,
                    self.bytes.len().saturating_sub(self.pos)
                ))
            })?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, BundleError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, BundleError> {
        Ok(u16::from_le_bytes(
            self.take(2, what)?.try_into().expect("2 bytes"),
        ))
    }

    fn u32(&mut self, what: &str) -> Result<u32, BundleError> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        let proofs = vec![
            SubProof {
                label: "t/1/a".into(),
                kind: SubCircuitKind::AccountUpdate,
                k: 12,
                public_inputs: vec![vec![Fr::from(1), Fr::from(2), Fr::from(3)]],
                proof: vec![7; 40],
            },
            SubProof {
                label: "t/1/b".into(),
                kind: SubCircuitKind::EventLog,
                k: 8,
                public_inputs: vec![vec![Fr::from(9)]],
                proof: vec![5; 33],
            },
        ];
        let header = BundleHeader {
            format_version: BUNDLE_VERSION,
            kind: "operation".into(),
            id: "t".into(),
            tree_depth: 32,
            initial_root: fr_to_hex(&Fr::from(1)),
            final_root: fr_to_hex(&Fr::from(2)),
            policy: "dag".into(),
            subcircuits: proofs
                .iter()
                .map(|p| SubProofHeader {
                    label: p.label.clone(),
                    name: p.kind.name().into(),
                    k: p.k,
                    vk_fingerprint: "00".into(),
                })
                .collect(),
        };
        Bundle {
            header,
            proofs,
            final_proof: None,
        }
    }

    /// [`sample`] with a final-proof section over its two sub-proofs.
    fn sample_with_final() -> Bundle {
        use crate::final_proof::{FinalTree, TreeChild};
        let mut b = sample();
        let mut instances: Vec<Fr> = (0..17u64).map(|i| Fr::from(1000 + i)).collect();
        instances[14] = Fr::one();
        b.final_proof = Some(FinalProof {
            tree: FinalTree {
                agg_k: 17,
                levels: vec![vec![vec![TreeChild::Leaf(0), TreeChild::Leaf(1)]]],
            },
            instances,
            proof: vec![3; 57],
        });
        b
    }

    #[test]
    fn round_trip() {
        let b = sample();
        assert_eq!(Bundle::from_bytes(&b.to_bytes()).unwrap(), b);
        let f = sample_with_final();
        assert_eq!(Bundle::from_bytes(&f.to_bytes()).unwrap(), f);
        assert!(f.to_bytes().len() > b.to_bytes().len() + 17 * 32 + 57);
        assert_eq!(
            fr_from_hex(&fr_to_hex(&Fr::from(12345))),
            Some(Fr::from(12345))
        );
        assert_eq!(fr_from_hex("zz"), None);
    }

    #[test]
    fn every_truncation_is_rejected() {
        for bytes in [sample().to_bytes(), sample_with_final().to_bytes()] {
            for len in 0..bytes.len() {
                assert!(
                    Bundle::from_bytes(&bytes[..len]).is_err(),
                    "accepted a bundle truncated to {len} bytes"
                );
            }
        }
    }

    #[test]
    fn every_single_byte_flip_is_rejected() {
        for bytes in [sample().to_bytes(), sample_with_final().to_bytes()] {
            for i in 0..bytes.len() {
                let mut tampered = bytes.clone();
                tampered[i] ^= 0x01;
                assert!(
                    Bundle::from_bytes(&tampered).is_err(),
                    "accepted a flip at byte {i}"
                );
            }
        }
    }

    /// Re-encodes with a fresh checksum, so only the structural checks can catch the change.
    fn reencoded_error(b: &Bundle) -> String {
        Bundle::from_bytes(&b.to_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn a_malformed_final_section_is_named_even_with_a_fresh_checksum() {
        use crate::final_proof::TreeChild;
        let mut b = sample_with_final();
        b.final_proof.as_mut().unwrap().tree.levels[0][0].swap(0, 1);
        let e = reencoded_error(&b);
        assert!(e.contains("final proof") && e.contains("[1, 0]"), "{e}");

        let mut b = sample_with_final();
        b.final_proof.as_mut().unwrap().tree.levels[0][0].pop();
        let e = reencoded_error(&b);
        assert!(e.contains("expected the 2 sub-proofs"), "{e}");

        let mut b = sample_with_final();
        b.final_proof.as_mut().unwrap().tree.levels[0][0][1] =
            TreeChild::Node { level: 1, index: 0 };
        assert!(reencoded_error(&b).contains("not below it"));

        let mut b = sample_with_final();
        b.final_proof.as_mut().unwrap().instances.pop();
        let e = reencoded_error(&b);
        assert!(e.contains("16 public inputs"), "{e}");

        let mut b = sample_with_final();
        b.final_proof.as_mut().unwrap().instances[14] = Fr::from(2);
        assert!(reencoded_error(&b).contains("moves_state"));

        // An unknown flag and trailing bytes after the section.
        let mut bytes = sample_with_final().to_bytes();
        let body_len = bytes.len() - 32;
        bytes.truncate(body_len);
        bytes.push(0);
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum);
        let e = Bundle::from_bytes(&bytes).unwrap_err().to_string();
        assert!(e.contains("unexpected bytes after the last section"), "{e}");
    }

    #[test]
    fn wrong_version_and_magic_are_named() {
        // Version 1 bundles held Pasta/IPA proofs: refused by name, not misread.
        let mut bytes = sample().to_bytes();
        bytes[8] = 1;
        assert!(matches!(
            Bundle::from_bytes(&bytes),
            Err(BundleError::Version { found: 1 })
        ));
        let mut bytes = sample().to_bytes();
        bytes[0] = b'X';
        let e = Bundle::from_bytes(&bytes).unwrap_err().to_string();
        assert!(e.contains("bad magic"), "{e}");
    }

    #[test]
    fn swapped_subproofs_are_caught_even_with_a_fresh_checksum() {
        let mut b = sample();
        b.proofs.swap(0, 1);
        let e = Bundle::from_bytes(&b.to_bytes()).unwrap_err().to_string();
        assert!(e.contains("reordered or swapped"), "{e}");
    }

    #[test]
    fn absurd_lengths_do_not_allocate_or_panic() {
        let mut b = sample();
        b.proofs.truncate(0);
        b.header.subcircuits.truncate(0);
        let mut bytes = b.to_bytes();
        // Overwrite the proof count with u32::MAX and fix the checksum: must be a clean error.
        let count_at = bytes.len() - 32 - 1 - 4;
        bytes[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let body_len = bytes.len() - 32;
        let sum = checksum(&bytes[..body_len]);
        bytes[body_len..].copy_from_slice(&sum);
        let e = Bundle::from_bytes(&bytes).unwrap_err().to_string();
        assert!(e.contains("sub-proofs (at most"), "{e}");
    }
}
