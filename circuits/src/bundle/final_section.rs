//! The final-proof section of a bundle (see the format in [`super`]).

use super::{Bundle, BundleError, Reader};
use crate::final_proof::{FinalTree, TreeChild};
use crate::Fr;
use circuits_kzg::aggregation::layout;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;

/// The final proof: one aggregation proof of every sub-proof, and the tree it was built in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalProof {
    /// The tree's shape and aggregation `k` (what a verifier needs to recompute the statement).
    pub tree: FinalTree,
    /// The root node's public inputs (accumulator limbs, then the statement).
    pub instances: Vec<Fr>,
    /// The root node's SHPLONK proof.
    pub proof: Vec<u8>,
}

/// Largest number of tree levels a bundle may declare.
const MAX_LEVELS: usize = 64;

pub(super) fn encode(out: &mut Vec<u8>, fp: Option<&FinalProof>) {
    let Some(fp) = fp else {
        out.push(0);
        return;
    };
    out.push(1);
    out.push(fp.tree.agg_k as u8);
    out.extend_from_slice(&(fp.tree.levels.len() as u16).to_le_bytes());
    for level in &fp.tree.levels {
        out.extend_from_slice(&(level.len() as u32).to_le_bytes());
        for node in level {
            out.extend_from_slice(&(node.len() as u16).to_le_bytes());
            for child in node {
                match *child {
                    TreeChild::Leaf(i) => {
                        out.push(0);
                        out.extend_from_slice(&i.to_le_bytes());
                    }
                    TreeChild::Node { level, index } => {
                        out.push(1);
                        out.extend_from_slice(&level.to_le_bytes());
                        out.extend_from_slice(&index.to_le_bytes());
                    }
                }
            }
        }
    }
    out.extend_from_slice(&(fp.instances.len() as u32).to_le_bytes());
    for x in &fp.instances {
        out.extend_from_slice(x.to_repr().as_ref());
    }
    out.extend_from_slice(&(fp.proof.len() as u32).to_le_bytes());
    out.extend_from_slice(&fp.proof);
}

pub(super) fn decode(r: &mut Reader<'_>) -> Result<Option<FinalProof>, BundleError> {
    let at = |what: &str| format!("final proof: {what}");
    match r.u8("final-proof flag")? {
        0 => return Ok(None),
        1 => {}
        other => {
            return Err(BundleError::Malformed(format!(
                "final-proof flag is {other}, not 0 or 1"
            )))
        }
    }
    let agg_k = u32::from(r.u8(&at("aggregation k"))?);
    let level_count = r.u16(&at("level count"))? as usize;
    if level_count == 0 || level_count > MAX_LEVELS {
        return Err(BundleError::Malformed(at(&format!(
            "{level_count} levels (1 to {MAX_LEVELS})"
        ))));
    }
    let mut levels = Vec::new();
    for l in 0..level_count {
        let nodes = r.u32(&at(&format!("node count of level {}", l + 1)))? as usize;
        let mut level = Vec::new();
        for j in 0..nodes {
            let where_ = |what: &str| at(&format!("node {}/{j}: {what}", l + 1));
            let count = r.u16(&where_("child count"))? as usize;
            let mut children = Vec::new();
            for _ in 0..count {
                children.push(match r.u8(&where_("child tag"))? {
                    0 => TreeChild::Leaf(r.u32(&where_("leaf index"))?),
                    1 => TreeChild::Node {
                        level: r.u16(&where_("child level"))?,
                        index: r.u32(&where_("child index"))?,
                    },
                    tag => {
                        return Err(BundleError::Malformed(where_(&format!(
                            "unknown child tag {tag}"
                        ))))
                    }
                });
            }
            level.push(children);
        }
        levels.push(level);
    }
    let count = r.u32(&at("instance count"))? as usize;
    if count != layout::NUM_INSTANCES {
        return Err(BundleError::Malformed(at(&format!(
            "{count} public inputs, an aggregation proof has {}",
            layout::NUM_INSTANCES
        ))));
    }
    let raw = r.take(count * 32, &at("public inputs"))?;
    let instances = raw
        .chunks_exact(32)
        .map(|chunk| {
            let repr: [u8; 32] = chunk.try_into().expect("32-byte chunk");
            Option::from(Fr::from_repr(repr))
                .ok_or_else(|| BundleError::Malformed(at("non-canonical field element")))
        })
        .collect::<Result<Vec<Fr>, _>>()?;
    let proof_len = r.u32(&at("proof length"))? as usize;
    let proof = r.take(proof_len, &at("proof"))?.to_vec();
    Ok(Some(FinalProof {
        tree: FinalTree { agg_k, levels },
        instances,
        proof,
    }))
}

impl Bundle {
    /// Checks the final-proof section's structure against the sub-proofs: a well-formed tree
    /// over exactly the bundle's sub-proofs, in order, and 17 public inputs with a 0/1 flag.
    pub fn check_final_section(&self) -> Result<(), BundleError> {
        let Some(fp) = &self.final_proof else {
            return Ok(());
        };
        fp.tree
            .check(self.proofs.len())
            .map_err(|e| BundleError::Malformed(format!("final proof: {e}")))?;
        if fp.instances.len() != layout::NUM_INSTANCES {
            return Err(BundleError::Malformed(format!(
                "final proof: {} public inputs, expected {}",
                fp.instances.len(),
                layout::NUM_INSTANCES
            )));
        }
        let flag = fp.instances[layout::MOVES_STATE];
        if flag != Fr::zero() && flag != Fr::one() {
            return Err(BundleError::Malformed(
                "final proof: moves_state is neither 0 nor 1".into(),
            ));
        }
        Ok(())
    }
}
