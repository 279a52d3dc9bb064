//! What a verifier reads of the KZG parameters: `g[0]`, `g2` and `s·g2`, not the `2^(k+1)`
//! G1 points a prover needs.
//!
//! A SHPLONK verifier (halo2's `VerifierSHPLONK`, snark-verifier's KZG decider) touches `k`,
//! `g[0]`, `g2` and `s·g2` and nothing else: instances are evaluated, not committed
//! (`QUERY_INSTANCE = false`). Reading a whole `params-k17.bin` (16 MiB, every point checked)
//! takes seconds; reading these four values takes microseconds. [`load_verifier_params`] reads
//! them from the same files [`crate::params::load_params`] reads, with the same checks where
//! they apply: the file's length and `k` header, each point on its curve, and the pairing
//! relation `e(g[1], g2) = e(g[0], s·g2)` (so `g[1]` is read too).
//!
//! The result is a `ParamsKZG` whose `g` holds `g[0]` alone and whose Lagrange basis is
//! empty: good for verifying and for snark-verifier's `compile`, which reads `k`; **proving or
//! key generation with it is wrong** (they need every point).

use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;

use crate::params::{
    check_k, corrupt, default_params_dir, open_params_file, pairing_consistent, params_path,
    test_params_in, ParamsError, G1_BYTES, G2_BYTES,
};

/// The verifier's part of the parameters for `2^k` rows (see the module docs), from
/// `dir/params-k{k}.bin` when `dir` is given (ceremony files: a missing or corrupt file is an
/// error naming it), else from the deterministic test set-up's cache (generated first if it
/// is missing: the full set-up, once).
///
/// # Errors
/// [`ParamsError`] naming the file and what is wrong with it.
pub fn load_verifier_params(k: u32, dir: Option<&Path>) -> Result<ParamsKZG<Bn256>, ParamsError> {
    check_k(k)?;
    let path = match dir {
        Some(dir) => {
            let path = params_path(dir, k);
            if !path.is_file() {
                return Err(ParamsError::Missing { path, k });
            }
            path
        }
        None => {
            let cache = default_params_dir();
            let path = params_path(&cache, k);
            if !path.is_file() {
                test_params_in(k, &cache)?;
            }
            path
        }
    };
    read_verifier_part(&path, k)
}

/// Reads `k`, `g[0]`, `g[1]`, `g2` and `s·g2` of `path` and checks them.
pub fn read_verifier_part(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>, ParamsError> {
    let (mut file, len) = open_params_file(path, k)?;
    let corrupt = |reason: String| corrupt(path, k, reason);
    let g0 = read_point::<G1Affine>(&mut file, G1_BYTES, "g[0]").map_err(corrupt)?;
    let g1 = read_point::<G1Affine>(&mut file, G1_BYTES, "g[1]").map_err(corrupt)?;
    file.seek(SeekFrom::Start(len - 2 * G2_BYTES))
        .map_err(|source| ParamsError::Io {
            path: path.to_owned(),
            k,
            source,
        })?;
    let g2 = read_point::<G2Affine>(&mut file, G2_BYTES, "g2").map_err(corrupt)?;
    let s_g2 = read_point::<G2Affine>(&mut file, G2_BYTES, "s·g2").map_err(corrupt)?;
    if !pairing_consistent(&g0, &g1, &g2, &s_g2) {
        return Err(corrupt("e(g[1], g2) != e(g[0], s·g2)".into()));
    }
    // `from_parts` is a method; any parameters will do as its receiver, and k = 1 costs nothing.
    let receiver = crate::fast_setup::setup(1, crate::params::FIXED_SEED);
    Ok(receiver.from_parts(k, vec![g0], Some(Vec::new()), g2, s_g2))
}

/// Reads one uncompressed point (`SerdeFormat::RawBytes`) and checks it is on its curve.
fn read_point<P: SerdeObject>(file: &mut fs::File, bytes: u64, name: &str) -> Result<P, String> {
    let mut buf = vec![0u8; bytes as usize];
    file.read_exact(&mut buf)
        .map_err(|e: io::Error| format!("cannot read {name} ({e})"))?;
    P::from_raw_bytes(&buf).ok_or_else(|| format!("{name} is not a point on its curve"))
}

/// Whether `params` holds only the verifier's part ([`load_verifier_params`]).
pub fn is_verifier_only(params: &ParamsKZG<Bn256>) -> bool {
    params.get_g().len() == 1
}
