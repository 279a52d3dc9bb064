//! The final verifier: the final proof alone, against the statement the header claims.

use super::{fr_from_hex, Bundle, BundleError};
use crate::final_proof::{
    leaf_key_word, leaf_roots, node_key_id, node_keys, stored_node_vk, TreeChild,
};
use crate::keys::KeyCache;
use crate::kind::SubCircuitKind;
use crate::Fr;
use circuits_kzg::aggregation::{
    self, layout, leaf_child, AggError, AggregationProof, NodeStatement,
};
use circuits_kzg::poseidon::hash_fields;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use serde::Serialize;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier_sdk::halo2::aggregation::AggregationCircuit;
use snark_verifier_sdk::CircuitExt;
use std::collections::BTreeMap;

/// What [`verify_final`] checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FinalVerifyReport {
    /// Operation or block id.
    pub id: String,
    /// Sub-proofs the final proof covers (not re-verified).
    pub subproofs: usize,
    /// Aggregation nodes in the tree.
    pub nodes: usize,
    /// Levels of the tree.
    pub levels: usize,
    /// Aggregation `k`.
    pub agg_k: u32,
    /// Bytes of the final proof.
    pub proof_bytes: usize,
    /// Whether the final proof attests a state change (initial → final root).
    pub moves_state: bool,
    /// Node verifying keys that were not in the key store and had to be generated.
    pub generated_keys: usize,
}

/// What a node exposes to its parent, computed natively.
struct NodeFacts {
    key_id: String,
    vk: VerifyingKey<G1Affine>,
    vk_commitment: Fr,
    inputs_commitment: Fr,
    moves_state: bool,
}

/// The words of a verifying key a node loads as witnesses (as `Child::vk_words`): `k`, each
/// fixed commitment's `x` and `y` limbs, the transcript's initial state.
fn vk_words(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, node: bool) -> Vec<Fr> {
    let config = if node {
        Config::kzg()
            .with_num_instance(vec![layout::NUM_INSTANCES])
            .with_accumulator_indices(AggregationCircuit::accumulator_indices())
    } else {
        // Sub-circuits expose one instance column; its length is the caller's check.
        Config::kzg().with_num_instance(vec![vk.cs().num_instance_columns()])
    };
    aggregation::protocol_vk_words(&compile(params, vk, config))
}

