//! A worker process: claims tasks from the task database and runs them on the local executor.
//!
//! [`run`] registers the worker, starts a heartbeat thread, and runs a task graph of
//! `threads` independent *lane* tasks on a [`scheduler::executor::Executor`] with `threads`
//! threads. Each lane has its own connection and loops:
//!
//! 1. stop requested? leave the loop;
//! 2. claim (the claim also reaps expired leases); nothing ready → wait on `LISTEN fleet`
//!    for at most [`WorkerConfig::poll_interval`], then claim again;
//! 3. run the handler under `catch_unwind` (a panic fails the task, not the worker). The
//!    lane runs on an executor thread, so a handler that uses rayon runs on the executor's
//!    pool: nested parallelism and work stealing apply as in a local run;
//! 4. report `complete` or `fail` with the attempt as fencing token. If the connection is
//!    lost, reconnect with bounded backoff and retry the report for up to one lease; after
//!    that the result is dropped (logged) and the task re-runs once its lease expires.
//!
//! The lane tasks are exactly as many as the executor's threads and all start at once, so no
//! lane task is left queued for a handler's rayon join to steal (a stolen lane would never
//! return to the handler that stole it).
//!
//! Stopping ([`StopSignal`]): the first request stops claiming; in-flight tasks finish and are
//! reported, the worker is marked stopped and [`run`] returns. A second request releases the
//! in-flight tasks in the database (ready again, no loss counted) and returns at once; the
//! lanes' later reports are fenced. [`install_signal_handlers`] wires SIGINT/SIGTERM to it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use scheduler::executor::{Executor, ExecutorConfig};
use scheduler::graph::{Cost, TaskGraph};
use scheduler::policy::policy_by_name;
use scheduler::spec::{TaskHandler, TaskInput};
use scheduler::topology::Topology;
use serde::{Deserialize, Serialize};

use crate::db::{ClaimedTask, TaskDb};
use crate::error::FleetError;
use crate::JobId;

/// The attempts this worker's lanes are running: what the heartbeat renews.
type InFlight = Arc<parking_lot::Mutex<Vec<(JobId, usize, i32)>>>;

/// Default lease: 30 s. A heartbeat renews it every 10 s, so a worker must miss three
/// heartbeats (a long GC-free stall, a network partition) before its tasks are re-run, while a
/// crashed worker's tasks come back within 30 s — short next to a multi-minute proof job.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// Default idle poll: 500 ms. Idle lanes are woken by `NOTIFY` as soon as work is ready; the
/// poll is only the fallback (a lost notification, a reaped lease nobody announced) and the
/// bound on how long an idle lane takes to notice a stop request.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Default ceiling of the reconnect backoff: 2 s. The backoff starts at 50 ms and doubles,
/// so a PostgreSQL restart of a second or two is bridged within a few tries without a fleet
/// of lanes hammering a server that is starting up.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(2);

/// First reconnect delay.
const MIN_BACKOFF: Duration = Duration::from_millis(50);

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Task database URL.
    pub url: String,
    /// Unique worker name (leases are held by name); see [`default_worker_name`].
    pub name: String,
    /// Lanes = executor threads: tasks run at once.
    pub threads: usize,
    /// Lease per claim, renewed by the heartbeat every `lease / 3`.
    pub lease: Duration,
    /// Idle wait between claims when no notification arrives.
    pub poll_interval: Duration,
    /// Ceiling of the reconnect backoff.
    pub max_backoff: Duration,
}

impl WorkerConfig {
    /// Defaults: [`default_worker_name`], 1 thread, [`DEFAULT_LEASE`],
    /// [`DEFAULT_POLL_INTERVAL`], [`DEFAULT_MAX_BACKOFF`].
    pub fn new(url: impl Into<String>) -> WorkerConfig {
        WorkerConfig {
            url: url.into(),
            name: default_worker_name(),
            threads: 1,
            lease: DEFAULT_LEASE,
            poll_interval: DEFAULT_POLL_INTERVAL,
            max_backoff: DEFAULT_MAX_BACKOFF,
        }
    }
}

