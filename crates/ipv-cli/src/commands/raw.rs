//! `ipv raw PATH [JSON]`: any JSON to any path, for endpoints newer than this tool.

use serde_json::Value;

use crate::failure::{CmdResult, Failure};
use crate::output::print_value;
use crate::session::Session;

/// Sends `json_arg` (`-` reads stdin; absent: no params) to `path` (a full path, or
/// just its middle such as `info`) and prints the answer's data.
pub(crate) async fn run(session: &Session, path: &str, json_arg: Option<&str>) -> CmdResult {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/api/open/app/{}/v2", path.trim_matches('/'))
    };
    let params: Option<Value> = match json_arg {
        None => None,
        Some(text) => {
            let text = if text == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                text.to_owned()
            };
            Some(serde_json::from_str(&text).map_err(|err| {
                Failure::usage(format!("the JSON argument does not parse: {err}"))
            })?)
        }
    };
    let data = session.send_raw(&path, params.as_ref()).await?;
    print_value(session.json(), &data, &[])
}