/// Verifies the bundle's final proof ALONE against the statement its header claims: pre root =
/// the header's initial root, post root = its final root, `moves_state` from the sub-proofs'
/// kinds, `vk_commitment` recomputed from this build's sub-circuit verifying keys (the
/// [`KeyCache`]) and the node keys of the tree, `inputs_commitment` from the sub-proofs' public
/// inputs in order; then the SHPLONK proof and the KZG accumulator's pairing
/// ([`aggregation::verify`]). The sub-proofs themselves are not verified: the final proof
/// attests them.
///
/// Node verifying keys come from the node key store ([`crate::final_proof::agg_key_dir`]). A node
/// whose key is missing there and whose children are all sub-proofs has its key generated
/// (tens of seconds; the report counts them, and building its children checks those
/// sub-proofs natively); a missing key of a higher node is an error naming it.
///
/// # Errors
/// [`BundleError::Rejected`] naming what differs: the pre or post root against the header, the
/// verifying keys, the inputs commitment (a changed sub-proof public input), the SHPLONK proof
/// or the accumulator; or why a key was unavailable.
pub fn verify_final(bundle: &Bundle, keys: &KeyCache) -> Result<FinalVerifyReport, BundleError> {
    let reject = |msg: String| BundleError::Rejected(msg);
    let fp = bundle
        .final_proof
        .as_ref()
        .ok_or_else(|| reject("the bundle has no final proof (prove with --final)".into()))?;
    bundle.check_final_section()?;
    let header = &bundle.header;
    let initial = fr_from_hex(&header.initial_root)
        .ok_or_else(|| reject("initial_root is not a field element".into()))?;
    let final_root = fr_from_hex(&header.final_root)
        .ok_or_else(|| reject("final_root is not a field element".into()))?;
    let depth = header.tree_depth;
    let tree = &fp.tree;
    let params = keys
        .verifier_params(tree.agg_k)
        .map_err(|e| reject(format!("aggregation parameters: {e}")))?;

    // Per sub-circuit kind: its key word and verifying-key digest input.
    let mut kinds: BTreeMap<SubCircuitKind, (String, Vec<Fr>, usize)> = BTreeMap::new();
    for (i, (p, h)) in bundle.proofs.iter().zip(&header.subcircuits).enumerate() {
        let key = keys
            .verifying_key(p.kind, depth)
            .map_err(|e| reject(format!("sub-proof {i} ({}): {e}", p.label)))?;
        if key.k != p.k || key.fingerprint != h.vk_fingerprint {
            return Err(reject(format!(
                "sub-proof {i} ({}, {}): k={} with key {} but this build's key has k={} and {}",
                p.label, p.kind, p.k, h.vk_fingerprint, key.k, key.fingerprint
            )));
        }
        let found: Vec<usize> = p.public_inputs.iter().map(Vec::len).collect();
        if found != key.public_input_lens || found.len() != 1 {
            return Err(reject(format!(
                "sub-proof {i} ({}, {}): public inputs have shape {found:?}, expected {:?}",
                p.label, p.kind, key.public_input_lens
            )));
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = kinds.entry(p.kind) {
            let leaf_params = keys
                .verifier_params(key.k)
                .map_err(|e| reject(format!("sub-proof {i} ({}): {e}", p.label)))?;
            slot.insert((
                leaf_key_word(p.kind, depth, key.k, &key.fingerprint),
                vk_words(&leaf_params, &key.vk, false),
                found[0],
            ));
        }
    }

    let mut generated = 0;
    let mut facts: Vec<Vec<NodeFacts>> = Vec::with_capacity(tree.levels.len());
    for (l, level) in tree.levels.iter().enumerate() {
        let mut this_level = Vec::with_capacity(level.len());
        for (j, node) in level.iter().enumerate() {
            let (mut words, mut digests, mut other) = (Vec::new(), Vec::new(), Vec::new());
            let mut moves = false;
            for child in node {
                match *child {
                    TreeChild::Leaf(i) => {
                        let p = &bundle.proofs[i as usize];
                        let (word, vk_words, _) = &kinds[&p.kind];
                        words.push(word.clone());
                        digests.push(hash_fields(vk_words));
                        let public = &p.public_inputs[0];
                        let roots = leaf_roots(p.kind);
                        moves |= roots.is_some();
                        other.extend(public.iter().enumerate().filter_map(|(x, v)| {
                            let is_root = roots.is_some_and(|r| x == r.pre || x == r.post);
                            (!is_root).then_some(*v)
                        }));
                    }
                    TreeChild::Node { level, index } => {
                        let c = &facts[level as usize - 1][index as usize];
                        words.push(format!("node:{}", c.key_id));
                        let mut w = vk_words(&params, &c.vk, true);
                        w.push(c.vk_commitment);
                        digests.push(hash_fields(&w));
                        other.push(c.inputs_commitment);
                        moves |= c.moves_state;
                    }
                }
            }
            let key_id = node_key_id(&params, &words);
            let vk = match stored_node_vk(&key_id).map_err(|e| reject(e.to_string()))? {
                Some(vk) => vk,
                None => {
                    generated += 1;
                    generate_node_vk(bundle, keys, tree.agg_k, &key_id, node)
                        .map_err(|e| reject(format!("node {}/{j}: {e}", l + 1)))?
                }
            };
            this_level.push(NodeFacts {
                key_id,
                vk,
                vk_commitment: hash_fields(&digests),
                inputs_commitment: hash_fields(&other),
                moves_state: moves,
            });
        }
        facts.push(this_level);
    }
    let root = &facts[facts.len() - 1][0];
    if !root.moves_state && initial != final_root {
        return Err(reject(
            "the header claims a state change, but no sub-proof moves state".into(),
        ));
    }
    let (pre, post) = if root.moves_state {
        (initial, final_root)
    } else {
        (Fr::zero(), Fr::zero())
    };
    let expected = NodeStatement {
        pre_root: pre,
        post_root: post,
        moves_state: root.moves_state,
        vk_commitment: root.vk_commitment,
        inputs_commitment: root.inputs_commitment,
    };
    let proof = AggregationProof {
        proof: fp.proof.clone(),
        instances: fp.instances.clone(),
    };
    aggregation::verify(&params, &root.vk, &proof, &expected).map_err(|e| reject(named(e)))?;
    Ok(FinalVerifyReport {
        id: header.id.clone(),
        subproofs: bundle.proofs.len(),
        nodes: tree.node_count(),
        levels: tree.levels.len(),
        agg_k: tree.agg_k,
        proof_bytes: fp.proof.len(),
        moves_state: root.moves_state,
        generated_keys: generated,
    })
}

/// What is wrong, in the bundle's terms.
fn named(e: AggError) -> String {
    match e {
        AggError::Statement { field, .. } => {
            let what = match field {
                "pre_root" => "its pre root is not the header's initial root",
                "post_root" => "its post root is not the header's final root",
                "moves_state" => "its moves_state flag differs from the sub-proofs'",
                "vk_commitment" => {
                    "it aggregated other verifying keys than this build's (vk_commitment mismatch)"
                }
                "inputs_commitment" => {
                    "the sub-proofs' public inputs are not those it commits to (inputs commitment mismatch)"
                }
                _ => "a public input differs",
            };
            format!("final proof rejected: {what}; {e}")
        }
        AggError::FinalProof(reason) => {
            format!("final proof rejected by the SHPLONK verifier (proof bytes altered?): {reason}")
        }
        AggError::Accumulator(reason) => {
            format!("final proof rejected: KZG accumulator: {reason}")
        }
        other => format!("final proof rejected: {other}"),
    }
}

/// Generates the key of a node over sub-proofs only (its children are built from the bundle's
/// sub-proofs, which [`leaf_child`] checks natively) and returns its verifying key.
fn generate_node_vk(
    bundle: &Bundle,
    keys: &KeyCache,
    agg_k: u32,
    key_id: &str,
    node: &[TreeChild],
) -> Result<VerifyingKey<G1Affine>, String> {
    // Key generation needs every point of the parameters, not the verifier's part.
    let params = keys
        .params(agg_k)
        .map_err(|e| format!("aggregation parameters: {e}"))?;
    let mut children = Vec::with_capacity(node.len());
    for child in node {
        let TreeChild::Leaf(i) = *child else {
            return Err(format!(
                "the key of this node ({key_id}) is not in the store {}; it aggregates other \
                 nodes, whose proofs a verifier does not have: run `zkpar prove --final` on this \
                 machine (or copy the store) to make it",
                crate::final_proof::agg_key_dir().display()
            ));
        };
        let p = &bundle.proofs[i as usize];
        let key = keys
            .get(p.kind, bundle.header.tree_depth)
            .map_err(|e| e.to_string())?;
        children.push(
            leaf_child(
                &key.params,
                key.keys.pk.get_vk(),
                &p.public_inputs[0],
                p.proof.clone(),
                leaf_roots(p.kind),
            )
            .map_err(|e| format!("sub-proof {i} ({}): {e}", p.label))?,
        );
    }
    log::info!("node key {key_id} is not in the store: generating it");
    let (agg_keys, _) = node_keys(&params, key_id, &children)?;
    Ok(agg_keys.pk.get_vk().clone())
}

/// Loads what [`verify_final`] needs from this build and generates nothing else: the verifying
/// keys of the bundle's kinds (from the key store, or generated on first use: seconds, set-up)
/// and the verifier's part of the parameters, so that timing [`verify_final`] afterwards times
/// the verification. Returns how many verifying keys came from the store.
pub fn verify_final_keys(bundle: &Bundle, keys: &KeyCache) -> Result<usize, BundleError> {
    let reject = |msg: String| BundleError::Rejected(msg);
    if let Some(fp) = &bundle.final_proof {
        keys.verifier_params(fp.tree.agg_k)
            .map_err(|e| reject(format!("aggregation parameters: {e}")))?;
    }
    let mut kinds: Vec<SubCircuitKind> = bundle.proofs.iter().map(|p| p.kind).collect();
    kinds.sort();
    kinds.dedup();
    let mut stored = 0;
    for kind in kinds {
        let key = keys
            .verifying_key(kind, bundle.header.tree_depth)
            .map_err(|e| reject(e.to_string()))?;
        keys.verifier_params(key.k).map_err(&reject)?;
        stored += usize::from(key.source == crate::keys::VerifierKeySource::Store);
    }
    Ok(stored)
}
