//! MockProver tests (positive and negative), native tests, one real proof, and the
//! single-thread measurement.

use super::*;
use crate::proving;
use ff::{Field, PrimeField};
use group::{Curve, CurveAffine as _, Group};
use halo2_proofs::dev::MockProver;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn rng() -> StdRng {
    StdRng::seed_from_u64(0x51_6e_a7)
}

/// A valid witness: a seeded key signing a fixed message.
fn valid_witness() -> SignatureWitness {
    let mut rng = rng();
    let sk = SigningKey::from_seed(b"alice");
    let msg = Fp::from(0xdead_beef_u64);
    SignatureWitness {
        pk: sk.public_key().to_affine(),
        msg,
        signature: sk.sign(msg, &mut rng),
    }
}

fn k() -> u32 {
    SignatureCircuit::default().k()
}

fn mock(circuit: &SignatureCircuit, instances: Vec<Vec<Fp>>) -> MockProver<Fp> {
    MockProver::run(k(), circuit, instances).expect("MockProver::run")
}

/// Runs MockProver on `witness` against its own public inputs.
fn mock_verify(witness: SignatureWitness) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let circuit = SignatureCircuit::new(witness);
    mock(&circuit, circuit.public_inputs()).verify()
}

#[test]
fn valid_signature_is_accepted() {
    let witness = valid_witness();
    assert_eq!(witness.check(), Ok(()));
    assert_eq!(mock_verify(witness), Ok(()));
}

#[test]
fn many_random_signatures_are_accepted() {
    // Different keys, messages and nonces exercise different bit patterns of s and c.
    let mut rng = rng();
    for _ in 0..3 {
        let sk = SigningKey::random(&mut rng);
        let msg = Fp::random(&mut rng);
        let witness = SignatureWitness {
            pk: sk.public_key().to_affine(),
            msg,
            signature: sk.sign(msg, &mut rng),
        };
        assert_eq!(mock_verify(witness), Ok(()));
    }
}

#[test]
fn wrong_s_is_rejected() {
    let mut witness = valid_witness();
    witness.signature.s += pallas::Scalar::ONE;
    assert_eq!(witness.check(), Err(SignatureError::Invalid));
    assert!(mock_verify(witness).is_err());
}

#[test]
fn wrong_message_in_public_inputs_is_rejected() {
    let circuit = SignatureCircuit::new(valid_witness());
    let mut instances = circuit.public_inputs();
    instances[0][MSG_ROW] += Fp::ONE;
    assert!(mock(&circuit, instances).verify().is_err());
}

#[test]
fn wrong_public_key_in_public_inputs_is_rejected() {
    let circuit = SignatureCircuit::new(valid_witness());
    let other = SigningKey::from_seed(b"mallory").public_key();
    let mut instances = circuit.public_inputs();
    instances[0][PK_X_ROW] = other.x();
    instances[0][PK_Y_ROW] = other.y();
    assert!(mock(&circuit, instances).verify().is_err());

    // Changing only one coordinate is caught too.
    let mut instances = circuit.public_inputs();
    instances[0][PK_Y_ROW] = -instances[0][PK_Y_ROW];
    assert!(mock(&circuit, instances).verify().is_err());
}

#[test]
fn signature_for_another_message_is_rejected() {
    let mut rng = rng();
    let sk = SigningKey::from_seed(b"alice");
    let signed = Fp::from(1u64);
    let claimed = Fp::from(2u64);
    let witness = SignatureWitness {
        pk: sk.public_key().to_affine(),
        msg: claimed,
        signature: sk.sign(signed, &mut rng),
    };
    assert_eq!(witness.check(), Err(SignatureError::Invalid));
    assert!(mock_verify(witness).is_err());
}

#[test]
fn replaced_r_is_rejected() {
    let mut rng = rng();
    let mut witness = valid_witness();
    witness.signature.r = pallas::Point::random(&mut rng).to_affine();
    assert!(mock_verify(witness).is_err());

    // -R has the same x-coordinate: the y-coordinate is bound too.
    let mut witness = valid_witness();
    witness.signature.r = -witness.signature.r;
    assert!(mock_verify(witness).is_err());
}

