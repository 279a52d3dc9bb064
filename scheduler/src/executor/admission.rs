//! Memory admission: the estimated peak memory of running tasks stays within a budget.
//!
//! A task may start when nothing else is running or when `used + need <= budget`. A task whose
//! estimate alone exceeds the budget therefore starts only when nothing runs, and while it runs
//! `used > budget`, so nothing else is admitted: it runs alone (with a warning).
//!
//! Non-blocking modes (work stealing, FIFO) cannot wait: a refused task is parked in `waiting`
//! under the same lock that [`Admission::finish`] takes, and `finish` hands every parked task
//! back to be dispatched again. Because refusal and release are serialised by the lock, a
//! refusal can never miss the release that would have admitted it: a task is only refused while
//! some admitted task is running, and that task's `finish` will see it parked. Blocking modes (a
//! static plan, sequential) wait on a condition variable instead.
//!
//! The lock is taken once per task start and once per task end, and only when a budget is set:
//! tasks worth a memory budget are heavy enough for that not to matter.

use parking_lot::{Condvar, Mutex};
use std::time::Duration;

struct State {
    used: u64,
    running: usize,
    waiting: Vec<usize>,
}

pub(crate) struct Admission {
    budget: u64,
    state: Mutex<State>,
    freed: Condvar,
}

impl Admission {
    pub(crate) fn new(budget: u64) -> Self {
        Admission {
            budget,
            state: Mutex::new(State {
                used: 0,
                running: 0,
                waiting: Vec::new(),
            }),
            freed: Condvar::new(),
        }
    }

    fn admissible(&self, s: &State, need: u64) -> bool {
        s.running == 0 || s.used.saturating_add(need) <= self.budget
    }

    fn admit(&self, s: &mut State, name: &str, need: u64) {
        if need > self.budget {
            log::warn!(
                "task {name:?} needs an estimated {need} bytes, over the memory budget of {} bytes: running it alone",
                self.budget
            );
        }
        s.used = s.used.saturating_add(need);
        s.running += 1;
    }

    /// Admits `task` now, or parks it for [`Admission::finish`] to hand back.
    pub(crate) fn try_start(&self, task: usize, name: &str, need: u64) -> bool {
        let mut s = self.state.lock();
        if self.admissible(&s, need) {
            self.admit(&mut s, name, need);
            true
        } else {
            s.waiting.push(task);
            false
        }
    }

    /// Waits until the task can start; gives up (returning false) when `stop` says so. `stop`
    /// is polled because cancellation is signalled by a flag, not by this condition variable.
    pub(crate) fn start_blocking(&self, name: &str, need: u64, stop: impl Fn() -> bool) -> bool {
        let mut s = self.state.lock();
        loop {
            if stop() {
                return false;
            }
            if self.admissible(&s, need) {
                self.admit(&mut s, name, need);
                return true;
            }
            // Bounded wait so a cancellation is noticed within a millisecond.
            self.freed.wait_for(&mut s, Duration::from_millis(1));
        }
    }

    /// Releases an admitted task's memory; returns the parked tasks to dispatch again.
    pub(crate) fn finish(&self, need: u64) -> Vec<usize> {
        let mut s = self.state.lock();
        s.used -= need;
        s.running -= 1;
        self.freed.notify_all();
        std::mem::take(&mut s.waiting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_over_budget_and_hands_back() {
        let a = Admission::new(10);
        assert!(a.try_start(0, "a", 6));
        assert!(!a.try_start(1, "b", 6));
        assert!(a.try_start(2, "c", 4));
        assert!(!a.try_start(3, "huge", 50));
        assert!(a.finish(4).contains(&1));
        assert!(a.finish(6).is_empty());
        // Oversized runs alone: admitted only when idle, then blocks everything.
        assert!(a.try_start(3, "huge", 50));
        assert!(!a.try_start(4, "tiny", 0));
        assert_eq!(a.finish(50), vec![4]);
    }
}
