//! A `tracing` writer into memory, for tests that read what was logged (that no secret
//! or payload is in it, which spans closed with which fields).

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// A `MakeWriter` for `tracing_subscriber::fmt` that appends everything to one shared
/// buffer; clones share it.
///
/// ```
/// let capture = ipv_test_services::TraceCapture::default();
/// let subscriber = tracing_subscriber::fmt()
///     .with_writer(capture.clone())
///     .with_ansi(false)
///     .finish();
/// tracing::subscriber::with_default(subscriber, || tracing::info!("hello"));
/// assert!(capture.text().contains("hello"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct TraceCapture(Arc<Mutex<Vec<u8>>>);

impl TraceCapture {
    /// Everything written so far, as text (invalid UTF-8 shown replaced).
    #[must_use]
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for TraceCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for TraceCapture {
    type Writer = TraceCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
