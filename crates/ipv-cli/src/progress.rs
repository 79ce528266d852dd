//! Progress on stderr while waiting on orders and paging through lists.
//!
//! A spinner is drawn only when stderr is a terminal; otherwise every bar is hidden and
//! nothing at all is written, so pipes, logs and scripts see only the command's output.

use std::borrow::Cow;
use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner with `message` on stderr, or a hidden one when stderr is not a terminal.
/// Messages set later must be neutralised by the caller when they hold server text.
pub(crate) fn spinner(message: impl Into<Cow<'static, str>>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
