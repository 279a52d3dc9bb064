//! Thin, typed wrappers over halo2's key generation, proving and verification for one
//! [`SubCircuit`] (IPA over Vesta commitments, Blake2b transcripts).
//!
//! Everything here is plain halo2: the scheduler decides *when* and *where* these run; halo2's own
//! data parallelism (rayon) runs on whichever rayon pool the caller installs.

use crate::subcircuits::SubCircuit;
use crate::Fp;
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Error, ProvingKey, SingleVerifier,
    VerifyingKey,
};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};
use pasta_curves::vesta;

/// Commitment parameters for circuits over [`Fp`]: IPA over Vesta points, no trusted setup.
pub type IpaParams = Params<vesta::Affine>;
/// A proving key for circuits over [`Fp`].
pub type Pk = ProvingKey<vesta::Affine>;
/// A verifying key for circuits over [`Fp`].
pub type Vk = VerifyingKey<vesta::Affine>;

/// Generates the verifying and proving keys for `circuit`'s shape (its witness is ignored).
pub fn keygen<C: SubCircuit>(params: &IpaParams, circuit: &C) -> Result<Pk, Error> {
    let shape = circuit.without_witnesses();
    let vk = keygen_vk(params, &shape)?;
    keygen_pk(params, vk, &shape)
}

/// Proves one instance of `circuit` against its own [`SubCircuit::public_inputs`].
pub fn prove<C: SubCircuit>(
    params: &IpaParams,
    pk: &Pk,
    circuit: &C,
    rng: impl rand_core::Rng,
) -> Result<Vec<u8>, Error> {
    let instances = circuit.public_inputs();
    let columns: Vec<&[Fp]> = instances.iter().map(Vec::as_slice).collect();
    let mut transcript = Blake2bWrite::<_, vesta::Affine, Challenge255<_>>::init(vec![]);
    create_proof(
        params,
        pk,
        std::slice::from_ref(circuit),
        &[&columns],
        rng,
        &mut transcript,
    )?;
    Ok(transcript.finalize())
}

/// Verifies one proof against the given public inputs (one vector per instance column).
pub fn verify(
    params: &IpaParams,
    vk: &Vk,
    proof: &[u8],
    instances: &[Vec<Fp>],
) -> Result<(), Error> {
    let columns: Vec<&[Fp]> = instances.iter().map(Vec::as_slice).collect();
    let mut transcript = Blake2bRead::<_, vesta::Affine, Challenge255<_>>::init(proof);
    verify_proof(
        params,
        vk,
        SingleVerifier::new(params),
        &[&columns],
        &mut transcript,
    )
}

/// Test helper: a full `keygen` → `prove` → `verify` round trip on real parameters, then a check
/// that the same proof is rejected against `wrong_inputs`. Returns the proof size in bytes.
pub fn round_trip<C: SubCircuit>(circuit: &C, wrong_inputs: &[Vec<Fp>]) -> Result<usize, String> {
    use rand::SeedableRng;
    let params = IpaParams::new(circuit.k());
    let pk = keygen(&params, circuit).map_err(|e| format!("{}: keygen failed: {e:?}", C::NAME))?;
    let rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let proof = prove(&params, &pk, circuit, rng)
        .map_err(|e| format!("{}: proving failed: {e:?}", C::NAME))?;
    verify(&params, pk.get_vk(), &proof, &circuit.public_inputs())
        .map_err(|e| format!("{}: valid proof rejected: {e:?}", C::NAME))?;
    if verify(&params, pk.get_vk(), &proof, wrong_inputs).is_ok() {
        return Err(format!(
            "{}: proof accepted against wrong public inputs",
            C::NAME
        ));
    }
    Ok(proof.len())
}