/// `hostname-pid`: unique per live process on a fleet of distinct hosts.
pub fn default_worker_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it or
    // truncates, and we stop at the first NUL.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    let host = if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "worker".to_owned()
    };
    format!("{host}-{}", std::process::id())
}

/// A shared stop flag counting requests: 1 = finish in-flight tasks, 2 = release them now.
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<AtomicUsize>);

impl StopSignal {
    /// No request yet.
    pub fn new() -> StopSignal {
        StopSignal::default()
    }

    /// Adds a stop request; returns how many there have been.
    pub fn request(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Requests so far.
    pub fn requests(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Installs SIGINT and SIGTERM handlers that each add a request to `stop` (for `zkpar
/// worker`): Ctrl-C once drains, twice releases and exits.
pub fn install_signal_handlers(stop: &StopSignal) -> Result<(), FleetError> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| FleetError::Executor(format!("cannot install signal handlers: {e}")))?;
    let stop = stop.clone();
    thread::Builder::new()
        .name("fleet-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let n = stop.request();
                log::warn!(
                    "signal {signal}: {}",
                    if n == 1 {
                        "finishing in-flight tasks (again to release them and exit)"
                    } else {
                        "releasing in-flight tasks"
                    }
                );
            }
        })
        .map_err(|e| FleetError::Executor(format!("cannot start the signal thread: {e}")))?;
    Ok(())
}

/// What a worker did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerSummary {
    /// Its name.
    pub name: String,
    /// Completions the database accepted.
    pub completed: u64,
    /// Failures (handler errors and panics) the database accepted.
    pub failed: u64,
    /// Reports rejected by fencing.
    pub fenced: u64,
    /// Results that could not be written at all (those tasks re-run after their lease).
    pub dropped: u64,
    /// Reconnections after a lost connection.
    pub reconnects: u64,
    /// Tasks released by a second stop request.
    pub released: u64,
}

#[derive(Default)]
struct Stats {
    completed: AtomicU64,
    failed: AtomicU64,
    fenced: AtomicU64,
    dropped: AtomicU64,
    reconnects: AtomicU64,
}

struct Lane {
    config: WorkerConfig,
    handler: Arc<dyn TaskHandler>,
    stop: StopSignal,
    stats: Arc<Stats>,
    in_flight: InFlight,
    index: usize,
    db: Option<TaskDb>,
    backoff: Duration,
}

impl Lane {
    /// The lane's connection, reconnecting (with backoff) if needed. `None` while the
    /// database is unreachable; the caller retries.
    fn db(&mut self) -> Option<&mut TaskDb> {
        if self.db.as_ref().is_some_and(|db| db.is_closed()) {
            self.db = None;
        }
        if self.db.is_none() {
            match TaskDb::connect(&self.config.url).and_then(|mut db| {
                db.client().batch_execute("LISTEN fleet")?;
                Ok(db)
            }) {
                Ok(db) => {
                    if self.backoff > MIN_BACKOFF {
                        self.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                        log::info!("{} lane {}: reconnected", self.config.name, self.index);
                    }
                    self.db = Some(db);
                }
                Err(e) => {
                    log::warn!("{} lane {}: {e}", self.config.name, self.index);
                    self.pause();
                    return None;
                }
            }
        }
        self.db.as_mut()
    }

    /// Drops a connection that failed and sleeps the backoff.
    fn lost(&mut self, e: &FleetError) {
        log::warn!(
            "{} lane {}: {e}; reconnecting",
            self.config.name,
            self.index
        );
        self.db = None;
        self.pause();
    }

    fn pause(&mut self) {
        let end = Instant::now() + self.backoff;
        while Instant::now() < end && self.stop.requests() < 2 {
            thread::sleep(Duration::from_millis(20).min(self.backoff));
        }
        self.backoff = (self.backoff * 2).min(self.config.max_backoff.max(MIN_BACKOFF));
    }

