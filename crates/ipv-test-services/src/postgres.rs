//! A throwaway PostgreSQL cluster: `initdb` + `postgres`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ServiceError;
use crate::process::{free_port, log_tail, stop, temp_dir};

/// A PostgreSQL server on 127.0.0.1 with `trust` authentication, a temporary data
/// directory and `fsync=off` (a test database: it survives its server being killed, not
/// the machine crashing); stopped on drop.
///
/// PostgreSQL refuses to run as root: when the tests run as root, the data directory
/// is handed to the `postgres` user and the server runs as that user.
#[derive(Debug)]
pub struct PostgresServer {
    bin: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
    run_as: Option<(u32, u32)>,
    child: Option<Child>,
    /// `name=value` settings given to the server besides the defaults.
    settings: Vec<String>,
}

impl PostgresServer {
    /// Initialises a cluster and starts its server on a free port.
    ///
    /// # Errors
    /// When PostgreSQL is not installed (run `bash .ci/services`), `initdb` fails, or the
    /// server does not accept connections within 60 s.
    pub fn start() -> Result<Self, ServiceError> {
        Self::start_with(&[])
    }

    /// As [`Self::start`], with server settings (`name=value`, as `postgres -c` takes
    /// them) besides the defaults: a bench that runs `VACUUM` itself turns
    /// `autovacuum=off`, so no phase pays for another's upkeep.
    ///
    /// # Errors
    /// As [`Self::start`].
    pub fn start_with(settings: &[&str]) -> Result<Self, ServiceError> {
        let bin = bin_dir()?;
        let run_as = run_as()?;
        let mut last = None;
        for _ in 0..3 {
            // The postgres user must reach the directory: under root, a TMPDIR such as
            // /root/tmp would not do, so use /tmp.
            let dir = if run_as.is_some() && Path::new("/tmp").is_dir() {
                tempfile::Builder::new()
                    .prefix("ipv-postgres-")
                    .tempdir_in("/tmp")
                    .map_err(|e| {
                        ServiceError::new(format!("cannot make a directory in /tmp: {e}"))
                    })?
            } else {
                temp_dir("ipv-postgres-")?
            };
            if let Some((uid, gid)) = run_as {
                std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).map_err(|e| {
                    ServiceError::new(format!(
                        "cannot hand {} to postgres: {e}",
                        dir.path().display()
                    ))
                })?;
            }
            let mut server = Self {
                bin: bin.clone(),
                port: free_port()?,
                dir,
                run_as,
                child: None,
                settings: settings.iter().map(|s| (*s).to_owned()).collect(),
            };
            server.initdb()?;
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| ServiceError::new("postgres did not start")))
    }

    /// The server's port on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `postgres://` URL for the `postgres` database as the `postgres` user.
    #[must_use]
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (an immediate shutdown: an outage, not a tidy stop). The data
    /// directory stays, so [`restart`](Self::restart) brings the same data back.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGQUIT: immediate shutdown; the postmaster takes its backends down with it.
            stop(&mut child, "QUIT", Duration::from_secs(10));
        }
    }

    /// Starts the server again on the same port and data directory, if stopped.
    ///
    /// # Errors
    /// When it does not accept connections within 60 s.
    pub fn restart(&mut self) -> Result<(), ServiceError> {
        if self.child.is_some() {
            return Ok(());
        }
        self.spawn()
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command
            .env("LC_ALL", "C")
            .env("PGHOST", "127.0.0.1")
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        command
    }

    fn initdb(&self) -> Result<(), ServiceError> {
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(self.data())
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
            .arg("--no-sync")
            .output()
            .map_err(|e| ServiceError::new(format!("cannot run initdb: {e}")))?;
        if !output.status.success() {
            return Err(ServiceError::new(format!(
                "initdb failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(())
    }

    fn spawn(&mut self) -> Result<(), ServiceError> {
        let log = self.log();
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| ServiceError::new(format!("cannot open {}: {e}", log.display())))?;
        let mut command = self.command("postgres");
        command
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .args(["-h", "127.0.0.1"])
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "fsync=off"])
            .args(["-c", "full_page_writes=off"])
            .args(["-c", "max_connections=200"]);
        for setting in &self.settings {
            command.args(["-c", setting]);
        }
        let child = command
            .stdout(
                log_file
                    .try_clone()
                    .map_err(|e| ServiceError::new(format!("log file: {e}")))?,
            )
            .stderr(log_file)
            .spawn()
            .map_err(|e| ServiceError::new(format!("cannot run postgres: {e}")))?;
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(ServiceError::new(format!(
                    "postgres exited ({status}) on port {}:\n{}",
                    self.port,
                    log_tail(&log)
                )));
            }
            if self.ready() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.stop();
        Err(ServiceError::new(format!(
            "postgres on port {} not ready in 60 s:\n{}",
            self.port,
            log_tail(&log)
        )))
    }

    fn ready(&self) -> bool {
        self.command("pg_isready")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-t", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where `initdb` and `postgres` live (`ipv_test_probe::postgres_bin_dir`).
fn bin_dir() -> Result<PathBuf, ServiceError> {
    ipv_test_probe::postgres_bin_dir().ok_or_else(|| {
        ServiceError::new(
            "PostgreSQL (initdb, postgres) is not installed: run `bash .ci/services` (as \
             root) to install PostgreSQL and Redis for the store tests",
        )
    })
}

/// The `postgres` user's ids when running as root (PostgreSQL refuses root).
fn run_as() -> Result<Option<(u32, u32)>, ServiceError> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| ServiceError::new(format!("cannot run id: {e}")))?;
    if String::from_utf8_lossy(&output.stdout).trim() != "0" {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd")
        .map_err(|e| ServiceError::new(format!("cannot read /etc/passwd: {e}")))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&"postgres") && fields.len() > 3)
        .and_then(|fields| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
        .map(Some)
        .ok_or_else(|| {
            ServiceError::new(
                "running as root but there is no `postgres` user to run PostgreSQL as: run \
                 `bash .ci/services`",
            )
        })
}
