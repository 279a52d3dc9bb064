//! What a verifier needs of this build's keys, without proving keys or whole parameter files.
//!
//! Verifying a final proof needs, per sub-circuit kind, the verifying key (its words go into
//! the verifying-key commitment the proof must carry) and, per `k`, the verifier's part of the
//! parameters. Generating a proving key to get at its verifying key costs seconds per kind,
//! and reading a whole `params-k17.bin` costs seconds more; neither is verification.
//!
//! 1. Every key this cache generates also stores its verifying key in the key directory:
//!    `vk/{kind}-d{depth}-{SOURCE_ID}.vk` (halo2's `RawBytes`) beside a `.json` with `k`, the
//!    column configuration needed to read it back, its fingerprint and its public-input lengths.
//! 2. [`KeyCache::verifying_key`] takes, in order: the verifying key of a proving key already
//!    in memory; the stored one, if it reads back with the recorded fingerprint; else it
//!    generates the key (which stores it for next time).
//! 3. [`SOURCE_ID`] fingerprints the circuit sources and `Cargo.lock` at build time, so a
//!    build never reads a key another build stored: after any change to a circuit the entry
//!    simply is not there, and the key is generated again.
//! 4. [`KeyCache::verifier_params`] returns the whole parameters when they are loaded
//!    already, else only `g[0]`, `g2` and `s·g2` ([`circuits_kzg::verifier_params`]).
//!
//! The store is this machine's own state, trusted as the node key store is: a verifier that
//! does not trust its disk deletes `vk/` and pays the key generation.

use super::{write_atomically, KeyCache, KeyError};
use crate::any::Params;
use crate::kind::SubCircuitKind;
use circuits_kzg::harness::CircuitKeys;
use circuits_kzg::verifier_params::load_verifier_params;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_base::halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use halo2_base::halo2_proofs::SerdeFormat;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Fingerprint of the circuit sources and `Cargo.lock` this build was compiled from.
pub const SOURCE_ID: &str = env!("ZKPAR_CIRCUITS_SOURCE_ID");

/// A sub-circuit's verifying key and what verifying its proofs needs alongside it.
pub struct VerifierKey {
    /// Which sub-circuit.
    pub kind: SubCircuitKind,
    /// Degree parameter.
    pub k: u32,
    /// The verifying key.
    pub vk: VerifyingKey<G1Affine>,
    /// Blake2b-256 (hex) of the pinned verifying key ([`super::vk_fingerprint`]).
    pub fingerprint: String,
    /// Length of each instance column.
    pub public_input_lens: Vec<usize>,
    /// Where it came from.
    pub source: VerifierKeySource,
}

/// Where a [`VerifierKey`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifierKeySource {
    /// A proving key this process had generated already.
    Memory,
    /// The key store on disk.
    Store,
    /// Generated now (and stored).
    Generated,
}

pub(super) type VerifierSlot = Arc<OnceLock<Result<Arc<VerifierKey>, KeyError>>>;

/// The `.json` beside a stored verifying key.
#[derive(Serialize, Deserialize)]
struct StoredEntry {
    kind: String,
    depth: usize,
    k: u32,
    config: BaseCircuitParams,
    fingerprint: String,
    public_input_lens: Vec<usize>,
}

impl KeyCache {
    fn vk_path(&self, kind: SubCircuitKind, depth: usize, ext: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(
            dir.join("vk")
                .join(format!("{kind}-d{depth}-{SOURCE_ID}.{ext}")),
        )
    }

    /// Stores the verifying key of freshly generated `keys` (best effort: a store that cannot
    /// be written only makes the next verification slower).
    pub(super) fn store_verifying_key(
        &self,
        kind: SubCircuitKind,
        depth: usize,
        k: u32,
        keys: &CircuitKeys,
        fingerprint: &str,
        public_input_lens: &[usize],
    ) {
        let (Some(vk_path), Some(json_path)) = (
            self.vk_path(kind, depth, "vk"),
            self.vk_path(kind, depth, "json"),
        ) else {
            return;
        };
        let mut vk_bytes = Vec::new();
        if keys
            .pk
            .get_vk()
            .write(&mut vk_bytes, SerdeFormat::RawBytes)
            .is_err()
        {
            return;
        }
        let entry = StoredEntry {
            kind: kind.to_string(),
            depth,
            k,
            config: keys.config.clone(),
            fingerprint: fingerprint.to_string(),
            public_input_lens: public_input_lens.to_vec(),
        };
        let Ok(json) = serde_json::to_vec_pretty(&entry) else {
            return;
        };
        // The key first: an entry's `.json` names a complete `.vk`.
        write_atomically(&vk_path, &vk_bytes);
        write_atomically(&json_path, &json);
    }

