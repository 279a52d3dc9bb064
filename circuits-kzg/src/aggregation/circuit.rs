//! The node circuit: the SDK's `AggregationCircuit` plus the statement of [`super::layout`];
//! its keys (optionally cached on disk by shape) and its proofs.

use super::child::Child;
use super::layout::{self, ChildCells, ChildShape, NodeStatement};
use super::{AggError, UNIVERSALITY};
use crate::harness::UNUSABLE_ROWS;
use crate::poseidon::hash_fields;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::gates::RangeInstructions;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::ProvingKey;
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;
use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams};
use snark_verifier_sdk::{CircuitExt, SHPLONK};
use std::fs;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

/// Bumped whenever the node circuit changes, so cached keys of an older layout are not reused.
const LAYOUT_VERSION: u64 = 1;

/// A node's keys and the layout its prover must reuse.
#[derive(Debug)]
pub struct AggregationKeys {
    /// The proving key (`pk.get_vk()` is the verifying key).
    pub pk: ProvingKey<G1Affine>,
    /// The circuit's configuration, fixed at key generation.
    pub config: AggregationConfigParams,
    /// Where the virtual region breaks into columns, fixed at key generation.
    pub break_points: MultiPhaseThreadBreakPoints,
    /// The children's shapes, in order.
    pub shape: Vec<ChildShape>,
}

/// An aggregation proof and its public inputs (one instance column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregationProof {
    /// The SHPLONK proof bytes (Poseidon transcript).
    pub proof: Vec<u8>,
    /// The [`layout::NUM_INSTANCES`] public inputs.
    pub instances: Vec<Fr>,
}

impl AggregationProof {
    /// The 12 accumulator limbs.
    pub fn accumulator(&self) -> &[Fr] {
        &self.instances[..layout::ACCUMULATOR_LIMBS.min(self.instances.len())]
    }

    /// The statement in the public inputs.
    ///
    /// # Errors
    /// [`AggError::ChildInputs`] if there are not 17 instances or the flag is not 0 or 1.
    pub fn statement(&self) -> Result<NodeStatement, AggError> {
        let bad = |reason: String| AggError::ChildInputs {
            what: "aggregation proof".into(),
            reason,
        };
        if self.instances.len() != layout::NUM_INSTANCES {
            return Err(bad(format!(
                "{} public inputs, expected {}",
                self.instances.len(),
                layout::NUM_INSTANCES
            )));
        }
        let flag = self.instances[layout::MOVES_STATE];
        if flag != Fr::zero() && flag != Fr::one() {
            return Err(bad(format!("moves_state is {flag:?}, not 0 or 1")));
        }
        Ok(NodeStatement {
            pre_root: self.instances[layout::PRE_ROOT],
            post_root: self.instances[layout::POST_ROOT],
            moves_state: flag == Fr::one(),
            vk_commitment: self.instances[layout::VK_COMMITMENT],
            inputs_commitment: self.instances[layout::INPUTS_COMMITMENT],
        })
    }
}

/// Checks the children against the node's parameters (same set-up, well-formed shapes).
fn check_children(params: &ParamsKZG<Bn256>, children: &[Child]) -> Result<(), AggError> {
    if children.is_empty() {
        return Err(AggError::NoChildren);
    }
    for (i, child) in children.iter().enumerate() {
        if child.s_g2 != params.s_g2() {
            return Err(AggError::SetupMismatch { child: i });
        }
        child
            .shape
            .check()
            .map_err(|reason| AggError::ChildInputs {
                what: format!("child {i}"),
                reason,
            })?;
    }
    Ok(())
}

/// The node circuit over `children` at `stage` with `config`: the SDK's aggregation, then the
/// statement's constraints and public inputs.
fn build(
    stage: CircuitBuilderStage,
    config: AggregationConfigParams,
    params: &ParamsKZG<Bn256>,
    children: &[Child],
) -> AggregationCircuit {
    let snarks = children.iter().map(|c| c.snark.clone());
    let mut circuit =
        AggregationCircuit::new::<SHPLONK>(stage, config, params, snarks, UNIVERSALITY);
    let previous = circuit.previous_instances().clone();
    let preprocessed = circuit.preprocessed().clone();
    let cells: Vec<ChildCells<'_>> = children
        .iter()
        .zip(&previous)
        .zip(&preprocessed)
        .map(|((child, instances), vk)| ChildCells {
            shape: child.shape,
            instances,
            vk_words: std::iter::once(vk.k)
                .chain(vk.preprocessed.iter().copied())
                .collect(),
        })
        .collect();
    let range = circuit.builder.range_chip();
    let statement = layout::constrain_statement(circuit.builder.main(0), range.gate(), &cells);
    circuit.builder.assigned_instances[0].extend(statement);
    circuit
}

