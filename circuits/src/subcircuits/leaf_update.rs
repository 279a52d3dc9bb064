//! The Merkle *leaf update* circuit that `account_update` and `storage_update` share.
//!
//! # Statement
//! Public inputs (one instance column): `[old_root, new_root, leaf inputs…]`. The prover knows
//! siblings such that the old leaf hashes up to `old_root` and the new leaf up to `new_root`
//! along one path. A [`LeafSpec`] says what differs between the two sub-circuits:
//! - which public inputs follow the roots, and how they make the two leaves and the low
//!   `depth − 1` path bits in circuit (an account hashes `(balance, nonce)` into its leaf and
//!   decomposes its index; a storage slot hashes `(contract, slot)` into the key it decomposes);
//! - which [`TreeHalf`] the leaf lives in: the top path bit is that half's constant, so accounts
//!   and storage can never write each other's leaves (see [`crate::state::smt`]);
//! - the native checks a witness must pass before a circuit is built for it.
//!
//! # Layout
//! Everything runs on one [`MerkleChip`]: the leaf inputs copied from the instance column into
//! the chip's advice columns (one row), whatever the spec hashes and decomposes, then per level
//! one swap row and one permutation per Poseidon chip. The spec's own steps run in the order it
//! writes them, so it keeps control of its rows.
//!
//! As in halo2_gadgets, the instructions ([`MerkleUpdateInstructions`]), the chip and its
//! config stay in [`super::merkle`]; this module is the circuit built on them.

use super::merkle::{
    min_k, rows_used, Cell, KCache, MerkleChip, MerkleConfig, MerkleUpdateInstructions, PathBit,
    WitnessError,
};
use super::SubCircuit;
use crate::state::smt::{MerkleUpdateWitness, DEFAULT_DEPTH, MAX_DEPTH, MIN_DEPTH};
use crate::Fp;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, Column, ConstraintSystem, Error, Fixed, Instance};
use std::fmt;

/// Instance rows every leaf update shares; a [`LeafSpec`]'s own inputs follow the two roots.
pub mod row {
    /// The root before the update.
    pub const OLD_ROOT: usize = 0;
    /// The root after the update.
    pub const NEW_ROOT: usize = 1;
    /// The first of the spec's leaf inputs.
    pub const FIRST_LEAF_INPUT: usize = 2;
}

/// The half of the world-state tree a leaf lives in, fixed by the top path bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeHalf {
    /// Top bit 0: the account leaves.
    Accounts,
    /// Top bit 1: the storage slots.
    Storage,
}

impl TreeHalf {
    /// The top path bit that selects this half.
    pub fn top_bit(self) -> bool {
        self == TreeHalf::Storage
    }

    /// Whether leaf `index` of a depth-`depth` tree lies in this half.
    pub fn contains(self, depth: usize, index: u64) -> bool {
        index >> (depth - 1) == u64::from(self.top_bit())
    }
}

impl fmt::Display for TreeHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TreeHalf::Accounts => "account",
            TreeHalf::Storage => "storage",
        })
    }
}

/// What a [`LeafSpec`] hands back from synthesis: the two leaves and the path bits below the
/// top one, bottom-up.
#[derive(Clone, Debug)]
pub struct LeafPath {
    /// The leaf hashed up to the old root.
    pub old_leaf: Cell,
    /// The leaf hashed up to the new root.
    pub new_leaf: Cell,
    /// Path bits `0..depth − 1`, already constrained boolean and bound to the leaf inputs.
    pub low_bits: Vec<Cell>,
}

/// What one kind of leaf update adds to the shared statement (see the module docs).
pub trait LeafSpec: Clone + fmt::Debug + Send + Sync + 'static {
    /// The sub-circuit's [`SubCircuit::NAME`].
    const NAME: &'static str;
    /// The half of the tree the leaf lives in.
    const HALF: TreeHalf;
    /// Instance rows in all: the two roots plus the leaf inputs.
    const PUBLIC_INPUTS: usize;

    /// Everything the prover knows about one update.
    type Witness: Clone + fmt::Debug + PartialEq + Eq + Send + Sync + 'static;

    /// The tree update inside the witness.
    fn tree_update(witness: &Self::Witness) -> &MerkleUpdateWitness;

    /// The native checks beyond the shared ones (depth, tree half, both paths): that the leaves
    /// and the index are the ones the circuit will derive from the leaf inputs. Runs after the
    /// shared tree-half check and before the paths are hashed.
    fn check_leaves(witness: &Self::Witness) -> Result<(), String>;

    /// Writes the leaf inputs into their rows of `public` (the roots are written already).
    fn write_leaf_inputs(witness: &Self::Witness, public: &mut [Fp]);

    /// From the leaf inputs (cells copied from rows `FIRST_LEAF_INPUT..PUBLIC_INPUTS`, in
    /// order), computes the two leaves and `low_bits` path bits in circuit.
    fn leaves_and_path(
        chip: &impl MerkleUpdateInstructions,
        layouter: &mut impl Layouter<Fp>,
        leaf_inputs: &[Cell],
        low_bits: usize,
    ) -> Result<LeafPath, Error>;

    /// The memo of `k` per depth for this spec. Each spec needs its own `static`: one inside a
    /// generic function would be shared by every instantiation.
    fn k_cache() -> &'static KCache;
}

