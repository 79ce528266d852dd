//! Why a command failed, and the exit code each reason maps to.

use std::fmt;
use std::process::ExitCode;

/// The class of a failure; each has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The platform answered with a non-200 code (exit 1).
    Api,
    /// The command line or configuration was wrong (exit 2).
    Usage,
    /// The request did not complete, or anything else went wrong (exit 3).
    Other,
    /// An order is not what was asked: it was followed to its end and finished failed
    /// or only partly done, or the platform answered with another order than the one
    /// sent or asked for (an order number reused with other parameters) (exit 4).
    OrderFailed,
    /// `ipv demo` ran, and one of its checks did not hold (exit 5).
    DemoFailed,
    /// The app key or secret was refused: the platform could not decrypt the request,
    /// or its answer did not decrypt with the secret (exit 6).
    Credentials,
    /// Whoever read stdout stopped reading (`ipv ... | head`): not an error (exit 0).
    ReaderGone,
}

impl FailureKind {
    /// The process exit code for this kind.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Self::Api => 1,
            Self::Usage => 2,
            Self::Other => 3,
            Self::OrderFailed => 4,
            Self::DemoFailed => 5,
            Self::Credentials => 6,
            Self::ReaderGone => 0,
        }
    }
}

/// A failed command: its kind and a message for stderr.
///
/// Messages are built from typed errors whose Display never holds the app secret or a
/// decrypted payload, and from this crate's own text.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Usage,
            message: message.into(),
        }
    }

    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Other,
            message: message.into(),
        }
    }

    pub(crate) fn api(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Api,
            message: message.into(),
        }
    }

    pub(crate) fn order_failed(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::OrderFailed,
            message: message.into(),
        }
    }

    pub(crate) fn credentials(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Credentials,
            message: message.into(),
        }
    }

    pub(crate) fn demo_failed(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::DemoFailed,
            message: message.into(),
        }
    }

    /// Prints the message to stderr, with control characters neutralised (it may hold
    /// text from the server), and returns the exit code.
    pub(crate) fn report(&self) -> ExitCode {
        if self.kind != FailureKind::ReaderGone {
            eprintln!("error: {}", crate::output::neutralise(&self.message));
        }
        ExitCode::from(self.kind.exit_code())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<std::io::Error> for Failure {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader went away (`ipv ... | head`): nothing left to say.
            return Self {
                kind: FailureKind::ReaderGone,
                message: String::new(),
            };
        }
        Self::other(format!("i/o: {err}"))
    }
}

/// The exit codes, for `--help` and the docs (kept next to [`FailureKind::exit_code`]).
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes (the same mistake gives the same code on every command):
  0  success
  1  the API answered with an error code (other than a refused secret)
  2  usage: a wrong or missing flag or value, missing or conflicting configuration,
     a request the API's rules refuse before anything is sent
  3  transport or any other failure (no answer, an unreadable answer, i/o)
  4  an order is not what was asked: followed to its end (--wait, renew
     --expiring-within) it failed or was only partly done, or the platform answered
     with another order (an order number reused with other parameters)
  5  `ipv demo`: a check did not hold
  6  the app key or secret was refused (the platform could not decrypt the request,
     or its answer did not decrypt with the secret)";

/// The result of a command.
pub(crate) type CmdResult<T = ()> = Result<T, Failure>;
