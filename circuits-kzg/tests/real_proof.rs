//! A real SHPLONK proof through the generic harness (the path every halo2-base sub-circuit
//! takes): keys at the minimal k, a proof that verifies, and a tampered proof or public input
//! that does not.

use circuits_kzg::balance::{BalanceCircuit, BalanceWitness};
use circuits_kzg::harness::{self, BaseCircuit};
use circuits_kzg::params::{test_params, verify};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;

#[test]
fn a_balance_proof_verifies_and_tampering_is_rejected() {
    let circuit = BalanceCircuit::new(&BalanceWitness {
        sender_balance: 1_000,
        sender_nonce: 3,
        receiver_balance: 50,
        amount: 300,
        fee: 7,
    })
    .unwrap();
    let k = harness::min_k(&circuit);
    let params = test_params(k).unwrap();
    let keys = harness::keygen(&circuit, &params).unwrap();
    let proof = harness::prove(&circuit, &params, &keys).unwrap();
    let public = circuit.public_inputs();
    verify(
        &params,
        keys.pk.get_vk(),
        &proof,
        std::slice::from_ref(&public),
    )
    .unwrap();

    let mut tampered = proof.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    assert!(verify(
        &params,
        keys.pk.get_vk(),
        &tampered,
        std::slice::from_ref(&public)
    )
    .is_err());
    let mut other = public;
    other[0] += Fr::one();
    assert!(verify(&params, keys.pk.get_vk(), &proof, &[other]).is_err());
}
