//! The Merkle *update* gadget shared by the account and storage sub-circuits.
//!
//! # What it proves
//! Given an old leaf, a new leaf, `d` path bits and `d` siblings, it computes in circuit
//! - the old root: `old_leaf` hashed up the path, and
//! - the new root: `new_leaf` hashed up the *same* path (same bits, same siblings),
//!
//! so a proof that exposes both roots shows that exactly one leaf changed between two states of
//! the [`SparseMerkleTree`](crate::state::smt::SparseMerkleTree). At level `i` the bit `b_i`
//! (constrained boolean) conditionally swaps the running node `cur` with the sibling `s`:
//! `left = cur + b·(s − cur)`, `right = cur + s − left`, then `cur' = Poseidon(left, right)`.
//!
//! # Layout
//! Two [`Pow5Chip`]s sit side by side — one hashes the old path, the other the new one — so the
//! two paths share rows instead of stacking: a depth-32 update takes about 32 × 38 rows rather
//! than 64 × 38. Each level is one "swap" row spanning all eight advice columns (both chips'
//! state and partial-S-box columns; nothing else needs the columns at that row) followed by one
//! 37-row permutation per chip. Every 2-to-1 hash drives the permutation directly on
//! `[left, right, 2·2⁶⁴]`, which is exactly `Poseidon_ConstantLength<2>` (see
//! [`crate::state::poseidon`]) without the sponge's separate initial-state and add-input rows.
//!
//! The chip also offers a running-sum bit decomposition (`z_0 = v`, `z_i = 2·z_{i+1} + b_i`,
//! `z_n = 0`, each `b_i` boolean), which proves `v < 2^n` and yields its bits, from which the
//! sub-circuits constrain the path bits.
//!
//! The module ends with [`min_k`], which lays a circuit out to count its rows so that every
//! sub-circuit's `k()` is measured, not guessed.

use crate::state::poseidon::{self, Spec, RATE, WIDTH};
use crate::Fp;
use ff::{Field, PrimeField};
use halo2_gadgets::poseidon::{PoseidonInstructions, Pow5Chip, Pow5Config, StateWord};
use halo2_proofs::circuit::{AssignedCell, Chip, Layouter, Value};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector,
};
use halo2_proofs::poly::Rotation;

/// Number of advice columns the chip needs: two Poseidon chips × (3 state + 1 partial S-box).
pub const ADVICE_COLUMNS: usize = 2 * (WIDTH + 1);
/// Number of fixed columns the chip needs: two Poseidon chips × (3 + 3 round-constant columns).
pub const FIXED_COLUMNS: usize = 2 * (2 * WIDTH);

/// A cell of the circuit field.
pub type Cell = AssignedCell<Fp, Fp>;

/// Which of the two Poseidon chips a hash runs on. Hashes of the old path run on `Old`, of the
/// new path on `New`; other hashes may use either to balance the two chips' rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The chip that hashes the old path.
    Old,
    /// The chip that hashes the new path.
    New,
}

/// One path bit: either a witnessed cell (from a decomposition) or a bit fixed by the circuit
/// (such as the top bit that separates accounts from storage).
#[derive(Clone, Debug)]
pub enum PathBit {
    /// A cell already constrained elsewhere; it is copied (and re-checked boolean).
    Cell(Cell),
    /// A constant bit, pinned by the circuit's fixed constants column.
    Constant(bool),
}

