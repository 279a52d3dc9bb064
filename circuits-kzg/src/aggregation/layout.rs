//! The node's public instances after the accumulator (see the module docs of
//! [`super`]): the statement computed natively ([`NodeStatement::of_children`]) and the same
//! statement constrained in circuit ([`constrain_statement`]), from one split of each child's
//! public inputs ([`ChildShape::split`]).

use super::child::{Child, ChildKind, RootPositions};
use super::AggError;
use crate::poseidon::{hash_fields, PoseidonGadget};
use halo2_base::gates::GateInstructions;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::{AssignedValue, Context};
use snark_verifier_sdk::LIMBS;

/// Public inputs holding the KZG accumulator: `4 × LIMBS` = 12.
pub const ACCUMULATOR_LIMBS: usize = 4 * LIMBS;
/// The node's pre root.
pub const PRE_ROOT: usize = ACCUMULATOR_LIMBS;
/// The node's post root.
pub const POST_ROOT: usize = ACCUMULATOR_LIMBS + 1;
/// `1` if some child moves state, else `0` (and both roots are `0`).
pub const MOVES_STATE: usize = ACCUMULATOR_LIMBS + 2;
/// Poseidon commitment to the children's verifying keys.
pub const VK_COMMITMENT: usize = ACCUMULATOR_LIMBS + 3;
/// Poseidon commitment to the children's other public inputs.
pub const INPUTS_COMMITMENT: usize = ACCUMULATOR_LIMBS + 4;
/// Public inputs of a node.
pub const NUM_INSTANCES: usize = ACCUMULATOR_LIMBS + 5;
/// Where a state-moving node's roots sit, for its parent.
pub const NODE_ROOTS: RootPositions = RootPositions {
    pre: PRE_ROOT,
    post: POST_ROOT,
};
/// Names of the statement's instances, from [`PRE_ROOT`] on.
pub const STATEMENT_FIELDS: [&str; 5] = [
    "pre_root",
    "post_root",
    "moves_state",
    "vk_commitment",
    "inputs_commitment",
];

/// What a node circuit knows of a child: fixed at key generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ChildShape {
    /// Leaf or node.
    pub kind: ChildKind,
    /// Where its roots sit, if it moves state.
    pub roots: Option<RootPositions>,
    /// Its number of public inputs.
    pub num_instances: usize,
}

/// A child's public inputs split by role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts<T> {
    /// `(pre, post)` if it moves state.
    pub roots: Option<(T, T)>,
    /// An aggregation child's `moves_state` flag.
    pub flag: Option<T>,
    /// An aggregation child's `vk_commitment`.
    pub vk_commitment: Option<T>,
    /// Everything committed in the parent's `inputs_commitment`, in order.
    pub other: Vec<T>,
}

impl ChildShape {
    /// Why the shape is malformed, if it is.
    pub fn check(&self) -> Result<(), String> {
        match (self.kind, self.roots) {
            (ChildKind::Node, roots) => {
                if self.num_instances != NUM_INSTANCES {
                    return Err(format!(
                        "an aggregation proof has {NUM_INSTANCES} public inputs, not {}",
                        self.num_instances
                    ));
                }
                if roots.is_some_and(|r| r != NODE_ROOTS) {
                    return Err(format!(
                        "an aggregation proof's roots are at {NODE_ROOTS:?}"
                    ));
                }
            }
            (ChildKind::Leaf, Some(r)) => {
                if r.pre == r.post || r.pre.max(r.post) >= self.num_instances {
                    return Err(format!(
                        "root positions {r:?} are not two distinct indices below {}",
                        self.num_instances
                    ));
                }
            }
            (ChildKind::Leaf, None) => {}
        }
        Ok(())
    }

    /// Splits `instances` (of length `num_instances`) by role.
    pub fn split<T: Clone>(&self, instances: &[T]) -> Parts<T> {
        assert_eq!(instances.len(), self.num_instances, "instance count");
        let roots = self
            .roots
            .map(|r| (instances[r.pre].clone(), instances[r.post].clone()));
        match self.kind {
            ChildKind::Node => Parts {
                roots,
                flag: Some(instances[MOVES_STATE].clone()),
                vk_commitment: Some(instances[VK_COMMITMENT].clone()),
                other: instances[INPUTS_COMMITMENT..].to_vec(),
            },
            ChildKind::Leaf => Parts {
                roots,
                flag: None,
                vk_commitment: None,
                other: instances
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| self.roots.is_none_or(|r| *i != r.pre && *i != r.post))
                    .map(|(_, v)| v.clone())
                    .collect(),
            },
        }
    }
}

/// A node's public inputs after the accumulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeStatement {
    /// The first state-moving child's pre root (0 if none).
    pub pre_root: Fr,
    /// The last state-moving child's post root (0 if none).
    pub post_root: Fr,
    /// Whether some child moves state.
    pub moves_state: bool,
    /// Commitment to the children's verifying keys.
    pub vk_commitment: Fr,
    /// Commitment to the children's other public inputs.
    pub inputs_commitment: Fr,
}

