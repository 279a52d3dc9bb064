//! The key cache: KZG parameters and proving keys per sub-circuit shape.
//!
//! Key generation is set-up, not proving: the pipeline warms the cache before it starts timing,
//! and reports the key-generation time separately.
//!
//! * In memory, keys are cached per `(sub-circuit, tree depth)`; concurrent requests for the same key
//!   wait for one generation instead of racing.
//! * Parameters are one file per `k`: the deterministic test set-up cached under the workspace's
//!   `target/zkpar-kzg/` (unsafe outside tests and benchmarks, see [`circuits_kzg::params`]), or
//!   real ceremony files read from the directory given to [`KeyCache::with_params_dir`]
//!   (`zkpar --params DIR`, `$ZKPAR_PARAMS_DIR`); a missing or corrupt ceremony file is an error,
//!   never replaced by the unsafe set-up.
//! * On disk (default the workspace's `target/zkpar-keys/`, or `$ZKPAR_KEY_DIR`), a manifest
//!   records the verifying-key fingerprint of each shape. Proving keys are regenerated per
//!   process (seconds per kind); the fingerprint (Blake2b-256 of the pinned verifying key:
//!   constraint system, fixed-column commitments, permutation) is what bundles carry, so a
//!   changed circuit can never verify against, or be mistaken for, a stale key.
//! * Verifying keys are stored there too (`vk/`), for verifiers: [`KeyCache::verifying_key`]
//!   and [`KeyCache::verifier_params`] let `zkpar verify` check a final proof without
//!   generating a proving key or reading a whole parameter file (`keys/verifier.rs`).

use crate::any::{AnyCircuit, Params};
use crate::kind::SubCircuitKind;
use circuits_kzg::harness::CircuitKeys;
use circuits_kzg::params::load_params;
use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

mod verifier;
pub use verifier::{VerifierKey, VerifierKeySource, SOURCE_ID};

/// A generated key with what verification needs alongside it.
pub struct CachedKey {
    /// Which sub-circuit.
    pub kind: SubCircuitKind,
    /// Degree parameter.
    pub k: u32,
    /// Commitment parameters for `k`.
    pub params: Arc<Params>,
    /// The proving key (holds the verifying key) and the layout the prover must reuse.
    pub keys: CircuitKeys,
    /// Blake2b-256 (hex) of the pinned verifying key.
    pub fingerprint: String,
    /// Length of each instance column.
    pub public_input_lens: Vec<usize>,
    /// Seconds spent generating this key (0 if it came from the cache).
    pub keygen_s: f64,
}

/// Key generation failed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("key generation for {kind} (tree depth {depth}) failed: {message}")]
pub struct KeyError {
    /// Which sub-circuit.
    pub kind: SubCircuitKind,
    /// Tree depth of the shape.
    pub depth: usize,
    /// What went wrong.
    pub message: String,
}

type Slot = Arc<OnceLock<Result<Arc<CachedKey>, KeyError>>>;
type ParamsSlot = Arc<OnceLock<Result<Arc<Params>, String>>>;

/// Parameters and keys, generated once per process and shared by every task.
pub struct KeyCache {
    dir: Option<PathBuf>,
    params_dir: Option<PathBuf>,
    params: Mutex<HashMap<u32, ParamsSlot>>,
    keys: Mutex<HashMap<(SubCircuitKind, usize), Slot>>,
    verifier_params: Mutex<HashMap<u32, ParamsSlot>>,
    verifiers: Mutex<HashMap<(SubCircuitKind, usize), verifier::VerifierSlot>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(Some(default_key_dir()))
            .with_params_dir(std::env::var_os("ZKPAR_PARAMS_DIR").map(PathBuf::from))
    }
}

/// `$ZKPAR_KEY_DIR`, else `zkpar-keys` under [`workspace_target_dir`].
pub fn default_key_dir() -> PathBuf {
    std::env::var_os("ZKPAR_KEY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_target_dir().join("zkpar-keys"))
}

/// Where generated files (keys, parameters, calibrations) go: never into the source tree.
///
/// `$CARGO_TARGET_DIR` when set (relative to the workspace); else the `target/` folder of the
/// workspace this binary was built in, when it exists (a checkout: every crate's tests and
/// every command share one cache, whatever the current directory); else `./target` (a binary
/// copied to another machine, run beside its `datasets/`).
pub fn workspace_target_dir() -> PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return workspace.join(dir);
    }
    let built = workspace.join("target");
    if built.is_dir() {
        built
    } else {
        PathBuf::from("target")
    }
}