/// The instructions a Merkle update needs.
pub trait MerkleUpdateInstructions: Chip<Fp> {
    /// Loads the fixed Poseidon capacity element; must be called once before hashing.
    fn load(&mut self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error>;

    /// `Poseidon_ConstantLength<2>(a, b)` on the chosen chip.
    fn hash2(
        &self,
        layouter: &mut impl Layouter<Fp>,
        side: Side,
        a: &Cell,
        b: &Cell,
    ) -> Result<Cell, Error>;

    /// Decomposes `value` into `num_bits` little-endian bits, constraining
    /// `value = Σ bᵢ·2ⁱ` as integers (so `value < 2^num_bits`); needs `num_bits ≤ 254` so
    /// that the sum cannot wrap around the field modulus.
    fn decompose(
        &self,
        layouter: &mut impl Layouter<Fp>,
        value: &Cell,
        num_bits: usize,
    ) -> Result<Vec<Cell>, Error>;

    /// Hashes `old_leaf` and `new_leaf` up the same path (`bits[i]`, `siblings[i]` at level
    /// `i`, bottom-up) and returns `(old_root, new_root)`.
    fn update_roots(
        &self,
        layouter: &mut impl Layouter<Fp>,
        old_leaf: &Cell,
        new_leaf: &Cell,
        bits: &[PathBit],
        siblings: &[Value<Fp>],
    ) -> Result<(Cell, Cell), Error>;
}

/// Configuration of the [`MerkleChip`].
#[derive(Clone, Debug)]
pub struct MerkleConfig {
    /// The eight advice columns: `[old chip state ×3, old partial S-box, new chip state ×3,
    /// new partial S-box]`. The swap row uses them as
    /// `[bit, sibling, old_cur, new_cur, old_left, old_right, new_left, new_right]`.
    advice: [Column<Advice>; ADVICE_COLUMNS],
    q_swap: Selector,
    q_decompose: Selector,
    constants: Column<Fixed>,
    poseidon_old: Pow5Config<Fp, WIDTH, RATE>,
    poseidon_new: Pow5Config<Fp, WIDTH, RATE>,
}

impl MerkleConfig {
    /// The chip's advice columns (for circuits that place a few cells of their own).
    pub fn advice(&self) -> &[Column<Advice>; ADVICE_COLUMNS] {
        &self.advice
    }

    /// The constants column the chip enabled (see [`MerkleChip::configure`]).
    pub fn constants(&self) -> Column<Fixed> {
        self.constants
    }
}

/// The Merkle update chip: two `Pow5Chip`s plus the swap and decomposition gates.
#[derive(Clone, Debug)]
pub struct MerkleChip {
    config: MerkleConfig,
    /// The `ConstantLength<2>` capacity element `2·2⁶⁴`, loaded once and copied into every
    /// permutation's initial state.
    capacity: Option<Cell>,
}

impl Chip<Fp> for MerkleChip {
    type Config = MerkleConfig;
    type Loaded = ();

    fn config(&self) -> &Self::Config {
        &self.config
    }

