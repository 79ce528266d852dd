//! Receiving the platform's callbacks: the [`Inbox`] the demo waits on, and
//! `ipv callback listen`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ipv_api::callback::{
    CallbackReceiver, CallbackServer, CallbackStore, Delivery, MemoryStore, ServerConfig,
    StoreError, handler_fn,
};
use ipv_types::Callback;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::cli::CallbackListenArgs;
use crate::config::{Settings, Target};
use crate::failure::{CmdResult, Failure};
use crate::session::build_client;
use crate::show::to_wire_value;

/// How many callbacks the demo's inbox holds before its receiver waits.
const INBOX_CAPACITY: usize = 256;

/// Callbacks received by a local HTTP receiver, in arrival order.
///
/// The demo's receiver trusts the query (it checks what the emulator sends, and has
/// no client when it starts); each callback is acknowledged once it is queued here.
pub(crate) struct Inbox {
    url: String,
    receiver: mpsc::Receiver<Callback>,
    held: Vec<Callback>,
    server: CallbackServer,
}

impl Inbox {
    /// Listens on loopback, on a free port, under a path token drawn at random (so
    /// only the emulator it is given to can reach it).
    pub(crate) async fn start() -> CmdResult<Self> {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let (sender, receiver) = mpsc::channel(INBOX_CAPACITY);
        let handler = handler_fn(move |delivery: Delivery| {
            let sender = sender.clone();
            async move {
                sender
                    .send(delivery.callback)
                    .await
                    .map_err(|_| "the listener is stopping")
            }
        });
        let token = format!("{:032x}", rand::random::<u128>());
        let config = ServerConfig::default().with_path_token(token.clone());
        let callbacks = CallbackReceiver::trusting_query(handler);
        let server = CallbackServer::bind_with(addr, callbacks, config)
            .await
            .map_err(|err| {
                Failure::other(format!("cannot listen for callbacks on {addr}: {err}"))
            })?;
        Ok(Self {
            url: format!("http://{}/{token}/callback", server.local_addr()),
            receiver,
            held: Vec::new(),
            server,
        })
    }

    /// The URL to give the platform.
    pub(crate) fn url(&self) -> String {
        self.url.clone()
    }