/// A sub-circuit proving one leaf update of the kind `S` (see the module docs).
#[derive(Debug, Clone)]
pub struct LeafUpdateCircuit<S: LeafSpec> {
    depth: usize,
    /// `None` for a shape-only circuit (key generation).
    witness: Option<S::Witness>,
}

impl<S: LeafSpec> LeafUpdateCircuit<S> {
    /// A circuit for `witness`, after checking natively that it satisfies the statement (so a
    /// bad witness is reported here, by name, rather than as an unsatisfied constraint).
    pub fn new(witness: S::Witness) -> Result<Self, WitnessError> {
        let err = |reason: String| WitnessError::new(S::NAME, reason);
        let u = S::tree_update(&witness);
        Self::shape(u.depth)?;
        // The circuit pins the top path bit, so no other index could be proved.
        if !S::HALF.contains(u.depth, u.index) {
            return Err(err(format!(
                "index {} is not in the {} half of a depth-{} tree",
                u.index,
                S::HALF,
                u.depth
            )));
        }
        S::check_leaves(&witness).map_err(err)?;
        u.verify().map_err(err)?;
        Ok(Self {
            depth: u.depth,
            witness: Some(witness),
        })
    }

    /// A shape-only circuit of the given tree depth, for key generation. Its
    /// [`public_inputs`](SubCircuit::public_inputs) are all zero.
    pub fn shape(depth: usize) -> Result<Self, WitnessError> {
        if !(MIN_DEPTH..=MAX_DEPTH).contains(&depth) {
            return Err(WitnessError::new(
                S::NAME,
                format!("tree depth {depth} is not in {MIN_DEPTH}..={MAX_DEPTH}"),
            ));
        }
        Ok(Self {
            depth,
            witness: None,
        })
    }

    /// A circuit for `witness` without the native checks, so tests can show that the
    /// constraints alone reject a bad witness.
    #[cfg(test)]
    pub(super) fn unchecked(witness: S::Witness) -> Self {
        Self {
            depth: S::tree_update(&witness).depth,
            witness: Some(witness),
        }
    }

    /// The tree depth this circuit is shaped for.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Rows its layout uses (without halo2's blinding rows).
    pub fn rows(&self) -> usize {
        rows_used(&self.without_witnesses(), constants_columns)
            .unwrap_or_else(|e| panic!("laying out a validated {} shape: {e:?}", S::NAME))
    }
}

impl<S: LeafSpec> Default for LeafUpdateCircuit<S> {
    /// The shape-only circuit at [`DEFAULT_DEPTH`].
    fn default() -> Self {
        Self::shape(DEFAULT_DEPTH).expect("DEFAULT_DEPTH is supported")
    }
}

/// Configuration of a [`LeafUpdateCircuit`].
#[derive(Debug, Clone)]
pub struct LeafUpdateConfig {
    merkle: MerkleConfig,
    instance: Column<Instance>,
}

/// The constants column the layout needs to be measured (see [`min_k`]).
fn constants_columns(config: &LeafUpdateConfig) -> Vec<Column<Fixed>> {
    vec![config.merkle.constants()]
}

