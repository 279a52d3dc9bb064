//! Atomics used by the join-counter protocol, swapped for loom's under `cfg(loom)` so the
//! model checker can explore every interleaving of [`super::release`].

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
