//! [`TaskDb`]: the task database's operations, one method per step of the protocol.
//!
//! The state machine itself lives in plpgsql functions (`migrations/0001_taskdb.sql`), so
//! every transition is one statement, atomic, and the same whichever process runs it. This
//! module connects, submits jobs in bulk, and calls those functions.

use std::time::Duration;

use postgres::{Client, NoTls};
use scheduler::spec::JobSpec;

use crate::error::{redact_url, FleetError};
use crate::schema;
use crate::JobId;

/// How long a connection attempt may take before the database counts as unreachable. Long
/// enough for a loaded server across a data-centre network, short enough that a typo in a
/// host name fails a command in seconds, not minutes.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Retry limits of a submitted job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitOptions {
    /// How many times a task that returned an error (or panicked) is run again before it, and
    /// its job, fail. 2 absorbs a transient fault (an OOM kill of one handler, a flaky disk)
    /// without hiding a deterministic bug behind many slow retries.
    pub max_retries: u32,
    /// How many times a task may be lost (its worker died or stopped heartbeating, so its
    /// lease expired) before it fails. Counted apart from errors: a task that keeps killing
    /// its worker (out of memory, say) must not loop forever, but one unlucky crash must not
    /// count as a task error. 3 tolerates a couple of unrelated worker crashes.
    pub max_losses: u32,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions {
            max_retries: 2,
            max_losses: 3,
        }
    }
}

/// A task a lane has claimed: everything its handler needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedTask {
    /// Its job.
    pub job: JobId,
    /// Its index within the job.
    pub index: usize,
    /// This attempt's fencing token: pass it back to [`TaskDb::complete`] / [`TaskDb::fail`].
    pub attempt: i32,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Its input bytes.
    pub input: Vec<u8>,
    /// Its predecessors' outputs, in the order the dependencies were added.
    pub deps: Vec<Vec<u8>>,
}

/// A connection to the task database.
pub struct TaskDb {
    client: Client,
}

/// Opens a plain client: parses `url` (a `postgres://` URL or `key=value` string), applies
/// [`CONNECT_TIMEOUT`] unless the URL sets one, and connects without TLS.
pub fn connect_client(url: &str) -> Result<Client, FleetError> {
    let mut config: postgres::Config =
        url.parse()
            .map_err(|e: postgres::Error| FleetError::MalformedUrl {
                url: redact_url(url),
                reason: e.to_string(),
            })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.connect(NoTls).map_err(|e| FleetError::Unreachable {
        addr: describe_addr(&config),
        reason: error_chain(&e),
    })
}

/// `e` and its sources, joined by `: ` (the driver's top-level message alone is often just
/// "error connecting to server").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

fn describe_addr(config: &postgres::Config) -> String {
    let port = config.get_ports().first().copied().unwrap_or(5432);
    match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => format!("{host}:{port}"),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(dir)) => format!("{}:{port}", dir.display()),
        None => format!("localhost:{port}"),
    }
}

impl TaskDb {
    /// Connects and checks the schema version: a database newer than this binary, or one that
    /// is not a fleet database, is an error. An empty or older database is accepted; call
    /// [`TaskDb::migrate`] (or use [`TaskDb::open`]) before using it.
    pub fn connect(url: &str) -> Result<TaskDb, FleetError> {
        let mut client = connect_client(url)?;
        schema::check_version_settled(&mut client)?;
        Ok(TaskDb { client })
    }

    /// [`TaskDb::connect`] then [`TaskDb::migrate`].
    pub fn open(url: &str) -> Result<TaskDb, FleetError> {
        let mut db = TaskDb::connect(url)?;
        db.migrate()?;
        Ok(db)
    }

    /// Applies missing migrations (see [`crate::schema`]); returns the versions applied.
    pub fn migrate(&mut self) -> Result<Vec<i32>, FleetError> {
        schema::migrate(&mut self.client)
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&mut self) -> Result<i32, FleetError> {
        schema::current_version(&mut self.client)
    }

