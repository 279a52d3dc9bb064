//! Deterministic KZG parameter cache, explicit-directory errors, and the proving wrappers on a
//! tiny circuit.
use std::{
    fs,
    path::{Path, PathBuf},
};

use circuits_kzg::params::{
    default_params_dir, deterministic_setup, keygen, load_params, params_path, prove,
    test_params_in, verify, ParamsError, ProofError,
};
use circuits_kzg::verifier_params::{is_verifier_only, load_verifier_params};
use halo2_base::{
    gates::{
        circuit::{builder::BaseCircuitBuilder, CircuitBuilderStage},
        GateChip, GateInstructions,
    },
    halo2_proofs::{
        halo2curves::bn256::{Bn256, Fr, G1Affine},
        plonk::ProvingKey,
        poly::{
            commitment::{Params, ParamsProver},
            kzg::commitment::ParamsKZG,
        },
        SerdeFormat,
    },
};
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};

/// Small k: set-up in milliseconds, enough rows for the toy circuit.
const SMALL_K: u32 = 6;

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zkpar-kzg-params-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn bytes(params: &ParamsKZG<Bn256>) -> Vec<u8> {
    let mut out = Vec::new();
    params
        .write_custom(&mut out, SerdeFormat::RawBytes)
        .unwrap();
    out
}

#[test]
fn default_dir_is_the_workspace_target() {
    let dir = default_params_dir();
    assert!(dir.ends_with("zkpar-kzg"), "{}", dir.display());
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(target) => assert_eq!(dir, Path::new(&target).join("zkpar-kzg")),
        None => {
            let target = dir.parent().unwrap();
            assert!(target.ends_with("target"));
            let root = target.parent().unwrap();
            let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
            assert!(manifest.lines().any(|l| l.trim() == "[workspace]"));
            assert!(Path::new(env!("CARGO_MANIFEST_DIR")).starts_with(root));
        }
    }
}

