//! Per-run state shared by the worker threads: task slots, join counters, the outstanding-task
//! count that detects the end of a run, failure and cancellation flags, and the bookkeeping that
//! becomes the [`RunReport`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::Instant;

use crossbeam_utils::CachePadded;
use parking_lot::{Condvar, Mutex};

use super::admission::Admission;
use super::queue::DomainQueue;
use super::release::JoinCounter;
use super::{Pools, RunError};
use crate::graph::TaskFn;
use crate::metrics::{RunReport, TaskRecord, WorkerRecord};
use crate::shape::DagShape;

/// "No worker" / "no domain" in the `u32` slot fields.
pub(crate) const NONE: u32 = u32::MAX;

/// Everything the executor tracks about one task.
pub(crate) struct Slot {
    /// The body; taken by the one thread that runs the task. A mutex rather than an unsafe
    /// cell: it is uncontended (the join counter hands the task to one thread) and costs one
    /// uncontended lock per task.
    work: Mutex<Option<TaskFn>>,
    pub(crate) pending: JoinCounter,
    pub(crate) ready_ns: AtomicU64,
    start_ns: AtomicU64,
    end_ns: AtomicU64,
    worker: AtomicU32,
    /// Worker that released the task (NONE for entry tasks).
    pub(crate) offered: AtomicU32,
    /// Domain whose queue held it (NONE outside work-stealing mode).
    pub(crate) home: AtomicU32,
}

/// The first failure of a run.
pub(crate) struct Failure {
    task: usize,
    message: String,
    panicked: bool,
}

/// A one-shot "run finished" signal for the thread blocked in `Executor::run`.
pub(crate) struct Latch {
    set: Mutex<bool>,
    cond: Condvar,
}

impl Latch {
    fn new() -> Self {
        Latch {
            set: Mutex::new(false),
            cond: Condvar::new(),
        }
    }

    pub(crate) fn set(&self) {
        *self.set.lock() = true;
        self.cond.notify_all();
    }

    pub(crate) fn wait(&self) {
        let mut set = self.set.lock();
        while !*set {
            self.cond.wait(&mut set);
        }
    }
}

/// How ready tasks are handed to threads in this run.
pub(crate) enum Mode {
    /// Tasks run one by one on the calling thread, inside the flat pool.
    Sequential,
    /// Each ready task is spawned FIFO into the flat pool.
    Fifo,
    /// Ready tasks go to per-domain priority queues; anonymous tokens run them.
    Priority {
        /// Priority bucket of each task.
        buckets: Vec<u8>,
        /// Whether locality hints choose the queue.
        locality: bool,
    },
    /// Each worker runs its own list.
    Plan {
        /// Worker of each task.
        owner: Vec<usize>,
        /// Task list of each worker.
        lists: Vec<Vec<usize>>,
    },
}

/// Shared state of one run.
pub(crate) struct RunState {
    pub(crate) pools: Arc<Pools>,
    pub(crate) mode: Mode,
    pub(crate) shape: DagShape,
    pub(crate) slots: Vec<Slot>,
    start: Instant,
    /// Tasks dispatched (queued, parked for memory, or running) and not yet retired. A
    /// finishing task's unit is handed to its first released successor, so the count reaches
    /// zero exactly when no task is queued or running and none can be released any more.
    outstanding: CachePadded<AtomicUsize>,
    abort: AtomicBool,
    cancel: Option<Arc<AtomicBool>>,
    failure: Mutex<Option<Failure>>,
    pub(crate) done: Latch,
    pub(crate) admission: Option<Admission>,
    pub(crate) queues: Vec<DomainQueue>,
    /// Work-stealing mode: tokens queued in or running on each domain's pool.
    pub(crate) load: Vec<CachePadded<AtomicUsize>>,
    /// Plan mode: the thread of each worker, for unparking it when its next task is ready.
    pub(crate) plan_threads: Vec<OnceLock<Thread>>,
    pub(crate) plan_exited: AtomicUsize,
}

