//! The children of an aggregation node: leaf sub-proofs and aggregation proofs as SDK snarks.

use super::circuit::{AggregationKeys, AggregationProof};
use super::layout::{self, ChildShape};
use super::{verify, AggError};
use halo2_base::halo2_proofs::halo2curves::bn256::Fq;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine};
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::utils::CurveAffineExt;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::util::arithmetic::fe_to_limbs;
use snark_verifier::verifier::plonk::PlonkProtocol;
use snark_verifier_sdk::halo2::aggregation::AggregationCircuit;
use snark_verifier_sdk::{CircuitExt, Snark, BITS, LIMBS};

/// Where a snark's state roots sit among its public inputs (one instance column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RootPositions {
    /// Index of the root before.
    pub pre: usize,
    /// Index of the root after.
    pub post: usize,
}

/// Whether a child is a sub-circuit proof or an aggregation proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChildKind {
    /// A sub-circuit proof.
    Leaf,
    /// An aggregation proof (its first 12 public inputs are an accumulator).
    Node,
}

/// One child of an aggregation node, checked natively.
#[derive(Clone, Debug)]
pub struct Child {
    /// The SDK snark (protocol, public inputs, proof).
    pub snark: Snark,
    /// Its shape as the node circuit sees it.
    pub shape: ChildShape,
    /// `s·g2` of the set-up it was proved under.
    pub(crate) s_g2: G2Affine,
}

impl Child {
    /// The flat public inputs (one instance column).
    pub fn instances(&self) -> &[Fr] {
        &self.snark.instances[0]
    }

    /// `(pre, post)` roots, if the child moves state.
    pub fn roots(&self) -> Option<(Fr, Fr)> {
        self.shape
            .roots
            .map(|r| (self.instances()[r.pre], self.instances()[r.post]))
    }

    /// The words of its verifying key the node loads as witnesses, in circuit order: `k`, then
    /// each fixed commitment's `x` and `y` limbs, then the transcript initial state.
    pub fn vk_words(&self) -> Vec<Fr> {
        protocol_vk_words(&self.snark.protocol)
    }
}

/// The words of a compiled protocol's verifying key that a node loads as witnesses, in circuit
/// order: `k`, then each fixed commitment's `x` and `y` limbs, then the transcript initial
/// state. [`Child::vk_words`] is this of the child's protocol; a verifier recomputing a
/// `vk_commitment` from verifying keys compiles each and calls this.
pub fn protocol_vk_words(protocol: &PlonkProtocol<G1Affine>) -> Vec<Fr> {
    let mut words = vec![Fr::from(protocol.domain.k as u64)];
    for point in &protocol.preprocessed {
        let (x, y) = point.into_coordinates();
        for coordinate in [x, y] {
            words.extend(fe_to_limbs::<Fq, Fr, LIMBS, BITS>(coordinate));
        }
    }
    words.extend(protocol.transcript_initial_state);
    words
}

/// A sub-circuit proof as a child: `proof` is verified natively against `vk` and `public`
/// (with `params`, the set-up at the sub-circuit's `k`) and compiled into an SDK snark.
/// `roots` is where its `(pre, post)` roots sit, or `None` if it moves no state.
///
/// # Errors
/// [`AggError::ChildInputs`] for root positions outside the public inputs (or equal), and
/// [`AggError::ChildProof`] if the proof does not verify.
pub fn leaf_child(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    public: &[Fr],
    proof: Vec<u8>,
    roots: Option<RootPositions>,
) -> Result<Child, AggError> {
    let shape = ChildShape {
        kind: ChildKind::Leaf,
        roots,
        num_instances: public.len(),
    };
    shape.check().map_err(|reason| AggError::ChildInputs {
        what: "leaf".into(),
        reason,
    })?;
    crate::params::verify(params, vk, &proof, &[public.to_vec()]).map_err(|e| {
        AggError::ChildProof {
            what: "leaf".into(),
            reason: e.to_string(),
        }
    })?;
    let protocol = compile(
        params,
        vk,
        Config::kzg().with_num_instance(vec![public.len()]),
    );
    Ok(Child {
        snark: Snark::new(protocol, vec![public.to_vec()], proof),
        shape,
        s_g2: params.s_g2(),
    })
}

/// An aggregation proof as a child of a parent node: verified natively with [`verify::verify_proof`]
/// (SHPLONK and the accumulator's pairing), then compiled with the SDK's accumulator indices so
/// that the parent folds its accumulator. `params` is the set-up at the node's `k`.
///
/// # Errors
/// [`AggError::ChildProof`] if it does not verify, [`AggError::ChildInputs`] for a malformed
/// statement.
pub fn node_child(
    params: &ParamsKZG<Bn256>,
    keys: &AggregationKeys,
    proof: &AggregationProof,
) -> Result<Child, AggError> {
    let what = || "aggregation child".to_string();
    verify::verify_proof(params, keys.pk.get_vk(), proof).map_err(|e| AggError::ChildProof {
        what: what(),
        reason: e.to_string(),
    })?;
    let statement = proof.statement().map_err(|e| AggError::ChildInputs {
        what: what(),
        reason: e.to_string(),
    })?;
    let protocol = compile(
        params,
        keys.pk.get_vk(),
        Config::kzg()
            .with_num_instance(vec![layout::NUM_INSTANCES])
            .with_accumulator_indices(AggregationCircuit::accumulator_indices()),
    );
    Ok(Child {
        snark: Snark::new(protocol, vec![proof.instances.clone()], proof.proof.clone()),
        shape: ChildShape {
            kind: ChildKind::Node,
            roots: statement.moves_state.then_some(layout::NODE_ROOTS),
            num_instances: layout::NUM_INSTANCES,
        },
        s_g2: params.s_g2(),
    })
}
