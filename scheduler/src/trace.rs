//! Chrome Trace Event export of a [`RunReport`], loadable by Perfetto UI and `chrome://tracing`.
//!
//! The output is a JSON object `{"traceEvents": [...], "displayTimeUnit": "ms"}` with:
//! - one `M` (metadata) `thread_name` event per worker, naming it `worker 3 (domain 0)`;
//! - one `X` (complete) event per task: `name` the task, `cat` its kind, `ts`/`dur` in
//!   microseconds since the start of the run, `pid` 1, `tid` the worker, and `args` with the
//!   queue wait and whether it was stolen or ran remotely.

use std::io::Write;

use serde_json::{json, Value};

use crate::metrics::RunReport;

/// The trace as a JSON value.
pub fn chrome_trace(report: &RunReport) -> Value {
    let us = |s: f64| s * 1e6;
    let mut events: Vec<Value> =
        Vec::with_capacity(report.tasks.len() + report.worker_stats.len() + 1);
    events.push(json!({
        "name": "process_name", "ph": "M", "pid": 1, "tid": 0,
        "args": { "name": format!("{} on {} workers", report.policy, report.workers) }
    }));
    for w in &report.worker_stats {
        events.push(json!({
            "name": "thread_name", "ph": "M", "pid": 1, "tid": w.worker,
            "args": { "name": format!("worker {} (domain {})", w.worker, w.domain) }
        }));
    }
    for t in &report.tasks {
        events.push(json!({
            "name": t.name,
            "cat": t.kind,
            "ph": "X",
            "ts": us(t.start_s),
            "dur": us(t.end_s - t.start_s),
            "pid": 1,
            "tid": t.worker,
            "args": {
                "queue_wait_us": us(t.queue_wait_s),
                "stolen": t.stolen,
                "remote": t.remote,
                "domain": t.domain,
            }
        }));
    }
    json!({ "traceEvents": events, "displayTimeUnit": "ms" })
}

/// Writes the trace as JSON.
pub fn write_chrome_trace(report: &RunReport, out: impl Write) -> std::io::Result<()> {
    serde_json::to_writer(out, &chrome_trace(report)).map_err(std::io::Error::other)
}
