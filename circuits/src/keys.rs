//! The key cache: commitment parameters and proving keys per sub-circuit shape.
//!
//! Key generation is set-up, not proving: the pipeline warms the cache before it starts timing,
//! and reports the key-generation time separately.
//!
//! * In memory, keys are cached per `(sub-circuit, tree depth)`; concurrent requests for the same key
//!   wait for one generation instead of racing.
//! * On disk (default the workspace's `target/zkpar-keys/`, or `$ZKPAR_KEY_DIR`), the IPA parameters are cached per
//!   `k`, and a manifest records the verifying-key fingerprint of each shape. halo2_proofs 0.4 cannot
//!   serialise proving keys, so those are regenerated per process; the fingerprint (Blake2b-256 of the
//!   pinned verifying key: constraint system, fixed-column commitments, permutation) is what bundles
//!   carry, so a changed circuit can never verify against, or be mistaken for, a stale key.

use crate::any::AnyCircuit;
use crate::kind::SubCircuitKind;
use crate::proving::{IpaParams, Pk};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// A generated key with what verification needs alongside it.
pub struct CachedKey {
    /// Which sub-circuit.
    pub kind: SubCircuitKind,
    /// Degree parameter.
    pub k: u32,
    /// Commitment parameters for `k`.
    pub params: Arc<IpaParams>,
    /// The proving key (holds the verifying key).
    pub pk: Pk,
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
    /// halo2's error.
    pub message: String,
}

/// How many public inputs each sub-circuit exposes (one instance column each); a bundle entry with
/// another count is rejected before verification, because halo2 pads short instance columns with
/// zeros and would otherwise accept a truncated list.
pub fn public_input_lens(kind: SubCircuitKind) -> Vec<usize> {
    vec![match kind {
        SubCircuitKind::Signature => 3,
        SubCircuitKind::AccountUpdate => 7,
        SubCircuitKind::StorageUpdate => 6,
        SubCircuitKind::Balance => 8,
        SubCircuitKind::AmmSwap => 7,
        SubCircuitKind::EventLog => 1,
    }]
}

type Slot = Arc<OnceLock<Result<Arc<CachedKey>, KeyError>>>;

/// Parameters and keys, generated once per process and shared by every task.
pub struct KeyCache {
    dir: Option<PathBuf>,
    params: Mutex<HashMap<u32, Arc<OnceLock<Arc<IpaParams>>>>>,
    keys: Mutex<HashMap<(SubCircuitKind, usize), Slot>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(Some(default_key_dir()))
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
    /// A cache that persists parameters and fingerprints under `dir` (or only in memory).
    pub fn new(dir: Option<PathBuf>) -> Self {
        KeyCache {
            dir,
            params: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// A process-wide cache (keys are large; one copy is enough).
    pub fn global() -> &'static KeyCache {
        static CACHE: OnceLock<KeyCache> = OnceLock::new();
        CACHE.get_or_init(KeyCache::default)
    }

    /// Commitment parameters for `k`, from disk when cached there.
    pub fn params(&self, k: u32) -> Arc<IpaParams> {
        let slot = self.params.lock().entry(k).or_default().clone();
        slot.get_or_init(|| Arc::new(self.load_or_make_params(k)))
            .clone()
    }

    fn load_or_make_params(&self, k: u32) -> IpaParams {
        let path = self
            .dir
            .as_ref()
            .map(|d| d.join(format!("params-k{k}.bin")));
        if let Some(path) = &path {
            if let Ok(bytes) = std::fs::read(path) {
                match IpaParams::read(&mut bytes.as_slice()) {
                    Ok(params) if params.k() == k => return params,
                    _ => log::warn!(
                        "{}: unreadable cached parameters, regenerating",
                        path.display()
                    ),
                }
            }
        }
        let params = IpaParams::new(k);
        if let Some(path) = path {
            let mut bytes = Vec::new();
            if params.write(&mut bytes).is_ok() {
                write_atomically(&path, &bytes);
            }
        }
        params
    }

    /// The key for `kind` at this tree depth, generated on first use.
    pub fn get(&self, kind: SubCircuitKind, depth: usize) -> Result<Arc<CachedKey>, KeyError> {
        let slot = self.keys.lock().entry((kind, depth)).or_default().clone();
        slot.get_or_init(|| self.generate(kind, depth).map(Arc::new))
            .clone()
    }

    fn generate(&self, kind: SubCircuitKind, depth: usize) -> Result<CachedKey, KeyError> {
        let started = Instant::now();
        let shape = AnyCircuit::shape(kind, depth).map_err(|message| KeyError {
            kind,
            depth,
            message,
        })?;
        let k = shape.k();
        let params = self.params(k);
        let pk = shape.keygen(&params).map_err(|e| KeyError {
            kind,
            depth,
            message: format!("{e:?}"),
        })?;
        let fingerprint = vk_fingerprint(&pk);
        self.record_fingerprint(&format!("{kind}/depth{depth}/k{k}"), &fingerprint);
        Ok(CachedKey {
            kind,
            k,
            params,
            pk,
            fingerprint,
            public_input_lens: public_input_lens(kind),
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
pub fn vk_fingerprint(pk: &Pk) -> String {
    let pinned = format!("{:?}", pk.get_vk().pinned());
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkpar-vk-v1\0\0\0\0\0")
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
