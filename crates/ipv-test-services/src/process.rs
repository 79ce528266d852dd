//! Process helpers shared by the two servers.

use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::ServiceError;

/// A port on 127.0.0.1 that was free a moment ago.
pub(crate) fn free_port() -> Result<u16, ServiceError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| ServiceError::new(format!("cannot bind a loopback port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| ServiceError::new(format!("cannot read a loopback port: {e}")))
}

pub(crate) use ipv_test_probe::find_binary;

/// Sends `signal` (a name such as `INT`) to `child` through kill(1), which keeps this
/// crate free of unsafe code.
pub(crate) fn signal(child: &Child, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status();
}

/// Stops `child`: `signal` first, then SIGKILL if it has not exited within `grace`.
pub(crate) fn stop(child: &mut Child, first: &str, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    signal(child, first);
    let started = Instant::now();
    while started.elapsed() < grace {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last lines of a log file, for error messages.
pub(crate) fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// A new temporary directory named `prefix...`.
pub(crate) fn temp_dir(prefix: &str) -> Result<tempfile::TempDir, ServiceError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| ServiceError::new(format!("cannot make a temporary directory: {e}")))
}
