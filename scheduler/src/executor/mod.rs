//! The executor: runs a [`TaskGraph`] on real threads as a [`Policy`] dispatches it.
//!
//! # Threads
//!
//! An [`Executor`] owns one rayon-core [`ThreadPool`] per domain of its [`Topology`] (one thread
//! per CPU of the domain, pinned to the domain's CPUs when [`ExecutorConfig::pin`] is set) and
//! one *flat* pool of all `P` threads (pinned to all the CPUs). Every task body runs on a pool
//! thread, so the `rayon::join`/`par_iter` calls inside a task (halo2 is full of them) run on
//! that pool's threads too, and no more than `P` threads ever compute at once: idle pool
//! threads sleep in rayon's own sleep protocol and wake for either kind of work. Only one run
//! uses the pools at a time (runs are serialised by a lock).
//!
//! # Work stealing (`Dispatch::Priority`, the `dag` policy)
//!
//! Step by step, for one run:
//!
//! 1. **Setup.** Each task gets a join counter equal to its number of predecessors
//!    (`release.rs`: `JoinCounter`) and a priority bucket (by rank of its priority, see
//!    `queue.rs`). Each domain gets a ready queue: 64 lock-free FIFO injectors, one per
//!    bucket, with a bitmask of non-empty buckets.
//! 2. **Outstanding count.** `outstanding` counts tasks that are queued, parked for memory or
//!    running. It starts at the number of entry tasks, set *before* any is dispatched.
//! 3. **Dispatch.** A ready task is pushed into its *home* domain's queue (its locality hint
//!    if any, else the domain of the worker that released it; entry tasks are spread over the
//!    domains), and one *token* — a tiny rayon job that carries no task — is spawned into a
//!    domain's pool: the home domain unless all its threads already have tokens while another
//!    domain has a thread without one (then that domain's thread will steal the task).
//! 4. **Tokens.** A token pops the highest-priority task of its own domain, else steals one
//!    from the other domains (a *remote steal*), and runs it. Tokens are anonymous, so
//!    whatever order rayon runs them in, the task run is the best one available: priority is
//!    decided by our queues, thread wake-up and load balancing by rayon. *Every token finds a
//!    task*: the token for task `x` is spawned after `x` is pushed, and its pop scans every
//!    bucket of every domain (the mask is only a fast path); if `x` was still queued the scan
//!    returns some task, and if not, `x` was taken by another token. So the number of tokens
//!    equals the number of pushes and no task is stranded.
//! 5. **Release.** When a task finishes, it decrements the join counter of each successor;
//!    the decrement that reaches zero makes that successor ready (exactly once, with the
//!    predecessors' writes visible: see `release.rs`). The finishing task's outstanding unit is
//!    handed to its first released successor, which is dispatched last (the others each add a
//!    unit first). In a chain no shared counter is touched, and rayon's LIFO local deque makes
//!    the releasing thread run the successor next, with its inputs still in cache.
//! 6. **End.** A task that releases nothing retires its unit; the decrement to zero sets the
//!    latch that [`Executor::run`] waits on. Zero means nothing is queued, parked or running,
//!    and nothing can be released any more.
//! 7. **Stealing inside a task.** A thread blocked in a task's `rayon::join` may pick up a
//!    token and run another DAG task nested on its stack, exactly as plain rayon would; the
//!    waiting task resumes when that one ends. This keeps threads busy at the price of
//!    occasionally delaying the waiting task; worker busy times then overlap.
//!
//! Per task, the hot path costs one rayon spawn (one allocation), one injector push and pop,
//! one uncontended mutex to take the closure, one `fetch_sub` per dependency and two clock
//! reads; there is no lock shared by all tasks. A million-task graph is handled with loops
//! only, never recursion over the graph.
//!
//! # Other dispatches
//!
//! - `Sequential` (`previous`): the calling thread runs the tasks one by one, each inside
//!   `flat.install`, so each task's inner parallelism uses all `P` threads.
//! - `Fifo` (`rayon`): plain rayon. Each ready task is `spawn_fifo`ed into the flat pool, with
//!   no priorities and no locality: first released, first started.
//! - `Plan` (`heft`): each worker runs its own list in order, waiting on join counters (see
//!   `plan.rs`). Plans that could deadlock are rejected before the run.
//!
//! # Memory admission
//!
//! With [`ExecutorConfig::mem_budget`], a task starts only if the estimated peak memory of the
//! running tasks plus its own fits the budget, or if nothing runs (an oversized task runs alone,
//! with a warning). See `admission.rs` for why no refusal is ever lost.
//!
//! # Failure and cancellation
//!
//! Task bodies run under `catch_unwind`. The first panic or [`crate::graph::TaskError`] is
//! recorded and stops the run: no new task starts (queued ones are popped and skipped),
//! successors of the failed task are never released, running tasks finish, and
//! [`Executor::run`] returns [`RunError::TaskFailed`] naming the task. A [`CancelToken`] stops a
//! run the same way from outside and yields [`RunError::Cancelled`]. Either way the pools are
//! left idle and ready for the next graph.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use rayon_core::{ThreadPool, ThreadPoolBuilder};

