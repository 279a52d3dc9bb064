//! `rayon`: plain rayon spawning, first come first served.

use super::Policy;
use crate::shape::{DagShape, Dispatch};

/// Spawns every task into a rayon pool as soon as its predecessors finish, with no priorities
/// and no locality: the natural "just use rayon" implementation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RayonFifo;

impl Policy for RayonFifo {
    fn name(&self) -> &'static str {
        "rayon"
    }

    fn dispatch(&self, _shape: &DagShape, _workers: usize) -> Dispatch {
        Dispatch::Fifo
    }
}
