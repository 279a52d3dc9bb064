//! `previous`: the baseline, one task at a time in topological order.

use super::{order_or_index, Policy};
use crate::shape::{DagShape, Dispatch};

/// Runs tasks one after another in topological order, each with every worker available to its
/// own data parallelism: what a plain halo2 user does when proving sub-circuits in a loop.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Previous;

impl Policy for Previous {
    fn name(&self) -> &'static str {
        "previous"
    }

    fn dispatch(&self, shape: &DagShape, _workers: usize) -> Dispatch {
        Dispatch::Sequential {
            order: order_or_index(shape),
        }
    }
}
