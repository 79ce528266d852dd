//! Text from the network made safe to print on a terminal.
//!
//! Anything a server sends (the API's `msg`, an HTTP error body, a `Location` header, a
//! string cell of a table) may hold control characters: a forged newline that fakes an
//! output row, an escape sequence that clears the screen or sets the window title (OSC),
//! a bidirectional override that reorders what is shown. [`for_terminal`] rewrites every
//! such character as a visible escape (`\n`, `\u{1b}`, `\u{202e}`), so the text reads the
//! same and can no longer steer the terminal. JSON output needs none of this: its
//! encoder already escapes control characters.
//!
//! ```
//! use ipv_types::text::{for_terminal, for_terminal_bounded};
//!
//! assert_eq!(for_terminal("plain text"), "plain text");
//! assert_eq!(for_terminal("ok\nstatus disabled"), "ok\\nstatus disabled");
//! assert_eq!(for_terminal("\u{1b}]0;title\u{7}"), "\\u{1b}]0;title\\u{7}");
//! assert_eq!(for_terminal_bounded("abcdef", 3), "abc…");
//! ```

use std::borrow::Cow;
use std::fmt;

/// Whether `c` can steer a terminal or hide text: C0 and C1 controls (newlines and tabs
/// included), DEL, the Unicode bidirectional formatting characters, and the other
/// invisible format characters (zero-width spaces and joiners, the byte-order mark,
/// soft hyphen, word joiner, invisible operators, interlinear annotation marks, tag
/// characters) and the line and paragraph separators.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Unicode's format characters (general category Cf), which are invisible
            // or reorder what is shown; bidirectional ones among them.
            '\u{00ad}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061c}'
                | '\u{06dd}'
                | '\u{070f}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08e2}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
                // Line and paragraph separators: a line break to some terminals.
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with every [unsafe character](is_unsafe_char) written as a visible escape;
/// borrowed unchanged when there is none.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(ForTerminal(text).to_string())
}

/// [`for_terminal`], keeping at most `max_chars` characters of `text` (counted before
/// escaping) and marking a cut with `…`.
pub fn for_terminal_bounded(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    for c in chars.by_ref().take(max_chars) {
        push_char(&mut out, c);
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// Displays the wrapped text as [`for_terminal`] would, without allocating.
#[derive(Debug, Clone, Copy)]
pub struct ForTerminal<'a>(pub &'a str);

impl fmt::Display for ForTerminal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(is_unsafe_char) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            write_escaped(f, c)?;
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

fn push_char(out: &mut String, c: char) {
    if is_unsafe_char(c) {
        // Writing to a String cannot fail.
        let _ = write_escaped(out, c);
    } else {
        out.push(c);
    }
}

fn write_escaped(out: &mut impl fmt::Write, c: char) -> fmt::Result {
    match c {
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        c => write!(out, "\\u{{{:x}}}", u32::from(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(for_terminal("héllo, 世界"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_control_and_bidi_character_is_escaped() {
        let hostile = "a\u{0}\u{7}\u{8}\t\n\r\u{1b}[2J\u{7f}\u{85}\u{9b}\u{202e}\u{2066}z";
        let shown = for_terminal(hostile);
        assert!(!shown.chars().any(is_unsafe_char), "{shown:?}");
        assert_eq!(
            shown,
            "a\\u{0}\\u{7}\\u{8}\\t\\n\\r\\u{1b}[2J\\u{7f}\\u{85}\\u{9b}\\u{202e}\\u{2066}z"
        );
        assert_eq!(ForTerminal(hostile).to_string(), shown);
    }

    #[test]
    fn invisible_format_characters_are_escaped() {
        // Zero-width space, non-joiner, joiner, word joiner, byte-order mark, soft
        // hyphen, a tag character, a line separator, an isolate, a right-to-left mark.
        for c in [
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{ad}',
            '\u{e0041}',
            '\u{2028}',
            '\u{2067}',
            '\u{200f}',
            '\u{206a}',
        ] {
            assert!(is_unsafe_char(c), "{:x}", u32::from(c));
            let text = format!("a{c}b");
            let shown = for_terminal(&text);
            assert_eq!(shown, format!("a\\u{{{:x}}}b", u32::from(c)));
        }
        // Visible letters of other scripts stay as they are.
        for text in ["héllo", "世界", "مرحبا", "שלום", "🦀"] {
            assert!(matches!(for_terminal(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn bounded_cuts_and_marks_and_escapes() {
        assert_eq!(for_terminal_bounded("abc", 3), "abc");
        assert_eq!(for_terminal_bounded("a\nbcd", 2), "a\\n…");
        assert_eq!(for_terminal_bounded("", 0), "");
        assert_eq!(for_terminal_bounded("x", 0), "…");
    }
}