/// A readable message from a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

impl RunState {
    pub(crate) fn new(
        pools: Arc<Pools>,
        mode: Mode,
        shape: DagShape,
        tasks: Vec<TaskFn>,
        cancel: Option<Arc<AtomicBool>>,
        mem_budget: Option<u64>,
    ) -> Self {
        let slots = tasks
            .into_iter()
            .zip(&shape.preds)
            .map(|(task, preds)| Slot {
                work: Mutex::new(Some(task)),
                pending: JoinCounter::new(preds.len()),
                ready_ns: AtomicU64::new(0),
                start_ns: AtomicU64::new(0),
                end_ns: AtomicU64::new(0),
                worker: AtomicU32::new(NONE),
                offered: AtomicU32::new(NONE),
                home: AtomicU32::new(NONE),
            })
            .collect();
        let domains = pools.domains.len();
        let workers = pools.worker_domain.len();
        RunState {
            queues: match mode {
                Mode::Priority { .. } => (0..domains).map(|_| DomainQueue::new()).collect(),
                _ => Vec::new(),
            },
            load: (0..domains)
                .map(|_| CachePadded::new(AtomicUsize::new(0)))
                .collect(),
            plan_threads: match mode {
                Mode::Plan { .. } => (0..workers).map(|_| OnceLock::new()).collect(),
                _ => Vec::new(),
            },
            pools,
            mode,
            shape,
            slots,
            start: Instant::now(),
            outstanding: CachePadded::new(AtomicUsize::new(0)),
            abort: AtomicBool::new(false),
            cancel,
            failure: Mutex::new(None),
            done: Latch::new(),
            admission: mem_budget.map(Admission::new),
            plan_exited: AtomicUsize::new(0),
        }
    }

