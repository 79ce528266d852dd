//! Keeping passwords out of `Debug` output.

use core::fmt;

/// Stands in for a password in `Debug` output: prints `[redacted]`, without quotes.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The value to pass to `debug_struct(..).field(name, &REDACTED)`.
pub(crate) const REDACTED: Redacted = Redacted;

/// An optional password: shows whether one is set, never what it is.
pub(crate) fn opt(v: &Option<String>) -> Option<Redacted> {
    v.as_ref().map(|_| Redacted)
}