    fn run(mut self) {
        while self.stop.requests() == 0 {
            let (name, lease, poll) = (
                self.config.name.clone(),
                self.config.lease,
                self.config.poll_interval,
            );
            let index = self.index;
            let Some(db) = self.db() else { continue };
            match db.claim(&name, index, lease) {
                Ok(Some(task)) => {
                    self.backoff = MIN_BACKOFF;
                    self.execute(task);
                }
                Ok(None) => {
                    let _ = postgres::fallible_iterator::FallibleIterator::next(
                        &mut db.client().notifications().timeout_iter(poll),
                    );
                    self.backoff = MIN_BACKOFF;
                }
                Err(e @ FleetError::MissingOutput { .. }) => {
                    log::error!("{name} lane {index}: {e}");
                }
                Err(e) => self.lost(&e),
            }
        }
    }

    fn execute(&mut self, task: ClaimedTask) {
        let key = (task.job, task.index, task.attempt);
        self.in_flight.lock().push(key);
        self.run_and_report(task);
        self.in_flight.lock().retain(|k| *k != key);
    }

    fn run_and_report(&mut self, task: ClaimedTask) {
        let deps: Vec<&[u8]> = task.deps.iter().map(Vec::as_slice).collect();
        let input = TaskInput {
            name: &task.name,
            kind: &task.kind,
            input: &task.input,
            deps: &deps,
        };
        let handler = Arc::clone(&self.handler);
        let result = match catch_unwind(AssertUnwindSafe(|| handler.run(&input))) {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(e)) => Err(e.0),
            Err(payload) => Err(format!("panicked: {}", panic_message(&*payload))),
        };
        // Report, retrying across reconnects for up to one lease: past that the task has
        // probably been reaped and the report would be fenced anyway.
        let deadline = Instant::now() + self.config.lease;
        let name = self.config.name.clone();
        loop {
            if self.stop.requests() >= 2 {
                return; // released by `run`: the report would be fenced
            }
            let Some(db) = self.db() else {
                if Instant::now() > deadline {
                    break;
                }
                continue;
            };
            let report = match &result {
                Ok(output) => db.complete(task.job, task.index, task.attempt, &name, output),
                Err(error) => db.fail(task.job, task.index, task.attempt, &name, error),
            };
            match report {
                Ok(true) => {
                    let counter = if result.is_ok() {
                        &self.stats.completed
                    } else {
                        &self.stats.failed
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Ok(false) => {
                    self.stats.fenced.fetch_add(1, Ordering::Relaxed);
                    log::warn!(
                        "{}",
                        FleetError::Fenced {
                            job: task.job,
                            task: task.index,
                            attempt: task.attempt
                        }
                    );
                    return;
                }
                Err(e) => {
                    self.lost(&e);
                    if Instant::now() > deadline {
                        break;
                    }
                }
            }
        }
        self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        log::error!(
            "{name}: could not report task {} of job {} (attempt {}); it re-runs after its lease",
            task.index,
            task.job,
            task.attempt
        );
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}

/// Runs a worker until `stop` is requested (see the module docs). Errors only when it cannot
/// start (bad URL, unreachable or incompatible database, executor); once running, lost
/// connections are retried, never fatal.
pub fn run(
    config: WorkerConfig,
    handler: Arc<dyn TaskHandler>,
    stop: &StopSignal,
) -> Result<WorkerSummary, FleetError> {
    let threads = config.threads.max(1);
    let mut db = TaskDb::open(&config.url)?;
    db.register_worker(&config.name, threads)?;
    let executor = Executor::new(ExecutorConfig {
        topology: Topology::flat(threads),
        threads,
        mem_budget: None,
        pin: false,
    })
    .map_err(|e| FleetError::Executor(e.to_string()))?;
    let stats = Arc::new(Stats::default());
    let in_flight = InFlight::default();
    let finished = Arc::new(AtomicBool::new(false));
    let heartbeat = {
        let (config, stop, finished) = (config.clone(), stop.clone(), Arc::clone(&finished));
        let in_flight = Arc::clone(&in_flight);
        thread::Builder::new()
            .name("fleet-heartbeat".into())
            .spawn(move || heartbeat_loop(&config, &stop, &finished, &in_flight))
            .map_err(|e| FleetError::Executor(format!("cannot start the heartbeat: {e}")))?
    };
    let mut graph = TaskGraph::with_capacity(threads, 0);
    for index in 0..threads {
        let lane = Lane {
            config: config.clone(),
            handler: Arc::clone(&handler),
            stop: stop.clone(),
            stats: Arc::clone(&stats),
            in_flight: Arc::clone(&in_flight),
            index,
            db: None,
            backoff: MIN_BACKOFF,
        };
        graph.add_task(
            format!("lane {index}"),
            "lane",
            Cost::secs(1.0),
            move || {
                lane.run();
                Ok(())
            },
        );
    }
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("fleet-lanes".into())
        .spawn(move || {
            let policy = policy_by_name("rayon").expect("the rayon policy exists");
            let _ = tx.send(executor.run(graph, policy.as_ref(), None));
        })
        .map_err(|e| FleetError::Executor(format!("cannot start the lanes: {e}")))?;
    let mut released = 0u64;
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(result) => {
                if let Err(e) = result {
                    log::error!("{}: lanes ended with {e}", config.name);
                }
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) if stop.requests() >= 2 => {
                released = release_now(&mut db, &config);
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    finished.store(true, Ordering::SeqCst);
    // The startup connection may have died since (a PostgreSQL restart): one fresh try.
    if db.worker_stopped(&config.name).is_err() {
        if let Err(e) =
            TaskDb::connect(&config.url).and_then(|mut fresh| fresh.worker_stopped(&config.name))
        {
            log::warn!("{}: cannot mark the worker stopped: {e}", config.name);
        }
    }
    if released == 0 {
        let _ = heartbeat.join();
    }
    Ok(WorkerSummary {
        name: config.name.clone(),
        completed: stats.completed.load(Ordering::Relaxed),
        failed: stats.failed.load(Ordering::Relaxed),
        fenced: stats.fenced.load(Ordering::Relaxed),
        dropped: stats.dropped.load(Ordering::Relaxed),
        reconnects: stats.reconnects.load(Ordering::Relaxed),
        released,
    })
}

/// Releases this worker's running tasks, reconnecting a few times if the connection is gone.
fn release_now(db: &mut TaskDb, config: &WorkerConfig) -> u64 {
    for _ in 0..3 {
        match db.release(&config.name) {
            Ok(n) => return u64::from(n),
            Err(e) => {
                log::warn!("{}: release failed: {e}", config.name);
                match TaskDb::connect(&config.url) {
                    Ok(fresh) => *db = fresh,
                    Err(_) => thread::sleep(MIN_BACKOFF),
                }
            }
        }
    }
    0
}

fn heartbeat_loop(
    config: &WorkerConfig,
    stop: &StopSignal,
    finished: &AtomicBool,
    in_flight: &InFlight,
) {
    let every = (config.lease / 3).max(Duration::from_millis(10));
    let mut db: Option<TaskDb> = None;
    let mut next = Instant::now() + every;
    while !finished.load(Ordering::SeqCst) && stop.requests() < 2 {
        if Instant::now() < next {
            thread::sleep((next - Instant::now()).min(Duration::from_millis(20)));
            continue;
        }
        next = Instant::now() + every;
        if db.as_ref().is_none_or(|d| d.is_closed()) {
            db = TaskDb::connect(&config.url).ok();
        }
        if let Some(d) = db.as_mut() {
            let attempts = in_flight.lock().clone();
            if let Err(e) = d.heartbeat_tasks(&config.name, config.lease, &attempts) {
                log::warn!("{}: heartbeat failed: {e}", config.name);
                db = None;
            }
        }
    }
}
