//! What the database says about jobs and tasks: status, progress, per-task rows, outputs, and
//! [`TaskDb::wait`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::db::TaskDb;
use crate::error::FleetError;
use crate::JobId;

/// A job's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Tasks are being claimed.
    Running,
    /// Every task is done.
    Done,
    /// A task failed past its retries or losses.
    Failed,
    /// Cancelled by [`TaskDb::cancel`].
    Cancelled,
}

impl JobState {
    fn parse(s: &str) -> Result<JobState, FleetError> {
        Ok(match s {
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            other => {
                return Err(FleetError::ForeignSchema(format!(
                    "unknown job state {other:?}"
                )))
            }
        })
    }
}

/// A task's state; see the crate docs for the transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    /// Some predecessor is not done.
    Waiting,
    /// Claimable.
    Ready,
    /// Claimed, under a lease.
    Running,
    /// Output recorded.
    Done,
    /// Failed past its retries or losses.
    Failed,
    /// Its job was cancelled or failed first.
    Cancelled,
}

impl TaskState {
    fn parse(s: &str) -> Result<TaskState, FleetError> {
        Ok(match s {
            "waiting" => TaskState::Waiting,
            "ready" => TaskState::Ready,
            "running" => TaskState::Running,
            "done" => TaskState::Done,
            "failed" => TaskState::Failed,
            "cancelled" => TaskState::Cancelled,
            other => {
                return Err(FleetError::ForeignSchema(format!(
                    "unknown task state {other:?}"
                )))
            }
        })
    }
}

/// Task counts per state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    /// Waiting on predecessors.
    pub waiting: u64,
    /// Ready.
    pub ready: u64,
    /// Running.
    pub running: u64,
    /// Done.
    pub done: u64,
    /// Failed.
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
}

/// A job's status and progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// The job.
    pub id: JobId,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: JobState,
    /// Why it failed (names the task), if it did.
    pub error: Option<String>,
    /// Number of tasks.
    pub tasks: u64,
    /// Tasks per state.
    pub counts: StateCounts,
    /// Seconds from submission to the end (or to now while running), server clock.
    pub elapsed_s: f64,
}

/// One task, for `zkpar jobs --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    /// Index within the job.
    pub index: usize,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// State.
    pub state: TaskState,
    /// The worker that holds (or last completed) it.
    pub worker: Option<String>,
    /// That worker's lane.
    pub lane: Option<usize>,
    /// Attempts so far (the fencing token of the latest).
    pub attempt: i32,
    /// Attempts that returned an error or panicked.
    pub errors: i32,
    /// Attempts lost with their worker (lease expired).
    pub losses: i32,
    /// Latest start, seconds since the job's creation (server clock).
    pub started_s: Option<f64>,
    /// End, seconds since the job's creation.
    pub finished_s: Option<f64>,
    /// Latest error text.
    pub error: Option<String>,
}

/// Which outputs [`TaskDb::wait`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OutputSelection {
    /// Every task's.
    #[default]
    All,
    /// These tasks' (indices).
    Tasks(Vec<usize>),
    /// None.
    Nothing,
}

/// How [`TaskDb::wait`] waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitOptions {
    /// Time between status polls (each also reaps expired leases). 200 ms keeps the added
    /// latency well under a proof's duration while costing the server a few queries a second.
    pub poll: Duration,
    /// Give up after this long ([`FleetError::Timeout`]); `None` waits as long as the job
    /// runs, which still never hangs on a dead fleet: expired leases are reaped here, so
    /// lost tasks fail their job after `max_losses`.
    pub timeout: Option<Duration>,
    /// Which outputs to return.
    pub outputs: OutputSelection,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            poll: Duration::from_millis(200),
            timeout: None,
            outputs: OutputSelection::All,
        }
    }
}

/// A finished job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobOutcome {
    /// Its final status.
    pub status: JobStatus,
    /// The selected outputs, by task index.
    pub outputs: BTreeMap<usize, Vec<u8>>,
}

impl TaskDb {
    /// A job's status and per-state counts.
    pub fn job_status(&mut self, job: JobId) -> Result<JobStatus, FleetError> {
        self.list(Some(job))?
            .pop()
            .ok_or(FleetError::UnknownJob(job))
    }

    /// Every job, oldest first.
    pub fn list_jobs(&mut self) -> Result<Vec<JobStatus>, FleetError> {
        self.list(None)
    }