    fn loaded(&self) -> &Self::Loaded {
        &()
    }
}

impl MerkleChip {
    /// Configures the chip on the given columns: `advice[0..4]` and `fixed[0..6]` for the old
    /// chip, `advice[4..8]` and `fixed[6..12]` for the new one. Also makes `fixed[9]` (the new
    /// chip's first `rc_b` column) the circuit's constants column, for the capacity element and
    /// the fixed path bits: it is already equality-enabled, and its own rows end where the new
    /// path's last permutation ends, so the few constants land on rows that are free anyway.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        advice: [Column<Advice>; ADVICE_COLUMNS],
        fixed: [Column<Fixed>; FIXED_COLUMNS],
    ) -> MerkleConfig {
        let pow5 = |meta: &mut ConstraintSystem<Fp>, a: &[Column<Advice>], f: &[Column<Fixed>]| {
            Pow5Chip::configure::<Spec>(
                meta,
                [a[0], a[1], a[2]],
                a[3],
                [f[0], f[1], f[2]],
                [f[3], f[4], f[5]],
            )
        };
        meta.enable_constant(fixed[9]);
        let poseidon_old = pow5(meta, &advice[..4], &fixed[..6]);
        let poseidon_new = pow5(meta, &advice[4..], &fixed[6..]);
        // Pow5Chip enables equality on its state columns only; the swap row also copies cells
        // in the partial-S-box columns. (15 permutation columns still fit in 4 chunks of
        // degree-6 − 2 = 4, the same as without these two.)
        for column in &advice {
            meta.enable_equality(*column);
        }

        let q_swap = meta.selector();
        meta.create_gate("merkle conditional swap", |meta| {
            let q = meta.query_selector(q_swap);
            let cur = |i: usize, meta: &mut halo2_proofs::plonk::VirtualCells<Fp>| {
                meta.query_advice(advice[i], Rotation::cur())
            };
            let bit = cur(0, meta);
            let sibling = cur(1, meta);
            let (old, new) = (cur(2, meta), cur(3, meta));
            let (old_l, old_r) = (cur(4, meta), cur(5, meta));
            let (new_l, new_r) = (cur(6, meta), cur(7, meta));
            let one = Expression::Constant(Fp::ONE);
            let swap = |node: Expression<Fp>, left: Expression<Fp>, right: Expression<Fp>| {
                [
                    left.clone() - node.clone() - bit.clone() * (sibling.clone() - node.clone()),
                    left + right - node - sibling.clone(),
                ]
            };
            let [c1, c2] = swap(old, old_l, old_r);
            let [c3, c4] = swap(new, new_l, new_r);
            Constraints::with_selector(
                q,
                [
                    ("bit is boolean", bit.clone() * (one - bit.clone())),
                    ("old left", c1),
                    ("old right", c2),
                    ("new left", c3),
                    ("new right", c4),
                ],
            )
        });

        let q_decompose = meta.selector();
        meta.create_gate("running-sum bit", |meta| {
            let q = meta.query_selector(q_decompose);
            let z = meta.query_advice(advice[0], Rotation::cur());
            let z_next = meta.query_advice(advice[0], Rotation::next());
            let bit = meta.query_advice(advice[1], Rotation::cur());
            let one = Expression::Constant(Fp::ONE);
            let two = Expression::Constant(Fp::from(2));
            Constraints::with_selector(
                q,
                [
                    ("bit is boolean", bit.clone() * (one - bit.clone())),
                    ("z = 2 z' + bit", z - two * z_next - bit),
                ],
            )
        });

        MerkleConfig {
            advice,
            q_swap,
            q_decompose,
            constants: fixed[9],
            poseidon_old,
            poseidon_new,
        }
    }

    /// Allocates fresh columns, configures the chip on them and enables a constants column.
    pub fn configure_fresh(meta: &mut ConstraintSystem<Fp>) -> MerkleConfig {
        let advice = std::array::from_fn(|_| meta.advice_column());
        let fixed: [Column<Fixed>; FIXED_COLUMNS] = std::array::from_fn(|_| meta.fixed_column());
        Self::configure(meta, advice, fixed)
    }

    /// Builds the chip from its configuration; call [`MerkleUpdateInstructions::load`] next.
    pub fn construct(config: MerkleConfig) -> Self {
        Self {
            config,
            capacity: None,
        }
    }

    fn pow5(&self, side: Side) -> Pow5Chip<Fp, WIDTH, RATE> {
        Pow5Chip::construct(match side {
            Side::Old => self.config.poseidon_old.clone(),
            Side::New => self.config.poseidon_new.clone(),
        })
    }

    fn capacity(&self) -> Result<&Cell, Error> {
        self.capacity.as_ref().ok_or(Error::Synthesis)
    }
}

impl MerkleUpdateInstructions for MerkleChip {
    fn load(&mut self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        let column = self.config.advice[7];
        let cell = layouter.assign_region(
            || "poseidon capacity",
            |mut region| {
                region.assign_advice_from_constant(
                    || "2 * 2^64",
                    column,
                    0,
                    poseidon::constant_length_capacity::<2>(),
                )
            },
        )?;
        self.capacity = Some(cell);
        Ok(())
    }

