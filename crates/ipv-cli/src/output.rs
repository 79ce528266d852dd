//! Printing results: one JSON document, or a table / summary for people.
//!
//! Both forms start from the response serialised with the wire's field names, so the
//! table shows exactly what the JSON holds, picked and laid out.
//!
//! Every string that reaches the terminal from the network goes through [`neutralise`]
//! on the way: a table cell, a key, an error message. JSON output is escaped by
//! serde_json and needs nothing more.

use std::fmt::{self, Write as _};
use std::io::Write as _;

use serde_json::{Map, Value};

use crate::failure::{CmdResult, Failure};

/// `text` with every character that could steer a terminal replaced by its visible
/// escape (`\n`, `\u{1b}`): C0 controls (including newline, carriage return, tab and
/// ESC, so no forged line, OSC or clear-screen sequence passes), DEL, C1 controls
/// (U+0080..U+009F, CSI among them) and the bidirectional overrides and isolates
/// (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C), which reorder what is shown.
pub(crate) fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    ipv_types::text::for_terminal(text)
}

/// A plain text table: a header row, a rule, and left-aligned columns.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row, neutralised (a cell never breaks the table's lines); missing cells
    /// print empty, extra cells are dropped.
    pub(crate) fn push(&mut self, row: Vec<String>) {
        self.rows.push(
            row.into_iter()
                .map(|c| neutralise(&c).into_owned())
                .collect(),
        );
    }

    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        widths
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let widths = self.widths();
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String]| -> fmt::Result {
            let mut text = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                if i > 0 {
                    text.push_str("  ");
                }
                text.push_str(cell);
                for _ in cell.chars().count()..*width {
                    text.push(' ');
                }
            }
            writeln!(f, "{}", text.trim_end())
        };
        line(f, &self.headers)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(f, &rule)?;
        for row in &self.rows {
            line(f, row)?;
        }
        Ok(())
    }
}

/// Which columns to show for lists, by the key that holds the list (`""` for a list at
/// the top). Lists without a hint show every scalar field of their first item.
pub(crate) type Columns = &'static [(&'static str, &'static [&'static str])];

/// Renders `value` for people: objects as aligned `field: value` lines, lists of
/// objects as tables, nested objects indented.
pub(crate) fn render_text(value: &Value, columns: Columns) -> String {
    let mut out = String::new();
    render_into(&mut out, value, "", columns, 0);
    out
}

fn render_into(out: &mut String, value: &Value, key: &str, columns: Columns, depth: usize) {
    let indent = "  ".repeat(depth);
    match value {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            let table = list_table(items, hint(columns, key));
            for line in table.to_string().lines() {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
        Value::Array(items) if items.is_empty() => {
            let _ = writeln!(out, "{indent}(none)");
        }
        Value::Object(map) => render_object(out, map, columns, depth),
        other => {
            let _ = writeln!(out, "{indent}{}", cell(key, other));
        }
    }
}

fn render_object(out: &mut String, map: &Map<String, Value>, columns: Columns, depth: usize) {
    let indent = "  ".repeat(depth);
    // At the top, the `""` hint may name the dictionaries of the object's own fields.
    let top_hint = if depth == 0 { hint(columns, "") } else { None };
    let spec = |key: &str| -> String {
        top_hint
            .and_then(|cols| cols.iter().find(|c| field_of(c) == key && c.contains(':')))
            .map_or_else(|| key.to_owned(), |c| (*c).to_owned())
    };
    let scalars: Vec<(&String, &Value)> = map.iter().filter(|(_, v)| is_inline(v)).collect();
    let width = scalars
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in &scalars {
        let shown = neutralise(key);
        let pad = width.saturating_sub(shown.chars().count());
        let _ = writeln!(
            out,
            "{indent}{shown}{:pad$}  {}",
            "",
            cell(&spec(key), value)
        );
    }
    for (key, value) in map.iter().filter(|(_, v)| !is_inline(v)) {
        let count = value.as_array().map(Vec::len);
        match count {
            Some(n) => {
                let _ = writeln!(out, "{indent}{} ({n}):", neutralise(key));
            }
            None => {
                let _ = writeln!(out, "{indent}{}:", neutralise(key));
            }
        }
        render_into(out, value, key, columns, depth + 1);
    }
}

/// Scalars and lists of scalars print on one line.
fn is_inline(value: &Value) -> bool {
    match value {
        Value::Array(items) => {
            items.iter().all(|v| !v.is_object() && !v.is_array()) && !items.is_empty()
        }
        Value::Object(_) => false,
        _ => true,
    }
}

fn hint(columns: Columns, key: &str) -> Option<&'static [&'static str]> {
    columns
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, cols)| *cols)
}