    fn list(&mut self, job: Option<JobId>) -> Result<Vec<JobStatus>, FleetError> {
        let rows = self.client().query(
            "SELECT j.id, j.name, j.state, j.error, j.task_count, \
                    extract(epoch FROM coalesce(j.finished, clock_timestamp()) - j.created)::float8 \
               FROM jobs j WHERE $1::int8 IS NULL OR j.id = $1 ORDER BY j.id",
            &[&job.map(|j| j.0)],
        )?;
        let counts = self.client().query(
            "SELECT job, state, count(*) FROM tasks WHERE $1::int8 IS NULL OR job = $1 \
              GROUP BY job, state",
            &[&job.map(|j| j.0)],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.get(0);
            let mut c = StateCounts::default();
            for r in counts.iter().filter(|r| r.get::<_, i64>(0) == id) {
                let n = r.get::<_, i64>(2) as u64;
                match TaskState::parse(r.get(1))? {
                    TaskState::Waiting => c.waiting = n,
                    TaskState::Ready => c.ready = n,
                    TaskState::Running => c.running = n,
                    TaskState::Done => c.done = n,
                    TaskState::Failed => c.failed = n,
                    TaskState::Cancelled => c.cancelled = n,
                }
            }
            out.push(JobStatus {
                id: JobId(id),
                name: row.get(1),
                state: JobState::parse(row.get(2))?,
                error: row.get(3),
                tasks: row.get::<_, i32>(4) as u64,
                counts: c,
                elapsed_s: row.get(5),
            });
        }
        Ok(out)
    }

    /// Every task of `job`, by index.
    pub fn tasks(&mut self, job: JobId) -> Result<Vec<TaskRow>, FleetError> {
        self.job_status(job)?;
        let rows = self.client().query(
            "SELECT t.idx, t.name, t.kind, t.state, t.lease_owner, t.lane, t.attempt, t.errors, \
                    t.losses, extract(epoch FROM t.started - j.created)::float8, \
                    extract(epoch FROM t.finished - j.created)::float8, t.error \
               FROM tasks t JOIN jobs j ON j.id = t.job WHERE t.job = $1 ORDER BY t.idx",
            &[&job.0],
        )?;
        rows.iter()
            .map(|r| {
                Ok(TaskRow {
                    index: r.get::<_, i32>(0) as usize,
                    name: r.get(1),
                    kind: r.get(2),
                    state: TaskState::parse(r.get(3))?,
                    worker: r.get(4),
                    lane: r.get::<_, Option<i32>>(5).map(|l| l as usize),
                    attempt: r.get(6),
                    errors: r.get(7),
                    losses: r.get(8),
                    started_s: r.get(9),
                    finished_s: r.get(10),
                    error: r.get(11),
                })
            })
            .collect()
    }

    /// The outputs of `job`'s selected tasks. A selected task without an output is an error
    /// ([`FleetError::MissingOutput`]), never an empty entry.
    pub fn outputs(
        &mut self,
        job: JobId,
        selection: &OutputSelection,
    ) -> Result<BTreeMap<usize, Vec<u8>>, FleetError> {
        let wanted: Option<Vec<i32>> = match selection {
            OutputSelection::Nothing => return Ok(BTreeMap::new()),
            OutputSelection::All => None,
            OutputSelection::Tasks(t) => Some(t.iter().map(|&i| i as i32).collect()),
        };
        let rows = self.client().query(
            "SELECT idx, name, output FROM tasks WHERE job = $1 \
              AND ($2::int4[] IS NULL OR idx = ANY($2)) ORDER BY idx",
            &[&job.0, &wanted],
        )?;
        if let Some(w) = &wanted {
            if let Some(&i) = w
                .iter()
                .find(|&&i| !rows.iter().any(|r| r.get::<_, i32>(0) == i))
            {
                return Err(FleetError::InvalidJob(format!("job {job} has no task {i}")));
            }
        }
        let mut out = BTreeMap::new();
        for r in rows {
            let output: Option<Vec<u8>> = r.get(2);
            let output = output.ok_or_else(|| FleetError::MissingOutput {
                job,
                task: "(job result)".into(),
                predecessor: r.get(1),
            })?;
            out.insert(r.get::<_, i32>(0) as usize, output);
        }
        Ok(out)
    }

    /// Waits until `job` ends, calling `progress` after every poll. Returns the selected
    /// outputs when it is done, [`FleetError::JobFailed`] (naming the task) when it failed,
    /// [`FleetError::Cancelled`] when cancelled, [`FleetError::Timeout`] past the timeout.
    /// Reaps expired leases on every poll, so a dead fleet cannot keep it waiting forever.
    pub fn wait(
        &mut self,
        job: JobId,
        options: &WaitOptions,
        progress: &mut dyn FnMut(&JobStatus),
    ) -> Result<JobOutcome, FleetError> {
        let start = Instant::now();
        loop {
            self.reap()?;
            let status = self.job_status(job)?;
            progress(&status);
            match status.state {
                JobState::Done => {
                    let outputs = self.outputs(job, &options.outputs)?;
                    return Ok(JobOutcome { status, outputs });
                }
                JobState::Failed => {
                    return Err(FleetError::JobFailed {
                        job,
                        error: status.error.unwrap_or_else(|| "unknown error".into()),
                    })
                }
                JobState::Cancelled => return Err(FleetError::Cancelled(job)),
                JobState::Running => {}
            }
            let mut pause = options.poll;
            if let Some(limit) = options.timeout {
                let spent = start.elapsed();
                if spent >= limit {
                    return Err(FleetError::Timeout { job, after: spent });
                }
                pause = pause.min(limit - spent);
            }
            std::thread::sleep(pause);
        }
    }
}
