//! KZG parameters (the structured reference string) and the proving wrappers every sub-circuit
//! uses: key generation, SHPLONK proving and verification.
//!
//! # Parameters
//!
//! [`test_params`] returns a **deterministic** set-up, `ParamsKZG::<Bn256>::setup(k, rng)` with
//! `rng = ChaCha20Rng::from_seed(`[`FIXED_SEED`]`)`, generated once per `k` and cached in the
//! workspace's `target/zkpar-kzg/params-k{k}.bin` (see [`default_params_dir`]).
//!
//! **The deterministic set-up is UNSAFE for production.** KZG is only sound while nobody knows
//! the secret `τ` (the "toxic waste") behind the powers `[τ^i]G`. Here `τ` is drawn from a
//! ChaCha20 stream whose seed is a public constant in this file, so anyone can recompute `τ`,
//! open any commitment to any value and forge proofs of false statements that verify. It exists
//! only so that tests and benchmarks are reproducible and need no download.
//!
//! Production must use parameters from a real powers-of-tau ceremony, in which `τ` is known to
//! nobody as long as one participant was honest: for example the Perpetual Powers of Tau (the
//! ceremony behind Hermez/Scroll/Axiom's `kzg_bn254_{k}.srs` files) or the Ethereum KZG ceremony,
//! converted to halo2's `ParamsKZG` format. Such files are read with [`load_params`] given the
//! directory they live in (the future `--params DIR` flag); a missing, corrupt or wrong-`k` file
//! there is an error ([`ParamsError`]), never silently replaced by the unsafe set-up.
//!
//! # File format
//!
//! One file per `k`, `params-k{k}.bin`, in halo2's `ParamsKZG` serialisation (`k` as a
//! little-endian `u32`, then `2^k` monomial and `2^k` Lagrange G1 points, uncompressed, then
//! `g2` and `s·g2`), i.e. the bytes `ParamsKZG::write` produces, so ceremony files converted for
//! halo2-axiom are read as they are. Reading checks the length, the header `k`, that every point
//! is on its curve, and the pairing relation `e(g[1], g2) = e(g[0], s·g2)`.
//! These checks catch truncation, bit rot, a wrong `k` and G1/G2 halves from different set-ups;
//! they do not prove a file is an honest ceremony transcript (verify the ceremony for that).
//!
//! # Proofs
//!
//! [`keygen`], [`prove`] and [`verify`] use KZG with the SHPLONK multi-opening and the Poseidon
//! Fiat–Shamir transcript (T=3, RATE=2, R_F=8, R_P=57) that `snark-verifier-sdk` 0.2.7's
//! `gen_snark_shplonk` uses, so these proofs can later be fed to its aggregation circuit as they
//! are (a Blake2b or Keccak transcript would have to be re-proven for that).
use std::{
    fs,
    io::{self, Read},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use halo2_base::halo2_proofs::{
    halo2curves::{
        bn256::{Bn256, Fr, G1Affine, G2Affine},
        pairing::Engine,
    },
    plonk::{create_proof, keygen_pk, keygen_vk, verify_proof, Circuit, ProvingKey, VerifyingKey},
    poly::{
        commitment::ParamsProver,
        kzg::{
            commitment::{KZGCommitmentScheme, ParamsKZG},
            multiopen::{ProverSHPLONK, VerifierSHPLONK},
            strategy::SingleStrategy,
        },
    },
    SerdeFormat,
};
use halo2_base::poseidon::hasher::spec::OptimizedPoseidonSpec;
use rand::rngs::OsRng;

use snark_verifier::{
    loader::native::NativeLoader, system::halo2::transcript::halo2::PoseidonTranscript,
};

/// Public seed of the deterministic test set-up. Anyone can derive the toxic waste from it:
/// never use [`test_params`] outside tests and benchmarks.
pub const FIXED_SEED: [u8; 32] = *b"zkpar-kzg-UNSAFE-test-setup-seed";

/// Name of the cache directory under the workspace's `target/`.
pub const CACHE_DIR_NAME: &str = "zkpar-kzg";

/// Largest `k` this module accepts; bn254's scalar field has 2-adicity 28, and nothing this
/// crate proves comes near it.
pub const MAX_K: u32 = 26;

/// Uncompressed bn254 G1 point in `SerdeFormat::RawBytes` (two 32-byte coordinates).
pub(crate) const G1_BYTES: u64 = 64;
/// Uncompressed bn254 G2 point in `SerdeFormat::RawBytes` (two Fq2 coordinates).
pub(crate) const G2_BYTES: u64 = 128;

/// Why parameters could not be produced or read.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// `k` outside `1..=MAX_K`.
    #[error("k = {k} is outside the supported range 1..={max}", max = MAX_K)]
    UnsupportedK {
        /// The requested k.
        k: u32,
    },
    /// An explicitly given parameter file does not exist.
    #[error("KZG parameters for k = {k} not found at {}", path.display())]
    Missing {
        /// Where the file was expected.
        path: PathBuf,
        /// The requested k.
        k: u32,
    },
    /// A parameter file is for another `k`.
    #[error("KZG parameter file {} is for k = {found}, expected k = {k}", path.display())]
    WrongK {
        /// The file.
        path: PathBuf,
        /// The requested k.
        k: u32,
        /// The k in the file's header.
        found: u32,
    },
    /// A parameter file could not be parsed or fails the consistency checks.
    #[error("KZG parameter file {} (k = {k}) is corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The requested k.
        k: u32,
        /// What is wrong with it.
        reason: String,
    },
    /// An I/O error on a parameter file or directory.
    #[error("I/O error on {} (k = {k}): {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The requested k.
        k: u32,
        /// The underlying error.
        source: io::Error,
    },
}

