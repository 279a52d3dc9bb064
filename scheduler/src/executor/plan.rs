//! `Dispatch::Plan`: every worker runs its own list of tasks in order.
//!
//! Each pool thread receives one broadcast job that walks its list. Before a task it waits for
//! the task's join counter to reach zero: first by helping its pool with pending rayon jobs
//! (the inner parallelism of tasks running elsewhere in the domain), then by parking. The
//! predecessor that releases a task unparks its owner, so the wait ends immediately; the park
//! also times out so that a worker notices cancellation and returns to help with rayon work.
//!
//! A plan whose per-worker orders contradict the dependencies would deadlock, so the executor
//! rejects it before the run with the same check as the simulator
//! ([`crate::static_plan::check::check_runnable`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::state::{Mode, RunState};

/// How long a waiting plan worker parks before looking for rayon work and for cancellation
/// again. Releases unpark it at once, so this only bounds those two latencies; 200 µs is long
/// against a futex wake-up and short against any task worth planning.
const PARK: Duration = Duration::from_micros(200);

impl RunState {
    /// Starts one list-walking job on every worker thread.
    pub(crate) fn start_plan(self: &Arc<Self>) {
        for (d, pool) in self.pools.domains.iter().enumerate() {
            let state = Arc::clone(self);
            let offset = self.pools.offsets[d];
            pool.spawn_broadcast(move |ctx| state.plan_worker(offset + ctx.index()));
        }
    }

    fn plan_worker(&self, worker: usize) {
        let Mode::Plan { owner, lists } = &self.mode else {
            unreachable!("plan mode")
        };
        let _ = self.plan_threads[worker].set(std::thread::current());
        for &task in lists.get(worker).map(Vec::as_slice).unwrap_or(&[]) {
            if !self.wait_ready(task) {
                break;
            }
            let t = &self.shape.tasks[task];
            if let Some(adm) = &self.admission {
                if !adm.start_blocking(&t.name, t.peak_mem_bytes, || self.stopping()) {
                    break;
                }
            }
            let ok = self.run_body(task, worker);
            if let Some(adm) = &self.admission {
                adm.finish(t.peak_mem_bytes);
            }
            if !ok || self.stopping() {
                break;
            }
            for &s in &self.shape.succs[task] {
                if self.slots[s].pending.arrive() {
                    self.mark_ready(s, None);
                    if let Some(thread) = self.plan_threads[owner[s]].get() {
                        thread.unpark();
                    }
                }
            }
        }
        if self.plan_exited.fetch_add(1, Ordering::AcqRel) + 1 == self.pools.worker_domain.len() {
            self.done.set();
        }
    }

    /// Waits until `task`'s predecessors are done; false if the run is stopping.
    fn wait_ready(&self, task: usize) -> bool {
        loop {
            if self.stopping() {
                return false;
            }
            if self.slots[task].pending.is_ready() {
                return true;
            }
            if rayon_core::yield_now() != Some(rayon_core::Yield::Executed) {
                std::thread::park_timeout(PARK);
            }
        }
    }
}
