//! Receiving the platform's callbacks: the [`Inbox`] the demo waits on, and
//! `ipv callback listen`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use ipv_types::{Callback, CallbackKind, InstancesRequest, OrderRequest, ProductRequest};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::cli::CallbackListenArgs;
use crate::commands::endpoints::to_wire_value;
use crate::config::{Settings, Target};
use crate::failure::{CmdResult, Failure};
use crate::session::Session;

/// Callbacks received by a local HTTP receiver, in arrival order.
pub(crate) struct Inbox {
    url: String,
    receiver: mpsc::UnboundedReceiver<Callback>,
    held: Vec<Callback>,
    server: receiver::Server,
}

impl Inbox {
    /// Listens on loopback, on a free port.
    pub(crate) async fn start() -> CmdResult<Self> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Listens on `addr`.
    pub(crate) async fn bind(addr: SocketAddr) -> CmdResult<Self> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let server = receiver::Server::start(addr, sender).await.map_err(|err| {
            Failure::other(format!("cannot listen for callbacks on {addr}: {err}"))
        })?;
        Ok(Self {
            url: format!("http://{}/callback", server.local_addr()),
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
                Ok(Some(cb)) => self.held.push(cb),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// The next callback, whatever it is.
    pub(crate) async fn next(&mut self) -> Option<Callback> {
        if !self.held.is_empty() {
            return Some(self.held.remove(0));
        }
        self.receiver.recv().await
    }

    /// Stops listening.
    pub(crate) async fn stop(self) {
        self.server.stop().await;
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

/// `ipv callback listen`: one JSON line per new callback; with credentials (or an
/// endpoint), the order / instance / product it names is fetched and printed as a
/// second line `{"fetched": ...}`.
pub(crate) async fn listen(settings: &Settings, args: &CallbackListenArgs) -> CmdResult {
    let mut shutdown = crate::commands::emulator::Shutdown::install()?;
    let mut inbox = Inbox::bind(args.addr).await?;
    let fetch = !args.no_fetch
        && matches!(settings.target, Target::Remote(_))
        && settings.app_key.is_some()
        && settings.secret.is_some();
    let session = if fetch {
        Some(Session::open(settings).await?)
    } else {
        None
    };
    eprintln!(
        "listening for callbacks at {} (Ctrl-C to stop)",
        inbox.url()
    );
    if session.is_none() && !args.no_fetch {
        eprintln!(
            "note: no endpoint and credentials configured; callbacks are printed, not fetched"
        );
    }
    let mut seen = HashSet::new();
    loop {
        let cb = tokio::select! {
            biased;
            result = shutdown.wait() => { result?; break; }
            cb = inbox.next() => match cb { Some(cb) => cb, None => break },
        };
        // The platform repeats callbacks until answered; each is reported once.
        if !seen.insert(cb.clone()) {
            continue;
        }
        println!("{}", callback_json(&cb));
        if let Some(session) = &session {
            let line = match fetch_named(session, &cb).await {
                Ok(value) => json!({ "fetched": value }),
                Err(failure) => json!({ "fetchError": failure.message }),
            };
            println!("{line}");
        }
    }
    inbox.stop().await;
    if let Some(session) = session {
        session.close().await;
    }
    Ok(())
}

/// Fetches what a callback names: callbacks carry no signature, so only what the API
/// itself says about the order / instance / product can be trusted.
async fn fetch_named(session: &Session, cb: &Callback) -> CmdResult<Value> {
    match cb.kind {
        CallbackKind::Order => {
            let order = session
                .send(&OrderRequest::new(cb.no.clone()).with_page(1, 100))
                .await?;
            to_wire_value(&order)
        }
        CallbackKind::Instance => {
            let request = InstancesRequest {
                instances: vec![cb.no.clone()],
            };
            to_wire_value(&session.send(&request).await?)
        }
        CallbackKind::Product => {
            to_wire_value(&session.send(&ProductRequest::new(cb.no.clone())).await?)
        }
    }
}

/// A minimal HTTP/1.1 receiver for the platform's `GET ?type=&no=&op=` callbacks:
/// it answers `{"code":"success","msg":""}` to every well-formed callback and HTTP 400
/// to anything else, one request per connection.
mod receiver {
    use std::net::SocketAddr;
    use std::time::Duration;

    use ipv_types::{Callback, CallbackAck};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{mpsc, watch};
    use tokio::task::JoinHandle;

    /// Requests larger than this are refused: a callback is one short line.
    const MAX_REQUEST: usize = 8 * 1024;
    /// A connection that sends nothing for this long is dropped.
    const READ_TIMEOUT: Duration = Duration::from_secs(5);

    pub(super) struct Server {
        local_addr: SocketAddr,
        stop: watch::Sender<bool>,
        task: JoinHandle<()>,
    }

    impl Server {
        pub(super) async fn start(
            addr: SocketAddr,
            sender: mpsc::UnboundedSender<Callback>,
        ) -> std::io::Result<Self> {
            let listener = TcpListener::bind(addr).await?;
            let local_addr = listener.local_addr()?;
            let (stop, mut stopped) = watch::channel(false);
            let task = tokio::spawn(async move {
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            if let Ok((stream, _)) = accepted {
                                tokio::spawn(serve(stream, sender.clone()));
                            }
                        }
                        _ = stopped.changed() => break,
                    }
                }
            });
            Ok(Self {
                local_addr,
                stop,
                task,
            })
        }

        pub(super) fn local_addr(&self) -> SocketAddr {
            self.local_addr
        }

        pub(super) async fn stop(self) {
            let _ = self.stop.send(true);
            let _ = self.task.await;
        }
    }

    async fn serve(mut stream: TcpStream, sender: mpsc::UnboundedSender<Callback>) {
        let Some(head) = read_head(&mut stream).await else {
            return;
        };
        let (status, body) = match parse_callback(&head) {
            Some(cb) => {
                let _ = sender.send(cb);
                ("200 OK", serde_json::to_string(&CallbackAck::success()))
            }
            None => (
                "400 Bad Request",
                serde_json::to_string(&CallbackAck::failure("not a callback")),
            ),
        };
        let body = body.unwrap_or_default();
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    /// The request line and headers, up to the blank line; `None` when the peer is slow,
    /// closes early or sends too much.
    async fn read_head(stream: &mut TcpStream) -> Option<String> {
        let mut buf = Vec::with_capacity(512);
        let mut chunk = [0u8; 1024];
        loop {
            let n = tokio::time::timeout(READ_TIMEOUT, stream.read(&mut chunk))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(chunk.get(..n)?);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                return String::from_utf8(buf).ok();
            }
            if buf.len() > MAX_REQUEST {
                return None;
            }
        }
    }

    /// `GET /any/path?type=..&no=..&op=.. HTTP/1.1` -> the callback.
    pub(super) fn parse_callback(head: &str) -> Option<Callback> {
        let line = head.lines().next()?;
        let mut parts = line.split(' ');
        let method = parts.next()?;
        let target = parts.next()?;
        if !(method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("POST")) {
            return None;
        }
        let (_, query) = target.split_once('?')?;
        Callback::parse_query(query).ok()
    }

    #[cfg(test)]
    mod tests {
        use ipv_types::{CallbackKind, OrderType};

        use super::*;

        #[test]
        fn parses_the_request_line_only() {
            let cb = parse_callback("GET /cb?type=order&no=O1&op=2 HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            assert_eq!(cb.kind, CallbackKind::Order);
            assert_eq!(cb.no, "O1");
            assert_eq!(cb.op, Some(OrderType::Renew));
            assert!(parse_callback("GET /cb HTTP/1.1\r\n\r\n").is_none());
            assert!(parse_callback("DELETE /cb?type=order&no=O1 HTTP/1.1\r\n\r\n").is_none());
            assert!(parse_callback("").is_none());
            assert!(parse_callback("GET /cb?type=nonsense&no=1 HTTP/1.1\r\n\r\n").is_none());
        }
    }
}
