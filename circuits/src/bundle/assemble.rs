//! Assembly and verification: the one place that decides whether sub-proofs form a bundle.
//!
//! [`assemble`] runs where the proofs are made (the pipeline's `assemble` task, locally or on a
//! fleet worker) and [`assemble_and_verify`] where a bundle is checked (`zkpar verify`); both
//! judge the chain of state roots with the same [`check_root_chain`].

use super::{
    fr_from_hex, fr_to_hex, Bundle, BundleError, BundleHeader, SubProof, SubProofHeader,
    BUNDLE_VERSION,
};
use crate::any::AnyCircuit;
use crate::keys::KeyCache;
use crate::kind::SubCircuitKind;
use crate::Fr;
use serde::Serialize;

/// What a bundle states before its proofs are in: which target, from which state to which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// `operation` or `block`.
    pub kind: String,
    /// Operation or block id.
    pub id: String,
    /// Sparse Merkle tree depth.
    pub tree_depth: usize,
    /// State root before.
    pub initial_root: Fr,
    /// State root after.
    pub final_root: Fr,
    /// The scheduling policy (or engine) that produced it.
    pub policy: String,
}

/// Builds a bundle from proved sub-circuits, in execution order, each with the fingerprint of
/// the verifying key it was proved against. Fails, naming the sub-proof, when the state roots do
/// not chain from the statement's initial root to its final root.
pub fn assemble(
    statement: Statement,
    proofs: Vec<(SubProof, String)>,
) -> Result<Bundle, BundleError> {
    let (proofs, fingerprints): (Vec<SubProof>, Vec<String>) = proofs.into_iter().unzip();
    check_root_chain(statement.initial_root, statement.final_root, &proofs)?;
    let header = BundleHeader {
        format_version: BUNDLE_VERSION,
        kind: statement.kind,
        id: statement.id,
        tree_depth: statement.tree_depth,
        initial_root: fr_to_hex(&statement.initial_root),
        final_root: fr_to_hex(&statement.final_root),
        policy: statement.policy,
        subcircuits: proofs
            .iter()
            .zip(fingerprints)
            .map(|(p, vk_fingerprint)| SubProofHeader {
                label: p.label.clone(),
                name: p.kind.name().into(),
                k: p.k,
                vk_fingerprint,
            })
            .collect(),
    };
    Ok(Bundle {
        header,
        proofs,
        final_proof: None,
    })
}

/// Checks that the state-changing sub-proofs chain: the first starts at `initial`, each one's
/// post-root is the next one's pre-root, the last ends at `final_root`. Returns how many
/// transitions chained.
pub fn check_root_chain(
    initial: Fr,
    final_root: Fr,
    proofs: &[SubProof],
) -> Result<usize, BundleError> {
    let reject = |msg: String| BundleError::Rejected(msg);
    let mut root = initial;
    let mut transitions = 0;
    for (i, p) in proofs.iter().enumerate() {
        if let Some((pre, post)) = state_transition(p) {
            if pre != root {
                let expected = if transitions == 0 {
                    "the initial root"
                } else {
                    "the previous transition's post-root"
                };
                return Err(reject(format!(
                    "state root chain broken at sub-proof {i} ({}): its pre-root {} is not {expected} {}",
                    p.label,
                    fr_to_hex(&pre),
                    fr_to_hex(&root)
                )));
            }
            root = post;
            transitions += 1;
        }
    }
    if root != final_root {
        return Err(reject(format!(
            "state root chain ends at {} but the final root is {}",
            fr_to_hex(&root),
            fr_to_hex(&final_root)
        )));
    }
    Ok(transitions)
}

/// What [`assemble_and_verify`] checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Operation or block id.
    pub id: String,
    /// Sub-proofs verified.
    pub subproofs: usize,
    /// State transitions chained from the initial to the final root.
    pub transitions: usize,
    /// Verifying keys used (one per sub-circuit kind).
    pub keys: usize,
}