#[test]
fn signature_under_another_key_is_rejected() {
    let mut rng = rng();
    let mut witness = valid_witness();
    let mallory = SigningKey::from_seed(b"mallory");
    witness.signature = mallory.sign(witness.msg, &mut rng);
    assert!(mock_verify(witness).is_err());
}

#[test]
fn identity_points_give_clear_errors() {
    let mut witness = valid_witness();
    witness.pk = pallas::Affine::identity();
    assert_eq!(witness.check(), Err(SignatureError::IdentityPublicKey));
    let circuit = SignatureCircuit::new(witness);
    assert!(MockProver::run(k(), &circuit, circuit.public_inputs()).is_err());

    let mut witness = valid_witness();
    witness.signature.r = pallas::Affine::identity();
    assert_eq!(witness.check(), Err(SignatureError::IdentityNonce));
    let circuit = SignatureCircuit::new(witness);
    assert!(MockProver::run(k(), &circuit, circuit.public_inputs()).is_err());
}

#[test]
fn native_sign_verify_round_trip_and_tampering() {
    let mut rng = rng();
    let sk = SigningKey::random(&mut rng);
    let pk = sk.public_key();
    let msg = Fp::random(&mut rng);
    let sig = sk.sign(msg, &mut rng);
    assert!(verify(&pk, msg, &sig));

    let mut bad = sig;
    bad.s += pallas::Scalar::ONE;
    assert!(!verify(&pk, msg, &bad));
    let mut bad = sig;
    bad.r = (pallas::Point::from(sig.r) + pallas::Point::generator()).to_affine();
    assert!(!verify(&pk, msg, &bad));
    let mut bad = sig;
    bad.r = pallas::Affine::identity();
    assert!(!verify(&pk, msg, &bad));
    assert!(!verify(&pk, msg + Fp::ONE, &sig));
    assert!(!verify(
        &SigningKey::random(&mut rng).public_key(),
        msg,
        &sig
    ));
}

#[test]
fn native_keys() {
    assert_eq!(
        SigningKey::from_seed(b"alice").public_key(),
        SigningKey::from_seed(b"alice").public_key()
    );
    assert_ne!(
        SigningKey::from_seed(b"alice").public_key(),
        SigningKey::from_seed(b"bob").public_key()
    );
    assert!(SigningKey::from_scalar(pallas::Scalar::ZERO).is_none());
    let sk = SigningKey::from_scalar(pallas::Scalar::ONE).unwrap();
    assert_eq!(sk.public_key().to_affine(), fixed_bases::generator());
    assert_eq!(
        PublicKey::from_affine(pallas::Affine::identity()),
        Err(SignatureError::IdentityPublicKey)
    );
    // Debug does not leak the secret scalar.
    assert!(!format!("{sk:?}").contains(&format!("{:?}", pallas::Scalar::ONE)));
}

#[test]
fn challenge_scalar_keeps_the_integer_value() {
    let mut rng = rng();
    for c in [Fp::ZERO, Fp::ONE, -Fp::ONE, Fp::random(&mut rng)] {
        assert_eq!(challenge_scalar(c).to_repr(), c.to_repr());
    }
    // And multiplying by it agrees with repeated addition's algebra: [c]P for c = p - 1.
    let p = pallas::Point::generator();
    let c = -Fp::ONE;
    let expected = p * (pallas::Scalar::from_repr(c.to_repr()).unwrap());
    assert_eq!(p * challenge_scalar(c), expected);
}

/// The signature circuit with the challenge cell exposed as a fourth public input.
#[derive(Clone, Debug)]
struct ExposeChallenge(SignatureCircuit);

