//! The fleet from the command line, on a real PostgreSQL server started by the test and real
//! `zkpar worker` processes: a fleet's bundle verifies and states what a local run states, a
//! worker killed mid-prove loses no work, and a bad database gives one clear line and exit 2.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use fleet::{JobId, PgServer, TaskDb, TaskState};

mod cli_common;

/// `zkpar` in [`workspace`]; a `--block FILE` is read from there too.
fn zkpar() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zkpar"));
    c.env_remove("ZKPAR_DB")
        .env("RUST_LOG", "warn")
        .current_dir(workspace());
    c
}

/// Where every command and worker runs: a folder whose `datasets/` holds the shipped
/// operations on the shallow test tree (see `cli_common::shallow_datasets`).
fn workspace() -> PathBuf {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        cli_common::shallow_datasets(dir.path());
        dir
    })
    .path()
    .to_path_buf()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("zkpar runs");
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    out
}

/// Worker processes, killed when the test ends however it ends.
struct Workers(Vec<Child>);

impl Workers {
    fn start(url: &str, names: &[&str], lease_secs: u64) -> Workers {
        Workers(
            names
                .iter()
                .map(|name| {
                    zkpar()
                        .args(["worker", "--db", url, "--name", name, "--threads", "1"])
                        .args(["--lease-secs", &lease_secs.to_string()])
                        .current_dir(workspace())
                        .stdout(Stdio::null())
                        .stderr(worker_log(name))
                        .spawn()
                        .expect("a worker starts")
                })
                .collect(),
        )
    }
}

