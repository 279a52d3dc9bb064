//! Shared test helpers: a server per test, worker processes that die with the test, random
//! synthetic DAGs and their expected outputs.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fleet::synthetic::{digest, encode_input};
use fleet::{PgServer, TaskDb};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scheduler::graph::Cost;
use scheduler::spec::JobSpec;

pub fn server() -> (PgServer, TaskDb) {
    let server = PgServer::start().expect("throwaway PostgreSQL server");
    let db = TaskDb::open(&server.url()).expect("connect and migrate");
    (server, db)
}

/// Worker processes, killed (SIGKILL) on drop.
pub struct Workers {
    pub url: String,
    pub lease_ms: u64,
    pub threads: usize,
    pub crash: f64,
    pub children: Vec<(String, Child)>,
    spawned: usize,
}

impl Workers {
    pub fn new(url: &str, lease_ms: u64, threads: usize, crash: f64) -> Workers {
        Workers {
            url: url.into(),
            lease_ms,
            threads,
            crash,
            children: Vec::new(),
            spawned: 0,
        }
    }

    pub fn spawn(&mut self) -> String {
        let name = format!("w{}-{}", self.spawned, std::process::id());
        self.spawned += 1;
        let child = Command::new(env!("CARGO_BIN_EXE_fleet-synthetic-worker"))
            .args(["--url", &self.url, "--name", &name])
            .args(["--threads", &self.threads.to_string()])
            .args(["--lease-ms", &self.lease_ms.to_string(), "--poll-ms", "200"])
            .env(fleet::synthetic::CRASH_ENV, self.crash.to_string())
            .stdout(Stdio::null())
            .stderr(match std::env::var_os("FLEET_WORKER_LOGS") {
                Some(dir) => Stdio::from(
                    std::fs::File::create(std::path::Path::new(&dir).join(format!("{name}.log")))
                        .expect("worker log file"),
                ),
                None => Stdio::null(),
            })
            .spawn()
            .expect("spawn the synthetic worker");
        self.children.push((name.clone(), child));
        name
    }

    /// Respawns workers that exited (self-aborted); returns how many.
    pub fn respawn_dead(&mut self) -> usize {
        let before = self.children.len();
        self.children
            .retain_mut(|(_, c)| matches!(c.try_wait(), Ok(None)));
        let dead = before - self.children.len();
        for _ in 0..dead {
            self.spawn();
        }
        dead
    }

    /// kill -9 worker `i`.
    pub fn kill(&mut self, i: usize) {
        let (_, mut child) = self.children.remove(i);
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGINT/SIGTERM to every worker.
    pub fn signal_all(&self, signal: i32) {
        for (_, c) in &self.children {
            unsafe { libc::kill(c.id() as i32, signal) };
        }
    }

    /// Waits for every worker to exit; returns false on timeout.
    pub fn wait_all(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self
                .children
                .iter_mut()
                .all(|(_, c)| matches!(c.try_wait(), Ok(Some(_))))
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A random DAG of `n` synthetic tasks: each task depends on up to `max_preds` earlier ones
/// (duplicates allowed: the same output then arrives twice).
pub fn random_job(name: &str, n: usize, max_preds: usize, sleep_us: u32, seed: u64) -> JobSpec {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut job = JobSpec::new(name);
    for i in 0..n {
        let s = rng.gen_range(0..=sleep_us);
        job.add_task(
            format!("t{i}"),
            "synth",
            Cost::secs(f64::from(s) * 1e-6 + 1e-6),
            encode_input(s, rng.gen()),
        );
        if i > 0 {
            for _ in 0..rng.gen_range(0..=max_preds) {
                // Mostly recent tasks, for long chains and wide fronts alike.
                let lo = i.saturating_sub(50);
                job.add_dependency(rng.gen_range(lo..i), i).unwrap();
            }
        }
    }
    job
}

/// Every task's expected output.
pub fn expected_outputs(job: &JobSpec) -> Vec<Vec<u8>> {
    let preds = job.predecessors();
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(job.len());
    for (i, t) in job.tasks.iter().enumerate() {
        let deps: Vec<&[u8]> = preds[i].iter().map(|&p| out[p].as_slice()).collect();
        let d = digest(&t.input, &deps);
        out.push(d);
    }
    out
}