impl KeyCache {
    /// A cache that persists fingerprints under `dir` (or only in memory), on the deterministic
    /// test parameters.
    pub fn new(dir: Option<PathBuf>) -> Self {
        KeyCache {
            dir,
            params_dir: None,
            params: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            verifier_params: Mutex::new(HashMap::new()),
            verifiers: Mutex::new(HashMap::new()),
        }
    }

    /// Reads parameters from ceremony files in `dir` (`params-k{k}.bin`, see
    /// [`circuits_kzg::params`]) instead of the deterministic test set-up.
    pub fn with_params_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.params_dir = dir;
        self
    }

    /// A process-wide cache (keys are large; one copy is enough). Its parameters come from
    /// `$ZKPAR_PARAMS_DIR` when set.
    pub fn global() -> &'static KeyCache {
        static CACHE: OnceLock<KeyCache> = OnceLock::new();
        CACHE.get_or_init(KeyCache::default)
    }

    /// Commitment parameters for `k`: from the ceremony directory when one is set, else the
    /// cached deterministic set-up (generated on first use).
    /// The error names the file and what is wrong with it.
    pub fn params(&self, k: u32) -> Result<Arc<Params>, String> {
        let slot = self.params.lock().entry(k).or_default().clone();
        slot.get_or_init(|| {
            load_params(k, self.params_dir.as_deref())
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
    }

    /// The key for `kind` at this tree depth, generated on first use.
    pub fn get(&self, kind: SubCircuitKind, depth: usize) -> Result<Arc<CachedKey>, KeyError> {
        let slot = self.keys.lock().entry((kind, depth)).or_default().clone();
        slot.get_or_init(|| self.generate(kind, depth).map(Arc::new))
            .clone()
    }

    fn generate(&self, kind: SubCircuitKind, depth: usize) -> Result<CachedKey, KeyError> {
        let started = Instant::now();
        let error = |message: String| KeyError {
            kind,
            depth,
            message,
        };
        let shape = AnyCircuit::shape(kind, depth).map_err(error)?;
        let k = shape.layout().k;
        let params = self.params(k).map_err(error)?;
        let keys = shape.keygen(&params).map_err(|e| error(e.to_string()))?;
        let fingerprint = vk_fingerprint(keys.pk.get_vk());
        self.record_fingerprint(&format!("{kind}/depth{depth}/k{k}"), &fingerprint);
        let public_input_lens: Vec<usize> = shape.public_inputs().iter().map(Vec::len).collect();
        self.store_verifying_key(kind, depth, k, &keys, &fingerprint, &public_input_lens);
        Ok(CachedKey {
            kind,
            k,
            params,
            keys,
            fingerprint,
            public_input_lens,
            keygen_s: started.elapsed().as_secs_f64(),
        })
    }

    fn record_fingerprint(&self, shape_id: &str, fingerprint: &str) {
        let Some(dir) = &self.dir else { return };
        // Serialise manifest updates within the process; across processes the last writer wins,
        // which only loses an informational entry.
        static MANIFEST_LOCK: Mutex<()> = Mutex::new(());
        let _guard = MANIFEST_LOCK.lock();
        let path = dir.join("fingerprints.json");
        let mut manifest: BTreeMap<String, String> = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        match manifest.get(shape_id) {
            Some(old) if old == fingerprint => return,
            Some(_) => log::info!(
                "{shape_id}: circuit changed since the cached key; new fingerprint {fingerprint}"
            ),
            None => {}
        }
        manifest.insert(shape_id.to_string(), fingerprint.to_string());
        if let Ok(bytes) = serde_json::to_vec_pretty(&manifest) {
            write_atomically(&path, &bytes);
        }
    }
}

/// Blake2b-256 (hex) of the pinned verifying key.
pub fn vk_fingerprint(vk: &VerifyingKey<G1Affine>) -> String {
    let pinned = format!("{:?}", vk.pinned());
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkpar-kzg-vk-v1\0")
        .hash(pinned.as_bytes());
    hash.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Best effort: a cache that cannot be written is only slower next time.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        log::warn!("{}: cannot create the key cache directory", dir.display());
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .is_err()
    {
        log::warn!("{}: cannot write the key cache", path.display());
        let _ = std::fs::remove_file(&tmp);
    }
}