use crate::graph::{GraphError, TaskFn, TaskGraph};
use crate::metrics::RunReport;
use crate::policy::Policy;
use crate::shape::{DagShape, Dispatch};
use crate::static_plan::check::check_runnable;
use crate::topology::Topology;

mod admission;
mod plan;
mod queue;
// Public only in loom builds, for the model in tests/loom_release.rs.
#[cfg(loom)]
pub mod release;
#[cfg(not(loom))]
mod release;
mod sequential;
mod state;
mod stealing;
mod sync;

use self::state::{Mode, RunState};

/// How to build an [`Executor`].
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
    /// The machine (or a restricted/virtual view of it).
    pub topology: Topology,
    /// Worker threads; 0 means one per CPU of the topology. Fewer keeps a subset chosen by
    /// [`Topology::restrict`].
    pub threads: usize,
    /// Budget for the summed peak-memory estimates of running tasks, in bytes.
    pub mem_budget: Option<u64>,
    /// Pin each domain's threads to that domain's CPUs. Failures are logged, never fatal.
    pub pin: bool,
}

impl Default for ExecutorConfig {
    /// The detected topology, every CPU, no memory budget, no pinning.
    fn default() -> Self {
        ExecutorConfig {
            topology: Topology::detect(),
            threads: 0,
            mem_budget: None,
            pin: false,
        }
    }
}

/// Why an executor could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// rayon-core could not start a pool.
    #[error("cannot start the worker threads of {what}: {source}")]
    ThreadPool {
        /// Which pool.
        what: String,
        /// rayon's error.
        source: rayon_core::ThreadPoolBuildError,
    },
}

/// Why a run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The graph is not runnable (cycle, duplicate name, bad cost).
    #[error("invalid task graph: {0}")]
    Graph(#[from] GraphError),
    /// A task panicked or returned an error; the run stopped.
    #[error("task {task:?} {}: {message} ({not_run} tasks not run)", if *.panicked { "panicked" } else { "failed" })]
    TaskFailed {
        /// The failed task's name.
        task: String,
        /// The panic message or the error's text.
        message: String,
        /// Whether it panicked (rather than returning an error).
        panicked: bool,
        /// Tasks that never started.
        not_run: usize,
    },
    /// The run was cancelled through its [`CancelToken`].
    #[error("run cancelled after {completed} tasks ({not_run} not run)")]
    Cancelled {
        /// Tasks that ran.
        completed: usize,
        /// Tasks that never started.
        not_run: usize,
    },
    /// The policy's decision does not fit the graph (wrong length, not topological, a plan
    /// that would deadlock).
    #[error("policy produced an invalid dispatch: {0}")]
    InvalidDispatch(String),
    /// A run reported success but some task left no output behind (a bug in the engine).
    #[error("the run completed but a task left no output")]
    MissingOutput,
}

/// Cancels a run from another thread: tasks not yet started are skipped, running ones finish.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The thread pools, shared with the jobs of a run.
pub(crate) struct Pools {
    /// One pool per domain.
    pub(crate) domains: Vec<ThreadPool>,
    /// All `P` threads in one pool (sequential and FIFO dispatch).
    pub(crate) flat: ThreadPool,
    /// Global index of each domain's first worker.
    pub(crate) offsets: Vec<usize>,
    /// Threads per domain.
    pub(crate) sizes: Vec<usize>,
    /// Domain of each global worker (flat-pool thread `i` counts as worker `i`).
    pub(crate) worker_domain: Vec<usize>,
}

/// Runs task graphs on pinned, domain-grouped rayon-core pools.
pub struct Executor {
    pools: Arc<Pools>,
    topology: Topology,
    mem_budget: Option<u64>,
    run_lock: Mutex<()>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("workers", &self.workers())
            .field("domains", &self.pools.sizes)
            .field("mem_budget", &self.mem_budget)
            .finish()
    }
}