/// Why key generation, proving or verification failed.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// Verifying- or proving-key generation failed (e.g. the circuit does not fit in `2^k` rows).
    #[error("key generation failed: {0}")]
    Keygen(String),
    /// The prover failed (e.g. a witness does not satisfy a lookup or a copy constraint).
    #[error("proving failed: {0}")]
    Prove(String),
    /// The proof does not verify against the verifying key and public inputs.
    #[error("proof rejected: {0}")]
    Verify(String),
}

/// The workspace's `target/zkpar-kzg` directory: `$CARGO_TARGET_DIR/zkpar-kzg` if that variable
/// is set (at run time), else `target/zkpar-kzg` under the workspace root, found by walking up
/// from this crate's manifest directory to the outermost directory holding a `Cargo.toml` with a
/// `[workspace]` table (falling back to the crate's parent directory).
pub fn default_params_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join(CACHE_DIR_NAME);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .filter(|dir| {
            fs::read_to_string(dir.join("Cargo.toml"))
                .map(|text| text.lines().any(|line| line.trim() == "[workspace]"))
                .unwrap_or(false)
        })
        .last()
        .or_else(|| manifest.parent())
        .unwrap_or(manifest);
    root.join("target").join(CACHE_DIR_NAME)
}

/// Path of the parameter file for `k` in `dir`: `dir/params-k{k}.bin`.
pub fn params_path(dir: &Path, k: u32) -> PathBuf {
    dir.join(format!("params-k{k}.bin"))
}

/// Parameters for `2^k` rows.
///
/// * `dir = None`: the deterministic, **unsafe** test set-up ([`test_params`]).
/// * `dir = Some(dir)`: real ceremony parameters read from `dir/params-k{k}.bin`; a missing,
///   corrupt or wrong-`k` file is an error naming the path and `k`.
pub fn load_params(k: u32, dir: Option<&Path>) -> Result<ParamsKZG<Bn256>, ParamsError> {
    check_k(k)?;
    match dir {
        None => test_params_in(k, &default_params_dir()),
        Some(dir) => {
            let path = params_path(dir, k);
            if !path.is_file() {
                return Err(ParamsError::Missing { path, k });
            }
            read_params_file(&path, k)
        }
    }
}