impl<S: LeafSpec> Circuit<Fp> for LeafUpdateCircuit<S> {
    type Config = LeafUpdateConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self {
            depth: self.depth,
            witness: None,
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> LeafUpdateConfig {
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        LeafUpdateConfig {
            merkle: MerkleChip::configure_fresh(meta),
            instance,
        }
    }

    fn synthesize(
        &self,
        config: LeafUpdateConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let mut chip = MerkleChip::construct(config.merkle.clone());
        chip.load(&mut layouter)?;
        let advice = config.merkle.advice();
        // The leaf inputs enter as copies of the instance cells, side by side on one row.
        let leaf_inputs = layouter.assign_region(
            || format!("{} public inputs", S::NAME),
            |mut region| {
                (row::FIRST_LEAF_INPUT..S::PUBLIC_INPUTS)
                    .zip(advice)
                    .map(|(r, column)| {
                        region.assign_advice_from_instance(
                            || "public",
                            config.instance,
                            r,
                            *column,
                            0,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()
            },
        )?;

        let LeafPath {
            old_leaf,
            new_leaf,
            low_bits,
        } = S::leaves_and_path(&chip, &mut layouter, &leaf_inputs, self.depth - 1)?;
        let mut bits: Vec<PathBit> = low_bits.into_iter().map(PathBit::Cell).collect();
        bits.push(PathBit::Constant(S::HALF.top_bit()));

        let siblings: Vec<Value<Fp>> = match &self.witness {
            Some(w) => S::tree_update(w)
                .siblings
                .iter()
                .map(|s| Value::known(*s))
                .collect(),
            None => vec![Value::unknown(); self.depth],
        };
        let (old_root, new_root) =
            chip.update_roots(&mut layouter, &old_leaf, &new_leaf, &bits, &siblings)?;
        layouter.constrain_instance(old_root.cell(), config.instance, row::OLD_ROOT)?;
        layouter.constrain_instance(new_root.cell(), config.instance, row::NEW_ROOT)?;
        Ok(())
    }
}

impl<S: LeafSpec> SubCircuit for LeafUpdateCircuit<S> {
    const NAME: &'static str = S::NAME;

    fn k(&self) -> u32 {
        S::k_cache().get_or_compute(self.depth, || {
            min_k(&self.without_witnesses(), constants_columns)
                .unwrap_or_else(|e| panic!("laying out a validated {} shape: {e:?}", S::NAME))
        })
    }

    fn public_inputs(&self) -> Vec<Vec<Fp>> {
        let mut public = vec![Fp::zero(); S::PUBLIC_INPUTS];
        if let Some(w) = &self.witness {
            let u = S::tree_update(w);
            public[row::OLD_ROOT] = u.old_root;
            public[row::NEW_ROOT] = u.new_root;
            S::write_leaf_inputs(w, &mut public);
        }
        vec![public]
    }

    fn state_transition(&self) -> Option<(Fp, Fp)> {
        self.witness.as_ref().map(|w| {
            let u = S::tree_update(w);
            (u.old_root, u.new_root)
        })
    }
}

/// The MockProver checks both leaf-update circuits run, parameterised by the circuit.
#[cfg(test)]
pub(super) mod test_support {
    use super::*;
    use ff::Field;
    use halo2_proofs::dev::MockProver;

    /// MockProver at the circuit's own `k` against `public`.
    pub(in crate::subcircuits) fn mock<S: LeafSpec>(
        circuit: &LeafUpdateCircuit<S>,
        public: Vec<Fp>,
    ) -> Result<(), String> {
        MockProver::run(circuit.k(), circuit, vec![public])
            .map_err(|e| e.to_string())?
            .verify()
            .map_err(|e| format!("{e:?}"))
    }

    /// Accepted at `k`, out of rows at `k − 1` (so the layout, and `k`, are minimal), and the
    /// state transition is the pair of public roots.
    pub(in crate::subcircuits) fn assert_accepted_at_minimal_k<S: LeafSpec>(
        circuit: &LeafUpdateCircuit<S>,
    ) {
        let k = circuit.k();
        let public = circuit.public_inputs();
        assert_eq!(mock(circuit, public[0].clone()), Ok(()));
        let err = MockProver::run(k - 1, circuit, public.clone()).unwrap_err();
        assert!(
            matches!(err, Error::NotEnoughRowsAvailable { .. }),
            "k - 1 = {} should lack rows, got {err:?}",
            k - 1
        );
        assert!(circuit.rows() < 1 << k);
        assert_eq!(
            circuit.state_transition(),
            Some((public[0][row::OLD_ROOT], public[0][row::NEW_ROOT]))
        );
    }

    /// The circuit accepts its own public inputs and rejects each `(row, what)` off by one.
    pub(in crate::subcircuits) fn assert_each_public_input_is_bound<S: LeafSpec>(
        circuit: &LeafUpdateCircuit<S>,
        cases: &[(usize, &str)],
    ) {
        let public = circuit.public_inputs()[0].clone();
        assert_eq!(mock(circuit, public.clone()), Ok(()));
        for &(r, what) in cases {
            let mut wrong = public.clone();
            wrong[r] += Fp::ONE;
            assert!(mock(circuit, wrong).is_err(), "{what} accepted");
        }
    }

    /// A real proof verifies, and fails against a wrong new root.
    pub(in crate::subcircuits) fn assert_real_proof_round_trip<S: LeafSpec>(
        circuit: &LeafUpdateCircuit<S>,
    ) {
        let mut wrong = circuit.public_inputs();
        wrong[0][row::NEW_ROOT] += Fp::ONE;
        let size = crate::proving::round_trip(circuit, &wrong).unwrap();
        assert!(size > 0);
    }
}
