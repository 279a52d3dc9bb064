//! Shared building blocks of the arithmetic sub-circuits: a range-check chip over halo2_gadgets'
//! lookup range check, a small add/sub/mul chip, and a row counter that finds a circuit's
//! smallest `k`.
//!
//! # Range checks
//!
//! One fixed lookup table holds `0..2^10` ([`WORD_BITS`] = 10, the Sinsemilla word size, so the
//! table could be shared with a Sinsemilla chip). [`RangeCheckChip::check_bits`] proves that a
//! cell holds an integer below `2^n`:
//!
//! * `n = 10·w`: the gadget's *strict* running sum `z_0 = x`, `z_{i+1} = (z_i − a_i) / 2^10`
//!   looks every word `a_i` up in the table and pins `z_w = 0`, so
//!   `x = a_0 + 2^10·a_1 + … + 2^{10(w−1)}·a_{w−1} < 2^n`.
//! * `n = 10·w + r`, `0 < r < 10` (for example 64 = 6·10 + 4): the same running sum, *not*
//!   strict, leaves the high part `z_w` with `x = low + 2^{10w}·z_w`, `low < 2^{10w}`; the
//!   gadget's short range check then proves `z_w < 2^r` by looking up both `z_w` and
//!   `z_w·2^{10−r}` (a value with more than `r` bits shifted left by `10 − r` leaves the table).
//!   Together `x < 2^{10w + r}`. Because `n ≤` [`MAX_RANGE_BITS`] `< 254` and the field modulus
//!   exceeds `2^254`, the sum cannot wrap around: the bound holds for `x` as an integer.
//!
//! A `64`-bit check costs 7 + 3 rows of the running-sum column, an `80`-bit one 9 rows.
//!
//! # Arithmetic
//!
//! [`ArithChip`] proves one `a + b = c` or `a · b = c` per row of three advice columns; its
//! inputs are copied in (copy constraints), so a result is tied to the cells it came from.
//! Subtraction `a − b` is laid out as the addition `(a − b) + b = a`.
//!
//! # Rows and `k`
//!
//! The lookup table alone fills `2^10` rows, so every circuit using it needs `k ≥ 11`.
//! [`rows_used`] lays a circuit out (without a witness) and reports its real rows plus the rows
//! halo2 reserves for blinding; [`RowUsage::min_k`] is the smallest `k` that holds them. Each
//! circuit's tests check that its `k()` equals that value and that `MockProver` refuses `k − 1`.

use crate::Fp;
use halo2_gadgets::utilities::lookup_range_check::{LookupRangeCheck, LookupRangeCheckConfig};
use halo2_proofs::circuit::{AssignedCell, Chip, Layouter, Value};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Error, Expression, Fixed, Instance, Selector,
    TableColumn,
};
use halo2_proofs::poly::Rotation;

/// Bits per lookup word. 10 is the Sinsemilla word size used by halo2_gadgets (its
/// `sinsemilla::K`): a `2^10`-row table fits with room to spare in the `2^11` rows the small
/// circuits need anyway, while 8-bit words would cost 25% more running-sum rows per check.
pub const WORD_BITS: usize = 10;

/// Largest accepted width of one range check. The proof of `x < 2^n` needs `2^n` (plus the
/// partial word's slack) below the field modulus (`> 2^254`); 250 keeps a margin and is far above
/// every width the circuits use (at most 80).
pub const MAX_RANGE_BITS: usize = 250;

/// A field element assigned to a cell, as passed between the chips.
pub type Cell = AssignedCell<Fp, Fp>;

// ---------------------------------------------------------------------------------------------
// Range check
// ---------------------------------------------------------------------------------------------

/// What a range-check chip offers.
pub trait RangeCheckInstructions: Chip<Fp> {
    /// Fills the `0..2^WORD_BITS` lookup table. Call exactly once per circuit.
    fn load_table(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error>;

    /// Constrains `cell` to hold an integer in `0..2^num_bits`.
    ///
    /// Returns [`Error::Synthesis`] (after logging why) if `num_bits > MAX_RANGE_BITS`.
    fn check_bits(
        &self,
        layouter: impl Layouter<Fp>,
        cell: &Cell,
        num_bits: usize,
    ) -> Result<(), Error>;
}

/// Columns and selectors of the range-check chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeCheckConfig {
    lookup: LookupRangeCheckConfig<Fp, WORD_BITS>,
    table: TableColumn,
}