/// The deterministic, **unsafe** test set-up for `2^k` rows, cached in [`default_params_dir`].
pub fn test_params(k: u32) -> Result<ParamsKZG<Bn256>, ParamsError> {
    load_params(k, None)
}

/// The deterministic test set-up for `k`, cached in `cache_dir` (created if needed). A cached
/// file that cannot be read or fails the checks is regenerated, with a warning in the log.
pub fn test_params_in(k: u32, cache_dir: &Path) -> Result<ParamsKZG<Bn256>, ParamsError> {
    check_k(k)?;
    let path = params_path(cache_dir, k);
    if path.exists() {
        match read_params_file(&path, k) {
            Ok(params) => return Ok(params),
            Err(err) => log::warn!("regenerating the deterministic test KZG parameters: {err}"),
        }
    }
    let params = deterministic_setup(k);
    write_params_atomically(&params, &path, k)?;
    Ok(params)
}

/// `ParamsKZG::setup(k, ChaCha20Rng::from_seed(FIXED_SEED))`, uncached, byte for byte, but
/// computed with a fixed-base table (about ten times faster; see `fast_setup.rs`). **Unsafe**
/// outside tests.
pub fn deterministic_setup(k: u32) -> ParamsKZG<Bn256> {
    crate::fast_setup::setup(k, FIXED_SEED)
}

pub(crate) fn check_k(k: u32) -> Result<(), ParamsError> {
    if (1..=MAX_K).contains(&k) {
        Ok(())
    } else {
        Err(ParamsError::UnsupportedK { k })
    }
}

/// Opens `path` as the parameter file for `k` and checks its `k` header and its length; the
/// file is left just after the header. Also returns the file's length.
pub(crate) fn open_params_file(path: &Path, k: u32) -> Result<(fs::File, u64), ParamsError> {
    let io_err = |source| ParamsError::Io {
        path: path.to_owned(),
        k,
        source,
    };
    let mut file = fs::File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let mut header = [0u8; 4];
    file.read_exact(&mut header).map_err(|e| {
        corrupt(
            path,
            k,
            format!("cannot read the k header ({e}); {len} bytes"),
        )
    })?;
    let found = u32::from_le_bytes(header);
    if found != k {
        return Err(ParamsError::WrongK {
            path: path.to_owned(),
            k,
            found,
        });
    }
    let expected = 4 + 2 * (1u64 << k) * G1_BYTES + 2 * G2_BYTES;
    if len != expected {
        return Err(corrupt(
            path,
            k,
            format!("{len} bytes, expected {expected}"),
        ));
    }
    Ok((file, len))
}

/// [`ParamsError::Corrupt`] for `path` at `k`.
pub(crate) fn corrupt(path: &Path, k: u32, reason: String) -> ParamsError {
    ParamsError::Corrupt {
        path: path.to_owned(),
        k,
        reason,
    }
}

/// Whether `g[0] = G`, `g[1] = τG` agree with `s_g2 = τ·g2`: `e(g[1], g2) = e(g[0], s_g2)`.
pub(crate) fn pairing_consistent(
    g0: &G1Affine,
    g1: &G1Affine,
    g2: &G2Affine,
    s_g2: &G2Affine,
) -> bool {
    Bn256::pairing(g1, g2) == Bn256::pairing(g0, s_g2)
}

