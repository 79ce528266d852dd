//! Helpers for the siege tests: a counting test platform, keep-alive HTTP/1.1 from a
//! chosen loopback address, and a recording handler.
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::StatusCode;
use ipv_api::callback::{CallbackHandler, Delivery, Refetched, handler_fn};
use ipv_transport::test_util::json_response;
use ipv_transport::{BoxFuture, HttpTransport, TransportError};
use ipv_types::ApiCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;

use crate::common::{code_body, ok_body, open_request};

/// The path token the siege servers use.
pub const TOKEN: &str = "5e1f0a9c8b7d6e5f4a3b2c1d0e9f8a7b";

/// One order the platform knows: number, caller's number, instances.
#[derive(Debug, Clone)]
struct KnownOrder {
    order_no: String,
    app_order_no: String,
    instances: usize,
}

/// A test platform that counts every call: it knows some final orders and instances,
/// answers "no such order/instance" for everything else, and can be told to answer
/// HTTP 429 to everything or to hold order lookups until released.
#[derive(Clone, Default)]
pub struct Platform {
    calls: Arc<AtomicUsize>,
    orders: Arc<Mutex<HashMap<String, KnownOrder>>>,
    instances: Arc<Mutex<Vec<String>>>,
    too_many: Arc<std::sync::atomic::AtomicBool>,
    /// When set, order lookups wait for a permit (a slow platform).
    gate: Arc<Mutex<Option<Arc<Semaphore>>>>,
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Platform")
    }
}

impl Platform {
    /// Every call the platform got so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// A final (succeeded) open order with `instances` instances.
    pub fn add_order(&self, order_no: &str, app_order_no: &str, instances: usize) {
        let order = KnownOrder {
            order_no: order_no.to_owned(),
            app_order_no: app_order_no.to_owned(),
            instances,
        };
        let mut orders = self.orders.lock().unwrap();
        orders.insert(order_no.to_owned(), order.clone());
        orders.insert(format!("app:{app_order_no}"), order);
    }

    /// An instance the platform knows.
    pub fn add_instance(&self, instance_no: &str) {
        self.instances.lock().unwrap().push(instance_no.to_owned());
    }

    /// Answers HTTP 429 to every call from now on (or not).
    pub fn set_too_many(&self, on: bool) {
        self.too_many.store(on, Ordering::SeqCst);
    }

    /// Holds order lookups until [`release_orders`](Self::release_orders).
    pub fn hold_orders(&self) {
        *self.gate.lock().unwrap() = Some(Arc::new(Semaphore::new(0)));
    }

    /// Lets every held order lookup (and later ones) through.
    pub fn release_orders(&self) {
        if let Some(gate) = self.gate.lock().unwrap().take() {
            gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }

    fn order_page(&self, order: &KnownOrder, page: u64, page_size: u64) -> Value {
        let from = usize::try_from((page.max(1) - 1) * page_size).unwrap();
        let to = (from + usize::try_from(page_size).unwrap()).min(order.instances);
        let instances: Vec<Value> = (from..to)
            .map(|i| json!({"instanceNo": format!("{}-I{i:05}", order.order_no), "orderNo": order.order_no}))
            .collect();
        json!({
            "orderNo": order.order_no,
            "appOrderNo": order.app_order_no,
            "type": 1,
            "status": 3,
            "count": order.instances,
            "amount": "1.00",
            "refund": 0,
            "page": page,
            "pageSize": page_size,
            "total": order.instances,
            "instances": instances,
        })
    }

    fn answer(&self, params: &Value, req_id: &str) -> Bytes {
        if let Some(instances) = params.get("instances").and_then(Value::as_array) {
            let known = self.instances.lock().unwrap();
            let found: Vec<Value> = instances
                .iter()
                .filter_map(Value::as_str)
                .filter(|no| known.iter().any(|k| k == no))
                .map(|no| json!({"instanceNo": no, "status": 2}))
                .collect();
            if found.is_empty() {
                return code_body(req_id, ApiCode::InstanceNotFound, "no such instance");
            }
            return ok_body(req_id, &Value::Array(found));
        }
        let order_no = params.get("orderNo").and_then(Value::as_str).unwrap_or("");
        let app_order_no = params.get("appOrderNo").and_then(Value::as_str);
        let key = match app_order_no {
            Some(app) => format!("app:{app}"),
            None => order_no.to_owned(),
        };
        let order = self.orders.lock().unwrap().get(&key).cloned();
        match order {
            Some(order) => {
                let page = params.get("page").and_then(Value::as_u64).unwrap_or(1);
                let size = params.get("pageSize").and_then(Value::as_u64).unwrap_or(10);
                ok_body(req_id, &self.order_page(&order, page, size))
            }
            None => code_body(req_id, ApiCode::OrderNotFound, "no such order"),
        }
    }
}

impl HttpTransport for Platform {
    fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> BoxFuture<'static, Result<http::Response<Bytes>, TransportError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let this = self.clone();
        Box::pin(async move {
            if this.too_many.load(Ordering::SeqCst) {
                return Ok(http::Response::builder()
                    .status(429)
                    .body(Bytes::from_static(b"slow down"))
                    .unwrap());
            }
            let seen = open_request(&req);
            let is_order = seen.params.get("orderNo").is_some();
            let gate = this.gate.lock().unwrap().clone();
            if let (true, Some(gate)) = (is_order, gate) {
                let _permit = gate.acquire().await;
            }
            let body = this.answer(&seen.params, &seen.req_id);
            Ok(json_response(StatusCode::OK, body))
        })
    }
}

/// A handler that records the number of each order or instance it was handed, and
/// how many times.
pub fn recording_handler() -> (impl CallbackHandler, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    let handler = handler_fn(move |delivery: Delivery| {
        let log = Arc::clone(&log);
        async move {
            let what = match &delivery.fetched {
                Some(Refetched::Order(order)) => {
                    format!("order:{}:{}", order.order_no, order.instances.len())
                }
                Some(Refetched::Instance(instance)) => format!("instance:{}", instance.instance_no),
                _ => format!("{}:{}", delivery.callback.kind, delivery.callback.no),
            };
            log.lock().unwrap().push(what);
            Ok::<(), std::convert::Infallible>(())
        }
    });
    (handler, seen)
}

/// A new connection to `addr` from `from` (any free port).
pub async fn connect_from(from: IpAddr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = match from {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(addr).await
}

/// A kept-alive HTTP/1.1 connection that sends GETs one at a time.
pub struct KeepAlive {
    stream: BufReader<TcpStream>,
}

impl KeepAlive {
    /// Connects from `from`.
    pub async fn connect(from: IpAddr, addr: SocketAddr) -> std::io::Result<Self> {
        Ok(Self {
            stream: BufReader::new(connect_from(from, addr).await?),
        })
    }

    /// Sends `GET path` and reads the answer: its status and body, or `None` if the
    /// connection was closed (or broke) first.
    pub async fn get(&mut self, path: &str) -> Option<(u16, String)> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: callback\r\n\r\n");
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .ok()?;
        let mut line = String::new();
        if self.stream.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let status: u16 = line.get(9..12)?.parse().ok()?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await.ok()? == 0 {
                return None;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().ok()?;
            }
        }
        let mut body = vec![0u8; length.min(64 * 1024)];
        self.stream.read_exact(&mut body).await.ok()?;
        Some((status, String::from_utf8_lossy(&body).into_owned()))
    }

    /// Waits until the server closes the connection (or `limit` passes: false).
    pub async fn closed_within(&mut self, limit: std::time::Duration) -> bool {
        let mut buf = [0u8; 512];
        let wait = async {
            loop {
                match self.stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}