    /// The underlying client (for queries this API does not cover, and tests).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Whether the connection is known to be broken (the worker then reconnects).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Validates `job` and inserts it in one transaction, with bulk inserts: tasks without
    /// predecessors start ready. Notifies idle workers.
    pub fn submit(&mut self, job: &JobSpec, options: &SubmitOptions) -> Result<JobId, FleetError> {
        job.validate()
            .map_err(|e| FleetError::InvalidJob(e.to_string()))?;
        let priorities = job
            .priorities()
            .map_err(|e| FleetError::InvalidJob(e.to_string()))?;
        let n = job.len();
        let mut pending = vec![0i32; n];
        for (i, preds) in job.predecessors().iter().enumerate() {
            let mut distinct = preds.clone();
            distinct.sort_unstable();
            distinct.dedup();
            pending[i] = distinct.len() as i32;
        }
        let idx: Vec<i32> = (0..n as i32).collect();
        let names: Vec<&str> = job.tasks.iter().map(|t| t.name.as_str()).collect();
        let kinds: Vec<&str> = job.tasks.iter().map(|t| t.kind.as_str()).collect();
        let inputs: Vec<&[u8]> = job.tasks.iter().map(|t| t.input.as_slice()).collect();
        let costs: Vec<f64> = job.tasks.iter().map(|t| t.cost.single_thread_s).collect();
        let threads: Vec<i32> = job
            .tasks
            .iter()
            .map(|t| t.cost.max_threads.clamp(1, i32::MAX as usize) as i32)
            .collect();
        let mut ordinal_of = vec![0i32; n];
        let (mut before, mut after, mut ordinal) = (Vec::new(), Vec::new(), Vec::new());
        for &(b, a) in &job.deps {
            before.push(b as i32);
            after.push(a as i32);
            ordinal.push(ordinal_of[a]);
            ordinal_of[a] += 1;
        }

        let mut tx = self.client.transaction()?;
        let state = if n == 0 { "done" } else { "running" };
        let id: i64 = tx
            .query_one(
                "INSERT INTO jobs (name, state, task_count, max_retries, max_losses, finished) \
                 VALUES ($1, $2, $3, $4, $5, CASE WHEN $2 = 'done' THEN clock_timestamp() END) \
                 RETURNING id",
                &[
                    &job.name,
                    &state,
                    &(n as i32),
                    &(options.max_retries.min(i32::MAX as u32) as i32),
                    &(options.max_losses.min(i32::MAX as u32) as i32),
                ],
            )?
            .get(0);
        tx.execute(
            "INSERT INTO tasks (job, idx, name, kind, input, cost_s, max_threads, priority, \
                                pending, state, ready_at) \
             SELECT $1, t.idx, t.name, t.kind, t.input, t.cost_s, t.max_threads, t.priority, \
                    t.pending, CASE WHEN t.pending = 0 THEN 'ready' ELSE 'waiting' END, \
                    CASE WHEN t.pending = 0 THEN clock_timestamp() END \
               FROM unnest($2::int4[], $3::text[], $4::text[], $5::bytea[], $6::float8[], \
                           $7::int4[], $8::float8[], $9::int4[]) \
                    AS t(idx, name, kind, input, cost_s, max_threads, priority, pending)",
            &[
                &id,
                &idx,
                &names,
                &kinds,
                &inputs,
                &costs,
                &threads,
                &priorities,
                &pending,
            ],
        )?;
        tx.execute(
            "INSERT INTO deps (job, before, after, ordinal) \
             SELECT $1, d.b, d.a, d.o FROM unnest($2::int4[], $3::int4[], $4::int4[]) AS d(b, a, o)",
            &[&id, &before, &after, &ordinal],
        )?;
        tx.batch_execute("NOTIFY fleet")?;
        tx.commit()?;
        Ok(JobId(id))
    }

    /// Claims the highest-priority ready task of any running job for lane `lane` of `worker`,
    /// with a lease of `lease`; reaps expired leases first. `None` when nothing is ready. One
    /// statement, one round trip: the predecessors' outputs come with the claim.
    ///
    /// A predecessor without an output is an error ([`FleetError::MissingOutput`]), never an
    /// empty payload; the claimed attempt is then recorded as failed (so it is retried, and
    /// eventually fails its job with that message).
    pub fn claim(
        &mut self,
        worker: &str,
        lane: usize,
        lease: Duration,
    ) -> Result<Option<ClaimedTask>, FleetError> {
        let row = self.client.query_opt(
            "SELECT job, idx, attempt, name, kind, input, dep_names, dep_outputs \
               FROM fleet_claim($1, $2, make_interval(secs => $3))",
            &[&worker, &(lane as i32), &lease.as_secs_f64()],
        )?;
        let Some(row) = row else { return Ok(None) };
        let names: Vec<String> = row.get(6);
        let outputs: Vec<Option<Vec<u8>>> = row.get(7);
        let mut task = ClaimedTask {
            job: JobId(row.get(0)),
            index: row.get::<_, i32>(1) as usize,
            attempt: row.get(2),
            name: row.get(3),
            kind: row.get(4),
            input: row.get(5),
            deps: Vec::with_capacity(outputs.len()),
        };
        for (predecessor, output) in names.into_iter().zip(outputs) {
            match output {
                Some(output) => task.deps.push(output),
                None => {
                    let err = FleetError::MissingOutput {
                        job: task.job,
                        task: task.name.clone(),
                        predecessor,
                    };
                    self.fail(task.job, task.index, task.attempt, worker, &err.to_string())?;
                    return Err(err);
                }
            }
        }
        Ok(Some(task))
    }

