//! A throwaway PostgreSQL server: `initdb` into a temporary directory, started on a free
//! loopback port, stopped (by its pid) and deleted on drop — also when a test panics.
//!
//! Binaries come from `$ZKPAR_PG_BIN`, else `pg_config --bindir`, else the newest
//! `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as root, so when we are root the
//! directory is handed to the `postgres` user and every command runs through `runuser`.
//! `fsync` is off (a throwaway server need not survive a power cut; a clean restart loses
//! nothing), but tables stay LOGGED as in production.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::FleetError;

/// How long to wait for the server to start or stop. Generous for a loaded 2-core CI box.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running throwaway server.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
    pid: Option<i32>,
}

impl std::fmt::Debug for PgServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgServer")
            .field("dir", &self.dir.path())
            .field("port", &self.port)
            .field("pid", &self.pid)
            .finish()
    }
}

fn err(message: impl Into<String>) -> FleetError {
    FleetError::PgServer(message.into())
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: `$ZKPAR_PG_BIN`, else
/// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_pg_bin() -> Result<PathBuf, FleetError> {
    locate_pg_bin(
        std::env::var_os("ZKPAR_PG_BIN").map(PathBuf::from),
        "pg_config",
        Path::new("/usr/lib/postgresql"),
    )
}

fn locate_pg_bin(
    env: Option<PathBuf>,
    pg_config: &str,
    versions_root: &Path,
) -> Result<PathBuf, FleetError> {
    let has = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = env {
        return if has(&dir) {
            Ok(dir)
        } else {
            Err(err(format!(
                "ZKPAR_PG_BIN={} has no initdb/pg_ctl",
                dir.display()
            )))
        };
    }
    if let Ok(out) = Command::new(pg_config).arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has(&dir) {
            return Ok(dir);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(versions_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has(&bin).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        err("no PostgreSQL server binaries found (set ZKPAR_PG_BIN, or apt-get install postgresql)")
    })
}

fn free_port() -> Result<u16, FleetError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| err(format!("cannot find a free port: {e}")))?;
    Ok(listener
        .local_addr()
        .map_err(|e| err(e.to_string()))?
        .port())
}

impl PgServer {
    /// Initialises and starts a server; returns once it accepts connections.
    pub fn start() -> Result<PgServer, FleetError> {
        let bin = find_pg_bin()?;
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let dir = tempfile::Builder::new()
            .prefix("zkpar-pg-")
            .tempdir()
            .map_err(|e| err(format!("cannot create a temporary directory: {e}")))?;
        let mut server = PgServer {
            dir,
            bin,
            port: free_port()?,
            as_postgres,
            pid: None,
        };
        if as_postgres {
            server.run_checked(Command::new("chown").arg("postgres").arg(server.dir.path()))?;
        }
        let data = server.data_dir();
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        server.run_checked(&mut initdb)?;
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
             max_connections = 300\nshared_buffers = 128MB\n",
            server.port,
            server.dir.path().display()
        );
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(|e| err(format!("cannot write postgresql.conf: {e}")))?;
        server.start_server()?;
        Ok(server)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The TCP port it listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The postmaster's pid while running.
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Stops the server (fast shutdown: clients are disconnected, data is kept) and starts it
    /// again on the same port and data.
    pub fn restart(&mut self) -> Result<(), FleetError> {
        self.stop()?;
        self.start_server()
    }

    /// Stops the server: SIGINT (fast shutdown) to the postmaster, SIGKILL if it has not
    /// exited within the timeout.
    pub fn stop(&mut self) -> Result<(), FleetError> {
        let Some(pid) = self.pid.take() else {
            return Ok(());
        };
        let pidfile = self.data_dir().join("postmaster.pid");
        // SAFETY: kill(2) on the pid the postmaster wrote; no memory involved.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = Instant::now() + START_TIMEOUT;
        while pidfile.exists() && alive(pid) {
            if Instant::now() > deadline {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                return Err(err(format!("postmaster {pid} did not stop; killed")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn start_server(&mut self) -> Result<(), FleetError> {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl.arg("-D").arg(&data).arg("-l").arg(&log).args([
            "-w",
            "-t",
            &START_TIMEOUT.as_secs().to_string(),
            "-s",
            "start",
        ]);
        self.run_checked(&mut pg_ctl).map_err(|e| {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            err(format!("{e}; server log: {}", tail.join(" | ")))
        })?;
        let pidfile = std::fs::read_to_string(data.join("postmaster.pid"))
            .map_err(|e| err(format!("cannot read postmaster.pid: {e}")))?;
        let pid = pidfile
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<i32>().ok())
            .ok_or_else(|| err("malformed postmaster.pid"))?;
        self.pid = Some(pid);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match crate::db::connect_client(&self.url()) {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() > deadline => {
                    return Err(err(format!("server did not accept connections: {e}")))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// A command for PostgreSQL binary `name`, run as `postgres` when we are root.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn run_checked(&self, command: &mut Command) -> Result<(), FleetError> {
        let out = command
            .output()
            .map_err(|e| err(format!("cannot run {:?}: {e}", command.get_program())))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(err(format!(
                "{:?} failed ({}): {}",
                command.get_program(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            log::warn!("{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_say_how_to_install_them() {
        let empty = tempfile::tempdir().unwrap();
        let e = locate_pg_bin(None, "/nonexistent/pg_config", empty.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("apt-get install postgresql"), "{e}");
        let e = locate_pg_bin(Some(empty.path().into()), "pg_config", empty.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ZKPAR_PG_BIN=") && e.contains("no initdb"),
            "{e}"
        );
    }

    #[test]
    fn the_newest_version_directory_wins() {
        let root = tempfile::tempdir().unwrap();
        for v in ["9", "15", "13"] {
            let bin = root.path().join(v).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("initdb"), "").unwrap();
            std::fs::write(bin.join("pg_ctl"), "").unwrap();
        }
        let found = locate_pg_bin(None, "/nonexistent/pg_config", root.path()).unwrap();
        assert_eq!(found, root.path().join("15").join("bin"));
    }
}
