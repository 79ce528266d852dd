//! `ipv codec encrypt | decrypt | open`: the protocol's cipher on stdin and stdout, for
//! debugging captured traffic.

use std::io::{Read, Write};

use ipv_crypto::{Key, OpenError};
use ipv_types::{RequestEnvelope, ResponseEnvelope};
use serde_json::{Map, Value, json};

use crate::cli::{CodecCommand, CodecOpenArgs};
use crate::config::Settings;
use crate::failure::{CmdResult, Failure};
use crate::output::print_json;

/// Runs a codec subcommand.
pub(crate) fn run(settings: &Settings, command: &CodecCommand) -> CmdResult {
    let key = key_from(settings)?;
    let mut input = Vec::new();
    std::io::stdin().lock().read_to_end(&mut input)?;
    match command {
        CodecCommand::Encrypt => {
            let sealed = key.seal(&input);
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{sealed}")?;
            stdout.flush()?;
        }
        CodecCommand::Decrypt => {
            let plain = open_sealed(&key, trim_ascii(&input), "stdin")?;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&plain)?;
            stdout.flush()?;
        }
        CodecCommand::Open(args) => open_envelope(&key, &input, args)?,
    }
    Ok(())
}

/// The cipher key from the configured secret; codec commands need one.
pub(crate) fn key_from(settings: &Settings) -> CmdResult<Key> {
    let Some((secret, source)) = &settings.secret else {
        return Err(Failure::usage(
            "no app secret: pass --app-secret or --app-secret-file, or set IPV_APP_SECRET",
        ));
    };
    Key::new(secret.expose()).map_err(|err| Failure::usage(format!("{err} (from {source})")))
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// Opens base64 ciphertext; the error names what was being opened, never its content.
fn open_sealed(key: &Key, sealed: &[u8], what: &str) -> CmdResult<Vec<u8>> {
    key.open(sealed).map_err(|err| match err {
        OpenError::Base64 => Failure::other(format!("{what} is not valid base64")),
        OpenError::Decrypt => Failure::credentials(format!(
            "{what} did not decrypt under this app secret (wrong secret, or not ciphertext)"
        )),
    })
}

/// The two envelope shapes `codec open` accepts.
enum Envelope {
    Request(RequestEnvelope),
    Response(ResponseEnvelope),
}

fn parse_envelope(input: &[u8]) -> CmdResult<Envelope> {
    let value: Value = serde_json::from_slice(input)
        .map_err(|err| Failure::other(format!("stdin is not a JSON envelope: {err}")))?;
    let Some(object) = value.as_object() else {
        return Err(Failure::other("stdin is JSON but not an envelope object"));
    };
    if object.contains_key("params") {
        serde_json::from_value(value)
            .map(Envelope::Request)
            .map_err(|err| Failure::other(format!("not a request envelope: {err}")))
    } else if object.contains_key("code") {
        serde_json::from_value(value)
            .map(Envelope::Response)
            .map_err(|err| Failure::other(format!("not a response envelope: {err}")))
    } else {
        Err(Failure::other(
            "stdin is neither a request envelope (no `params`) nor a response envelope (no `code`)",
        ))
    }
}

/// Decrypts an envelope's sealed field and prints it as JSON; the other fields go to
/// stderr, or into a wrapper with `--with-envelope`.
fn open_envelope(key: &Key, input: &[u8], args: &CodecOpenArgs) -> CmdResult {
    let (fields, sealed, what) = match parse_envelope(input)? {
        Envelope::Request(env) => (
            json!({
                "kind": "request",
                "version": env.version,
                "encrypt": env.encrypt,
                "appKey": env.app_key,
                "reqId": env.req_id,
            }),
            env.params,
            "params",
        ),
        Envelope::Response(env) => (
            json!({
                "kind": "response",
                "reqId": env.req_id,
                "code": env.code.as_i64(),
                "msg": env.msg,
            }),
            env.data,
            "data",
        ),
    };
    let payload = if sealed.trim().is_empty() {
        Value::Null
    } else {
        let plain = open_sealed(key, sealed.trim().as_bytes(), what)?;
        serde_json::from_slice(&plain).map_err(|err| {
            // Position only: the decrypted text itself stays out of the message.
            Failure::other(format!(
                "decrypted {what} is not JSON (line {}, column {})",
                err.line(),
                err.column()
            ))
        })?
    };
    if args.with_envelope {
        let mut wrapper = Map::new();
        wrapper.insert("envelope".to_owned(), fields);
        wrapper.insert("payload".to_owned(), payload);
        print_json(&Value::Object(wrapper))
    } else {
        eprintln!(
            "envelope: {}",
            crate::output::neutralise(&fields.to_string())
        );
        print_json(&payload)
    }
}