    /// Records `output` for attempt `attempt` of a task. Fenced: `Ok(false)` (and nothing
    /// changes) unless the task is running under that attempt in a running job. In the same
    /// transaction, successors whose last predecessor this was become ready, and the job
    /// becomes done with its last task.
    pub fn complete(
        &mut self,
        job: JobId,
        task: usize,
        attempt: i32,
        worker: &str,
        output: &[u8],
    ) -> Result<bool, FleetError> {
        Ok(self
            .client
            .query_one(
                "SELECT fleet_complete($1, $2, $3, $4, $5)",
                &[&job.0, &(task as i32), &attempt, &worker, &output],
            )?
            .get(0))
    }

    /// Records that attempt `attempt` failed with `error`. Fenced like [`TaskDb::complete`].
    /// The task is ready again while it has failed at most `max_retries` times; after that it
    /// fails, and so does its job, with an error naming the task, its kind and `error`.
    pub fn fail(
        &mut self,
        job: JobId,
        task: usize,
        attempt: i32,
        worker: &str,
        error: &str,
    ) -> Result<bool, FleetError> {
        Ok(self
            .client
            .query_one(
                "SELECT fleet_fail($1, $2, $3, $4, $5)",
                &[&job.0, &(task as i32), &attempt, &worker, &error],
            )?
            .get(0))
    }

    /// Returns running tasks whose lease expired to ready (counting a loss) or fails them past
    /// `max_losses`. Claims and [`TaskDb::wait`] call this; returns how many were reaped.
    pub fn reap(&mut self) -> Result<u32, FleetError> {
        let n: i32 = self.client.query_one("SELECT fleet_reap()", &[])?.get(0);
        Ok(n as u32)
    }

    /// Registers (or re-registers) a worker process.
    pub fn register_worker(&mut self, worker: &str, threads: usize) -> Result<(), FleetError> {
        self.client.execute(
            "INSERT INTO workers (name, threads) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET threads = $2, started = clock_timestamp(), \
                 last_heartbeat = clock_timestamp(), stopped = NULL",
            &[&worker, &(threads as i32)],
        )?;
        Ok(())
    }

    /// Marks a worker stopped.
    pub fn worker_stopped(&mut self, worker: &str) -> Result<(), FleetError> {
        self.client.execute(
            "UPDATE workers SET stopped = clock_timestamp() WHERE name = $1",
            &[&worker],
        )?;
        Ok(())
    }

    /// Renews `worker`'s row and the leases of all its running tasks to now + `lease`.
    /// Returns how many task leases were renewed.
    pub fn heartbeat(&mut self, worker: &str, lease: Duration) -> Result<u32, FleetError> {
        let n: i32 = self
            .client
            .query_one(
                "SELECT fleet_heartbeat($1, make_interval(secs => $2))",
                &[&worker, &lease.as_secs_f64()],
            )?
            .get(0);
        Ok(n as u32)
    }

    /// Renews `worker`'s row and the leases of exactly these attempts `(job, task, attempt)`
    /// (the ones its lanes are running). The worker uses this rather than
    /// [`TaskDb::heartbeat`], so a task it claimed but lost track of (its connection died
    /// mid-claim) is not kept alive forever but expires and re-runs.
    pub fn heartbeat_tasks(
        &mut self,
        worker: &str,
        lease: Duration,
        attempts: &[(JobId, usize, i32)],
    ) -> Result<u32, FleetError> {
        let jobs: Vec<i64> = attempts.iter().map(|a| a.0 .0).collect();
        let idx: Vec<i32> = attempts.iter().map(|a| a.1 as i32).collect();
        let att: Vec<i32> = attempts.iter().map(|a| a.2).collect();
        let n: i32 = self
            .client
            .query_one(
                "SELECT fleet_heartbeat_tasks($1, make_interval(secs => $2), $3, $4, $5)",
                &[&worker, &lease.as_secs_f64(), &jobs, &idx, &att],
            )?
            .get(0);
        Ok(n as u32)
    }

    /// Gives back `worker`'s running tasks: ready again, no loss counted; their attempts'
    /// late completions are fenced. Returns how many.
    pub fn release(&mut self, worker: &str) -> Result<u32, FleetError> {
        let n: i32 = self
            .client
            .query_one("SELECT fleet_release($1)", &[&worker])?
            .get(0);
        Ok(n as u32)
    }

    /// Cancels a running job: its unfinished tasks are cancelled, nothing more is claimed,
    /// late completions are rejected. `Ok(false)` when the job had already ended.
    pub fn cancel(&mut self, job: JobId) -> Result<bool, FleetError> {
        let row = self
            .client
            .query_opt("SELECT state FROM jobs WHERE id = $1", &[&job.0])?;
        if row.is_none() {
            return Err(FleetError::UnknownJob(job));
        }
        Ok(self
            .client
            .query_one("SELECT fleet_cancel($1)", &[&job.0])?
            .get(0))
    }
}
