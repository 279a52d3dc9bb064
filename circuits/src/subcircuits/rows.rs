//! Counting the rows a circuit really uses, to pick the smallest `k` without padding.
//!
//! The circuit is laid out with its own floor planner against an [`Assignment`] that only
//! records the highest row touched by a selector, an advice or fixed assignment, or an
//! instance-column copy. Padding writes (`fill_from_row`, which a table layouter uses to fill
//! the rest of a lookup table column) are not real rows and are ignored.
//!
//! halo2 reserves `blinding_factors + 1` rows at the bottom of the `2^k` for zero-knowledge
//! blinding and the `l_last` row, so `k` is the least with `2^k ≥ rows + blinding_factors + 1`.

use ff::Field;
use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{
    Advice, Any, Assigned, Assignment, Circuit, Column, ConstraintSystem, Error, Fixed,
    FloorPlanner, Instance, Selector,
};

/// The rows a circuit occupies and the degree parameter that holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowUsage {
    /// Rows assigned by the circuit (gates, lookup tables, constants, public inputs).
    pub rows: usize,
    /// Rows holding advice cells or enabled selectors: the gates alone, without fixed-only
    /// content such as lookup tables and constants.
    pub advice_rows: usize,
    /// Rows halo2 reserves for blinding and `l_last`: `blinding_factors + 1`.
    pub reserved: usize,
    /// The smallest `k` with `2^k ≥ rows + reserved`.
    pub k: u32,
}

/// Lays `circuit` out (its witness is not needed) and measures its rows.
///
/// `constants` names the fixed columns the circuit's `configure` enabled for constants (halo2
/// keeps that list private to the crate); naming too few makes the layout fail rather than
/// undercount.
pub fn measure<F: Field, C: Circuit<F>>(
    circuit: &C,
    constants: impl FnOnce(&C::Config) -> Vec<Column<Fixed>>,
) -> Result<RowUsage, Error> {
    let mut cs = ConstraintSystem::default();
    let config = C::configure(&mut cs);
    let constants = constants(&config);
    let mut counter = RowCounter::default();
    C::FloorPlanner::synthesize(&mut counter, circuit, config, constants)?;
    let rows = counter.rows;
    let advice_rows = counter.advice_rows;
    let reserved = cs.blinding_factors() + 1;
    let needed = (rows + reserved).max(cs.minimum_rows());
    Ok(RowUsage {
        rows,
        advice_rows,
        reserved,
        k: needed.next_power_of_two().trailing_zeros(),
    })
}

/// An [`Assignment`] that records the number of rows touched and nothing else.
#[derive(Default)]
struct RowCounter {
    rows: usize,
    advice_rows: usize,
}

impl RowCounter {
    fn touch(&mut self, row: usize) {
        self.rows = self.rows.max(row + 1);
    }

    fn touch_advice(&mut self, row: usize) {
        self.touch(row);
        self.advice_rows = self.advice_rows.max(row + 1);
    }
}

impl<F: Field> Assignment<F> for RowCounter {
    fn enter_region<NR, N>(&mut self, _: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
    }

    fn exit_region(&mut self) {}

    fn enable_selector<A, AR>(&mut self, _: A, _: &Selector, row: usize) -> Result<(), Error>
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.touch_advice(row);
        Ok(())
    }

    fn query_instance(&self, _: Column<Instance>, _: usize) -> Result<Value<F>, Error> {
        Ok(Value::unknown())
    }

    fn assign_advice<V, VR, A, AR>(
        &mut self,
        _: A,
        _: Column<Advice>,
        row: usize,
        _: V,
    ) -> Result<(), Error>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<F>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.touch_advice(row);
        Ok(())
    }

    fn assign_fixed<V, VR, A, AR>(
        &mut self,
        _: A,
        _: Column<Fixed>,
        row: usize,
        _: V,
    ) -> Result<(), Error>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<F>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.touch(row);
        Ok(())
    }

    fn copy(
        &mut self,
        left_column: Column<Any>,
        left_row: usize,
        right_column: Column<Any>,
        right_row: usize,
    ) -> Result<(), Error> {
        // Advice and fixed cells of a copy were assigned (and counted) already; instance cells
        // are never assigned, so a copy is the only sign that a public-input row is used.
        for (column, row) in [(left_column, left_row), (right_column, right_row)] {
            if *column.column_type() == Any::Instance {
                self.touch(row);
            }
        }
        Ok(())
    }

    fn fill_from_row(
        &mut self,
        _: Column<Fixed>,
        _: usize,
        _: Value<Assigned<F>>,
    ) -> Result<(), Error> {
        Ok(())
    }

    fn push_namespace<NR, N>(&mut self, _: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
    }

    fn pop_namespace(&mut self, _: Option<String>) {}
}