/// Reads and checks `path` as the parameters for `k`.
fn read_params_file(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>, ParamsError> {
    let (file, _) = open_params_file(path, k)?;
    drop(file);
    // Re-read from the start: `read_custom` parses the header itself.
    let file = fs::File::open(path).map_err(|source| ParamsError::Io {
        path: path.to_owned(),
        k,
        source,
    })?;
    let params =
        ParamsKZG::<Bn256>::read_custom(&mut io::BufReader::new(file), SerdeFormat::RawBytes)
            .map_err(|e| corrupt(path, k, format!("unparsable ({e})")))?;
    let g = params.get_g();
    if g.len() < 2 || !pairing_consistent(&g[0], &g[1], &params.g2(), &params.s_g2()) {
        return Err(corrupt(path, k, "e(g[1], g2) != e(g[0], s·g2)".into()));
    }
    Ok(params)
}

/// Writes `params` to `path` through a unique temporary file in the same directory and a rename,
/// so that concurrent readers see either no file or a complete one.
fn write_params_atomically(
    params: &ParamsKZG<Bn256>,
    path: &Path,
    k: u32,
) -> Result<(), ParamsError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let io_err = |path: &Path, source| ParamsError::Io {
        path: path.to_owned(),
        k,
        source,
    };
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let tmp = dir.join(format!(
        ".params-k{k}.bin.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut writer = io::BufWriter::new(fs::File::create(&tmp)?);
        params.write_custom(&mut writer, SerdeFormat::RawBytes)?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    Ok(())
}

/// The Poseidon transcript of `snark-verifier-sdk`'s `gen_snark_shplonk`, over a byte stream.
pub type Transcript<S> = PoseidonTranscript<G1Affine, NativeLoader, S, 3, 2, 8, 57>;

/// The transcript's Poseidon spec: T=3, RATE=2, R_F=8, R_P=57, as `snark-verifier-sdk`'s
/// `POSEIDON_SPEC`.
pub fn transcript_spec() -> OptimizedPoseidonSpec<Fr, 3, 2> {
    OptimizedPoseidonSpec::new::<8, 57, 0>()
}

/// Generates the proving key (which holds the verifying key, see `ProvingKey::get_vk`) of
/// `circuit`. For a `BaseCircuitBuilder`, the builder must be in the keygen stage with its
/// parameters computed (`calculate_params`), and its `break_points()` must be kept for proving.
pub fn keygen<C: Circuit<Fr>>(
    params: &ParamsKZG<Bn256>,
    circuit: &C,
) -> Result<ProvingKey<G1Affine>, ProofError> {
    let vk = keygen_vk(params, circuit).map_err(|e| ProofError::Keygen(format!("vk: {e:?}")))?;
    keygen_pk(params, vk, circuit).map_err(|e| ProofError::Keygen(format!("pk: {e:?}")))
}

/// Proves `circuit` with public inputs `instances` (one vector per instance column) using
/// SHPLONK and the Poseidon transcript, with fresh OS randomness for the blinding factors.
pub fn prove<C: Circuit<Fr>>(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: C,
    instances: &[Vec<Fr>],
) -> Result<Vec<u8>, ProofError> {
    let columns: Vec<&[Fr]> = instances.iter().map(Vec::as_slice).collect();
    let mut transcript = Transcript::<Vec<u8>>::from_spec(vec![], transcript_spec());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        pk,
        &[circuit],
        &[columns.as_slice()],
        OsRng,
        &mut transcript,
    )
    .map_err(|e| ProofError::Prove(format!("{e:?}")))?;
    Ok(transcript.finalize())
}

/// Verifies `proof` against `vk` and the public inputs `instances`.
pub fn verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    instances: &[Vec<Fr>],
) -> Result<(), ProofError> {
    let columns: Vec<&[Fr]> = instances.iter().map(Vec::as_slice).collect();
    let mut transcript = Transcript::<&[u8]>::from_spec(proof, transcript_spec());
    let verifier_params = params.verifier_params();
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        verifier_params,
        vk,
        SingleStrategy::new(verifier_params),
        &[columns.as_slice()],
        &mut transcript,
    )
    .map_err(|e| ProofError::Verify(format!("{e:?}")))
}