fn list_table(items: &[Value], wanted: Option<&[&str]>) -> Table {
    // A wanted column may name its dictionary after a colon (`status:instance`).
    let headers: Vec<String> = match wanted {
        Some(cols) => cols
            .iter()
            .filter(|c| items.iter().any(|i| i.get(field_of(c)).is_some()))
            .map(|c| (*c).to_owned())
            .collect(),
        None => items
            .first()
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| is_inline(v) || v.as_array().is_some_and(Vec::is_empty))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut table = Table::new(headers.iter().map(|h| neutralise(field_of(h)).into_owned()));
    for item in items {
        let row = headers
            .iter()
            .map(|h| {
                item.get(field_of(h))
                    .map_or_else(String::new, |v| cell(h, v))
            })
            .collect();
        table.push(row);
    }
    table
}

/// The wire field of a column spec (`status:instance` -> `status`).
fn field_of(column: &str) -> &str {
    column.split_once(':').map_or(column, |(field, _)| field)
}

/// One value as table text, neutralised: strings bare, dictionary codes by name (see
/// [`crate::names::for_field`]; `key` may name the dictionary, `status:order`), lists
/// joined with commas, unix times (the wire's `userExpired`) followed by their UTC date.
pub(crate) fn cell(key: &str, value: &Value) -> String {
    neutralise(&raw_cell(key, value)).into_owned()
}

fn raw_cell(key: &str, value: &Value) -> String {
    let dict_name = |n: i64| crate::names::for_field(key, n);
    match value {
        Value::Null => String::new(),
        Value::Number(n) if n.as_i64().and_then(dict_name).is_some() => {
            n.as_i64().and_then(dict_name).unwrap_or_default()
        }
        // Lists of codes travel as text, `"1,2"`.
        Value::String(s)
            if !s.is_empty()
                && crate::names::for_field(key, 0).is_some()
                && s.split(',').all(|p| p.trim().parse::<i64>().is_ok()) =>
        {
            s.split(',')
                .filter_map(|p| p.trim().parse::<i64>().ok().and_then(dict_name))
                .collect::<Vec<_>>()
                .join(",")
        }
        Value::String(s) => s.clone(),
        Value::Number(n) if key == "userExpired" => match n.as_i64() {
            Some(secs) => format!("{secs} ({})", unix_to_text(secs)),
            None => n.to_string(),
        },
        Value::Array(items) => items
            .iter()
            .map(|v| raw_cell(key, v))
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(map) => format!("{{{} fields}}", map.len()),
        other => other.to_string(),
    }
}

/// A unix time as `YYYY-MM-DD hh:mm:ss UTC`, or the number when out of range.
pub(crate) fn unix_to_text(secs: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| secs.to_string())
}

/// Prints one JSON document on stdout.
pub(crate) fn print_json(value: &Value) -> CmdResult {
    let text = serde_json::to_string_pretty(value)
        .map_err(|err| Failure::other(format!("cannot print JSON: {err}")))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
}

/// Prints text on stdout as is.
pub(crate) fn print_text(text: &str) -> CmdResult {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Prints `value` in the chosen format.
pub(crate) fn print_value(json: bool, value: &Value, columns: Columns) -> CmdResult {
    if json {
        print_json(value)
    } else {
        print_text(&render_text(value, columns))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn table_aligns_columns_and_trims_line_ends() {
        let mut table = Table::new(["no", "name"]);
        table.push(vec!["1".into(), "alpha".into()]);
        table.push(vec!["1234".into(), "b".into()]);
        assert_eq!(
            table.to_string(),
            "no    name\n----  -----\n1     alpha\n1234  b\n"
        );
    }

    #[test]
    fn list_of_objects_uses_column_hint() {
        let value = json!([{"a": 1, "b": "x", "c": true}, {"a": 22, "b": "yy", "c": false}]);
        let text = render_text(&value, &[("", &["b", "a"])]);
        assert_eq!(text, "b   a\n--  --\nx   1\nyy  22\n");
    }

    #[test]
    fn object_prints_scalars_then_nested_lists() {
        let value = json!({"orderNo": "O1", "amount": "9.50", "instances": [{"instanceNo": "I1"}]});
        let text = render_text(&value, &[]);
        assert_eq!(
            text,
            "amount   9.50\norderNo  O1\ninstances (1):\n  instanceNo\n  ----------\n  I1\n"
        );
    }

    #[test]
    fn unix_times_show_a_date() {
        assert_eq!(
            cell("userExpired", &json!(86_400)),
            "86400 (1970-01-02 00:00:00 UTC)"
        );
        assert_eq!(cell("other", &json!(86_400)), "86400");
        assert_eq!(cell("x", &json!(["a", "b"])), "a,b");
    }
}