/// Assembly: checks keys, the chain of state roots and every proof.
///
/// 1. Each sub-proof's `k` and verifying-key fingerprint must match this build's key for its
///    sub-circuit (a bundle from a changed circuit is rejected, not half-verified).
/// 2. The public inputs have the count the circuit exposes.
/// 3. State roots chain: the first transition starts at `initial_root`, each transition's post-root is
///    the next one's pre-root, the last ends at `final_root`.
/// 4. Every proof is verified (KZG, SHPLONK) against its kind's key; the first failing sub-proof
///    is named.
pub fn assemble_and_verify(bundle: &Bundle, keys: &KeyCache) -> Result<VerifyReport, BundleError> {
    let reject = |msg: String| BundleError::Rejected(msg);
    let header = &bundle.header;
    let initial = fr_from_hex(&header.initial_root)
        .ok_or_else(|| reject("initial_root is not a field element".into()))?;
    let final_root = fr_from_hex(&header.final_root)
        .ok_or_else(|| reject("final_root is not a field element".into()))?;
    let mut kinds: Vec<SubCircuitKind> = bundle.proofs.iter().map(|p| p.kind).collect();
    kinds.sort();
    kinds.dedup();
    for (i, (p, h)) in bundle.proofs.iter().zip(&header.subcircuits).enumerate() {
        let key = keys
            .get(p.kind, header.tree_depth)
            .map_err(|e| reject(format!("sub-proof {i} ({}): {e}", p.label)))?;
        if key.k != p.k {
            return Err(reject(format!(
                "sub-proof {i} ({}, {}): k={} but this build's {} has k={}",
                p.label, p.kind, p.k, p.kind, key.k
            )));
        }
        if key.fingerprint != h.vk_fingerprint {
            return Err(reject(format!(
                "sub-proof {i} ({}, {}): verifying-key fingerprint {} does not match this build's {}",
                p.label, p.kind, h.vk_fingerprint, key.fingerprint
            )));
        }
        let expected = key.public_input_lens.clone();
        let found: Vec<usize> = p.public_inputs.iter().map(Vec::len).collect();
        if found != expected {
            return Err(reject(format!(
                "sub-proof {i} ({}, {}): public inputs have shape {found:?}, expected {expected:?}",
                p.label, p.kind
            )));
        }
    }
    let transitions = check_root_chain(initial, final_root, &bundle.proofs)?;
    for kind in &kinds {
        let key = keys
            .get(*kind, header.tree_depth)
            .map_err(|e| reject(e.to_string()))?;
        for (i, p) in bundle
            .proofs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == *kind)
        {
            circuits_kzg::params::verify(
                &key.params,
                key.keys.pk.get_vk(),
                &p.proof,
                &p.public_inputs,
            )
            .map_err(|e| {
                reject(format!(
                    "sub-proof {i} ({}, {}) does not verify: {e}",
                    p.label, p.kind
                ))
            })?;
        }
    }
    Ok(VerifyReport {
        id: header.id.clone(),
        subproofs: bundle.proofs.len(),
        transitions,
        keys: kinds.len(),
    })
}

/// `(pre, post)` roots of a state-changing sub-proof, read from its public inputs (both Merkle
/// update circuits expose `[old_root, new_root, ...]` first).
pub fn state_transition(p: &SubProof) -> Option<(Fr, Fr)> {
    match p.kind {
        SubCircuitKind::AccountUpdate | SubCircuitKind::StorageUpdate => {
            let column = p.public_inputs.first()?;
            Some((*column.first()?, *column.get(1)?))
        }
        _ => None,
    }
}

/// Test and tooling helper: the sub-proof header for a proved circuit.
pub fn subproof_header(
    label: &str,
    circuit: &AnyCircuit,
    k: u32,
    fingerprint: &str,
) -> SubProofHeader {
    SubProofHeader {
        label: label.to_string(),
        name: circuit.kind().name().to_string(),
        k,
        vk_fingerprint: fingerprint.to_string(),
    }
}
