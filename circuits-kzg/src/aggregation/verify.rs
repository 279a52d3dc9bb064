//! The native verifier of an aggregation proof: statement, SHPLONK proof, KZG accumulator.

use super::circuit::AggregationProof;
use super::layout::{self, NodeStatement, STATEMENT_FIELDS};
use super::AggError;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::pcs::kzg::{KzgDecidingKey, LimbsEncoding};
use snark_verifier::pcs::{AccumulationDecider, AccumulatorEncoding};
use snark_verifier_sdk::{BITS, LIMBS, SHPLONK};

/// Decodes the 12 accumulator limbs (`LimbsEncoding<3, 88>`) and runs the KZG pairing check
/// `e(lhs, g2) = e(rhs, s·g2)` with `params`' deciding key.
///
/// # Errors
/// [`AggError::Accumulator`] naming whether the limbs are malformed or the pairing fails.
pub fn decide_accumulator(params: &ParamsKZG<Bn256>, limbs: &[Fr]) -> Result<(), AggError> {
    let refs: Vec<&Fr> = limbs.iter().collect();
    let accumulator =
        <LimbsEncoding<LIMBS, BITS> as AccumulatorEncoding<G1Affine, NativeLoader>>::from_repr(
            &refs,
        )
        .map_err(|e| {
            AggError::Accumulator(format!(
                "the {} limbs do not encode two curve points ({e:?})",
                limbs.len()
            ))
        })?;
    let dk: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();
    <SHPLONK as AccumulationDecider<G1Affine, NativeLoader>>::decide(&dk, accumulator)
        .map_err(|e| AggError::Accumulator(format!("pairing check failed ({e:?})")))
}

/// Verifies an aggregation proof without an expected statement: the SHPLONK proof against `vk`
/// and the proof's own public inputs, then the accumulator ([`decide_accumulator`]).
///
/// # Errors
/// [`AggError::ChildInputs`] for a wrong instance count, [`AggError::FinalProof`],
/// [`AggError::Accumulator`].
pub fn verify_proof(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &AggregationProof,
) -> Result<(), AggError> {
    proof.statement()?;
    crate::params::verify(
        params,
        vk,
        &proof.proof,
        std::slice::from_ref(&proof.instances),
    )
    .map_err(|e| AggError::FinalProof(e.to_string()))?;
    decide_accumulator(params, proof.accumulator())
}

/// The final verifier: the proof's statement must be `expected` (e.g.
/// [`NodeStatement::of_children`] of the children the verifier trusts), then
/// [`verify_proof`].
///
/// # Errors
/// [`AggError::Statement`] naming the first differing public input, then those of
/// [`verify_proof`].
pub fn verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &AggregationProof,
    expected: &NodeStatement,
) -> Result<(), AggError> {
    let found = proof.statement()?.to_instances();
    for (i, (found, expected)) in found.iter().zip(expected.to_instances()).enumerate() {
        if *found != expected {
            return Err(AggError::Statement {
                field: STATEMENT_FIELDS[i],
                index: layout::PRE_ROOT + i,
                found: *found,
                expected,
            });
        }
    }
    verify_proof(params, vk, proof)
}
