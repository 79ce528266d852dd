//! Helpers shared by the tests that drive `ipv` as a child process.

use std::io::BufRead;

/// Reads lines from a child's output until one starts with `prefix`; returns the rest.
pub(crate) fn line_starting(reader: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "no `{prefix}` line"
        );
        if let Some(rest) = line.trim_end().strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
}

/// The callback URL an `ipv callback listen` child announces on its stderr, and the
/// `host:port` in it.
pub(crate) fn callback_listen_url(stderr: &mut impl BufRead) -> (String, String) {
    let line = line_starting(stderr, "listening for callbacks at ");
    let url = line.split_whitespace().next().unwrap().to_owned();
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    (url, addr)
}
