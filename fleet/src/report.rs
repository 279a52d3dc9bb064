//! A fleet run as a [`RunReport`], so `scheduler::trace::chrome_trace` and the Gantt chart code
//! show it like a local run.
//!
//! Mapping: each worker process is a *domain* (numbered by its first task's start), each of
//! its lanes a *worker* (global lane index = the process's offset + the lane). Times come from
//! the server's clock (`clock_timestamp()` at claim and completion), in seconds since the job
//! was submitted, so the makespan is the job's latency as a client saw it. A task that never
//! ran (cancelled) has start = end = 0 on lane 0.

use std::collections::HashMap;

use scheduler::metrics::{RunReport, TaskRecord, WorkerRecord};

use crate::db::TaskDb;
use crate::error::FleetError;
use crate::JobId;

impl TaskDb {
    /// The run report of `job` (any state; most useful once done).
    pub fn run_report(&mut self, job: JobId) -> Result<RunReport, FleetError> {
        self.job_status(job)?;
        let rows = self.client().query(
            "SELECT t.name, t.kind, t.lease_owner, t.lane, \
                    extract(epoch FROM t.started - j.created)::float8, \
                    extract(epoch FROM t.finished - j.created)::float8, \
                    extract(epoch FROM t.ready_at - j.created)::float8, \
                    t.cost_s, t.priority, w.threads \
               FROM tasks t JOIN jobs j ON j.id = t.job \
               LEFT JOIN workers w ON w.name = t.lease_owner \
              WHERE t.job = $1 ORDER BY t.idx",
            &[&job.0],
        )?;
        struct Proc {
            first: f64,
            lanes: usize,
        }
        let mut procs: HashMap<String, Proc> = HashMap::new();
        for r in &rows {
            if let (Some(owner), Some(start)) =
                (r.get::<_, Option<String>>(2), r.get::<_, Option<f64>>(4))
            {
                let lane = r.get::<_, Option<i32>>(3).unwrap_or(0).max(0) as usize;
                let threads = r.get::<_, Option<i32>>(9).unwrap_or(1).max(1) as usize;
                let p = procs.entry(owner).or_insert(Proc {
                    first: start,
                    lanes: threads,
                });
                p.first = p.first.min(start);
                p.lanes = p.lanes.max(lane + 1);
            }
        }
        let mut order: Vec<(&String, &Proc)> = procs.iter().collect();
        order.sort_by(|a, b| a.1.first.total_cmp(&b.1.first).then(a.0.cmp(b.0)));
        let mut offset_of: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut worker_stats = Vec::new();
        for (domain, (name, p)) in order.iter().enumerate() {
            offset_of.insert(name.as_str(), (domain, worker_stats.len()));
            for _ in 0..p.lanes {
                worker_stats.push(WorkerRecord {
                    worker: worker_stats.len(),
                    domain,
                    tasks: 0,
                    busy_s: 0.0,
                    idle_s: 0.0,
                });
            }
        }
        let (mut makespan, mut work, mut critical) = (0.0f64, 0.0f64, 0.0f64);
        let mut tasks = Vec::with_capacity(rows.len());
        for r in &rows {
            let owner: Option<String> = r.get(2);
            let lane = r.get::<_, Option<i32>>(3).unwrap_or(0).max(0) as usize;
            let start: Option<f64> = r.get(4);
            let end: Option<f64> = r.get(5);
            let ready: Option<f64> = r.get(6);
            work += r.get::<_, f64>(7);
            critical = critical.max(r.get::<_, f64>(8));
            let (domain, worker) = match (owner.as_deref().and_then(|o| offset_of.get(o)), start) {
                (Some(&(d, off)), Some(_)) => (d, off + lane),
                _ => (0, 0),
            };
            let (start_s, end_s) = match (start, end) {
                (Some(s), Some(e)) => (s, e.max(s)),
                (Some(s), None) => (s, s),
                _ => (0.0, 0.0),
            };
            if start.is_some() {
                if let Some(w) = worker_stats.get_mut(worker) {
                    w.tasks += 1;
                    w.busy_s += end_s - start_s;
                }
            }
            makespan = makespan.max(end_s);
            tasks.push(TaskRecord {
                name: r.get(0),
                kind: r.get(1),
                worker,
                domain,
                start_s,
                end_s,
                queue_wait_s: ready.map_or(0.0, |ready| (start_s - ready).max(0.0)),
                stolen: false,
                remote: false,
            });
        }
        for w in &mut worker_stats {
            w.idle_s = (makespan - w.busy_s).max(0.0);
        }
        let lanes = worker_stats.len().max(1);
        let lower_bound_s = (work / lanes as f64).max(critical);
        Ok(RunReport {
            policy: "fleet".into(),
            workers: worker_stats.len(),
            domains: order.len(),
            makespan_s: makespan,
            tasks,
            worker_stats,
            local_steals: 0,
            remote_steals: 0,
            lower_bound_s,
            efficiency: if makespan > 0.0 {
                lower_bound_s / makespan
            } else {
                0.0
            },
        })
    }
}