    /// The stored verifying key of `kind` at `depth`, if the store has one that reads back with
    /// its recorded fingerprint (a bad entry is logged and ignored).
    fn stored_verifying_key(&self, kind: SubCircuitKind, depth: usize) -> Option<VerifierKey> {
        let json_path = self.vk_path(kind, depth, "json")?;
        let vk_path = self.vk_path(kind, depth, "vk")?;
        if !json_path.is_file() {
            return None;
        }
        let read = || -> Result<VerifierKey, String> {
            let entry: StoredEntry =
                serde_json::from_slice(&std::fs::read(&json_path).map_err(|e| e.to_string())?)
                    .map_err(|e| format!("unparsable ({e})"))?;
            if entry.kind != kind.to_string() || entry.depth != depth {
                return Err(format!("holds {} at depth {}", entry.kind, entry.depth));
            }
            let bytes =
                std::fs::read(&vk_path).map_err(|e| format!("{}: {e}", vk_path.display()))?;
            let vk = VerifyingKey::<G1Affine>::read::<_, BaseCircuitBuilder<Fr>>(
                &mut bytes.as_slice(),
                SerdeFormat::RawBytes,
                entry.config,
            )
            .map_err(|e| format!("{}: unreadable verifying key ({e})", vk_path.display()))?;
            let fingerprint = super::vk_fingerprint(&vk);
            if fingerprint != entry.fingerprint || vk.get_domain().k() != entry.k {
                return Err(format!(
                    "{}: its key has fingerprint {fingerprint} and k = {}, the entry says {} and \
                     k = {}",
                    vk_path.display(),
                    vk.get_domain().k(),
                    entry.fingerprint,
                    entry.k
                ));
            }
            Ok(VerifierKey {
                kind,
                k: entry.k,
                vk,
                fingerprint,
                public_input_lens: entry.public_input_lens,
                source: VerifierKeySource::Store,
            })
        };
        match read() {
            Ok(key) => Some(key),
            Err(e) => {
                log::warn!(
                    "ignoring the stored verifying key {}: {e}; generating the key instead",
                    json_path.display()
                );
                None
            }
        }
    }

    /// The verifying key of `kind` at tree depth `depth` (see the module docs for where it
    /// comes from), once per process.
    ///
    /// # Errors
    /// [`KeyError`] when the key has to be generated and that fails.
    pub fn verifying_key(
        &self,
        kind: SubCircuitKind,
        depth: usize,
    ) -> Result<Arc<VerifierKey>, KeyError> {
        let slot = self
            .verifiers
            .lock()
            .entry((kind, depth))
            .or_default()
            .clone();
        slot.get_or_init(|| {
            let in_memory = self
                .keys
                .lock()
                .get(&(kind, depth))
                .and_then(|s| s.get().cloned())
                .and_then(Result::ok);
            let (key, source) = match in_memory {
                Some(key) => (key, VerifierKeySource::Memory),
                None => {
                    if let Some(stored) = self.stored_verifying_key(kind, depth) {
                        return Ok(Arc::new(stored));
                    }
                    (self.get(kind, depth)?, VerifierKeySource::Generated)
                }
            };
            Ok(Arc::new(VerifierKey {
                kind,
                k: key.k,
                vk: key.keys.pk.get_vk().clone(),
                fingerprint: key.fingerprint.clone(),
                public_input_lens: key.public_input_lens.clone(),
                source,
            }))
        })
        .clone()
    }

    /// Parameters for verifying at `k`: the whole set when this process has loaded it, else
    /// only the verifier's part (`g[0]`, `g2`, `s·g2`), read from the same file. Never use the
    /// result for proving or key generation.
    ///
    /// # Errors
    /// The file and what is wrong with it.
    pub fn verifier_params(&self, k: u32) -> Result<Arc<Params>, String> {
        let loaded = self
            .params
            .lock()
            .get(&k)
            .and_then(|s| s.get().cloned())
            .and_then(Result::ok);
        if let Some(params) = loaded {
            return Ok(params);
        }
        let slot = self.verifier_params.lock().entry(k).or_default().clone();
        slot.get_or_init(|| {
            load_verifier_params(k, self.params_dir.as_deref())
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
    }
}