/// Each worker's stderr, kept under the target directory for a failing test's post-mortem.
fn worker_log(name: &str) -> Stdio {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fleet-workers");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::File::create(dir.join(format!("{name}.log")))
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

impl Drop for Workers {
    fn drop(&mut self) {
        for w in &mut self.0 {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

fn header(bundle: &Path) -> serde_json::Value {
    let b = circuits::bundle::Bundle::read(bundle).unwrap();
    let mut v = serde_json::to_value(&b.header).unwrap();
    // The only field allowed to differ: who produced it.
    v.as_object_mut().unwrap().remove("policy");
    v
}

#[test]
fn a_fleet_proves_transfer_and_states_what_a_local_run_states() {
    let pg = PgServer::start().expect("a throwaway PostgreSQL server");
    let url = pg.url();
    let _workers = Workers::start(&url, &["w1", "w2"], 30);
    let dir = tempfile::tempdir().unwrap();
    // One operation: a block is the same job with more tasks to the fleet, and each extra
    // proof costs the test suite seconds on a 2-core machine.
    let (name, target) = ("transfer", ["--op", "transfer"]);
    let fleet_bundle = dir.path().join(format!("{name}-fleet.bundle"));
    let gantt = dir.path().join(format!("{name}.svg"));
    let trace = dir.path().join(format!("{name}.json"));
    let out = run(zkpar()
        .arg("prove")
        .args(target)
        .args(["--db", &url, "--json", "--timeout-secs", "600"])
        .arg("--out")
        .arg(&fleet_bundle)
        .arg("--gantt")
        .arg(&gantt)
        .arg("--trace")
        .arg(&trace));
    assert!(out.status.success(), "fleet prove of {name}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["engine"], "fleet");
    assert!(summary["workers"].as_u64().unwrap() >= 1);
    assert!(std::fs::read_to_string(&gantt).unwrap().contains("<svg"));
    let events: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&trace).unwrap()).unwrap();
    assert!(
        events.to_string().contains("prove "),
        "the trace names the prove tasks"
    );

    let verify = run(zkpar().arg("verify").arg(&fleet_bundle));
    assert!(
        verify.status.success(),
        "zkpar verify accepts the fleet's {name} bundle"
    );

    let local_bundle = dir.path().join(format!("{name}-local.bundle"));
    let local = run(zkpar()
        .arg("prove")
        .args(target)
        .args(["--threads", "2", "--out"])
        .arg(&local_bundle));
    assert!(local.status.success(), "local prove of {name}");
    assert_eq!(
        header(&fleet_bundle),
        header(&local_bundle),
        "{name}: the fleet proves the same statement (roots, sub-circuits, keys)"
    );
    let policy = circuits::bundle::Bundle::read(&fleet_bundle)
        .unwrap()
        .header
        .policy;
    assert_eq!(policy, "fleet");
    // A finished job cannot be cancelled; an unknown one is named (exit 2).
    let cancel = run(zkpar().args(["jobs", "--db", &url, "--cancel", "1"]));
    assert!(cancel.status.success());
    assert!(String::from_utf8_lossy(&cancel.stdout).contains("nothing to cancel"));
    let line = one_error_line(&run(zkpar().args(["jobs", "--db", &url, "--job", "99"])));
    assert!(line.contains("unknown job 99"), "{line}");
    let jobs = run(zkpar().args(["jobs", "--db", &url, "--json"]));
    assert!(jobs.status.success());
    let jobs: serde_json::Value = serde_json::from_slice(&jobs.stdout).unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    for job in jobs.as_array().unwrap() {
        assert_eq!(job["job"]["state"], "done");
        for t in job["tasks"].as_array().unwrap() {
            assert_eq!(t["state"], "done");
            assert!(t["worker"].is_string() && t["finished_s"].is_number());
        }
    }
}

#[test]
fn a_worker_killed_mid_prove_loses_no_work() {
    let lease = 3;
    let pg = PgServer::start().expect("a throwaway PostgreSQL server");
    let url = pg.url();
    let mut db = TaskDb::open(&url).unwrap();
    // The victim starts alone, so it is sure to hold a prove task when it is killed; the
    // survivor joins just before the kill.
    let mut victim = Workers::start(&url, &["victim"], lease);
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("transfer.bundle");
    let mut prove = zkpar()
        .args([
            "prove",
            "--op",
            "transfer",
            "--db",
            &url,
            "--timeout-secs",
            "600",
        ])
        .arg("--out")
        .arg(&bundle)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    // Wait until the victim holds a prove task (after its keys are warm), then kill -9 it.
    let (job, killed_task) = loop {
        assert!(
            Instant::now() < deadline,
            "the victim never claimed a prove task; its log is in {}/fleet-workers",
            env!("CARGO_TARGET_TMPDIR")
        );
        let jobs = db.list_jobs().unwrap();
        if let Some(job) = jobs.first() {
            let tasks = db.tasks(job.id).unwrap();
            if let Some(t) = tasks.iter().find(|t| {
                t.state == TaskState::Running
                    && t.worker.as_deref() == Some("victim")
                    && t.name.starts_with("prove ")
            }) {
                break (job.id, t.index);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _survivor = Workers::start(&url, &["survivor"], lease);
    victim.0[0].kill().unwrap();
    victim.0[0].wait().unwrap();
    let killed_at = Instant::now();
    let status = prove.wait().unwrap();
    let recovered_s = killed_at.elapsed().as_secs_f64();
    assert!(status.success(), "the job completes without the victim");

    let tasks = db.tasks(JobId(job.0)).unwrap();
    assert!(tasks.iter().all(|t| t.state == TaskState::Done));
    let lost = &tasks[killed_task];
    assert!(lost.losses >= 1 && lost.attempt >= 2, "{lost:?}");
    assert_eq!(lost.worker.as_deref(), Some("survivor"));
    // Every task completed exactly once: one accepted completion each in the audit log.
    let completions: Vec<(i32, i64)> = db
        .client()
        .query(
            "SELECT idx, count(*) FROM task_events \
             WHERE job = $1 AND event = 'done' GROUP BY idx",
            &[&job.0],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(completions.len(), tasks.len());
    assert!(completions.iter().all(|&(_, n)| n == 1), "{completions:?}");
    let verify = run(zkpar().arg("verify").arg(&bundle));
    assert!(verify.status.success());
    // Liveness, generously bounded: the lost task returns within one lease and reruns; the
    // survivor then has the rest of the job to do on its own.
    let slowest: f64 = tasks
        .iter()
        .filter_map(|t| Some(t.finished_s? - t.started_s?))
        .fold(0.0, f64::max);
    assert!(
        recovered_s < lease as f64 + 10.0 * slowest + 30.0,
        "recovered in {recovered_s:.1} s (lease {lease} s, slowest task {slowest:.1} s)"
    );
    eprintln!("recovered {recovered_s:.2} s after the kill (lease {lease} s)");
}

#[test]
fn ctrl_c_on_a_fleet_prove_cancels_its_job() {
    let pg = PgServer::start().expect("a throwaway PostgreSQL server");
    let url = pg.url();
    let mut db = TaskDb::open(&url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // No worker: the job waits until the interrupt cancels it.
    let prove = zkpar()
        .args([
            "prove",
            "--op",
            "transfer",
            "--db",
            &url,
            "--timeout-secs",
            "120",
        ])
        .arg("--out")
        .arg(dir.path().join("t.bundle"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.list_jobs().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the job was never submitted");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) with SIGINT on our own child's pid.
    unsafe { libc::kill(prove.id() as i32, libc::SIGINT) };
    let out = prove.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    let job = &db.list_jobs().unwrap()[0];
    assert_eq!(job.state, fleet::JobState::Cancelled);
    assert!(
        !dir.path().join("t.bundle").exists(),
        "no bundle from a cancelled job"
    );
}

fn one_error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one clear line: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    lines[0].to_string()
}

#[test]
fn a_bad_database_is_one_clear_line_and_exit_2() {
    // Nobody listens on a port we just bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("postgresql://postgres:secret@127.0.0.1:{port}/postgres");
    for args in [
        vec!["jobs", "--db", &unreachable],
        vec!["worker", "--db", &unreachable],
        vec!["prove", "--op", "transfer", "--db", &unreachable],
    ] {
        let line = one_error_line(&run(zkpar().args(&args)));
        assert!(line.contains("cannot reach the task database"), "{line}");
        assert!(
            !line.contains("secret"),
            "the password is never printed: {line}"
        );
    }
    let line = one_error_line(&run(zkpar().args([
        "jobs",
        "--db",
        "postgresql://a:b@[::1",
    ])));
    assert!(line.contains("malformed database URL"), "{line}");

    let pg = PgServer::start().expect("a throwaway PostgreSQL server");
    let mut db = TaskDb::open(&pg.url()).unwrap();
    db.client()
        .execute("INSERT INTO schema_version (version) VALUES (999)", &[])
        .unwrap();
    let line = one_error_line(&run(zkpar().args(["jobs", "--db", &pg.url()])));
    assert!(line.contains("schema version 999"), "{line}");
    // ZKPAR_DB is read when --db is not given.
    let out = zkpar()
        .arg("jobs")
        .env("ZKPAR_DB", &unreachable)
        .output()
        .unwrap();
    assert!(one_error_line(&out).contains("cannot reach"));
}