    fn hash2(
        &self,
        layouter: &mut impl Layouter<Fp>,
        side: Side,
        a: &Cell,
        b: &Cell,
    ) -> Result<Cell, Error> {
        let state = [a.clone(), b.clone(), self.capacity()?.clone()].map(StateWord::from);
        let out =
            <Pow5Chip<Fp, WIDTH, RATE> as PoseidonInstructions<Fp, Spec, WIDTH, RATE>>::permute(
                &self.pow5(side),
                &mut layouter.namespace(|| "poseidon 2-to-1"),
                &state,
            )?;
        let [first, _, _] = out;
        Ok(first.into())
    }

    fn decompose(
        &self,
        layouter: &mut impl Layouter<Fp>,
        value: &Cell,
        num_bits: usize,
    ) -> Result<Vec<Cell>, Error> {
        if num_bits >= Fp::NUM_BITS as usize {
            return Err(Error::Synthesis);
        }
        let [z_col, bit_col, ..] = self.config.advice;
        let q = self.config.q_decompose;
        layouter.assign_region(
            || format!("decompose into {num_bits} bits"),
            |mut region| {
                let mut z = value.copy_advice(|| "z_0", &mut region, z_col, 0)?;
                let half = Fp::from(2).invert().unwrap();
                let mut bits = Vec::with_capacity(num_bits);
                for i in 0..num_bits {
                    q.enable(&mut region, i)?;
                    let bit_value = z.value().map(|z| Fp::from(u64::from(z.to_repr()[0] & 1)));
                    let bit =
                        region.assign_advice(|| format!("b_{i}"), bit_col, i, || bit_value)?;
                    let next = z.value().zip(bit_value).map(|(z, b)| (*z - b) * half);
                    z = region.assign_advice(|| format!("z_{}", i + 1), z_col, i + 1, || next)?;
                    bits.push(bit);
                }
                // z_n = 0 closes the sum: value = Σ bᵢ·2ⁱ exactly, hence value < 2^num_bits.
                region.constrain_constant(z.cell(), Fp::ZERO)?;
                Ok(bits)
            },
        )
    }

    fn update_roots(
        &self,
        layouter: &mut impl Layouter<Fp>,
        old_leaf: &Cell,
        new_leaf: &Cell,
        bits: &[PathBit],
        siblings: &[Value<Fp>],
    ) -> Result<(Cell, Cell), Error> {
        if bits.len() != siblings.len() {
            return Err(Error::Synthesis);
        }
        let a = self.config.advice;
        let mut old = old_leaf.clone();
        let mut new = new_leaf.clone();
        for (level, (bit, sibling)) in bits.iter().zip(siblings).enumerate() {
            let (old_pair, new_pair) = layouter.assign_region(
                || format!("merkle swap, level {level}"),
                |mut region| {
                    self.config.q_swap.enable(&mut region, 0)?;
                    let bit = match bit {
                        PathBit::Cell(cell) => cell.copy_advice(|| "bit", &mut region, a[0], 0)?,
                        PathBit::Constant(b) => region.assign_advice_from_constant(
                            || "fixed bit",
                            a[0],
                            0,
                            Fp::from(u64::from(*b)),
                        )?,
                    };
                    region.assign_advice(|| "sibling", a[1], 0, || *sibling)?;
                    let old = old.copy_advice(|| "old node", &mut region, a[2], 0)?;
                    let new = new.copy_advice(|| "new node", &mut region, a[3], 0)?;
                    let mut swap =
                        |node: &Cell, cols: (usize, usize)| -> Result<(Cell, Cell), Error> {
                            let left = node
                                .value()
                                .zip(*sibling)
                                .zip(bit.value())
                                .map(|((n, s), b)| if *b == Fp::ZERO { *n } else { s });
                            let right = node
                                .value()
                                .zip(*sibling)
                                .zip(bit.value())
                                .map(|((n, s), b)| if *b == Fp::ZERO { s } else { *n });
                            Ok((
                                region.assign_advice(|| "left", a[cols.0], 0, || left)?,
                                region.assign_advice(|| "right", a[cols.1], 0, || right)?,
                            ))
                        };
                    Ok((swap(&old, (4, 5))?, swap(&new, (6, 7))?))
                },
            )?;
            old = self.hash2(layouter, Side::Old, &old_pair.0, &old_pair.1)?;
            new = self.hash2(layouter, Side::New, &new_pair.0, &new_pair.1)?;
        }
        Ok((old, new))
    }
}

