//! The signature circuit: valid signatures pass, every tampering the module docs rule out fails
//! (MockProver), the chosen k is minimal for its column count, and one real SHPLONK proof.
use std::time::Instant;

use circuits_kzg::{
    params,
    signature::{
        self, build_circuit, build_circuit_at,
        native::{is_low_s, msghash_scalar, verify_hash, verify_hash_k256},
        Keypair, SignedTransaction, Transaction, K, UNUSABLE_ROWS,
    },
};
use halo2_base::{
    gates::circuit::CircuitBuilderStage,
    halo2_proofs::{
        dev::MockProver,
        halo2curves::{bn256::Fr, ff::PrimeField, secp256k1::Fq},
    },
};

fn alice() -> Keypair {
    Keypair::from_secret(&[0x42; 32]).unwrap()
}

fn bob() -> Keypair {
    Keypair::from_secret(&[0x07; 32]).unwrap()
}

fn transfer() -> Transaction {
    let mut from = [0u8; 20];
    from[0] = 0xa1;
    from[19] = 0x01;
    let mut to = [0u8; 20];
    to[0] = 0xb2;
    to[19] = 0x02;
    Transaction {
        from,
        to,
        value: 1_000_000_000_000_000_000,
        nonce: 7,
        chain_id: 1,
        data: Fr::from(0x0da7a),
    }
}

fn signed() -> SignedTransaction {
    SignedTransaction::sign(&alice(), transfer()).unwrap()
}

/// Whether MockProver accepts `witness` laid out at `K` against `instances`.
fn mock_accepts(witness: &SignedTransaction, instances: Vec<Fr>) -> bool {
    let builder = build_circuit(CircuitBuilderStage::Mock, witness, None);
    MockProver::run(K, &builder, vec![instances])
        .unwrap()
        .verify()
        .is_ok()
}

/// MockProver with the instances an honest verifier would use for the witness's own claims.
fn mock_accepts_own(witness: &SignedTransaction) -> bool {
    mock_accepts(witness, witness.public_inputs())
}

#[test]
fn valid_signature_passes() {
    let w = signed();
    assert!(w.is_valid());
    assert!(verify_hash_k256(&w.public_key, w.msghash, &w.signature));
    assert!(is_low_s(w.signature.s));
    assert!(mock_accepts_own(&w));
}

#[test]
fn tampered_signature_fails() {
    let w = signed();
    let mut bad_s = w;
    bad_s.signature.s = w.signature.s + Fq::one();
    assert!(!verify_hash(&w.public_key, w.msghash, &bad_s.signature));
    assert!(!mock_accepts_own(&bad_s));
    let mut bad_r = w;
    bad_r.signature.r = w.signature.r + Fq::one();
    assert!(!mock_accepts_own(&bad_r));
}

#[test]
fn wrong_public_key_fails() {
    let w = signed();
    // The prover claims Bob signed what Alice signed.
    let mut claimed = w;
    claimed.public_key = bob().public_key();
    assert!(!claimed.is_valid());
    assert!(!mock_accepts_own(&claimed));
    // An honest witness against a verifier expecting Bob's key.
    let bobs_instances = signature::public_inputs(&w.tx, &bob().public_key());
    assert!(!mock_accepts(&w, bobs_instances));
}

#[test]
fn changed_transaction_fields_fail() {
    let w = signed();
    let changes: [fn(&mut Transaction); 3] =
        [|tx| tx.value += 1, |tx| tx.nonce += 1, |tx| tx.to[19] ^= 1];
    for change in changes {
        // The prover changes the transaction but keeps Alice's signature.
        let mut forged = w;
        change(&mut forged.tx);
        forged.msghash = msghash_scalar(forged.tx.message_hash());
        assert!(!forged.is_valid());
        assert!(!mock_accepts_own(&forged));
        // An honest witness against changed public inputs.
        let mut tx = w.tx;
        change(&mut tx);
        assert!(!mock_accepts(
            &w,
            signature::public_inputs(&tx, &w.public_key)
        ));
    }
}

