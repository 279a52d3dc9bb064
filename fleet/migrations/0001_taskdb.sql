-- fleet task database, version 1: jobs, tasks, dependencies, workers, the audit log and the
-- task state machine as plpgsql functions. Every table is LOGGED: a restart or crash of
-- PostgreSQL must never lose a job's state or a task's output.
--
-- Lock order, in every function that takes more than one row lock: the job row first, then
-- task rows. Claims lock one ready task (SKIP LOCKED) and nothing else; heartbeats and
-- releases lock only running task rows of one worker. No cycle is possible, so no deadlock.

CREATE TABLE jobs (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    state       text NOT NULL DEFAULT 'running'
                CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
    error       text,
    task_count  integer NOT NULL,
    done_count  integer NOT NULL DEFAULT 0,
    max_retries integer NOT NULL,
    max_losses  integer NOT NULL,
    created     timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished    timestamptz
);

CREATE TABLE tasks (
    job           bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    idx           integer NOT NULL,
    name          text NOT NULL,
    kind          text NOT NULL,
    input         bytea NOT NULL,
    output        bytea,
    cost_s        double precision NOT NULL,
    max_threads   integer NOT NULL,
    priority      double precision NOT NULL,
    pending       integer NOT NULL,
    state         text NOT NULL
                  CHECK (state IN ('waiting', 'ready', 'running', 'done', 'failed', 'cancelled')),
    attempt       integer NOT NULL DEFAULT 0,
    lease_owner   text,
    lane          integer,
    lease_expires timestamptz,
    errors        integer NOT NULL DEFAULT 0,
    losses        integer NOT NULL DEFAULT 0,
    error         text,
    ready_at      timestamptz,
    started       timestamptz,
    finished      timestamptz,
    PRIMARY KEY (job, idx),
    CHECK (state <> 'done' OR output IS NOT NULL)
);

-- The claim order: highest bottom level first, then the oldest job, then index order.
CREATE INDEX tasks_ready ON tasks (priority DESC, job, idx) WHERE state = 'ready';
CREATE INDEX tasks_running ON tasks (lease_expires) WHERE state = 'running';
CREATE INDEX tasks_owner ON tasks (lease_owner) WHERE state = 'running';

CREATE TABLE deps (
    job     bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    before  integer NOT NULL,
    after   integer NOT NULL,
    -- Position of this edge among `after`'s predecessors: the order its handler sees outputs.
    ordinal integer NOT NULL,
    PRIMARY KEY (job, after, ordinal)
);
CREATE INDEX deps_before ON deps (job, before);

CREATE TABLE workers (
    name           text PRIMARY KEY,
    threads        integer NOT NULL,
    started        timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_heartbeat timestamptz NOT NULL DEFAULT clock_timestamp(),
    stopped        timestamptz
);