/// A witness rejected before any circuit is built: names the circuit and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{circuit}: invalid witness: {reason}")]
pub struct WitnessError {
    /// The sub-circuit's [`SubCircuit::NAME`](super::SubCircuit::NAME).
    pub circuit: &'static str,
    /// What is wrong, in words.
    pub reason: String,
}

impl WitnessError {
    /// A new error for `circuit`.
    pub fn new(circuit: &'static str, reason: impl Into<String>) -> Self {
        Self {
            circuit,
            reason: reason.into(),
        }
    }
}

/// Memoises `k` per shape parameter (such as the Merkle depth): laying a circuit out takes
/// milliseconds, and the pipeline asks for `k` once per proof.
#[derive(Debug, Default)]
pub struct KCache(parking_lot::Mutex<Vec<(usize, u32)>>);

impl KCache {
    /// An empty cache (usable in a `static`).
    pub const fn new() -> Self {
        Self(parking_lot::const_mutex(Vec::new()))
    }

    /// The cached `k` for `shape`, computing it with `compute` on a miss.
    pub fn get_or_compute(&self, shape: usize, compute: impl FnOnce() -> u32) -> u32 {
        if let Some(&(_, k)) = self.0.lock().iter().find(|(s, _)| *s == shape) {
            return k;
        }
        let k = compute();
        self.0.lock().push((shape, k));
        k
    }
}

/// Rows a circuit's layout occupies (gates, copies and constants; without halo2's blinding
/// rows), as its floor planner places them. `constants` names the constants column(s) the
/// circuit's `configure` enabled (halo2 does not expose them), in the same order.
///
/// # Complexity
/// One synthesis pass per floor-planner pass, with no proving work: milliseconds.
pub fn rows_used<C: Circuit<Fp>>(
    circuit: &C,
    constants: impl Fn(&C::Config) -> Vec<Column<Fixed>>,
) -> Result<usize, Error> {
    Ok(super::rows::measure(circuit, constants)?.rows)
}