impl RangeCheckConfig {
    /// Configures the lookup range check on `running_sum` (equality is enabled on it) against
    /// `table`. The circuit must also have called `meta.enable_constant` on some fixed column:
    /// strict checks pin the last running sum to the constant 0 and short checks read `2^-r`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        running_sum: Column<Advice>,
        table: TableColumn,
    ) -> Self {
        let lookup = LookupRangeCheckConfig::configure(meta, running_sum, table);
        RangeCheckConfig { lookup, table }
    }
}

/// The range-check chip: see the [module documentation](self) for the argument.
#[derive(Clone, Debug)]
pub struct RangeCheckChip {
    config: RangeCheckConfig,
}

impl RangeCheckChip {
    /// Wraps a configuration.
    pub fn construct(config: RangeCheckConfig) -> Self {
        RangeCheckChip { config }
    }
}

impl Chip<Fp> for RangeCheckChip {
    type Config = RangeCheckConfig;
    type Loaded = ();

    fn config(&self) -> &RangeCheckConfig {
        &self.config
    }

    fn loaded(&self) -> &() {
        &()
    }
}

impl RangeCheckInstructions for RangeCheckChip {
    fn load_table(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        let table = self.config.table;
        layouter.assign_table(
            || "range table 0..2^10",
            |mut t| {
                for i in 0..(1usize << WORD_BITS) {
                    t.assign_cell(|| "word", table, i, || Value::known(Fp::from(i as u64)))?;
                }
                Ok(())
            },
        )
    }

