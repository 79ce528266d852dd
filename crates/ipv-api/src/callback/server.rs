//! A ready HTTP server for callbacks (feature `server`).

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{Either, select};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use ipv_types::CallbackAck;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{CallbackHandler, CallbackReceiver, CallbackReply};

/// How long [`CallbackServer::shutdown`] lets open connections finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A hyper server answering callbacks on every path with a [`CallbackReceiver`].
///
/// Serves `GET` (and `HEAD`) on any path over HTTP/1.1; other methods get 405. Dropping
/// the server stops it accepting; [`CallbackServer::shutdown`] also waits for the
/// requests in progress.
///
/// ```no_run
/// use ipv_api::callback::{CallbackReceiver, CallbackServer, handler_fn};
///
/// # async fn run() -> std::io::Result<()> {
/// let receiver = CallbackReceiver::new(handler_fn(|callback| async move {
///     println!("callback: {callback:?}");
///     Ok::<(), std::convert::Infallible>(())
/// }));
/// let server = CallbackServer::bind("0.0.0.0:8080", receiver).await?;
/// println!("listening on {}", server.local_addr());
/// tokio::time::sleep(std::time::Duration::from_secs(60)).await;
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct CallbackServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for CallbackServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl CallbackServer {
    /// Binds `addr` (port 0 picks a free port) and starts serving on the current
    /// tokio runtime.
    ///
    /// # Errors
    /// The bind's I/O error.
    pub async fn bind<H: CallbackHandler>(
        addr: impl ToSocketAddrs,
        receiver: CallbackReceiver<H>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, receiver, stopped));
        tracing::info!(%local_addr, "callback server listening");
        Ok(Self {
            local_addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections and waits (up to 10 s) for requests in progress.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve<H: CallbackHandler>(
    listener: TcpListener,
    receiver: CallbackReceiver<H>,
    mut stopped: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let accept = std::pin::pin!(listener.accept());
        match select(accept, &mut stopped).await {
            Either::Left((Ok((stream, peer)), _)) => {
                let receiver = receiver.clone();
                let service = service_fn(move |request| {
                    let receiver = receiver.clone();
                    async move { Ok::<_, Infallible>(respond(&receiver, &request).await) }
                });
                let connection =
                    http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(%peer, error = %err, "callback connection ended");
                    }
                });
            }
            Either::Left((Err(err), _)) => {
                // Usually running out of file descriptors: pause instead of spinning.
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Either::Right(_) => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("callback connections still open after the drain timeout");
    }
}

async fn respond<H: CallbackHandler>(
    receiver: &CallbackReceiver<H>,
    request: &http::Request<Incoming>,
) -> http::Response<Full<Bytes>> {
    let reply = match *request.method() {
        http::Method::GET | http::Method::HEAD => {
            receiver.handle(request.uri().query().unwrap_or("")).await
        }
        _ => CallbackReply::new(405, &CallbackAck::failure("callbacks are GET requests")),
    };
    let mut response = http::Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