#[test]
fn cache_is_deterministic_and_reused() {
    let dir = scratch("cache");
    let first = test_params_in(SMALL_K, &dir).unwrap();
    let path = params_path(&dir, SMALL_K);
    assert!(path.is_file());
    assert_eq!(bytes(&first), fs::read(&path).unwrap());
    assert_eq!(bytes(&first), bytes(&deterministic_setup(SMALL_K)));
    let modified = fs::metadata(&path).unwrap().modified().unwrap();
    let second = test_params_in(SMALL_K, &dir).unwrap();
    assert_eq!(bytes(&first), bytes(&second));
    assert_eq!(
        modified,
        fs::metadata(&path).unwrap().modified().unwrap(),
        "not rewritten"
    );
    // No temporary files are left behind.
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupt_cache_is_regenerated() {
    let dir = scratch("corrupt-cache");
    let good = bytes(&test_params_in(SMALL_K, &dir).unwrap());
    let path = params_path(&dir, SMALL_K);
    let corruptions: [fn(&mut Vec<u8>); 3] = [
        |b| b.truncate(b.len() / 2),
        |b| b[4 + 10] ^= 0x55, // a coordinate of g[0]: off the curve
        |b| b.clear(),
    ];
    for corrupt in corruptions {
        let mut bad = good.clone();
        corrupt(&mut bad);
        fs::write(&path, &bad).unwrap();
        let params = test_params_in(SMALL_K, &dir).unwrap();
        assert_eq!(bytes(&params), good);
        assert_eq!(fs::read(&path).unwrap(), good);
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explicit_dir_missing_is_an_error() {
    let dir = scratch("missing");
    let err = load_params(SMALL_K, Some(&dir)).unwrap_err();
    assert!(
        matches!(err, ParamsError::Missing { k: SMALL_K, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&params_path(&dir, SMALL_K).display().to_string()),
        "{msg}"
    );
    assert!(msg.contains(&format!("k = {SMALL_K}")), "{msg}");
    assert!(
        !params_path(&dir, SMALL_K).exists(),
        "never silently generated"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explicit_dir_wrong_k_is_an_error() {
    let dir = scratch("wrong-k");
    let path = params_path(&dir, SMALL_K);
    fs::write(&path, bytes(&deterministic_setup(SMALL_K + 1))).unwrap();
    let err = load_params(SMALL_K, Some(&dir)).unwrap_err();
    assert!(
        matches!(err, ParamsError::WrongK { k: SMALL_K, found, .. } if found == SMALL_K + 1),
        "{err:?}"
    );
    assert!(err.to_string().contains(&path.display().to_string()));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explicit_dir_corrupt_is_an_error_and_left_alone() {
    let dir = scratch("explicit-corrupt");
    let path = params_path(&dir, SMALL_K);
    let good = bytes(&deterministic_setup(SMALL_K));

    let mut truncated = good.clone();
    truncated.truncate(good.len() - 1);
    fs::write(&path, &truncated).unwrap();
    let err = load_params(SMALL_K, Some(&dir)).unwrap_err();
    assert!(
        matches!(err, ParamsError::Corrupt { k: SMALL_K, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(
        fs::read(&path).unwrap(),
        truncated,
        "never silently regenerated"
    );

    // Every point on its curve, but s·g2 from another set-up: the pairing check catches it.
    let other = bytes(&ParamsKZG::<Bn256>::setup(
        SMALL_K,
        ChaCha20Rng::from_seed([9; 32]),
    ));
    let mut spliced = good.clone();
    let tail = good.len() - 128;
    spliced[tail..].copy_from_slice(&other[tail..]);
    fs::write(&path, &spliced).unwrap();
    let err = load_params(SMALL_K, Some(&dir)).unwrap_err();
    assert!(matches!(err, ParamsError::Corrupt { .. }), "{err:?}");

    // The intact file is read as it is.
    fs::write(&path, &good).unwrap();
    let params = load_params(SMALL_K, Some(&dir)).unwrap();
    assert_eq!(params.k(), SMALL_K);
    assert_eq!(bytes(&params), good);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unsupported_k_is_an_error() {
    assert!(matches!(
        load_params(0, None),
        Err(ParamsError::UnsupportedK { k: 0 })
    ));
    assert!(matches!(
        load_params(40, None),
        Err(ParamsError::UnsupportedK { k: 40 })
    ));
}

/// Toy circuit: public `c = a·b + a` for private `a, b`.
fn toy(mut builder: BaseCircuitBuilder<Fr>, a: u64, b: u64) -> BaseCircuitBuilder<Fr> {
    let gate = GateChip::<Fr>::default();
    let ctx = builder.main(0);
    let [a, b] = [a, b].map(|x| ctx.load_witness(Fr::from(x)));
    let c = gate.mul_add(ctx, a, b, a);
    builder.assigned_instances[0].push(c);
    builder
}

/// The toy circuit's proving key and a proof of `3·4 + 3 = 15` under `params`.
fn toy_proof(params: &ParamsKZG<Bn256>) -> (ProvingKey<G1Affine>, Vec<u8>) {
    let keygen_builder = BaseCircuitBuilder::from_stage(CircuitBuilderStage::Keygen)
        .use_k(SMALL_K as usize)
        .use_instance_columns(1);
    let mut keygen_builder = toy(keygen_builder, 0, 0);
    let config = keygen_builder.calculate_params(Some(9));
    let pk = keygen(params, &keygen_builder).unwrap();
    let prover = BaseCircuitBuilder::prover(config, keygen_builder.break_points());
    let proof = prove(params, &pk, toy(prover, 3, 4), &[vec![Fr::from(15)]]).unwrap();
    (pk, proof)
}

#[test]
fn prove_and_verify_roundtrip() {
    let dir = scratch("prove");
    let params = test_params_in(SMALL_K, &dir).unwrap();
    let (pk, proof) = toy_proof(&params);
    verify(&params, pk.get_vk(), &proof, &[vec![Fr::from(15)]]).unwrap();

    let err = verify(&params, pk.get_vk(), &proof, &[vec![Fr::from(16)]]).unwrap_err();
    assert!(matches!(err, ProofError::Verify(_)), "{err:?}");
    assert!(err.to_string().starts_with("proof rejected"));
    let mut tampered = proof.clone();
    tampered[0] ^= 1;
    assert!(verify(&params, pk.get_vk(), &tampered, &[vec![Fr::from(15)]]).is_err());
    assert!(verify(
        &params,
        pk.get_vk(),
        &proof[..proof.len() - 1],
        &[vec![Fr::from(15)]]
    )
    .is_err());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_verifier_part_verifies_what_the_full_parameters_verify_and_checks_its_file() {
    let dir = scratch("verifier-part");
    let params = test_params_in(SMALL_K, &dir).unwrap();
    let path = params_path(&dir, SMALL_K);
    let small = load_verifier_params(SMALL_K, Some(&dir)).unwrap();
    assert!(is_verifier_only(&small) && !is_verifier_only(&params));
    assert_eq!(small.k(), SMALL_K);
    assert_eq!(
        (small.get_g()[0], small.g2(), small.s_g2()),
        (params.get_g()[0], params.g2(), params.s_g2())
    );

    let (pk, proof) = toy_proof(&params);
    verify(&small, pk.get_vk(), &proof, &[vec![Fr::from(15)]]).unwrap();
    let err = verify(&small, pk.get_vk(), &proof, &[vec![Fr::from(16)]]).unwrap_err();
    assert!(matches!(err, ProofError::Verify(_)), "{err:?}");

    // s·g2 from another set-up: every point is on its curve, the pairing check catches it.
    let good = fs::read(&path).unwrap();
    let other = bytes(&ParamsKZG::<Bn256>::setup(
        SMALL_K,
        ChaCha20Rng::from_seed([9; 32]),
    ));
    let mut spliced = good.clone();
    let tail = good.len() - 128;
    spliced[tail..].copy_from_slice(&other[tail..]);
    fs::write(&path, &spliced).unwrap();
    let err = load_verifier_params(SMALL_K, Some(&dir)).unwrap_err();
    assert!(
        matches!(err, ParamsError::Corrupt { .. }) && err.to_string().contains("e(g[1], g2)"),
        "{err}"
    );
    // g[0] off the curve, and a truncated file, are named too.
    let mut off_curve = good.clone();
    off_curve[4 + 40] ^= 0x10;
    fs::write(&path, &off_curve).unwrap();
    let err = load_verifier_params(SMALL_K, Some(&dir)).unwrap_err();
    assert!(err.to_string().contains("g[0]"), "{err}");
    fs::write(&path, &good[..good.len() - 1]).unwrap();
    let err = load_verifier_params(SMALL_K, Some(&dir)).unwrap_err();
    assert!(err.to_string().contains("bytes, expected"), "{err}");
    assert!(matches!(
        load_verifier_params(SMALL_K + 1, Some(&dir)),
        Err(ParamsError::Missing { .. })
    ));
    fs::remove_dir_all(&dir).unwrap();
}