    /// The next callback matching `wanted` within `limit`; others stay for later calls.
    pub(crate) async fn wait_for(
        &mut self,
        limit: Duration,
        wanted: impl Fn(&Callback) -> bool,
    ) -> Option<Callback> {
        if let Some(i) = self.held.iter().position(&wanted) {
            return Some(self.held.remove(i));
        }
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.receiver.recv()).await {
                Ok(Some(cb)) if wanted(&cb) => return Some(cb),
                Ok(Some(cb)) => {
                    // Bounded like the channel: the oldest unwanted ones go first.
                    if self.held.len() >= INBOX_CAPACITY {
                        self.held.remove(0);
                    }
                    self.held.push(cb);
                }
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Stops listening.
    pub(crate) async fn stop(self) {
        let Self {
            server, receiver, ..
        } = self;
        // Closing the queue first lets handlers still waiting on it fail at once.
        drop(receiver);
        server.shutdown().await;
    }
}

/// A callback as one JSON object with the wire's parameter names.
fn callback_json(cb: &Callback) -> Value {
    json!({
        "type": cb.kind.as_str(),
        "no": cb.no,
        "op": cb.op.map(|op| op.as_i64()),
    })
}

/// The line printed for one delivery: the callback's fields and, when verified, what
/// was fetched (wire JSON).
fn delivery_line(delivery: &Delivery) -> CmdResult<String> {
    let mut line = callback_json(&delivery.callback);
    if let Some(fetched) = &delivery.fetched {
        line["fetched"] = to_wire_value(fetched)?;
    }
    let text = serde_json::to_string(&line)
        .map_err(|err| Failure::other(format!("cannot print JSON: {err}")))?;
    Ok(neutralise(&text))
}

/// Escapes what JSON leaves raw but a terminal would act on, keeping the line valid
/// JSON: every character [`for_terminal`](ipv_types::text::for_terminal) escapes
/// (DEL and the C1 controls, one of which opens escape sequences; bidirectional
/// overrides and isolates; zero-width spaces and joiners, the byte-order mark and the
/// other invisible format characters; line separators) becomes a JSON `\uXXXX` escape
/// (a surrogate pair beyond the BMP). `serde_json` already escapes the C0 controls.
fn neutralise(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if ipv_types::text::is_unsafe_char(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One delivery waiting to be printed, and how to tell its handler it was.
type Queued = (Delivery, oneshot::Sender<()>);

/// `ipv callback listen`: one JSON line per callback handled, with what was fetched;
/// each callback is acknowledged only once its line is written.
pub(crate) async fn listen(settings: &Settings, args: &CallbackListenArgs) -> CmdResult {
    if args.path_token.is_none() && !args.insecure_no_path_token {
        return Err(Failure::usage(
            "refusing to listen for callbacks without a path token: pass --path-token TOKEN \
             (or IPV_CALLBACK_PATH_TOKEN; draw one with `openssl rand -hex 32` and register \
             the callback URL with it as the path's first segment), or \
             --insecure-no-path-token to listen without one",
        ));
    }
    let mut signals = crate::commands::emulator::Shutdown::install()?;
    let (queue, mut queued) = mpsc::channel::<Queued>(args.queue.max(1));
    let handler = handler_fn(move |delivery: Delivery| {
        let queue = queue.clone();
        async move {
            let (printed, done) = oneshot::channel();
            queue
                .send((delivery, printed))
                .await
                .map_err(|_| "the listener is stopping")?;
            done.await
                .map_err(|_| "the listener stopped before printing")
        }
    });
    let builder = CallbackReceiver::builder(handler).shared_store(store_from(args).await?);
    let receiver = if args.trust_query {
        builder.build_trusting_query()
    } else {
        builder.build(verifying_client(settings)?)
    };
    let mut config = ServerConfig::default();
    if let Some(token) = &args.path_token {
        config = config.with_path_token(token.clone());
    }
    for network in &args.allow_from {
        config = config.allow_from(*network);
    }
    let server = CallbackServer::bind_with(args.addr, receiver, config)
        .await
        .map_err(|err| {
            Failure::other(format!(
                "cannot listen for callbacks on {}: {err}",
                args.addr
            ))
        })?;
    let prefix = args
        .path_token
        .as_ref()
        .map(|t| format!("/{t}"))
        .unwrap_or_default();
    eprintln!(
        "listening for callbacks at http://{}{prefix}/callback (Ctrl-C to stop)",
        server.local_addr()
    );
    if args.trust_query {
        eprintln!("note: --trust-query: callbacks are printed as sent, not verified");
    }
    if args.insecure_no_path_token {
        eprintln!(
            "warning: --insecure-no-path-token: anyone who can reach this address can send callbacks"
        );
    }

    let mut server = Some(server);
    let mut stopping: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        tokio::select! {
            biased;
            item = queued.recv() => {
                let Some((delivery, printed)) = item else { break };
                let line = delivery_line(&delivery)?;
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "{line}")?;
                stdout.flush()?;
                drop(stdout);
                // Only now may the receiver answer success.
                let _ = printed.send(());
            }
            result = signals.wait(), if stopping.is_none() => {
                result?;
                eprintln!("stopping: finishing callbacks in progress");
                if let Some(server) = server.take() {
                    stopping = Some(tokio::spawn(server.shutdown()));
                }
            }
            () = wait_stopped(&mut stopping), if stopping.is_some() => break,
        }
    }
    Ok(())
}

/// Completes when the server's shutdown task has finished.
async fn wait_stopped(stopping: &mut Option<tokio::task::JoinHandle<()>>) {
    if let Some(task) = stopping.as_mut() {
        let _ = task.await;
    }
    *stopping = None;
}

/// The store keys are claimed in: `memory` (the default), or a shared PostgreSQL or
/// Redis store several listeners can use together.
async fn store_from(args: &CallbackListenArgs) -> CmdResult<Arc<dyn CallbackStore>> {
    let spec = args.store.as_deref().unwrap_or("memory");
    let connect_failed = |err: StoreError| {
        // The stores keep credentials out of their errors; the URL is not repeated.
        Failure::other(format!("cannot open the callback store: {err}"))
    };
    if spec == "memory" {
        return Ok(Arc::new(MemoryStore::default()));
    }
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            let config = ipv_callback_postgres::PostgresConfig::new(spec);
            let store = ipv_callback_postgres::PostgresStore::connect(config)
                .await
                .map_err(connect_failed)?;
            return Ok(Arc::new(store));
        }
        #[cfg(not(feature = "postgres"))]
        return Err(Failure::usage(
            "--store postgres://...: this ipv was built without the `postgres` feature",
        ));
    }
    if spec.starts_with("redis://") || spec.starts_with("rediss://") {
        #[cfg(feature = "redis")]
        {
            let config = ipv_callback_redis::RedisConfig::new(spec);
            let store = ipv_callback_redis::RedisStore::connect(config)
                .await
                .map_err(connect_failed)?;
            return Ok(Arc::new(store));
        }
        #[cfg(not(feature = "redis"))]
        return Err(Failure::usage(
            "--store redis://...: this ipv was built without the `redis` feature",
        ));
    }
    let _ = connect_failed;
    // Only the scheme is shown: the rest may hold a password.
    let scheme = spec
        .split("://")
        .next()
        .unwrap_or("")
        .chars()
        .take(16)
        .collect::<String>();
    Err(Failure::usage(format!(
        "--store: expected memory, postgres://... or redis://... (got a `{scheme}` store)"
    )))
}