    fn check_bits(
        &self,
        mut layouter: impl Layouter<Fp>,
        cell: &Cell,
        num_bits: usize,
    ) -> Result<(), Error> {
        if num_bits > MAX_RANGE_BITS {
            log::error!(
                "range check of {num_bits} bits requested; at most {MAX_RANGE_BITS} are sound"
            );
            return Err(Error::Synthesis);
        }
        let words = num_bits / WORD_BITS;
        let short = num_bits % WORD_BITS;
        let lookup = &self.config.lookup;
        if words == 0 {
            return lookup.copy_short_check(
                layouter.namespace(|| "short word"),
                cell.clone(),
                short,
            );
        }
        let zs = lookup.copy_check(
            layouter.namespace(|| format!("{words} words")),
            cell.clone(),
            words,
            short == 0,
        )?;
        if short > 0 {
            // zs[words] is the high part left after the full words; it must have `short` bits.
            let high = zs.last().ok_or(Error::Synthesis)?.clone();
            lookup.copy_short_check(
                layouter.namespace(|| format!("top {short} bits")),
                high,
                short,
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------------

/// What the arithmetic chip offers. Every input cell is copied in with a copy constraint, and
/// arithmetic is in the field: callers bound their operands (range checks) so nothing wraps.
pub trait ArithInstructions: Chip<Fp> {
    /// Assigns a private value.
    fn witness(&self, layouter: impl Layouter<Fp>, value: Value<Fp>) -> Result<Cell, Error>;
    /// Assigns `N` private values, each in its own region named `names[i]`: the inputs of a
    /// circuit whose witness is one array (unknown as a whole in a shape-only circuit).
    fn witness_array<const N: usize>(
        &self,
        layouter: &mut impl Layouter<Fp>,
        names: [&'static str; N],
        values: Value<[Fp; N]>,
    ) -> Result<[Cell; N], Error> {
        let mut cells = Vec::with_capacity(N);
        for (i, name) in names.into_iter().enumerate() {
            cells.push(self.witness(layouter.namespace(|| name), values.map(|v| v[i]))?);
        }
        cells.try_into().map_err(|_| Error::Synthesis)
    }
    /// Assigns a value fixed by the circuit (a copy of the constants column).
    fn constant(&self, layouter: impl Layouter<Fp>, value: Fp) -> Result<Cell, Error>;
    /// `a + b`.
    fn add(&self, layouter: impl Layouter<Fp>, a: &Cell, b: &Cell) -> Result<Cell, Error>;
    /// `a − b` (in the field).
    fn sub(&self, layouter: impl Layouter<Fp>, a: &Cell, b: &Cell) -> Result<Cell, Error>;
    /// `a · b`.
    fn mul(&self, layouter: impl Layouter<Fp>, a: &Cell, b: &Cell) -> Result<Cell, Error>;
    /// Constrains `a + b = sum` for three existing cells.
    fn assert_sum(
        &self,
        layouter: impl Layouter<Fp>,
        a: &Cell,
        b: &Cell,
        sum: &Cell,
    ) -> Result<(), Error>;
}

/// Columns and selectors of the arithmetic chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArithConfig {
    a: Column<Advice>,
    b: Column<Advice>,
    c: Column<Advice>,
    q_add: Selector,
    q_mul: Selector,
}

impl ArithConfig {
    /// Configures the gates `q_add·(a + b − c) = 0` and `q_mul·(a·b − c) = 0` on three advice
    /// columns (equality is enabled on them).
    pub fn configure(meta: &mut ConstraintSystem<Fp>, cols: [Column<Advice>; 3]) -> Self {
        let [a, b, c] = cols;
        for col in cols {
            meta.enable_equality(col);
        }
        let q_add = meta.selector();
        let q_mul = meta.selector();
        meta.create_gate("add / mul", |meta| {
            let q_add = meta.query_selector(q_add);
            let q_mul = meta.query_selector(q_mul);
            let a = meta.query_advice(a, Rotation::cur());
            let b = meta.query_advice(b, Rotation::cur());
            let c = meta.query_advice(c, Rotation::cur());
            let add: Expression<Fp> = q_add * (a.clone() + b.clone() - c.clone());
            let mul = q_mul * (a * b - c);
            [("a + b = c", add), ("a * b = c", mul)]
        });
        ArithConfig {
            a,
            b,
            c,
            q_add,
            q_mul,
        }
    }
}

/// The arithmetic chip: one operation per row.
#[derive(Clone, Debug)]
pub struct ArithChip {
    config: ArithConfig,
}

impl ArithChip {
    /// Wraps a configuration.
    pub fn construct(config: ArithConfig) -> Self {
        ArithChip { config }
    }

    /// One `q`-gated row `a ∘ b = c` where each of the three cells is either copied from an
    /// existing cell or freshly witnessed; returns the three assigned cells.
    fn row(
        &self,
        mut layouter: impl Layouter<Fp>,
        name: &'static str,
        q: Selector,
        cells: [Operand<'_>; 3],
    ) -> Result<[Cell; 3], Error> {
        let cols = [self.config.a, self.config.b, self.config.c];
        layouter.assign_region(
            || name,
            |mut region| {
                q.enable(&mut region, 0)?;
                let mut out = Vec::with_capacity(3);
                for (operand, col) in cells.iter().zip(cols) {
                    out.push(match operand {
                        Operand::Copy(cell) => cell.copy_advice(|| name, &mut region, col, 0)?,
                        Operand::Fresh(v) => region.assign_advice(|| name, col, 0, || *v)?,
                    });
                }
                let [x, y, z]: [Cell; 3] = out.try_into().map_err(|_| Error::Synthesis)?;
                Ok([x, y, z])
            },
        )
    }
}

/// One input of an arithmetic row.
enum Operand<'a> {
    Copy(&'a Cell),
    Fresh(Value<Fp>),
}

impl Chip<Fp> for ArithChip {
    type Config = ArithConfig;
    type Loaded = ();

    fn config(&self) -> &ArithConfig {
        &self.config
    }

    fn loaded(&self) -> &() {
        &()
    }
}

impl ArithInstructions for ArithChip {
    fn witness(&self, mut layouter: impl Layouter<Fp>, value: Value<Fp>) -> Result<Cell, Error> {
        let col = self.config.a;
        layouter.assign_region(
            || "witness",
            |mut region| region.assign_advice(|| "witness", col, 0, || value),
        )
    }

    fn constant(&self, mut layouter: impl Layouter<Fp>, value: Fp) -> Result<Cell, Error> {
        let col = self.config.a;
        layouter.assign_region(
            || "constant",
            |mut region| region.assign_advice_from_constant(|| "constant", col, 0, value),
        )
    }

    fn add(&self, layouter: impl Layouter<Fp>, a: &Cell, b: &Cell) -> Result<Cell, Error> {
        let sum = a.value().zip(b.value()).map(|(a, b)| *a + *b);
        let [_, _, c] = self.row(
            layouter,
            "add",
            self.config.q_add,
            [Operand::Copy(a), Operand::Copy(b), Operand::Fresh(sum)],
        )?;
        Ok(c)
    }

    fn sub(&self, layouter: impl Layouter<Fp>, a: &Cell, b: &Cell) -> Result<Cell, Error> {
        // Laid out as (a − b) + b = a, so the add gate serves both.
        let diff = a.value().zip(b.value()).map(|(a, b)| *a - *b);
        let [d, _, _] = self.row(
            layouter,
            "sub",
            self.config.q_add,
            [Operand::Fresh(diff), Operand::Copy(b), Operand::Copy(a)],
        )?;
        Ok(d)
    }

    fn mul(&self, layouter: impl Layouter<Fp>, a: &Cell, b: &Cell) -> Result<Cell, Error> {
        let prod = a.value().zip(b.value()).map(|(a, b)| *a * *b);
        let [_, _, c] = self.row(
            layouter,
            "mul",
            self.config.q_mul,
            [Operand::Copy(a), Operand::Copy(b), Operand::Fresh(prod)],
        )?;
        Ok(c)
    }

    fn assert_sum(
        &self,
        layouter: impl Layouter<Fp>,
        a: &Cell,
        b: &Cell,
        sum: &Cell,
    ) -> Result<(), Error> {
        self.row(
            layouter,
            "assert sum",
            self.config.q_add,
            [Operand::Copy(a), Operand::Copy(b), Operand::Copy(sum)],
        )?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The shared configuration of the arithmetic circuits
// ---------------------------------------------------------------------------------------------

/// The columns every arithmetic sub-circuit uses: one running-sum column for range checks,
/// three for arithmetic, one instance column for the public inputs, one fixed column for
/// constants, and the lookup table.
#[derive(Clone, Copy, Debug)]
pub struct ArithCircuitConfig {
    /// The range-check chip's configuration.
    pub range: RangeCheckConfig,
    /// The arithmetic chip's configuration.
    pub arith: ArithConfig,
    /// The public inputs, one per row.
    pub instance: Column<Instance>,
    /// The fixed column holding the circuit's constants.
    pub constants: Column<Fixed>,
}

impl ArithCircuitConfig {
    /// Allocates the columns and configures both chips.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let running_sum = meta.advice_column();
        let cols = [
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
        ];
        let table = meta.lookup_table_column();
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        ArithCircuitConfig {
            range: RangeCheckConfig::configure(meta, running_sum, table),
            arith: ArithConfig::configure(meta, cols),
            instance,
            constants,
        }
    }

    /// Both chips, ready for synthesis.
    pub fn chips(&self) -> (RangeCheckChip, ArithChip) {
        (
            RangeCheckChip::construct(self.range),
            ArithChip::construct(self.arith),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Row counting
// ---------------------------------------------------------------------------------------------

/// How many rows a circuit occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowUsage {
    /// Rows holding real assignments: gates, copies, constants and lookup tables (the largest
    /// assigned row index plus one, over all columns).
    pub used: usize,
    /// Rows holding advice assignments (the circuit's own work, without the lookup table and
    /// the constants).
    pub advice: usize,
    /// Rows halo2 reserves at the end of the domain: the blinding factors plus the last row.
    pub reserved: usize,
}

impl RowUsage {
    /// The smallest `k` with `used + reserved ≤ 2^k`: the rows `MockProver` and the prover
    /// accept as usable are `0..2^k − reserved`.
    pub fn min_k(&self) -> u32 {
        let needed = self.used + self.reserved;
        needed.next_power_of_two().trailing_zeros()
    }
}

/// Lays `circuit` out with its floor planner (no proving, witness values ignored) and counts
/// its rows. Limited to circuits on [`ArithCircuitConfig`], whose constants column it needs
/// (halo2 keeps the constraint system's list private).
///
/// # Complexity
///
/// One synthesis pass: linear in the number of assigned cells (the lookup table's `2^10`
/// included).
pub fn rows_used<C: Circuit<Fp, Config = ArithCircuitConfig>>(
    circuit: &C,
) -> Result<RowUsage, Error> {
    let usage = super::rows::measure(circuit, |config: &ArithCircuitConfig| {
        vec![config.constants]
    })?;
    Ok(RowUsage {
        used: usage.rows,
        advice: usage.advice_rows,
        reserved: usage.reserved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;
    use halo2_proofs::circuit::SimpleFloorPlanner;
    use halo2_proofs::dev::{MockProver, VerifyFailure};

    /// Range-checks one witnessed value to `bits` bits.
    #[derive(Clone)]
    struct OneCheck {
        value: Value<Fp>,
        bits: usize,
    }

    impl Circuit<Fp> for OneCheck {
        type Config = ArithCircuitConfig;
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            OneCheck {
                value: Value::unknown(),
                bits: self.bits,
            }
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            ArithCircuitConfig::configure(meta)
        }

        fn synthesize(
            &self,
            config: Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let (range, arith) = config.chips();
            range.load_table(&mut layouter)?;
            let x = arith.witness(layouter.namespace(|| "x"), self.value)?;
            range.check_bits(layouter.namespace(|| "x range"), &x, self.bits)
        }
    }

    fn check(value: Fp, bits: usize) -> Result<(), Vec<VerifyFailure>> {
        let circuit = OneCheck {
            value: Value::known(value),
            bits,
        };
        let result = MockProver::run(11, &circuit, vec![vec![]])
            .expect("synthesis")
            .verify();
        if let Err(failures) = &result {
            assert!(
                failures.iter().any(test_support::is_range_failure),
                "no range-check failure in {failures:?}"
            );
        }
        result
    }

    fn pow2(n: u32) -> Fp {
        Fp::from(2).pow([u64::from(n)])
    }

    #[test]
    fn range_check_boundaries() {
        // Widths with and without a partial top word, and a short-only width.
        for bits in [4usize, 10, 14, 64, 80, 128] {
            let top = pow2(bits as u32);
            assert!(check(Fp::ZERO, bits).is_ok(), "0 in {bits} bits");
            assert!(
                check(top - Fp::ONE, bits).is_ok(),
                "2^{bits} - 1 in {bits} bits"
            );
            assert!(
                check(top, bits).is_err(),
                "2^{bits} accepted as {bits} bits"
            );
            assert!(check(-Fp::ONE, bits).is_err(), "-1 accepted as {bits} bits");
        }
    }

    #[test]
    fn range_check_rejects_too_wide() {
        let circuit = OneCheck {
            value: Value::known(Fp::ONE),
            bits: MAX_RANGE_BITS + 1,
        };
        assert!(matches!(
            MockProver::run(11, &circuit, vec![vec![]]),
            Err(Error::Synthesis)
        ));
    }

    #[test]
    fn arith_ops() {
        #[derive(Clone)]
        struct Ops(Value<Fp>, Value<Fp>, Value<Fp>);
        impl Circuit<Fp> for Ops {
            type Config = ArithCircuitConfig;
            type FloorPlanner = SimpleFloorPlanner;
            fn without_witnesses(&self) -> Self {
                Ops(Value::unknown(), Value::unknown(), Value::unknown())
            }
            fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
                ArithCircuitConfig::configure(meta)
            }
            fn synthesize(
                &self,
                config: Self::Config,
                mut layouter: impl Layouter<Fp>,
            ) -> Result<(), Error> {
                let (range, arith) = config.chips();
                range.load_table(&mut layouter)?;
                let a = arith.witness(layouter.namespace(|| "a"), self.0)?;
                let b = arith.witness(layouter.namespace(|| "b"), self.1)?;
                let claimed = arith.witness(layouter.namespace(|| "claimed"), self.2)?;
                let sum = arith.add(layouter.namespace(|| "a+b"), &a, &b)?;
                let diff = arith.sub(layouter.namespace(|| "sum-b"), &sum, &b)?;
                let prod = arith.mul(layouter.namespace(|| "diff*b"), &diff, &b)?;
                let three = arith.constant(layouter.namespace(|| "3"), Fp::from(3))?;
                let out = arith.add(layouter.namespace(|| "prod+3"), &prod, &three)?;
                layouter.constrain_instance(out.cell(), config.instance, 0)?;
                // claimed + b = a + b·(1) only when claimed = a: exercises assert_sum.
                arith.assert_sum(layouter.namespace(|| "claimed+b"), &claimed, &b, &sum)
            }
        }
        let (a, b) = (Fp::from(7), Fp::from(5));
        let ok = Ops(Value::known(a), Value::known(b), Value::known(a));
        let expected = a * b + Fp::from(3);
        assert_eq!(
            MockProver::run(11, &ok, vec![vec![expected]])
                .unwrap()
                .verify(),
            Ok(())
        );
        assert!(MockProver::run(11, &ok, vec![vec![expected + Fp::ONE]])
            .unwrap()
            .verify()
            .is_err());
        let bad = Ops(Value::known(a), Value::known(b), Value::known(a + Fp::ONE));
        assert!(MockProver::run(11, &bad, vec![vec![expected]])
            .unwrap()
            .verify()
            .is_err());
    }

    #[test]
    fn row_counter_finds_table_bound() {
        let circuit = OneCheck {
            value: Value::unknown(),
            bits: 64,
        };
        let usage = rows_used(&circuit).unwrap();
        // The 2^10-row table dominates; the check itself is 10 running-sum rows.
        assert_eq!(usage.used, 1 << WORD_BITS);
        assert_eq!(usage.advice, 10);
        assert_eq!(usage.min_k(), 11);
    }
}

/// Failure classifiers and MockProver checks shared by the arithmetic circuits' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{rows_used, ArithCircuitConfig, WORD_BITS};
    use crate::subcircuits::SubCircuit;
    use crate::Fp;
    use halo2_proofs::dev::{MockProver, VerifyFailure};
    use halo2_proofs::plonk::Error;
    use proptest::prelude::*;

    /// A range check failed: a word outside the lookup table (short checks), or a strict
    /// running sum whose last value is not the constant 0 (the copy into the gadget's region
    /// breaks). halo2 keeps the failure's fields private, so the region is matched by name.
    pub(crate) fn is_range_failure(failure: &VerifyFailure) -> bool {
        match failure {
            VerifyFailure::Lookup { .. } => true,
            VerifyFailure::Permutation { .. } => format!("{failure:?}")
                .to_lowercase()
                .contains("range check"),
            _ => false,
        }
    }

    /// A public input differs from the cell it is bound to.
    pub(crate) fn is_instance_failure(failure: &VerifyFailure) -> bool {
        matches!(failure, VerifyFailure::Permutation { .. })
            && format!("{failure:?}").contains("Instance")
    }

    /// MockProver at the circuit's `k` against `instance` (its one instance column).
    pub(crate) fn run<C: SubCircuit>(
        circuit: &C,
        instance: Vec<Fp>,
    ) -> Result<(), Vec<VerifyFailure>> {
        MockProver::run(circuit.k(), circuit, vec![instance])
            .expect("synthesis")
            .verify()
    }

    /// Whether MockProver accepts the circuit against its own public inputs.
    pub(crate) fn accepted<C: SubCircuit>(circuit: &C) -> bool {
        run(circuit, circuit.public_inputs()[0].clone()).is_ok()
    }

    /// Rejected against its own public inputs, and by a range-check lookup (not by some
    /// unrelated failure).
    pub(crate) fn assert_range_rejected<C: SubCircuit>(circuit: &C) {
        let failures = run(circuit, circuit.public_inputs()[0].clone()).expect_err("accepted");
        assert!(
            failures.iter().any(is_range_failure),
            "no range-check failure in {failures:?}"
        );
    }

    /// `k()` is the measured minimum, the gates take exactly `advice_rows` (the count the
    /// circuit's module documentation accounts for; the lookup table sets the rows used), and
    /// MockProver refuses `k − 1`.
    pub(crate) fn assert_k_is_minimal<C: SubCircuit<Config = ArithCircuitConfig>>(
        circuit: &C,
        advice_rows: usize,
    ) {
        let usage = rows_used(circuit).unwrap();
        assert_eq!(usage.min_k(), circuit.k(), "{usage:?}");
        assert_eq!(usage.advice, advice_rows, "{usage:?}");
        assert_eq!(usage.used, 1 << WORD_BITS);
        assert!(matches!(
            MockProver::run(circuit.k() - 1, circuit, circuit.public_inputs()),
            Err(Error::NotEnoughRowsAvailable { .. })
        ));
    }

    /// Each public input at `indices`, off by one, is rejected by its instance binding.
    pub(crate) fn assert_public_inputs_bound<C: SubCircuit>(circuit: &C, indices: &[usize]) {
        for &index in indices {
            let mut wrong = circuit.public_inputs()[0].clone();
            wrong[index] += Fp::from(1);
            let failures = run(circuit, wrong).expect_err("wrong public input accepted");
            assert!(
                failures.iter().any(is_instance_failure),
                "index {index}: {failures:?}"
            );
        }
    }

    /// A real proof verifies, and fails with public input `index` off by one.
    pub(crate) fn assert_real_proof_round_trip<C: SubCircuit>(circuit: &C, index: usize) {
        let mut wrong = circuit.public_inputs();
        wrong[0][index] += Fp::from(1);
        let size = crate::proving::round_trip(circuit, &wrong).unwrap();
        assert!(size > 0);
    }

    /// `u64` inputs for property tests, biased towards both ends where overflows live.
    pub(crate) fn u64_edges() -> impl Strategy<Value = u64> {
        prop_oneof![0u64..1_000, any::<u64>(), (u64::MAX - 1_000)..=u64::MAX]
    }
}
