//! `Dispatch::Plan`: every worker runs its own list of tasks in order.
//!
//! Each pool thread receives one broadcast job that walks its list. Before a task it waits for
//! the task's join counter to reach zero: first by helping its pool with pending rayon jobs
//! (the inner parallelism of tasks running elsewhere in the domain), then by parking. The
//! predecessor that releases a task unparks its owner, so the wait ends immediately; the park
//! also times out so that a worker notices cancellation and returns to help with rayon work.
//!
//! A plan whose per-worker orders contradict the dependencies would deadlock, so
//! [`validate_plan`] rejects it before the run.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::state::{Mode, RunState};
use crate::shape::{DagShape, StaticPlan};

/// How long a waiting plan worker parks before looking for rayon work and for cancellation
/// again. Releases unpark it at once, so this only bounds those two latencies; 200 µs is long
/// against a futex wake-up and short against any task worth planning.
const PARK: Duration = Duration::from_micros(200);

/// Checks that `plan` lists every task exactly once, uses at most `workers` workers, and can run
/// without deadlock (the dependencies plus "runs after on the same worker" are acyclic).
/// Returns each task's worker.
pub(crate) fn validate_plan(
    shape: &DagShape,
    plan: &StaticPlan,
    workers: usize,
) -> Result<Vec<usize>, String> {
    let n = shape.len();
    let lists = &plan.order_per_worker;
    if lists.len() > workers {
        let extra = lists[workers..].iter().any(|l| !l.is_empty());
        if extra {
            return Err(format!(
                "plan uses {} workers but the executor has {workers}",
                lists.len()
            ));
        }
    }
    let mut owner = vec![usize::MAX; n];
    for (w, list) in lists.iter().enumerate() {
        for &t in list {
            if t >= n {
                return Err(format!("plan lists task #{t}, but the graph has {n} tasks"));
            }
            if owner[t] != usize::MAX {
                return Err(format!("plan lists task {:?} twice", shape.tasks[t].name));
            }
            owner[t] = w;
        }
    }
    if let Some(t) = owner.iter().position(|&w| w == usize::MAX) {
        return Err(format!("plan omits task {:?}", shape.tasks[t].name));
    }
    // Kahn's algorithm on dependencies plus same-worker order.
    let mut next_on_worker = vec![usize::MAX; n];
    let mut remaining: Vec<usize> = shape.preds.iter().map(Vec::len).collect();
    for list in lists {
        for pair in list.windows(2) {
            next_on_worker[pair[0]] = pair[1];
            remaining[pair[1]] += 1;
        }
    }
    let mut stack: Vec<usize> = (0..n).filter(|&t| remaining[t] == 0).collect();
    let mut seen = 0;
    while let Some(t) = stack.pop() {
        seen += 1;
        let after = shape.succs[t]
            .iter()
            .copied()
            .chain((next_on_worker[t] != usize::MAX).then_some(next_on_worker[t]));
        for s in after {
            remaining[s] -= 1;
            if remaining[s] == 0 {
                stack.push(s);
            }
        }
    }
    if seen < n {
        let t = (0..n).find(|&t| remaining[t] > 0).unwrap_or(0);
        return Err(format!(
            "plan would deadlock: task {:?} waits on a task queued behind it on another worker",
            shape.tasks[t].name
        ));
    }
    Ok(owner)
}

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