#[test]
fn message_hash_not_derived_from_fields_fails() {
    let keypair = alice();
    let w = signed();
    // A valid signature on an unrelated hash.
    let unrelated = Fq::from(123_456_789u64);
    let mut forged = w;
    forged.msghash = unrelated;
    forged.signature = keypair.sign_hash(unrelated).unwrap();
    assert!(verify_hash(&w.public_key, unrelated, &forged.signature));
    assert!(!mock_accepts_own(&forged));

    // A valid signature on h + r_bn254: the same value modulo bn254's r, so only the integer
    // comparison of the limbs against r rejects it.
    let r_bn254 = Fq::from_repr((-Fr::one()).to_repr()).unwrap() + Fq::one();
    let shifted = w.msghash + r_bn254;
    assert_ne!(shifted, w.msghash);
    let mut forged = w;
    forged.msghash = shifted;
    forged.signature = keypair.sign_hash(shifted).unwrap();
    assert!(verify_hash(&w.public_key, shifted, &forged.signature));
    assert!(!mock_accepts_own(&forged));
}

#[test]
fn high_s_twin_fails() {
    let w = signed();
    let mut twin = w;
    twin.signature.s = -w.signature.s;
    assert!(
        verify_hash(&w.public_key, w.msghash, &twin.signature),
        "plain ECDSA accepts it"
    );
    assert!(
        !verify_hash_k256(&w.public_key, w.msghash, &twin.signature),
        "k256 does not"
    );
    assert!(!mock_accepts_own(&twin));
}

#[test]
fn k_is_minimal_for_its_column_count() {
    let w = signed();
    let at_k = build_circuit(CircuitBuilderStage::Mock, &w, None);
    let stats = at_k.statistics();
    let cells = stats.gate.total_advice_per_phase[0];
    let columns = at_k.config_params.num_advice_per_phase[0];
    let usable = (1usize << K) - UNUSABLE_ROWS;
    println!(
        "signature circuit at k={K}: {cells} advice cells, {} lookup cells, {columns} advice + {} \
         lookup advice columns, {} fixed",
        stats.total_lookup_advice_per_phase[0],
        at_k.config_params.num_lookup_advice_per_phase[0],
        at_k.config_params.num_fixed,
    );
    assert!(cells <= columns * usable);

    let below = build_circuit_at(CircuitBuilderStage::Mock, &w, None, K - 1);
    let cells_below = below.statistics().gate.total_advice_per_phase[0];
    let usable_below = (1usize << (K - 1)) - UNUSABLE_ROWS;
    assert!(
        cells_below > columns * usable_below,
        "k={} would hold the circuit in the same {columns} columns",
        K - 1
    );
}

#[test]
fn real_shplonk_proof() {
    // Timings are printed for the report (`--nocapture`), never asserted.
    let clock = Instant::now();
    let params = params::test_params(K).unwrap();
    println!("params k={K}: {:.2?}", clock.elapsed());
    let clock = Instant::now();
    let keys = signature::keygen(&params).unwrap();
    println!("keygen: {:.2?}", clock.elapsed());
    let vk = keys.pk.get_vk();
    let w = signed();

    let clock = Instant::now();
    let proof = signature::prove(&params, &keys, &w).unwrap();
    println!("prove: {:.2?} ({} bytes)", clock.elapsed(), proof.len());
    let clock = Instant::now();
    signature::verify(&params, vk, &proof, &w.tx, &w.public_key).unwrap();
    println!("verify: {:.2?}", clock.elapsed());

    let mut tampered = proof.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    assert!(signature::verify(&params, vk, &tampered, &w.tx, &w.public_key).is_err());

    let mut other_tx = w.tx;
    other_tx.value += 1;
    assert!(signature::verify(&params, vk, &proof, &other_tx, &w.public_key).is_err());
    assert!(signature::verify(&params, vk, &proof, &w.tx, &bob().public_key()).is_err());
}

#[test]
fn message_hash_matches_the_crates_poseidon() {
    // The signature module hashes with snark-verifier's native sponge; `poseidon::hash_fields`
    // is the crate's own native Poseidon. Both must be halo2-base's `hash_fix_len_array`.
    for tx in [
        transfer(),
        Transaction {
            value: 0,
            nonce: 0,
            ..transfer()
        },
    ] {
        assert_eq!(
            tx.message_hash(),
            circuits_kzg::poseidon::hash_fields(&tx.fields())
        );
    }
}
