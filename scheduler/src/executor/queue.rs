//! Per-domain ready queues with priority buckets.
//!
//! A domain's ready tasks live in [`BUCKETS`] lock-free FIFO injectors, one per priority
//! bucket, plus a 64-bit mask whose bit `b` hints that bucket `b` may be non-empty. Poppers
//! take from the highest set bit. Priorities are mapped to buckets once per run by rank
//! ([`bucket_map`]), so the order is exact whenever the graph has at most [`BUCKETS`] distinct
//! priorities and approximate (ties broken first-in first-out) above that.
//!
//! Why not a binary heap? A heap needs a lock around every push and pop, so every task would
//! serialise on one per-domain mutex; at a million tiny tasks per second that lock is the
//! bottleneck. Buckets keep push and pop lock-free at the cost of exactness between tasks
//! whose priorities fall in the same bucket, which only matters for graphs with very many
//! distinct priorities, where neighbouring ranks differ by little.
//!
//! The mask is only a hint: a bit may be clear while its bucket holds a task (a popper cleared
//! it between a pusher's push and its `fetch_or`). [`DomainQueue::pop`] therefore falls back to
//! scanning every bucket before it reports empty, which is what the executor's "every token
//! finds a task" argument relies on.

use crossbeam_deque::{Injector, Steal};
use std::sync::atomic::{AtomicU64, Ordering};

/// Number of priority buckets: one bit each in an `AtomicU64` mask.
pub(crate) const BUCKETS: usize = 64;

/// Maps each task's priority to a bucket: distinct priorities are ranked (higher priority,
/// higher bucket) and the ranks spread evenly over the buckets.
pub(crate) fn bucket_map(priority: &[f64]) -> Vec<u8> {
    let mut distinct: Vec<f64> = priority.to_vec();
    distinct.sort_by(|a, b| a.total_cmp(b));
    distinct.dedup_by(|a, b| a.total_cmp(b).is_eq());
    let levels = distinct.len().max(1);
    priority
        .iter()
        .map(|p| {
            let rank = distinct.partition_point(|d| d.total_cmp(p).is_lt());
            (rank * BUCKETS / levels) as u8
        })
        .collect()
}

/// One domain's ready tasks.
pub(crate) struct DomainQueue {
    buckets: Box<[Injector<usize>]>,
    mask: AtomicU64,
}

impl DomainQueue {
    pub(crate) fn new() -> Self {
        DomainQueue {
            buckets: (0..BUCKETS).map(|_| Injector::new()).collect(),
            mask: AtomicU64::new(0),
        }
    }

    /// Queues `task` in `bucket`.
    pub(crate) fn push(&self, task: usize, bucket: u8) {
        let b = usize::from(bucket);
        self.buckets[b].push(task);
        let bit = 1u64 << b;
        // Skipping the read-modify-write when the bit is already set keeps the mask's cache
        // line shared between cores in the common case.
        if self.mask.load(Ordering::SeqCst) & bit == 0 {
            self.mask.fetch_or(bit, Ordering::SeqCst);
        }
    }

    /// Takes a task of the highest non-empty bucket; `None` only if every bucket was seen
    /// empty (each at some moment during the call).
    pub(crate) fn pop(&self) -> Option<usize> {
        loop {
            let mask = self.mask.load(Ordering::SeqCst);
            if mask == 0 {
                break;
            }
            let b = 63 - mask.leading_zeros() as usize;
            match self.buckets[b].steal() {
                Steal::Success(t) => return Some(t),
                Steal::Retry => continue,
                Steal::Empty => {
                    let bit = 1u64 << b;
                    self.mask.fetch_and(!bit, Ordering::SeqCst);
                    // A push may have landed between the steal and the clear: restore the hint.
                    if !self.buckets[b].is_empty() {
                        self.mask.fetch_or(bit, Ordering::SeqCst);
                    }
                }
            }
        }
        // Slow path: the hint may be stale, so look at every bucket.
        for bucket in self.buckets.iter().rev() {
            loop {
                match bucket.steal() {
                    Steal::Success(t) => return Some(t),
                    Steal::Empty => break,
                    Steal::Retry => continue,
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_rank() {
        let map = bucket_map(&[1.0, 5.0, 3.0, 5.0]);
        assert!(map[1] > map[2] && map[2] > map[0]);
        assert_eq!(map[1], map[3]);
        let many: Vec<f64> = (0..1000).map(f64::from).collect();
        let map = bucket_map(&many);
        assert_eq!(map[0], 0);
        assert_eq!(map[999], 63);
        assert!(map.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn pops_highest_bucket_first_fifo_within() {
        let q = DomainQueue::new();
        q.push(10, 1);
        q.push(11, 7);
        q.push(12, 7);
        q.push(13, 0);
        let order: Vec<usize> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![11, 12, 10, 13]);
    }
}