/// The smallest `k` whose `2^k` rows hold `circuit`'s layout plus halo2's blinding rows, i.e.
/// the `k` at which `MockProver` (and the real prover) accepts the circuit. See [`rows_used`]
/// for `constants`.
pub fn min_k<C: Circuit<Fp>>(
    circuit: &C,
    constants: impl Fn(&C::Config) -> Vec<Column<Fixed>>,
) -> Result<u32, Error> {
    Ok(super::rows::measure(circuit, constants)?.k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::poseidon::hash2;
    use crate::state::smt::SparseMerkleTree;
    use halo2_proofs::circuit::SimpleFloorPlanner;
    use halo2_proofs::dev::MockProver;
    use halo2_proofs::plonk::Instance;

    /// Test circuit: public `[hash2(a, b) on each chip, old_root, new_root, index]`, so both the
    /// 2-to-1 hash and the update gadget are checked against the native functions.
    #[derive(Clone)]
    struct TestCircuit {
        a: Value<Fp>,
        b: Value<Fp>,
        old_leaf: Value<Fp>,
        new_leaf: Value<Fp>,
        index: Value<Fp>,
        siblings: Vec<Value<Fp>>,
        /// Overrides the decomposed bit at this level (to try a non-boolean bit).
        forced_bit: Option<(usize, Fp)>,
    }

    impl Circuit<Fp> for TestCircuit {
        type Config = (MerkleConfig, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            Self {
                a: Value::unknown(),
                b: Value::unknown(),
                old_leaf: Value::unknown(),
                new_leaf: Value::unknown(),
                index: Value::unknown(),
                siblings: vec![Value::unknown(); self.siblings.len()],
                forced_bit: None,
            }
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let instance = meta.instance_column();
            meta.enable_equality(instance);
            (MerkleChip::configure_fresh(meta), instance)
        }

        fn synthesize(
            &self,
            (config, instance): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let mut chip = MerkleChip::construct(config.clone());
            chip.load(&mut layouter)?;
            let cols = config.advice();
            let cells = layouter.assign_region(
                || "witness",
                |mut region| {
                    let values = [self.a, self.b, self.old_leaf, self.new_leaf, self.index];
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| region.assign_advice(|| "w", cols[i], 0, || *v))
                        .collect::<Result<Vec<_>, _>>()
                },
            )?;
            let h_old = chip.hash2(&mut layouter, Side::Old, &cells[0], &cells[1])?;
            let h_new = chip.hash2(&mut layouter, Side::New, &cells[0], &cells[1])?;
            let depth = self.siblings.len();
            let mut bits: Vec<PathBit> = chip
                .decompose(&mut layouter, &cells[4], depth)?
                .into_iter()
                .map(PathBit::Cell)
                .collect();
            if let Some((level, value)) = self.forced_bit {
                let cell = layouter.assign_region(
                    || "forced bit",
                    |mut region| region.assign_advice(|| "bit", cols[0], 0, || Value::known(value)),
                )?;
                bits[level] = PathBit::Cell(cell);
            }
            let (old_root, new_root) =
                chip.update_roots(&mut layouter, &cells[2], &cells[3], &bits, &self.siblings)?;
            for (row, cell) in [h_old, h_new, old_root, new_root, cells[4].clone()]
                .iter()
                .enumerate()
            {
                layouter.constrain_instance(cell.cell(), instance, row)?;
            }
            Ok(())
        }
    }

    fn setup(depth: usize, index: u64) -> (TestCircuit, Vec<Fp>) {
        let mut tree = SparseMerkleTree::new(depth).unwrap();
        for i in 0..(1u64 << depth).min(12) {
            tree.update(i * 3 % (1 << depth), Fp::from(1000 + i))
                .unwrap();
        }
        let w = tree.update(index, Fp::from(77)).unwrap();
        let (a, b) = (Fp::from(5), Fp::from(9));
        let circuit = TestCircuit {
            a: Value::known(a),
            b: Value::known(b),
            old_leaf: Value::known(w.old_leaf),
            new_leaf: Value::known(w.new_leaf),
            index: Value::known(Fp::from(index)),
            siblings: w.siblings.iter().map(|s| Value::known(*s)).collect(),
            forced_bit: None,
        };
        let h = hash2(a, b);
        (circuit, vec![h, h, w.old_root, w.new_root, Fp::from(index)])
    }

    fn run(
        circuit: &TestCircuit,
        public: Vec<Fp>,
    ) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
        let k = min_k(circuit, |c| vec![c.0.constants()]).unwrap();
        MockProver::run(k, circuit, vec![public]).unwrap().verify()
    }

    #[test]
    fn gadget_matches_native_poseidon_and_tree() {
        for index in [0u64, 5, 10, 15] {
            let (circuit, public) = setup(4, index);
            assert_eq!(run(&circuit, public), Ok(()), "index {index}");
        }
    }

    #[test]
    fn gadget_rejects_bad_paths() {
        let (circuit, public) = setup(4, 6);
        // Wrong sibling.
        let mut bad = circuit.clone();
        bad.siblings[2] = bad.siblings[2].map(|s| s + Fp::ONE);
        assert!(run(&bad, public.clone()).is_err());
        // Wrong index (the bits then walk a different path).
        let mut wrong = public.clone();
        wrong[4] = Fp::from(7);
        let mut bad = circuit.clone();
        bad.index = Value::known(Fp::from(7));
        assert!(run(&bad, wrong).is_err());
        // Wrong roots / hash.
        for i in 0..4 {
            let mut wrong = public.clone();
            wrong[i] += Fp::ONE;
            assert!(run(&circuit, wrong).is_err(), "public input {i}");
        }
        // Index too large for the decomposition.
        let mut bad = circuit.clone();
        bad.index = Value::known(Fp::from(16));
        let mut wrong = public.clone();
        wrong[4] = Fp::from(16);
        assert!(run(&bad, wrong).is_err());
    }

    #[test]
    fn gadget_rejects_a_non_boolean_bit() {
        // Bit 2 replaced by 2: the swap gate's boolean check must fail (whatever the roots do).
        let (mut circuit, public) = setup(4, 0);
        circuit.forced_bit = Some((2, Fp::from(2)));
        let errors = run(&circuit, public).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| format!("{e:?}").contains("bit is boolean")),
            "{errors:?}"
        );
    }
}