-- One row per state change of a task attempt: claimed, done, fenced, error, failed, lost,
-- released. "Completed exactly once" is `count(*) FILTER (WHERE event = 'done') = 1`.
CREATE TABLE task_events (
    id      bigserial PRIMARY KEY,
    job     bigint NOT NULL,
    idx     integer NOT NULL,
    attempt integer NOT NULL,
    worker  text,
    event   text NOT NULL,
    at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX task_events_task ON task_events (job, idx);

-- Ends a job in a final state and cancels its unfinished tasks. The caller holds the job row.
CREATE FUNCTION fleet_end_job(p_job bigint, p_state text, p_error text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE jobs SET state = p_state, error = p_error, finished = clock_timestamp()
     WHERE id = p_job AND state = 'running';
    UPDATE tasks SET state = 'cancelled', lease_owner = NULL, lease_expires = NULL,
                     finished = clock_timestamp()
     WHERE job = p_job AND state IN ('waiting', 'ready', 'running');
    PERFORM pg_notify('fleet_job', p_job::text);
END $$;

-- Returns running tasks whose lease expired to ready (a loss), or fails them (and their job)
-- past the job's max_losses. Returns how many it reaped.
CREATE FUNCTION fleet_reap() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    t record;
    n integer := 0;
BEGIN
    FOR r IN SELECT job, idx, lease_owner FROM tasks
              WHERE state = 'running' AND lease_expires < clock_timestamp()
              ORDER BY job, idx LIMIT 1000
    LOOP
        PERFORM 1 FROM jobs WHERE id = r.job FOR UPDATE;
        UPDATE tasks tk
           SET losses = tk.losses + 1,
               state = CASE WHEN tk.losses + 1 > j.max_losses THEN 'failed' ELSE 'ready' END,
               error = CASE WHEN tk.losses + 1 > j.max_losses
                            THEN format('lost %s times (worker %s last)', tk.losses + 1, tk.lease_owner)
                            ELSE tk.error END,
               ready_at = clock_timestamp(),
               finished = CASE WHEN tk.losses + 1 > j.max_losses THEN clock_timestamp() END,
               lease_owner = NULL, lease_expires = NULL
          FROM jobs j
         WHERE tk.job = r.job AND tk.idx = r.idx AND j.id = tk.job
           AND tk.state = 'running' AND tk.lease_expires < clock_timestamp()
        RETURNING tk.state, tk.name, tk.kind, tk.attempt, tk.losses, tk.error INTO t;
        IF FOUND THEN
            n := n + 1;
            INSERT INTO task_events (job, idx, attempt, worker, event)
                 VALUES (r.job, r.idx, t.attempt, r.lease_owner, 'lost');
            IF t.state = 'failed' THEN
                PERFORM fleet_end_job(r.job, 'failed',
                    format('task %s (kind %s) %s', t.name, t.kind, t.error));
            ELSE
                PERFORM pg_notify('fleet', '');
            END IF;
        END IF;
    END LOOP;
    RETURN n;
END $$;

-- Claims the highest-priority ready task of any running job for (worker, lane), and returns
-- it with its predecessors' names and outputs in ordinal order (an output may be NULL: the
-- caller must treat that as an error, never as an empty payload).
CREATE FUNCTION fleet_claim(p_worker text, p_lane integer, p_lease interval)
RETURNS TABLE (job bigint, idx integer, attempt integer, name text, kind text, input bytea,
               dep_names text[], dep_outputs bytea[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c record;
    a integer;
BEGIN
    PERFORM fleet_reap();
    SELECT tk.job, tk.idx INTO c FROM tasks tk
     WHERE tk.state = 'ready'
     ORDER BY tk.priority DESC, tk.job, tk.idx
     LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE tasks tk
       SET state = 'running', attempt = tk.attempt + 1, lease_owner = p_worker, lane = p_lane,
           lease_expires = clock_timestamp() + p_lease, started = clock_timestamp(),
           finished = NULL
     WHERE tk.job = c.job AND tk.idx = c.idx
    RETURNING tk.attempt INTO a;
    INSERT INTO task_events (job, idx, attempt, worker, event)
         VALUES (c.job, c.idx, a, p_worker, 'claimed');
    RETURN QUERY
    SELECT tk.job, tk.idx, tk.attempt, tk.name, tk.kind, tk.input,
           coalesce(p.names, '{}'::text[]), coalesce(p.outputs, '{}'::bytea[])
      FROM tasks tk,
           LATERAL (SELECT array_agg(pt.name ORDER BY d.ordinal) AS names,
                           array_agg(pt.output ORDER BY d.ordinal) AS outputs
                      FROM deps d JOIN tasks pt ON pt.job = d.job AND pt.idx = d.before
                     WHERE d.job = c.job AND d.after = c.idx) p
     WHERE tk.job = c.job AND tk.idx = c.idx;
END $$;

-- Records attempt p_attempt's output. Fenced: only a running task whose attempt matches, in a
-- running job, is completed; anything else returns false and changes nothing but the log.
CREATE FUNCTION fleet_complete(p_job bigint, p_idx integer, p_attempt integer,
                               p_worker text, p_output bytea) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    woke integer;
    j record;
BEGIN
    SELECT * INTO j FROM jobs WHERE id = p_job FOR UPDATE;
    UPDATE tasks SET state = 'done', output = p_output, finished = clock_timestamp(),
                     lease_expires = NULL
     WHERE job = p_job AND idx = p_idx AND state = 'running' AND attempt = p_attempt
       AND j.state = 'running';
    IF NOT FOUND THEN
        INSERT INTO task_events (job, idx, attempt, worker, event)
             VALUES (p_job, p_idx, p_attempt, p_worker, 'fenced');
        RETURN false;
    END IF;
    INSERT INTO task_events (job, idx, attempt, worker, event)
         VALUES (p_job, p_idx, p_attempt, p_worker, 'done');
    UPDATE tasks s
       SET pending = s.pending - 1,
           state = CASE WHEN s.pending = 1 THEN 'ready' ELSE s.state END,
           ready_at = CASE WHEN s.pending = 1 THEN clock_timestamp() ELSE s.ready_at END
     WHERE s.job = p_job AND s.state = 'waiting'
       AND s.idx IN (SELECT DISTINCT d.after FROM deps d WHERE d.job = p_job AND d.before = p_idx);
    GET DIAGNOSTICS woke = ROW_COUNT;
    UPDATE jobs SET done_count = done_count + 1 WHERE id = p_job;
    IF j.done_count + 1 = j.task_count THEN
        UPDATE jobs SET state = 'done', finished = clock_timestamp() WHERE id = p_job;
        PERFORM pg_notify('fleet_job', p_job::text);
    ELSIF woke > 0 THEN
        PERFORM pg_notify('fleet', '');
    END IF;
    RETURN true;
END $$;

-- Records attempt p_attempt's error, fenced like fleet_complete. Retries while the task has
-- failed at most max_retries times; then the task and its job fail.
CREATE FUNCTION fleet_fail(p_job bigint, p_idx integer, p_attempt integer,
                           p_worker text, p_error text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    j record;
    t record;
BEGIN
    SELECT * INTO j FROM jobs WHERE id = p_job FOR UPDATE;
    UPDATE tasks
       SET errors = errors + 1, error = p_error,
           state = CASE WHEN errors + 1 > j.max_retries THEN 'failed' ELSE 'ready' END,
           ready_at = clock_timestamp(),
           finished = CASE WHEN errors + 1 > j.max_retries THEN clock_timestamp() END,
           lease_owner = NULL, lease_expires = NULL
     WHERE job = p_job AND idx = p_idx AND state = 'running' AND attempt = p_attempt
       AND j.state = 'running'
    RETURNING state, name, kind, errors INTO t;
    IF NOT FOUND THEN
        INSERT INTO task_events (job, idx, attempt, worker, event)
             VALUES (p_job, p_idx, p_attempt, p_worker, 'fenced');
        RETURN false;
    END IF;
    INSERT INTO task_events (job, idx, attempt, worker, event)
         VALUES (p_job, p_idx, p_attempt, p_worker, CASE WHEN t.state = 'failed' THEN 'failed' ELSE 'error' END);
    IF t.state = 'failed' THEN
        PERFORM fleet_end_job(p_job, 'failed',
            format('task %s (kind %s) failed after %s attempts: %s', t.name, t.kind, t.errors, p_error));
    ELSE
        PERFORM pg_notify('fleet', '');
    END IF;
    RETURN true;
END $$;

-- Renews a worker's row and the leases of every task it runs. Returns the tasks renewed.
CREATE FUNCTION fleet_heartbeat(p_worker text, p_lease interval) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    UPDATE workers SET last_heartbeat = clock_timestamp() WHERE name = p_worker;
    UPDATE tasks SET lease_expires = clock_timestamp() + p_lease
     WHERE state = 'running' AND lease_owner = p_worker;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Renews the worker's row and the leases of the listed attempts only: the ones its lanes
-- are actually running. A task the worker claimed but lost track of (the claim committed
-- while the connection died) is not renewed, so it expires and is re-run.
CREATE FUNCTION fleet_heartbeat_tasks(p_worker text, p_lease interval, p_jobs bigint[],
                                      p_idx integer[], p_attempts integer[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    UPDATE workers SET last_heartbeat = clock_timestamp() WHERE name = p_worker;
    UPDATE tasks t SET lease_expires = clock_timestamp() + p_lease
      FROM unnest(p_jobs, p_idx, p_attempts) AS f(job, idx, attempt)
     WHERE t.job = f.job AND t.idx = f.idx AND t.attempt = f.attempt
       AND t.state = 'running' AND t.lease_owner = p_worker;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Gives back a worker's running tasks (ready again, no loss counted). Returns how many.
CREATE FUNCTION fleet_release(p_worker text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH r AS (
        UPDATE tasks SET state = 'ready', lease_owner = NULL, lease_expires = NULL,
                         ready_at = clock_timestamp()
         WHERE state = 'running' AND lease_owner = p_worker
        RETURNING job, idx, attempt)
    INSERT INTO task_events (job, idx, attempt, worker, event)
         SELECT job, idx, attempt, p_worker, 'released' FROM r;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pg_notify('fleet', '');
    END IF;
    RETURN n;
END $$;

-- Cancels a running job. Returns false when the job is not running (already final).
CREATE FUNCTION fleet_cancel(p_job bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    s text;
BEGIN
    SELECT state INTO s FROM jobs WHERE id = p_job FOR UPDATE;
    IF s IS DISTINCT FROM 'running' THEN
        RETURN false;
    END IF;
    PERFORM fleet_end_job(p_job, 'cancelled', 'cancelled');
    RETURN true;
END $$;
