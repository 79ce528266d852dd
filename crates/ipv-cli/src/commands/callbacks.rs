//! Receiving the platform's callbacks: the [`Inbox`] the demo waits on, and
//! `ipv callback listen`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use ipv_api::callback::{CallbackReceiver, CallbackServer, handler_fn};
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
    server: CallbackServer,
}

impl Inbox {
    /// Listens on loopback, on a free port.
    pub(crate) async fn start() -> CmdResult<Self> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Listens on `addr` with `ipv-api`'s callback server: it parses each query,
    /// answers `{"code":"success","msg":""}`, and hands each callback over once (its
    /// dedupe store answers repeats without handling them again).
    pub(crate) async fn bind(addr: SocketAddr) -> CmdResult<Self> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let handler = handler_fn(move |cb: Callback| {
            let sent = sender.send(cb).map_err(|_| "the listener is stopping");
            std::future::ready(sent)
        });
        let server = CallbackServer::bind(addr, CallbackReceiver::new(handler))
            .await
            .map_err(|err| {
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
        self.server.shutdown().await;
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
        // The platform repeats callbacks until answered; the receiver's dedupe store
        // already filters repeats, and this set keeps the promise of one line each.
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
