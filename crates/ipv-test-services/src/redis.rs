//! A throwaway `redis-server`.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ServiceError;
use crate::process::{find_binary, free_port, log_tail, signal, stop, temp_dir};

/// A `redis-server` on 127.0.0.1 with no persistence (`--save '' --appendonly no`) and
/// a temporary working directory; stopped on drop.
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free port.
    ///
    /// # Errors
    /// When `redis-server` is not installed (run `bash .ci/services`) or does not
    /// answer `PING` within 30 s.
    pub fn start() -> Result<Self, ServiceError> {
        let binary = find_binary("redis-server", &[]).ok_or_else(|| {
            ServiceError::new(
                "redis-server is not installed: run `bash .ci/services` (as root) to install \
                 PostgreSQL and Redis for the store tests",
            )
        })?;
        let mut last = None;
        for _ in 0..3 {
            let mut server = Self {
                binary: binary.clone(),
                port: free_port()?,
                dir: temp_dir("ipv-redis-")?,
                child: None,
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| ServiceError::new("redis-server did not start")))
    }

    /// The server's port on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `redis://` URL for the server.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server (SIGKILL: an outage, not a tidy shutdown). Its data is gone:
    /// this server keeps none.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "KILL", Duration::from_secs(5));
        }
    }

    /// Freezes the server (SIGSTOP), as a hung or swapped-out host would: its
    /// connections stay open and accept bytes, and nothing is answered until
    /// [`resume`](Self::resume). Commands sent meanwhile run after the resume.
    pub fn pause(&self) {
        if let Some(child) = &self.child {
            signal(child, "STOP");
        }
    }

    /// Lets a [paused](Self::pause) server run again (SIGCONT).
    pub fn resume(&self) {
        if let Some(child) = &self.child {
            signal(child, "CONT");
        }
    }

    /// Starts the server again on the same port, if stopped.
    ///
    /// # Errors
    /// When it does not answer `PING` within 30 s.
    pub fn restart(&mut self) -> Result<(), ServiceError> {
        if self.child.is_some() {
            return Ok(());
        }
        self.spawn()
    }

    fn spawn(&mut self) -> Result<(), ServiceError> {
        let log = self.dir.path().join("redis.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| ServiceError::new(format!("cannot open {}: {e}", log.display())))?;
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--protected-mode", "yes"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(
                log_file
                    .try_clone()
                    .map_err(|e| ServiceError::new(format!("log file: {e}")))?,
            )
            .stderr(log_file)
            .spawn()
            .map_err(|e| ServiceError::new(format!("cannot run {}: {e}", self.binary.display())))?;
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(ServiceError::new(format!(
                    "redis-server exited ({status}) on port {}:\n{}",
                    self.port,
                    log_tail(&log)
                )));
            }
            if ping(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop();
        Err(ServiceError::new(format!(
            "redis-server on port {} did not answer PING in 30 s:\n{}",
            self.port,
            log_tail(&log)
        )))
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(500),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0u8; 7];
    stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