impl NodeStatement {
    /// The statement as public inputs `12..17`.
    pub fn to_instances(&self) -> [Fr; 5] {
        [
            self.pre_root,
            self.post_root,
            Fr::from(u64::from(self.moves_state)),
            self.vk_commitment,
            self.inputs_commitment,
        ]
    }

    /// The statement a node over `children` proves, computed natively; checks the root chain
    /// and that each aggregation child's flag agrees with its shape.
    ///
    /// # Errors
    /// [`AggError::NoChildren`], [`AggError::ChildInputs`] or [`AggError::RootChain`].
    pub fn of_children(children: &[Child]) -> Result<Self, AggError> {
        if children.is_empty() {
            return Err(AggError::NoChildren);
        }
        let mut chain: Option<(usize, Fr, Fr)> = None; // (last index, first pre, last post)
        let (mut digests, mut other) = (Vec::new(), Vec::new());
        for (i, child) in children.iter().enumerate() {
            let bad = |reason: String| AggError::ChildInputs {
                what: format!("child {i}"),
                reason,
            };
            child.shape.check().map_err(bad)?;
            if child.instances().len() != child.shape.num_instances {
                return Err(bad(format!(
                    "{} public inputs, its shape says {}",
                    child.instances().len(),
                    child.shape.num_instances
                )));
            }
            let parts = child.shape.split(child.instances());
            if let Some(flag) = parts.flag {
                let expected = Fr::from(u64::from(parts.roots.is_some()));
                if flag != expected {
                    return Err(bad(format!(
                        "moves_state is {flag:?}, expected {expected:?}"
                    )));
                }
            }
            if let Some((pre, post)) = parts.roots {
                chain = Some(match chain {
                    Some((prev, _, last)) if last != pre => {
                        return Err(AggError::RootChain {
                            prev,
                            next: i,
                            post: last,
                            pre,
                        })
                    }
                    Some((_, first, _)) => (i, first, post),
                    None => (i, pre, post),
                });
            }
            let mut words = child.vk_words();
            words.extend(parts.vk_commitment);
            digests.push(hash_fields(&words));
            other.extend(parts.other);
        }
        let (pre_root, post_root) = chain.map_or((Fr::zero(), Fr::zero()), |(_, a, b)| (a, b));
        Ok(Self {
            pre_root,
            post_root,
            moves_state: chain.is_some(),
            vk_commitment: hash_fields(&digests),
            inputs_commitment: hash_fields(&other),
        })
    }
}

/// One child's cells inside the node circuit.
#[derive(Clone, Debug)]
pub struct ChildCells<'a> {
    /// Its shape.
    pub shape: ChildShape,
    /// Its public inputs, as the SDK's `previous_instances`.
    pub instances: &'a [AssignedValue<Fr>],
    /// Its verifying-key words (`k`, then the SDK's `preprocessed`), as in
    /// [`Child::vk_words`].
    pub vk_words: Vec<AssignedValue<Fr>>,
}

/// Constrains the statement in circuit and returns its five cells (public inputs `12..17`):
/// the root chain as copy constraints, aggregation children's flags as constants, the two
/// Poseidon commitments. The caller checked the shapes ([`ChildShape::check`]).
pub fn constrain_statement(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    children: &[ChildCells<'_>],
) -> [AssignedValue<Fr>; 5] {
    let mut poseidon = PoseidonGadget::new(ctx);
    let mut chain: Option<(AssignedValue<Fr>, AssignedValue<Fr>)> = None;
    let (mut digests, mut other) = (Vec::new(), Vec::new());
    for child in children {
        let parts = child.shape.split(child.instances);
        if let Some(flag) = parts.flag {
            gate.assert_is_const(ctx, &flag, &Fr::from(u64::from(parts.roots.is_some())));
        }
        if let Some((pre, post)) = parts.roots {
            chain = Some(match chain {
                None => (pre, post),
                Some((first, last)) => {
                    ctx.constrain_equal(&last, &pre);
                    (first, post)
                }
            });
        }
        let mut words = child.vk_words.clone();
        words.extend(parts.vk_commitment);
        digests.push(poseidon.hash_fields(ctx, gate, &words));
        other.extend(parts.other);
    }
    let (pre, post, moves) = match chain {
        Some((pre, post)) => (pre, post, ctx.load_constant(Fr::one())),
        None => {
            let zero = ctx.load_zero();
            (zero, zero, zero)
        }
    };
    let vk_commitment = poseidon.hash_fields(ctx, gate, &digests);
    let inputs_commitment = poseidon.hash_fields(ctx, gate, &other);
    [pre, post, moves, vk_commitment, inputs_commitment]
}

#[cfg(test)]
mod tests;