#[cfg(test)]
mod measure {
    use super::super::account_update::{AccountUpdateCircuit, AccountUpdateWitness};
    use super::super::event_log::{Event, EventLogCircuit};
    use super::super::storage_update::{StorageUpdateCircuit, StorageUpdateWitness};
    use super::super::SubCircuit;
    use crate::proving::{keygen, prove, verify, IpaParams};
    use crate::state::smt::{
        account_index, account_leaf, storage_index, storage_slot_key, SparseMerkleTree,
    };
    use crate::Fp;
    use rand::SeedableRng;
    use std::time::{Duration, Instant};

    fn measure<C: SubCircuit>(circuit: &C, rows: usize) {
        let k = circuit.k();
        let params = IpaParams::new(k);
        let start = Instant::now();
        let pk = keygen(&params, circuit).expect("keygen");
        let keygen_time = start.elapsed();
        let mut times: Vec<Duration> = (0..3)
            .map(|i| {
                let rng = rand::rngs::StdRng::seed_from_u64(i);
                let start = Instant::now();
                let proof = prove(&params, &pk, circuit, rng).expect("prove");
                let t = start.elapsed();
                verify(&params, pk.get_vk(), &proof, &circuit.public_inputs()).expect("verify");
                t
            })
            .collect();
        times.sort();
        println!(
            "{:<15} k={k:<2} rows={rows:<5} keygen={:>8.1?} prove(median of 3)={:>8.1?} \
             threads={}",
            C::NAME,
            keygen_time,
            times[1],
            rayon_threads()
        );
    }

    fn rayon_threads() -> String {
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into())
    }

    /// `RAYON_NUM_THREADS=1 cargo test -p circuits measure_merkle -- --ignored --nocapture`
    #[test]
    #[ignore = "timing run, prints numbers"]
    fn measure_merkle_single_thread() {
        let mut tree = SparseMerkleTree::default();
        for id in 0..100 {
            tree.update(account_index(id).unwrap(), account_leaf(id * 10, 0))
                .unwrap();
        }
        let update = tree
            .update(account_index(7).unwrap(), account_leaf(60, 1))
            .unwrap();
        let account = AccountUpdateCircuit::new(AccountUpdateWitness {
            update,
            old_balance: 70,
            old_nonce: 0,
            new_balance: 60,
            new_nonce: 1,
        })
        .unwrap();
        measure(&account, account.rows());

        let (contract, slot) = (Fp::from(0xc0ffee), Fp::from(3));
        let index = storage_index(storage_slot_key(contract, slot));
        let update = tree.update(index, Fp::from(1234)).unwrap();
        let storage = StorageUpdateCircuit::new(StorageUpdateWitness {
            update,
            contract,
            slot_index: slot,
        })
        .unwrap();
        measure(&storage, storage.rows());

        let event = Event {
            topics: vec![Fp::from(0xddf2), Fp::from(1), Fp::from(2)],
            data: vec![Fp::from(60)],
        };
        let log = EventLogCircuit::new(&event).unwrap();
        measure(&log, log.rows());
    }
}
