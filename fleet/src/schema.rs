//! Versioned migrations, embedded in the binary and applied in order.
//!
//! Each change to the schema is a new file `migrations/NNNN_what.sql` appended to
//! [`MIGRATIONS`]; a file is never edited once released. [`migrate`] applies the missing ones in
//! one transaction under an advisory lock (so two processes starting at once cannot both
//! apply version 2) and records each in `schema_version`. [`check_version`] refuses a
//! database whose schema is newer than this binary knows, or that is not a fleet database.

use postgres::{Client, GenericClient};

use crate::error::FleetError;

/// The migrations, `(version, SQL)`, in order. Version `i + 1` is at index `i`.
pub const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("../migrations/0001_taskdb.sql"))];

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// An arbitrary constant key for `pg_advisory_xact_lock`: serialises concurrent migrations.
const MIGRATION_LOCK: i64 = 0x7a6b_7061_7266_6c74; // "zkparflt"

/// The schema version recorded in the database: 0 for an empty database.
///
/// Errors with [`FleetError::ForeignSchema`] when fleet's tables exist without a version
/// record, or the version table is damaged.
pub fn current_version(client: &mut impl GenericClient) -> Result<i32, FleetError> {
    // A plain catalog query (an MVCC snapshot of pg_class), not `to_regclass`: the latter reads
    // the backend's relation cache, which can still hold "no such table" from before another
    // process's migration committed, while the query below would already see its tables.
    let has_version: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relname = 'schema_version')",
            &[],
        )?
        .get(0);
    if !has_version {
        let foreign: Option<String> = client
            .query_opt(
                "SELECT relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind = 'r' \
                 AND relname IN ('jobs', 'tasks', 'deps', 'workers') LIMIT 1",
                &[],
            )?
            .map(|r| r.get(0));
        return match foreign {
            Some(table) => Err(FleetError::ForeignSchema(format!(
                "it has a `{table}` table but no schema_version table"
            ))),
            None => Ok(0),
        };
    }
    let row = client
        .query_one("SELECT max(version), count(*) FROM schema_version", &[])
        .map_err(|e| FleetError::ForeignSchema(format!("unreadable schema_version table: {e}")))?;
    let version: Option<i32> = row.get(0);
    match version {
        Some(v) if v >= 1 => Ok(v),
        Some(v) => Err(FleetError::ForeignSchema(format!(
            "schema_version records version {v}"
        ))),
        None => Err(FleetError::ForeignSchema(
            "the schema_version table is empty".into(),
        )),
    }
}

/// Errors unless the database's schema is one this binary can use (any version up to
/// [`SCHEMA_VERSION`]; older ones are brought up to date by [`migrate`]).
pub fn check_version(client: &mut impl GenericClient) -> Result<i32, FleetError> {
    let found = current_version(client)?;
    if found > SCHEMA_VERSION {
        return Err(FleetError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// [`check_version`] under the migration lock, shared: a migration committing meanwhile could
/// otherwise show its tables before its version row, and a fleet database would look foreign.
pub fn check_version_settled(client: &mut Client) -> Result<i32, FleetError> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock_shared($1)",
        &[&MIGRATION_LOCK],
    )?;
    let found = check_version(&mut tx)?;
    tx.commit()?;
    Ok(found)
}

/// Applies every missing migration in one transaction under an advisory lock. Returns the
/// versions it applied (empty when already up to date).
pub fn migrate(client: &mut Client) -> Result<Vec<i32>, FleetError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let found = check_version(&mut tx)?;
    if found == 0 {
        tx.batch_execute(
            "CREATE TABLE schema_version (version integer PRIMARY KEY, \
             applied timestamptz NOT NULL DEFAULT clock_timestamp())",
        )?;
    }
    let mut applied = Vec::new();
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&version],
        )?;
        applied.push(version);
    }
    tx.commit()?;
    if !applied.is_empty() {
        log::info!("task database migrated to schema version {SCHEMA_VERSION}");
    }
    Ok(applied)
}