fn build_pool(
    name: String,
    threads: usize,
    cpus: Vec<usize>,
    pin: Option<Arc<Topology>>,
) -> Result<ThreadPool, ExecutorError> {
    let thread_name = name.clone();
    let mut builder = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("{thread_name}-{i}"))
        // Task panics are caught before they reach rayon; anything else is a bug worth a log
        // line rather than rayon's default abort.
        .panic_handler(|payload| {
            log::error!(
                "scheduler worker job panicked: {:?}",
                payload.downcast_ref::<&str>()
            )
        });
    if let Some(topology) = pin {
        builder = builder.start_handler(move |_| {
            if let Err(e) = topology.pin_current_thread(&cpus) {
                log::warn!("cannot pin worker thread to CPUs {cpus:?}: {e}");
            }
        });
    }
    builder
        .build()
        .map_err(|source| ExecutorError::ThreadPool { what: name, source })
}

impl Executor {
    /// Starts the worker threads.
    pub fn new(config: ExecutorConfig) -> Result<Executor, ExecutorError> {
        let topology = config.topology.restrict(config.threads);
        let pin = config.pin.then(|| Arc::new(topology.clone()));
        let mut domains = Vec::new();
        let mut offsets = Vec::new();
        let mut sizes = Vec::new();
        let mut worker_domain = Vec::new();
        for (d, domain) in topology.domains.iter().enumerate() {
            let size = domain.cpus.len();
            offsets.push(worker_domain.len());
            sizes.push(size);
            worker_domain.extend(std::iter::repeat_n(d, size));
            domains.push(build_pool(
                format!("zkpar-d{}", domain.id),
                size,
                domain.cpus.clone(),
                pin.clone(),
            )?);
        }
        let flat = build_pool(
            "zkpar-flat".into(),
            worker_domain.len(),
            topology.cpus(),
            pin,
        )?;
        Ok(Executor {
            pools: Arc::new(Pools {
                domains,
                flat,
                offsets,
                sizes,
                worker_domain,
            }),
            topology,
            mem_budget: config.mem_budget,
            run_lock: Mutex::new(()),
        })
    }

    /// Number of worker threads `P`.
    pub fn workers(&self) -> usize {
        self.pools.worker_domain.len()
    }

    /// The memory budget admission keeps to ([`ExecutorConfig::mem_budget`]), if any.
    pub fn mem_budget(&self) -> Option<u64> {
        self.mem_budget
    }

    /// The topology the workers were laid out on (after [`ExecutorConfig::threads`]).
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Validates `graph`, asks `policy` how to dispatch it, and runs it to completion.
    ///
    /// Returns the report of a complete run, or the first failure (a task's panic or error, an
    /// invalid graph or dispatch, or cancellation). Never hangs on a failure; the executor can
    /// run the next graph afterwards.
    pub fn run(
        &self,
        graph: TaskGraph,
        policy: &dyn Policy,
        cancel: Option<&CancelToken>,
    ) -> Result<RunReport, RunError> {
        let (shape, tasks) = graph.into_parts()?;
        let dispatch = policy.dispatch(&shape, self.workers());
        self.run_parts(shape, tasks, dispatch, policy.name(), cancel)
    }

    fn run_parts(
        &self,
        shape: DagShape,
        tasks: Vec<TaskFn>,
        dispatch: Dispatch,
        policy: &str,
        cancel: Option<&CancelToken>,
    ) -> Result<RunReport, RunError> {
        let n = shape.len();
        let mut order = Vec::new();
        let mode = match dispatch {
            Dispatch::Sequential { order: o } => {
                order = o;
                Mode::Sequential
            }
            Dispatch::Fifo => Mode::Fifo,
            Dispatch::Priority { priority, locality } => {
                if priority.len() != n {
                    return Err(RunError::InvalidDispatch(format!(
                        "{} priorities for {n} tasks",
                        priority.len()
                    )));
                }
                Mode::Priority {
                    buckets: queue::bucket_map(&priority),
                    locality,
                }
            }
            Dispatch::Plan(plan) => {
                let owner = check_runnable(&shape, &plan, self.workers())
                    .map_err(|e| RunError::InvalidDispatch(e.to_string()))?;
                Mode::Plan {
                    owner,
                    lists: plan.order_per_worker,
                }
            }
        };
        let _exclusive = self.run_lock.lock();
        let state = Arc::new(RunState::new(
            Arc::clone(&self.pools),
            mode,
            shape,
            tasks,
            cancel.map(|c| Arc::clone(&c.0)),
            self.mem_budget,
        ));
        match &state.mode {
            Mode::Sequential => {
                let flat = &state.pools.flat;
                flat.install(|| state.run_sequential(&order))
                    .map_err(RunError::InvalidDispatch)?
            }
            Mode::Fifo | Mode::Priority { .. } => {
                state.start_async();
                state.done.wait();
            }
            Mode::Plan { .. } => {
                state.start_plan();
                state.done.wait();
            }
        }
        state.finish(policy)
    }
}