/// The client a verifying listener re-fetches with.
fn verifying_client(settings: &Settings) -> CmdResult<ipv_api::Client> {
    let needs = "verifying callbacks needs the API: pass --endpoint, --app-key and an app \
                 secret (or --trust-query to print callbacks unverified)";
    let Target::Remote(url) = &settings.target else {
        return Err(Failure::usage(needs));
    };
    let (Some(app_key), Some((secret, _))) = (&settings.app_key, &settings.secret) else {
        return Err(Failure::usage(needs));
    };
    build_client(settings, url, app_key, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_lines_stay_json_without_terminal_controls() {
        let cb = Callback::instance("i\u{9b}31m\u{1b}[2J\u{7f}x");
        let line = delivery_line(&Delivery::new(cb.clone(), None)).unwrap();
        assert!(
            !line.chars().any(|c| c.is_control()),
            "a control character got through: {line:?}"
        );
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["no"], cb.no.as_str());
        assert_eq!(back["type"], "instance");
    }

    #[test]
    fn printed_lines_hide_no_bidi_or_invisible_characters() {
        // A right-to-left override, a zero-width space, a byte-order mark, a
        // zero-width joiner, an isolate, a line separator and a tag character.
        let no = "evil\u{202e}txt.exe\u{200b}\u{feff}\u{200d}\u{2067}\u{2028}\u{e0041}end";
        let cb = Callback::instance(no);
        let line = delivery_line(&Delivery::new(cb, None)).unwrap();
        assert!(
            !line.chars().any(ipv_types::text::is_unsafe_char),
            "an invisible or bidi character got through: {line:?}"
        );
        assert!(
            line.contains("\\u202e") && line.contains("\\ufeff"),
            "{line}"
        );
        assert!(line.contains("\\udb40\\udc41"), "a surrogate pair: {line}");
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["no"], no, "the JSON still reads as what was sent");
    }
}
