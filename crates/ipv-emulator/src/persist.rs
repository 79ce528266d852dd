//! Persistence of the whole state to one JSON file, off the request path.
//!
//! A change is snapshotted (serialised) while the state lock is held, so snapshots are
//! taken in the order of the changes; the snapshot is then handed to a writer task
//! through a one-slot `watch` channel (the latest snapshot replaces any not yet
//! written, so the backlog is bounded at one) and written there with `spawn_blocking`:
//! no file I/O or fsync happens under the state lock or on an async worker thread.
//! Shutdown flushes the last snapshot and waits for it.
//!
//! The file never holds an app's secret (the operator passes it again on start), and
//! is written with mode 0600 on Unix.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedMutexGuard, watch};
use tokio::task::JoinHandle;

/// How long shutdown waits for the last snapshot to reach the disk.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is
/// written (mode 0600 on Unix), flushed to disk and renamed over `path`, so a reader (or
/// a restart after a crash) sees either the old file or the new one, never a torn write.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state.json".to_owned());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    {
        let mut file = private_file(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    // Make the rename itself durable where the platform allows opening a directory.
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Creates (or truncates) `path` readable and writable by the owner only.
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let file = options.open(path)?;
        // The mode only applies to a new file: a leftover temporary file keeps its own.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        options.open(path)
    }
}

/// Reads `path` if it exists.
pub(crate) fn read_if_present(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A snapshot waiting to be written: its number and its bytes.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    generation: u64,
    bytes: Option<Arc<Vec<u8>>>,
}

/// The handle the request path uses to hand snapshots to the writer task.
#[derive(Debug)]
pub(crate) struct Persister {
    latest: watch::Sender<Snapshot>,
    written: watch::Receiver<u64>,
    hold: Arc<tokio::sync::Mutex<()>>,
}

impl Persister {
    /// Starts the writer task for `path` on the current runtime.
    pub(crate) fn start(path: PathBuf) -> (Self, JoinHandle<()>) {
        let (latest, snapshots) = watch::channel(Snapshot::default());
        let (written_tx, written) = watch::channel(0);
        let hold = Arc::new(tokio::sync::Mutex::new(()));
        let task = tokio::spawn(writer(path, snapshots, written_tx, hold.clone()));
        (
            Self {
                latest,
                written,
                hold,
            },
            task,
        )
    }

    /// Hands over a new snapshot (replacing one not yet written). Never blocks.
    pub(crate) fn submit(&self, bytes: Vec<u8>) {
        self.latest.send_modify(|snapshot| {
            snapshot.generation += 1;
            snapshot.bytes = Some(Arc::new(bytes));
        });
    }

    /// Holds the writer until the returned guard is dropped (for tests: a very slow
    /// disk).
    pub(crate) async fn hold(&self) -> StateWriteHold {
        StateWriteHold {
            _guard: Some(self.hold.clone().lock_owned().await),
        }
    }

    /// Waits until the latest snapshot submitted so far has been written (or its write
    /// failed and was logged), for at most [`FLUSH_TIMEOUT`].
    pub(crate) async fn flush(&self) {
        let target = self.latest.borrow().generation;
        let mut written = self.written.clone();
        let waited =
            tokio::time::timeout(FLUSH_TIMEOUT, written.wait_for(|done| *done >= target)).await;
        if !matches!(waited, Ok(Ok(_))) {
            tracing::error!("the last emulator state was not written before shutdown");
        }
    }
}

/// Writes the latest snapshot whenever there is a new one, until the sender is gone.
async fn writer(
    path: PathBuf,
    mut snapshots: watch::Receiver<Snapshot>,
    written: watch::Sender<u64>,
    hold: Arc<tokio::sync::Mutex<()>>,
) {
    while snapshots.changed().await.is_ok() {
        // A test hold (see `Control::hold_state_writes`) parks the writer here while
        // newer snapshots keep replacing this one.
        drop(hold.lock().await);
        let snapshot = snapshots.borrow_and_update().clone();
        let Some(bytes) = snapshot.bytes else {
            continue;
        };
        let target = path.clone();
        let outcome = tokio::task::spawn_blocking(move || write_atomically(&target, &bytes)).await;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "could not write the emulator state file"),
            Err(e) => tracing::error!(error = %e, "the emulator state writer failed"),
        }
        written.send_replace(snapshot.generation);
    }
}

/// While alive, the state-file writer writes nothing; see
/// [`Control::hold_state_writes`](crate::Control::hold_state_writes).
#[derive(Debug)]
pub struct StateWriteHold {
    _guard: Option<OwnedMutexGuard<()>>,
}

impl StateWriteHold {
    /// A hold on nothing (there is no state file).
    pub(crate) fn nothing() -> Self {
        Self { _guard: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_the_file_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        assert_eq!(read_if_present(&path).expect("read"), None);
        write_atomically(&path, b"{\"a\":1}").expect("write 1");
        write_atomically(&path, b"{\"a\":2}").expect("write 2");
        assert_eq!(
            read_if_present(&path).expect("read").as_deref(),
            Some(&b"{\"a\":2}"[..])
        );
        let leftovers = fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_even_over_a_leftover_temporary_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let leftover = dir
            .path()
            .join(format!(".state.json.tmp-{}", std::process::id()));
        fs::write(&leftover, b"old").expect("leftover");
        fs::set_permissions(&leftover, fs::Permissions::from_mode(0o644)).expect("chmod");
        write_atomically(&path, b"{}").expect("write");
        let mode = fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[tokio::test]
    async fn the_latest_snapshot_wins_and_flush_waits_for_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let (persister, task) = Persister::start(path.clone());
        let hold = persister.hold.clone().lock_owned().await;
        for i in 0..100 {
            persister.submit(format!("{{\"n\":{i}}}").into_bytes());
        }
        assert!(!path.exists(), "nothing is written while held");
        drop(hold);
        persister.flush().await;
        assert_eq!(fs::read(&path).expect("written"), b"{\"n\":99}");
        task.abort();
    }
}