impl Circuit<Fp> for ExposeChallenge {
    type Config = SignatureConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self(SignatureCircuit::default())
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        SignatureConfig::configure(meta)
    }

    fn synthesize(
        &self,
        config: Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let instance = config.instance;
        let c = self
            .0
            .synthesize_with_challenge(config, layouter.namespace(|| "signature"))?;
        layouter.constrain_instance(c.cell(), instance, MSG_ROW + 1)
    }
}

#[test]
fn native_challenge_equals_in_circuit_poseidon_output() {
    let witness = valid_witness();
    let pk = PublicKey::from_affine(witness.pk).unwrap();
    let c = challenge(&witness.signature.r, &pk, witness.msg);
    let circuit = ExposeChallenge(SignatureCircuit::new(witness));
    let mut instances = circuit.0.public_inputs();
    instances[0].push(c);
    let prover = MockProver::run(k(), &circuit, instances.clone()).unwrap();
    assert_eq!(prover.verify(), Ok(()));

    instances[0][MSG_ROW + 1] += Fp::ONE;
    let prover = MockProver::run(k(), &circuit, instances).unwrap();
    assert!(prover.verify().is_err());
}

#[test]
fn k_is_the_smallest_that_fits() {
    let usage = SignatureCircuit::row_usage().unwrap();
    println!(
        "signature: k = {}, rows used = {} (gate rows {}), reserved = {}",
        usage.k, usage.rows, usage.advice_rows, usage.reserved
    );
    assert!(usage.advice_rows <= usage.rows);
    assert!(usage.rows + usage.reserved <= 1 << usage.k);
    assert!(usage.rows + usage.reserved > 1 << (usage.k - 1));

    let circuit = SignatureCircuit::new(valid_witness());
    let prover = MockProver::run(usage.k, &circuit, circuit.public_inputs()).unwrap();
    assert_eq!(prover.verify(), Ok(()));
    assert!(matches!(
        MockProver::run(usage.k - 1, &circuit, circuit.public_inputs()),
        Err(Error::NotEnoughRowsAvailable { .. })
    ));
}

#[test]
fn shape_has_no_public_inputs_and_same_k() {
    let shape = SignatureCircuit::default();
    assert_eq!(shape.public_inputs(), vec![Vec::<Fp>::new()]);
    assert!(shape.witness().is_none());
    let full = SignatureCircuit::new(valid_witness());
    assert_eq!(full.k(), shape.k());
    assert!(full.without_witnesses().witness().is_none());
}

#[test]
fn real_proof_round_trip() {
    let circuit = SignatureCircuit::new(valid_witness());
    let mut wrong_inputs = circuit.public_inputs();
    wrong_inputs[0][MSG_ROW] += Fp::ONE;
    let size = proving::round_trip(&circuit, &wrong_inputs);
    assert!(size.is_ok(), "{size:?}");
    println!("signature: proof size {} bytes", size.unwrap());
}

#[test]
#[ignore = "measurement; run with RAYON_NUM_THREADS=1 -- --ignored --nocapture"]
fn measure_signature_single_thread() {
    use std::time::{Duration, Instant};
    let usage = SignatureCircuit::row_usage().unwrap();
    let circuit = SignatureCircuit::new(valid_witness());
    let params = proving::IpaParams::new(usage.k);

    let start = Instant::now();
    let pk = proving::keygen(&params, &circuit).unwrap();
    let keygen = start.elapsed();

    let mut times: Vec<Duration> = (0..3u64)
        .map(|seed| {
            let start = Instant::now();
            let proof =
                proving::prove(&params, &pk, &circuit, StdRng::seed_from_u64(seed)).unwrap();
            let elapsed = start.elapsed();
            proving::verify(&params, pk.get_vk(), &proof, &circuit.public_inputs()).unwrap();
            elapsed
        })
        .collect();
    times.sort();
    println!(
        "signature: RAYON_NUM_THREADS={}, k = {}, rows used = {} (gate rows {}, +{} reserved), \
         keygen = {:?}, prove (median of 3) = {:?}, all = {:?}",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into()),
        usage.k,
        usage.rows,
        usage.advice_rows,
        usage.reserved,
        keygen,
        times[1],
        times
    );
}