    pub(crate) fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// True once a task failed or the caller cancelled: no new task may start.
    pub(crate) fn stopping(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
            || self
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Entry tasks (no predecessors), in index order.
    pub(crate) fn roots(&self) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&t| self.shape.preds[t].is_empty())
            .collect()
    }

    /// Sets the outstanding count before the first dispatch, so an early finisher cannot take
    /// it to zero while entry tasks are still being dispatched.
    pub(crate) fn set_outstanding(&self, n: usize) {
        self.outstanding.store(n, Ordering::Relaxed);
        if n == 0 {
            self.done.set();
        }
    }

    /// One dispatched task is finished for good (ran, failed, or skipped) and released no
    /// successor to inherit its unit.
    pub(crate) fn retire(&self) {
        if self.outstanding.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.set();
        }
    }

    /// One more dispatched task; the caller holds a unit, so the count is not zero.
    pub(crate) fn add_outstanding(&self) {
        self.outstanding.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs the body of `task` on `worker`, catching panics. Returns whether it succeeded.
    pub(crate) fn run_body(&self, task: usize, worker: usize) -> bool {
        let slot = &self.slots[task];
        let Some(work) = slot.work.lock().take() else {
            // Unreachable by the hand-off protocol; failing loudly beats running twice.
            self.fail(task, "internal error: task dispatched twice".into(), false);
            return false;
        };
        slot.worker.store(worker as u32, Ordering::Relaxed);
        slot.start_ns.store(self.now_ns(), Ordering::Relaxed);
        let result = catch_unwind(AssertUnwindSafe(work));
        slot.end_ns.store(self.now_ns(), Ordering::Relaxed);
        match result {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                self.fail(task, e.0, false);
                false
            }
            Err(payload) => {
                self.fail(task, panic_message(payload.as_ref()), true);
                false
            }
        }
    }

    /// Records the first failure and stops the run.
    pub(crate) fn fail(&self, task: usize, message: String, panicked: bool) {
        let mut failure = self.failure.lock();
        if failure.is_none() {
            *failure = Some(Failure {
                task,
                message,
                panicked,
            });
        }
        drop(failure);
        self.abort.store(true, Ordering::Relaxed);
        for t in self.plan_threads.iter().filter_map(OnceLock::get) {
            t.unpark();
        }
    }

    /// Marks `task` ready now; `worker` released it to a shared queue (dynamic modes only, so
    /// that running elsewhere counts as stolen).
    pub(crate) fn mark_ready(&self, task: usize, worker: Option<usize>) {
        let slot = &self.slots[task];
        slot.ready_ns.store(self.now_ns(), Ordering::Relaxed);
        if let Some(w) = worker {
            slot.offered.store(w as u32, Ordering::Relaxed);
        }
    }

    /// Turns the finished run into a report or an error.
    pub(crate) fn finish(&self, policy: &str) -> Result<RunReport, RunError> {
        let n = self.slots.len();
        let ran = self
            .slots
            .iter()
            .filter(|s| s.worker.load(Ordering::Relaxed) != NONE)
            .count();
        if let Some(f) = self.failure.lock().take() {
            return Err(RunError::TaskFailed {
                task: self.shape.tasks[f.task].name.clone(),
                message: f.message,
                panicked: f.panicked,
                not_run: n - ran,
            });
        }
        if ran < n {
            if self
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Relaxed))
            {
                return Err(RunError::Cancelled {
                    completed: ran,
                    not_run: n - ran,
                });
            }
            return Err(RunError::InvalidDispatch(format!(
                "{} of {n} tasks were never dispatched",
                n - ran
            )));
        }
        Ok(self.report(policy))
    }

    fn report(&self, policy: &str) -> RunReport {
        let secs = |ns: u64| ns as f64 * 1e-9;
        let workers = self.pools.worker_domain.len();
        let mut worker_stats: Vec<WorkerRecord> = (0..workers)
            .map(|w| WorkerRecord {
                worker: w,
                domain: self.pools.worker_domain[w],
                tasks: 0,
                busy_s: 0.0,
                idle_s: 0.0,
            })
            .collect();
        let mut makespan_ns = 0;
        let (mut local_steals, mut remote_steals) = (0, 0);
        let tasks: Vec<TaskRecord> = self
            .slots
            .iter()
            .zip(&self.shape.tasks)
            .map(|(slot, shape)| {
                let worker = slot.worker.load(Ordering::Relaxed) as usize;
                let domain = self.pools.worker_domain[worker];
                let (start, end) = (
                    slot.start_ns.load(Ordering::Relaxed),
                    slot.end_ns.load(Ordering::Relaxed),
                );
                makespan_ns = makespan_ns.max(end);
                let offered = slot.offered.load(Ordering::Relaxed);
                let home = slot.home.load(Ordering::Relaxed);
                let remote = home != NONE && home as usize != domain;
                let stolen = remote || (offered != NONE && offered as usize != worker);
                if remote {
                    remote_steals += 1;
                } else if stolen {
                    local_steals += 1;
                }
                let stats = &mut worker_stats[worker];
                stats.tasks += 1;
                stats.busy_s += secs(end - start);
                TaskRecord {
                    name: shape.name.clone(),
                    kind: shape.kind.clone(),
                    worker,
                    domain,
                    start_s: secs(start),
                    end_s: secs(end),
                    queue_wait_s: secs(start.saturating_sub(slot.ready_ns.load(Ordering::Relaxed))),
                    stolen,
                    remote,
                }
            })
            .collect();
        let makespan_s = secs(makespan_ns);
        for w in &mut worker_stats {
            w.idle_s = (makespan_s - w.busy_s).max(0.0);
        }
        let lower_bound_s = crate::analysis::lower_bound(&self.shape, workers).unwrap_or(0.0);
        RunReport {
            policy: policy.to_owned(),
            workers,
            domains: self.pools.domains.len(),
            makespan_s,
            tasks,
            worker_stats,
            local_steals,
            remote_steals,
            lower_bound_s,
            efficiency: if makespan_s > 0.0 {
                lower_bound_s / makespan_s
            } else {
                0.0
            },
        }
    }
}
