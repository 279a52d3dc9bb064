//! Work-stealing (`Dispatch::Priority`) and plain-rayon (`Dispatch::Fifo`) dispatch.
//!
//! Both hand ready tasks to rayon-core pools as spawned jobs, so every task body runs on a pool
//! thread and its own `rayon::join`/`par_iter` calls share that pool's threads. See the module
//! docs of [`super`] for the protocol.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::state::{Mode, RunState};

impl RunState {
    /// Dispatches every entry task (work-stealing and FIFO modes).
    pub(crate) fn start_async(self: &Arc<Self>) {
        let roots = self.roots();
        self.set_outstanding(roots.len());
        let workers = self.pools.worker_domain.len();
        for (i, &t) in roots.iter().enumerate() {
            // Spread entry tasks over the domains in proportion to their workers.
            let domain = self.pools.worker_domain[i % workers];
            self.dispatch(t, domain);
        }
    }

    /// Hands a ready task (which already holds an outstanding unit) to a pool.
    /// `from_domain` is the domain of the worker that released it.
    pub(crate) fn dispatch(self: &Arc<Self>, task: usize, from_domain: usize) {
        match &self.mode {
            Mode::Fifo => {
                let state = Arc::clone(self);
                self.pools.flat.spawn_fifo(move || state.fifo_job(task));
            }
            Mode::Priority { buckets, locality } => {
                let domains = self.pools.domains.len();
                let home = match self.shape.tasks[task].locality {
                    Some(d) if *locality => d % domains,
                    _ => from_domain,
                };
                self.slots[task].home.store(home as u32, Ordering::Relaxed);
                self.queues[home].push(task, buckets[task]);
                let target = self.choose_pool(home);
                let state = Arc::clone(self);
                self.pools.domains[target].spawn(move || state.token(target));
            }
            Mode::Sequential | Mode::Plan { .. } => unreachable!("not an asynchronous mode"),
        }
    }

    /// The pool that gets the token for a task queued in `home`: `home` unless every one of
    /// its threads already has a token and another domain has a thread without one, so idle
    /// domains come to steal instead of sleeping.
    fn choose_pool(&self, home: usize) -> usize {
        let sizes = &self.pools.sizes;
        let mut target = home;
        if sizes.len() > 1 && self.load[home].load(Ordering::Relaxed) >= sizes[home] {
            // Least loaded domain relative to its size (cross-multiplied to stay in integers).
            let ratio = |d: usize| (self.load[d].load(Ordering::Relaxed), sizes[d]);
            let (mut best, mut best_ratio) = (home, ratio(home));
            for d in 0..sizes.len() {
                let r = ratio(d);
                if r.0 * best_ratio.1 < best_ratio.0 * r.1 {
                    (best, best_ratio) = (d, r);
                }
            }
            if best_ratio.0 < best_ratio.1 {
                target = best;
            }
        }
        if sizes.len() > 1 {
            self.load[target].fetch_add(1, Ordering::Relaxed);
        }
        target
    }

    /// A work-stealing token running on a thread of `domain`'s pool: take the best task of the
    /// domain, else steal one from another domain, and run it.
    fn token(self: Arc<Self>, domain: usize) {
        let pools = &self.pools;
        let worker =
            pools.offsets[domain] + pools.domains[domain].current_thread_index().unwrap_or(0);
        let domains = pools.domains.len();
        let task = self.queues[domain]
            .pop()
            .or_else(|| (1..domains).find_map(|k| self.queues[(domain + k) % domains].pop()));
        if let Some(task) = task {
            self.start_task(task, worker, domain);
        }
        if domains > 1 {
            self.load[domain].fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A FIFO job: runs exactly its own task, on whichever flat-pool thread picked it up.
    fn fifo_job(self: Arc<Self>, task: usize) {
        let worker = self.pools.flat.current_thread_index().unwrap_or(0);
        self.start_task(task, worker, self.pools.worker_domain[worker]);
    }

    /// Skips, parks (memory) or runs a dispatched task, then completes it.
    fn start_task(self: &Arc<Self>, task: usize, worker: usize, domain: usize) {
        if self.stopping() {
            self.retire();
            return;
        }
        if let Some(adm) = &self.admission {
            let t = &self.shape.tasks[task];
            if !adm.try_start(task, &t.name, t.peak_mem_bytes) {
                // Parked: keeps its outstanding unit until a finishing task re-dispatches it.
                return;
            }
        }
        let ok = self.run_body(task, worker);
        self.complete(task, worker, domain, ok);
    }

    /// After a task ran: release its memory (re-dispatching parked tasks), then its
    /// successors. The task's own outstanding unit goes to the first released successor, which
    /// is dispatched last: in a chain no shared counter is touched at all, and rayon's LIFO
    /// local deque makes this thread run that successor next (its inputs are in this cache).
    fn complete(self: &Arc<Self>, task: usize, worker: usize, domain: usize, ok: bool) {
        if let Some(adm) = &self.admission {
            for parked in adm.finish(self.shape.tasks[task].peak_mem_bytes) {
                self.dispatch(parked, domain);
            }
        }
        let mut heir = None;
        if ok && !self.stopping() {
            for &s in &self.shape.succs[task] {
                if self.slots[s].pending.arrive() {
                    self.mark_ready(s, Some(worker));
                    if heir.is_none() {
                        heir = Some(s);
                    } else {
                        self.add_outstanding();
                        self.dispatch(s, domain);
                    }
                }
            }
        }
        match heir {
            Some(s) => self.dispatch(s, domain),
            None => self.retire(),
        }
    }
}