/// The first configuration of a node at `k`: the range-check table takes `k − 1` bits.
fn initial_config(k: u32) -> AggregationConfigParams {
    AggregationConfigParams {
        degree: k,
        lookup_bits: k as usize - 1,
        ..Default::default()
    }
}

/// Cells of a node's layout (independent of the witness).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeCells {
    /// Advice cells of the gate columns.
    pub advice: usize,
    /// Cells copied into lookup columns for range checks.
    pub lookup: usize,
    /// Distinct constants (fixed cells).
    pub fixed: usize,
}

/// The cells of a node over `children` at `params.k()`, from a layout alone (no keys).
///
/// # Errors
/// Those of the children's checks in [`keygen`].
pub fn node_cells(params: &ParamsKZG<Bn256>, children: &[Child]) -> Result<NodeCells, AggError> {
    check_children(params, children)?;
    let circuit = build(
        CircuitBuilderStage::Keygen,
        initial_config(params.k()),
        params,
        children,
    );
    let stats = circuit.builder.statistics();
    Ok(NodeCells {
        advice: stats.gate.total_advice_per_phase.iter().sum(),
        lookup: stats.total_lookup_advice_per_phase.iter().sum(),
        fixed: stats.gate.total_fixed,
    })
}

/// Generates the keys of a node over children of `children`'s shape at `params.k()` (the
/// children's values do not matter, only their shape; the root chain is checked by [`prove`]).
/// The range-check table takes `k − 1` bits.
///
/// # Errors
/// [`AggError::NoChildren`], [`AggError::SetupMismatch`], [`AggError::ChildInputs`] or
/// [`AggError::Keygen`].
pub fn keygen(params: &ParamsKZG<Bn256>, children: &[Child]) -> Result<AggregationKeys, AggError> {
    check_children(params, children)?;
    let mut circuit = build(
        CircuitBuilderStage::Keygen,
        initial_config(params.k()),
        params,
        children,
    );
    let config = circuit.calculate_params(Some(UNUSABLE_ROWS));
    let pk =
        crate::params::keygen(params, &circuit).map_err(|e| AggError::Keygen(e.to_string()))?;
    Ok(AggregationKeys {
        pk,
        config,
        break_points: circuit.break_points(),
        shape: children.iter().map(|c| c.shape).collect(),
    })
}

/// The cache file stem for a node over `children` at `k`: a Poseidon digest of the layout
/// version, `k`, and each child's shape and protocol without its key values.
fn cache_stem(k: u32, children: &[Child]) -> String {
    let mut bytes = serde_json::to_vec(&(LAYOUT_VERSION, k)).expect("serializable");
    for child in children {
        let mut protocol = child.snark.protocol.clone();
        protocol.preprocessed.clear();
        protocol.transcript_initial_state = None;
        bytes.extend(serde_json::to_vec(&(child.shape, protocol)).expect("serializable"));
    }
    let words: Vec<Fr> = bytes
        .chunks(31)
        .map(|chunk| {
            let mut repr = [0u8; 32];
            repr[..chunk.len()].copy_from_slice(chunk);
            Fr::from_bytes(&repr).expect("31 bytes are canonical")
        })
        .collect();
    let digest = hash_fields(&words).to_bytes();
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("agg-k{k}-n{}-{hex}", children.len())
}

