//! [`FleetError`]: every way a fleet operation can fail, each with a one-line message that
//! never contains the database password.

use std::time::Duration;

use crate::JobId;

/// Why a fleet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The database URL does not parse. `url` has its password replaced by `***`.
    #[error("malformed database URL {url}: {reason}")]
    MalformedUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No connection could be made (refused, timed out, authentication failed, …).
    #[error("cannot reach the task database at {addr}: {reason}")]
    Unreachable {
        /// `host:port` (or the socket directory).
        addr: String,
        /// The driver's reason.
        reason: String,
    },
    /// The database's schema is newer than this binary's migrations.
    #[error(
        "the task database has schema version {found}, but this binary knows only versions up to \
         {supported}: upgrade this binary (never run an old binary against a newer database)"
    )]
    SchemaTooNew {
        /// Version recorded in the database.
        found: i32,
        /// Newest version this binary knows.
        supported: i32,
    },
    /// The database holds something that is not a fleet schema (or a damaged one).
    #[error("not a fleet task database: {0}")]
    ForeignSchema(String),
    /// A statement failed (connection lost, constraint, …).
    #[error("task database error: {}", crate::db::error_chain(.0))]
    Db(#[from] postgres::Error),
    /// The job spec is not runnable (cycle, duplicate name, bad cost, unknown task index).
    #[error("invalid job: {0}")]
    InvalidJob(String),
    /// No job has this id.
    #[error("unknown job {0}")]
    UnknownJob(JobId),
    /// The job failed; the text names the task (name and kind) and its last error.
    #[error("job {job} failed: {error}")]
    JobFailed {
        /// The job.
        job: JobId,
        /// Why, as recorded in the database.
        error: String,
    },
    /// The job was cancelled.
    #[error("job {0} was cancelled")]
    Cancelled(JobId),
    /// A completion or failure report was rejected: the attempt no longer holds the task.
    #[error(
        "task {task} of job {job}: attempt {attempt} no longer holds the task (lease lost, \
         released, or job no longer running); its result was discarded"
    )]
    Fenced {
        /// The job.
        job: JobId,
        /// The task index.
        task: usize,
        /// The rejected attempt.
        attempt: i32,
    },
    /// A predecessor of a claimed task has no output: never handed over as an empty payload.
    #[error("task {task} of job {job}: the output of its predecessor {predecessor} is missing")]
    MissingOutput {
        /// The job.
        job: JobId,
        /// The claimed task's name.
        task: String,
        /// The predecessor's name.
        predecessor: String,
    },
    /// [`crate::TaskDb::wait`] gave up.
    #[error("job {job} still running after {:.1} s: gave up waiting", after.as_secs_f64())]
    Timeout {
        /// The job.
        job: JobId,
        /// How long it waited.
        after: Duration,
    },
    /// The throwaway PostgreSQL server could not be started or stopped.
    #[error("throwaway PostgreSQL server: {0}")]
    PgServer(String),
    /// The worker's local executor could not be built or failed.
    #[error("worker executor: {0}")]
    Executor(String),
}

/// `url` with any password replaced by `***` (URL form `postgres://user:pw@host` and
/// key-value form `password=pw`).
pub fn redact_url(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            let userinfo = &rest[..at];
            if let Some(colon) = userinfo.find(':') {
                return format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                );
            }
        }
        return url.to_owned();
    }
    url.split(' ')
        .map(|kv| {
            if kv.to_ascii_lowercase().starts_with("password=") {
                "password=***".to_owned()
            } else {
                kv.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://bob:s3cret@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://bob@db/x"), "postgres://bob@db/x");
        assert_eq!(
            redact_url("host=db password=s3cret user=bob"),
            "host=db password=*** user=bob"
        );
    }
}
