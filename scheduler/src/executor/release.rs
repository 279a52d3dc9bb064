//! Join counters: how a finished task releases its successors.
//!
//! Every task starts with a counter equal to its number of (distinct) predecessors. A finishing
//! predecessor decrements the counter of each successor with `fetch_sub(1, AcqRel)`; the one
//! that takes it from 1 to 0 (and only that one) makes the successor ready and hands it to a
//! queue. Two facts make this correct without locks:
//!
//! - *Exactly once*: `fetch_sub` is a single read-modify-write, so among concurrent callers
//!   exactly one observes the previous value 1.
//! - *Visibility*: each decrement releases the writes its task made (its outputs), and the
//!   decrements form one release sequence on the counter; the final decrement acquires all of
//!   them. The queue hand-off that follows (a lock-free injector or a mutex) is itself
//!   release/acquire, so whichever thread runs the successor sees every predecessor's output.
//!
//! `tests/loom_release.rs` checks both facts with loom (`RUSTFLAGS="--cfg loom"`).

use super::sync::{AtomicUsize, Ordering};

/// Counts the predecessors of one task that have not finished yet.
#[derive(Debug)]
pub struct JoinCounter {
    remaining: AtomicUsize,
}

impl JoinCounter {
    /// A counter for a task with `predecessors` distinct predecessors.
    pub fn new(predecessors: usize) -> Self {
        JoinCounter {
            remaining: AtomicUsize::new(predecessors),
        }
    }

    /// Records that one predecessor finished. Returns true for exactly one caller: the last
    /// predecessor, which must then make the task ready.
    pub fn arrive(&self) -> bool {
        let previous = self.remaining.fetch_sub(1, Ordering::AcqRel);
        debug_assert!(previous > 0, "more arrivals than predecessors");
        previous == 1
    }

    /// True once every predecessor has arrived (acquires their writes).
    pub fn is_ready(&self) -> bool {
        self.remaining.load(Ordering::Acquire) == 0
    }
}

/// Calls [`JoinCounter::arrive`] on the counter of each successor and passes every successor
/// that became ready to `on_ready`, in `successors` order.
///
/// The executor's dispatchers run this loop inline over their task slots; this function is the
/// same protocol over plain slices, for the loom model and the unit test.
///
/// # Complexity
/// O(len(successors)) atomic operations.
#[cfg(any(loom, test))]
pub fn release_successors(
    successors: &[usize],
    counters: &[JoinCounter],
    mut on_ready: impl FnMut(usize),
) {
    for &s in successors {
        if counters[s].arrive() {
            on_ready(s);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn last_arrival_releases() {
        let counters = [JoinCounter::new(0), JoinCounter::new(2)];
        assert!(counters[0].is_ready());
        let mut ready = Vec::new();
        release_successors(&[1], &counters, |s| ready.push(s));
        assert!(ready.is_empty() && !counters[1].is_ready());
        release_successors(&[1], &counters, |s| ready.push(s));
        assert_eq!(ready, vec![1]);
        assert!(counters[1].is_ready());
    }
}