/// [`keygen`], with the keys cached in `dir` (default: `target/zkpar-kzg/agg-keys`) under a name
/// derived from the node's shape; a cached key is read instead of generated. Returns the keys
/// and whether they came from the cache. A node's proving key is large (about 0.75 GB for a
/// fan-in-2 node at `k = 18`: fixed and permutation polynomials of ~40 columns), so callers
/// should cache only where the disk has room.
///
/// # Errors
/// Those of [`keygen`], and [`AggError::Cache`] when the cache cannot be written or read.
pub fn keygen_cached(
    params: &ParamsKZG<Bn256>,
    children: &[Child],
    dir: Option<&Path>,
) -> Result<(AggregationKeys, bool), AggError> {
    check_children(params, children)?;
    let dir: PathBuf = dir.map_or_else(
        || crate::params::default_params_dir().join("agg-keys"),
        Path::to_path_buf,
    );
    let stem = cache_stem(params.k(), children);
    let (pk_path, meta_path) = (
        dir.join(format!("{stem}.pk")),
        dir.join(format!("{stem}.json")),
    );
    let cache_err = |path: &Path, reason: String| AggError::Cache {
        path: path.display().to_string(),
        reason,
    };
    if pk_path.is_file() && meta_path.is_file() {
        let meta = fs::read(&meta_path).map_err(|e| cache_err(&meta_path, e.to_string()))?;
        let (config, break_points, shape): (
            AggregationConfigParams,
            MultiPhaseThreadBreakPoints,
            Vec<ChildShape>,
        ) = serde_json::from_slice(&meta).map_err(|e| cache_err(&meta_path, e.to_string()))?;
        let file = fs::File::open(&pk_path).map_err(|e| cache_err(&pk_path, e.to_string()))?;
        let pk = ProvingKey::read::<_, AggregationCircuit>(
            &mut BufReader::with_capacity(1 << 20, file),
            SerdeFormat::RawBytesUnchecked,
            config,
        )
        .map_err(|e| cache_err(&pk_path, e.to_string()))?;
        let keys = AggregationKeys {
            pk,
            config,
            break_points,
            shape,
        };
        return Ok((keys, true));
    }
    let keys = keygen(params, children)?;
    fs::create_dir_all(&dir).map_err(|e| cache_err(&dir, e.to_string()))?;
    let tmp = |path: &Path| {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{}.tmp", std::process::id()));
        path.with_file_name(name)
    };
    let meta =
        serde_json::to_vec(&(keys.config, &keys.break_points, &keys.shape)).expect("serializable");
    let write = || -> std::io::Result<()> {
        let mut writer = BufWriter::with_capacity(1 << 20, fs::File::create(tmp(&pk_path))?);
        keys.pk.write(&mut writer, SerdeFormat::RawBytesUnchecked)?;
        writer
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()?;
        fs::write(tmp(&meta_path), &meta)?;
        // The key first: a reader needs both files, and the metadata appears last.
        fs::rename(tmp(&pk_path), &pk_path)?;
        fs::rename(tmp(&meta_path), &meta_path)
    };
    write().map_err(|e| {
        // Never leave a partial key behind (it is large: hundreds of MB at k = 18).
        let _ = fs::remove_file(tmp(&pk_path));
        let _ = fs::remove_file(tmp(&meta_path));
        cache_err(&pk_path, e.to_string())
    })?;
    Ok((keys, false))
}

/// Proves a node over `children` with `keys`: checks the set-up, the shape and the root chain
/// natively ([`NodeStatement::of_children`]), builds the circuit and proves it.
///
/// # Errors
/// [`AggError::RootChain`] when the children's roots do not chain (nothing is proved),
/// [`AggError::ShapeMismatch`] when they are not the keys' shape, the errors of
/// [`NodeStatement::of_children`], and [`AggError::Prove`].
pub fn prove(
    params: &ParamsKZG<Bn256>,
    keys: &AggregationKeys,
    children: &[Child],
) -> Result<AggregationProof, AggError> {
    check_children(params, children)?;
    let shape: Vec<ChildShape> = children.iter().map(|c| c.shape).collect();
    if shape != keys.shape {
        return Err(AggError::ShapeMismatch(format!(
            "children {shape:?}, keys {:?}",
            keys.shape
        )));
    }
    let statement = NodeStatement::of_children(children)?;
    let circuit = build(CircuitBuilderStage::Prover, keys.config, params, children)
        .use_break_points(keys.break_points.clone());
    let instances = circuit.instances();
    if instances[0][layout::PRE_ROOT..] != statement.to_instances() {
        return Err(AggError::Prove(
            "the circuit's statement differs from the native one".into(),
        ));
    }
    let proof = crate::params::prove(params, &keys.pk, circuit, &instances)
        .map_err(|e| AggError::Prove(e.to_string()))?;
    Ok(AggregationProof {
        proof,
        instances: instances.into_iter().next().expect("one column"),
    })
}
