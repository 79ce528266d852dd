//! The client against a hostile server: a small HTTP/1.1 server on 127.0.0.1 that answers
//! with canned or generated envelopes sealed with `ipv_api::codec`, over the real hyper
//! transport. Each case is an answer a client must not believe: another request's reqId,
//! another order's receipt, `{}` where the document requires fields, an order that claims
//! a billion instances, a redirect, a slow answer within the caller's timeout, control
//! characters in server text.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt as _;
use ipv_api::codec;
use ipv_api::{Client, Error, PurchaseIntent, RetryPolicy, SERVER_TEXT_LIMIT, WaitOptions};
use ipv_crypto::Key;
use ipv_transport::HyperTransport;
use ipv_types::text::is_unsafe_char;
use ipv_types::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

const SECRET: &[u8] = b"qwertyuiop123456";
const APP_KEY: &str = "AK20240708150154";
/// The most a request head may take before the server gives up on it.
const HEAD_LIMIT: usize = 64 * 1024;
/// The most a request body may take.
const BODY_LIMIT: usize = 1024 * 1024;

fn key() -> Key {
    Key::new(SECRET).unwrap()
}

/// What the hostile server was asked.
#[derive(Debug, Clone)]
struct Asked {
    path: String,
    req_id: String,
    params: Value,
}

/// What it answers.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Answer {
    /// HTTP 200 with a sealed envelope of `code`, `msg`, `data`, naming `req_id`.
    fn sealed(req_id: &str, code: ApiCode, msg: &str, data: Option<&Value>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: codec::seal_response(&key(), req_id, code, msg, data)
                .unwrap()
                .to_vec(),
            delay: Duration::ZERO,
        }
    }

    /// A correct 200 answer with `data`.
    fn ok(asked: &Asked, data: &Value) -> Self {
        Self::sealed(&asked.req_id, ApiCode::Ok, "ok", Some(data))
    }

    fn status(status: u16, headers: Vec<(&'static str, String)>, body: &[u8]) -> Self {
        Self {
            status,
            headers,
            body: body.to_vec(),
            delay: Duration::ZERO,
        }
    }
}

type Responder = dyn Fn(&Asked) -> Answer + Send + Sync;

/// A running hostile server.
struct Hostile {
    base_url: String,
    requests: Arc<AtomicUsize>,
}

impl Hostile {
    async fn start(responder: impl Fn(&Asked) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let responder: Arc<Responder> = Arc::new(responder);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let responder = Arc::clone(&responder);
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let _ = serve_one(stream, &*responder, &counter).await;
                });
            }
        });
        Self { base_url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// A client of this server over the hyper transport, without retries.
    fn client(&self) -> Client {
        self.client_with(
            HyperTransport::builder().no_proxy().build().unwrap(),
            Duration::from_secs(30),
        )
    }

    fn client_with(&self, transport: HyperTransport, timeout: Duration) -> Client {
        Client::builder()
            .base_url(&self.base_url)
            .app_key(APP_KEY)
            .app_secret(SECRET)
            .transport(transport)
            .retry_policy(RetryPolicy::none())
            .timeout(timeout)
            .build()
            .unwrap()
    }
}

/// Reads one request (head and `Content-Length` body, both bounded), answers it, closes.
async fn serve_one(
    mut stream: tokio::net::TcpStream,
    responder: &Responder,
    counter: &AtomicUsize,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > HEAD_LIMIT {
            return Ok(());
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
        .min(BODY_LIMIT);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = &buf[head_end..head_end + length];
    let envelope = codec::parse_request_envelope(body).unwrap();
    let params = if envelope.params.is_empty() {
        Value::Null
    } else {
        codec::open_request_params(&key(), &envelope).unwrap()
    };
    counter.fetch_add(1, Ordering::SeqCst);
    let answer = responder(&Asked {
        path,
        req_id: envelope.req_id.clone(),
        params,
    });
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let mut out = format!(
        "HTTP/1.1 {} Hostile\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    )
    .into_bytes();
    for (name, value) in &answer.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&answer.body);
    stream.write_all(&out).await?;
    stream.shutdown().await
}

fn open_request() -> OpenInstancesRequest {
    OpenInstancesRequest::new("APP-MINE-1", vec![OpenParam::by_product("p1", 1, 1)])
}

/// Text shown to a person holds no character that could steer a terminal.
fn assert_printable(text: &str) {
    assert!(
        !text.chars().any(is_unsafe_char),
        "control characters reach the terminal: {text:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 1. reqId
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_answer_naming_another_req_id_is_an_error_that_says_the_request_may_have_been_applied() {
    for answered in ["someone-elses-req-id", "", "evil\u{1b}[2J\nreqId"] {
        let server = Hostile::start(move |_asked| {
            Answer::sealed(
                answered,
                ApiCode::Ok,
                "ok",
                Some(&json!({"orderNo": "C1", "appOrderNo": "APP-MINE-1", "amount": "1.00"})),
            )
        })
        .await;
        // The default retry policy: a mismatch is not retried as if nothing happened.
        let client = Client::builder()
            .base_url(&server.base_url)
            .app_key(APP_KEY)
            .app_secret(SECRET)
            .build()
            .unwrap();
        let err = client.open_instances(&open_request()).await.unwrap_err();
        let Error::ReqIdMismatch {
            req_id,
            answered: seen,
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(seen, answered);
        assert_eq!(req_id.len(), 32);
        assert!(err.may_have_been_sent());
        assert!(!err.is_retryable());
        assert_eq!(server.requests(), 1, "not sent again");
        let shown = err.to_string();
        assert!(shown.contains("may have been applied"), "{shown}");
        assert!(shown.contains("not the reqId sent"), "{shown}");
        assert_printable(&shown);
    }
}

#[tokio::test]
async fn an_error_code_naming_another_req_id_is_not_believed_either() {
    let server = Hostile::start(|_asked| {
        Answer::sealed("another", ApiCode::InsufficientBalance, "no money", None)
    })
    .await;
    let err = server.client().app_info().await.unwrap_err();
    assert!(matches!(err, Error::ReqIdMismatch { .. }), "{err}");
}

#[tokio::test]
async fn an_error_code_without_a_req_id_is_that_error() {
    // What a server answers to a request it could not decrypt: no reqId, code 10001.
    let server = Hostile::start(|_asked| {
        Answer::status(
            200,
            Vec::new(),
            br#"{"reqId":"","code":10001,"msg":"decryption failed","data":""}"#,
        )
    })
    .await;
    let err = server.client().app_info().await.unwrap_err();
    assert_eq!(err.api_code(), Some(ApiCode::DecryptFailed), "{err}");
}

// ---------------------------------------------------------------------------------------
// 2. appOrderNo
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_receipt_for_another_order_is_an_error_for_every_purchase() {
    let server = Hostile::start(|asked| {
        Answer::ok(
            asked,
            &json!({"orderNo": "PLATFORM-777", "appOrderNo": "SOMEONE-ELSES\u{7}", "amount": "999.00"}),
        )
    })
    .await;
    let client = server.client();
    let calls: Vec<(&str, Result<OrderReceipt, Error>)> = vec![
        ("open", client.open_instances(&open_request()).await),
        (
            "open assigned",
            client
                .open_assigned_ip(&OpenAssignedIpRequest::new(
                    "APP-MINE-1",
                    "p1",
                    "1.2.3.4",
                    1,
                ))
                .await,
        ),
        (
            "renew",
            client
                .renew_instances(&RenewInstancesRequest::new(
                    "APP-MINE-1",
                    vec![RenewItem::new("inst-1", 1)],
                ))
                .await,
        ),
        (
            "release",
            client
                .release_instances(&ReleaseInstancesRequest::new("APP-MINE-1", ["inst-1"]))
                .await,
        ),
        (
            "after-sale",
            client
                .after_sale_release(
                    &AfterSaleReleaseRequest::new("APP-MINE-1", ["inst-1"])
                        .with_remark("r")
                        .with_reason("q"),
                )
                .await,
        ),
        (
            "dynamic open",
            client
                .open_instances(&OpenInstancesRequest::new(
                    "APP-MINE-1",
                    vec![
                        OpenParam::by_product("d1", 1, 1)
                            .with_app_username("main")
                            .with_flow(100),
                    ],
                ))
                .await,
        ),
    ];
    for (name, result) in calls {
        let err = result.expect_err(name);
        let Error::OrderMismatch {
            sent,
            answered,
            platform_order_no,
            ..
        } = &err
        else {
            panic!("{name}: {err}")
        };
        assert_eq!(sent, "APP-MINE-1", "{name}");
        assert_eq!(answered, "SOMEONE-ELSES\u{7}", "{name}");
        assert_eq!(platform_order_no, "PLATFORM-777", "{name}");
        assert!(err.may_have_been_sent(), "{name}");
        assert!(!err.is_retryable(), "{name}");
        let shown = err.to_string();
        assert!(
            shown.contains("belongs to another order"),
            "{name}: {shown}"
        );
        assert!(shown.contains("may have been applied"), "{name}: {shown}");
        assert_printable(&shown);
    }
}

#[tokio::test]
async fn a_receipt_for_this_order_is_accepted() {
    let server = Hostile::start(|asked| {
        assert!(
            asked.path.starts_with("/api/open/app/instance/"),
            "{}",
            asked.path
        );
        let mine = asked.params["appOrderNo"]
            .as_str()
            .or(asked.params["orderNo"].as_str())
            .unwrap()
            .to_owned();
        Answer::ok(
            asked,
            &json!({"orderNo": "PLATFORM-1", "appOrderNo": mine, "amount": "2.00"}),
        )
    })
    .await;
    let client = server.client();
    let receipt = client.open_instances(&open_request()).await.unwrap();
    assert_eq!(receipt.order_no, "PLATFORM-1");
    let receipt = client
        .release_instances(&ReleaseInstancesRequest::new("REL-1", ["inst-1"]))
        .await
        .unwrap();
    assert_eq!(receipt.app_order_no, "REL-1");
}

// ---------------------------------------------------------------------------------------
// 3. Required fields
// ---------------------------------------------------------------------------------------

/// Calls one endpoint of `client`, discarding the value.
type Call = fn(Client) -> futures_util::future::BoxFuture<'static, Result<(), Error>>;

macro_rules! call {
    ($method:ident) => {
        (|client: Client| {
            Box::pin(async move { client.$method().await.map(drop) })
                as futures_util::future::BoxFuture<'static, _>
        }) as Call
    };
    ($method:ident, $request:expr) => {
        (|client: Client| {
            Box::pin(async move { client.$method(&$request).await.map(drop) })
                as futures_util::future::BoxFuture<'static, _>
        }) as Call
    };
}

#[tokio::test]
async fn an_empty_object_fails_to_decode_naming_the_required_field_for_every_response_type() {
    // (what is answered, the call, the first required field the error must name)
    let cases: Vec<(&str, Value, Call, &str)> = vec![
        ("AppInfo", json!({}), call!(app_info), "appName"),
        (
            "OrderReceipt",
            json!({}),
            call!(open_instances, open_request()),
            "orderNo",
        ),
        (
            "Order",
            json!({}),
            call!(order, OrderRequest::new("C1")),
            "orderNo",
        ),
        (
            "Instance",
            json!([{}]),
            call!(instances, InstancesRequest::new(["i1"])),
            "instanceNo",
        ),
        (
            "Product",
            json!({}),
            call!(product, ProductRequest::new("p1")),
            "productNo",
        ),
        (
            "AssignedIpInfo",
            json!({}),
            call!(assigned_ip_info, AssignedIpInfoRequest::new("1.2.3.4")),
            "ip",
        ),
        (
            "Area",
            json!([{}]),
            call!(areas, AreasRequest::all()),
            "code",
        ),
        (
            "City",
            json!([{}]),
            call!(cities, CitiesRequest::of(["USA"])),
            "cityCode",
        ),
        (
            "ProductArea",
            json!([{}]),
            call!(
                product_areas,
                ProductAreasRequest::new("d1", ProxyType::DynamicAbroad)
            ),
            "proxyType",
        ),
        (
            "Account",
            json!({}),
            call!(
                upsert_user,
                UpsertUserRequest::default()
                    .with_app_username("alice")
                    .with_phone("13800000000")
                    .with_email("a@example.com")
                    .with_auth_type(AuthType::Person)
                    .with_no("ID-1")
            ),
            "appUsername",
        ),
        (
            "UserAuthStatus",
            json!({}),
            call!(
                sync_user_auth,
                SyncUserAuthRequest::for_app_user("alice", AuthType::Company)
            ),
            "username",
        ),
        (
            "ProxyBalanceItem",
            json!({"list": [{}]}),
            call!(
                proxy_balance,
                ProxyBalanceRequest::for_app_user("alice", ProxyType::DynamicAbroad, "d1")
            ),
            "balance",
        ),
        (
            "DrawnProxies",
            json!({}),
            call!(
                draw_with_password,
                DrawWithPasswordRequest::new("alice", "d1")
            ),
            "list",
        ),
        (
            "DrawApiUrls",
            json!({}),
            call!(
                draw_api_url,
                DrawApiUrlRequest::new("alice", ProxyType::DynamicAbroad, "d1")
            ),
            "list",
        ),
        (
            "DrawApiUrl",
            json!({"list": [{}]}),
            call!(
                draw_api_url,
                DrawApiUrlRequest::new("alice", ProxyType::DynamicAbroad, "d1")
            ),
            "proxyUrl",
        ),
        (
            "FlowUsage",
            json!({"total": 1, "curPage": 1, "list": [{}]}),
            call!(flow_usage_log, FlowUsageLogRequest::new("alice", "d1")),
            "used",
        ),
        (
            "IpWhitelist",
            json!({}),
            call!(
                add_ip_whitelist,
                AddIpWhitelistRequest::new("alice", "8.8.8.8", ProxyType::DynamicAbroad, "d1")
            ),
            "ipWhiteList",
        ),
    ];
    for (type_name, data, call, field) in cases {
        let server = Hostile::start(move |asked| Answer::ok(asked, &data)).await;
        let err = call(server.client()).await.unwrap_err();
        let Error::Decode { source, .. } = &err else {
            panic!("{type_name}: {err}")
        };
        assert_eq!(
            source.detail(),
            format!("data: missing field `{field}`"),
            "{type_name}: {err}"
        );
        assert!(err.may_have_been_sent(), "{type_name}");
        let shown = err.to_string();
        assert!(
            shown.contains("may have been applied"),
            "{type_name}: {shown}"
        );
        assert!(!shown.contains("nothing was sent"), "{type_name}: {shown}");
    }
}

#[tokio::test]
async fn null_lists_and_go_zero_times_are_still_accepted() {
    let server = Hostile::start(|asked| {
        Answer::ok(
            asked,
            &json!({"orderNo": "C1", "appOrderNo": "A1", "type": 1, "status": 3, "count": 1,
                    "refund": 0, "page": 1, "total": 1, "instances": [{
                        "instanceNo": "i1", "bridges": null,
                        "openAt": "0001-01-01T00:00:00Z", "renewAt": "0001-01-01T00:00:00Z",
                        "releaseAt": "0001-01-01T00:00:00Z"}]}),
        )
    })
    .await;
    let order = server
        .client()
        .order(&OrderRequest::new("C1"))
        .await
        .unwrap();
    assert!(order.instances[0].bridges.is_empty());
    assert_eq!(order.instances[0].open_at, None);
}

#[tokio::test]
async fn an_empty_receipt_for_a_purchase_says_the_purchase_was_sent() {
    // What `open --wait` used to turn into "nothing was sent": the purchase went out,
    // the answer is empty, so there is no order number to wait for.
    let server = Hostile::start(|asked| Answer::ok(asked, &json!({}))).await;
    let client = server.client();
    let err = client.open_instances(&open_request()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(err.may_have_been_sent());
    let shown = err.to_string();
    assert!(shown.contains("missing field `orderNo`"), "{shown}");
    assert!(
        shown.contains("the request reached the platform and may have been applied"),
        "{shown}"
    );
    assert_eq!(server.requests(), 1);
}

// ---------------------------------------------------------------------------------------
// 4. Pagination and waiting
// ---------------------------------------------------------------------------------------

/// An order of `count` whose answer claims a billion instances, 100 of about 10 KB each on
/// every page, the instance numbers of page `p` being `p`'s own.
fn billion_instance_order(asked: &Asked, count: u64, status: i64) -> Value {
    let page = asked.params["page"].as_u64().unwrap_or(1);
    let instances: Vec<Value> = (0..100)
        .map(|n| json!({"instanceNo": format!("inst-{page}-{n}"), "pwd": "x".repeat(10 * 1024)}))
        .collect();
    json!({"orderNo": "C1", "appOrderNo": "A1", "type": 1, "status": status, "count": count,
           "refund": 0, "page": page, "pageSize": 100, "total": 1_000_000_000u64,
           "instances": instances})
}

#[tokio::test]
async fn waiting_on_an_order_that_claims_a_billion_instances_stops_at_once() {
    let server =
        Hostile::start(|asked| Answer::ok(asked, &billion_instance_order(asked, 1, 3))).await;
    let client = server.client();
    let err = client
        .wait_for_order("C1", WaitOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Pagination {
                endpoint: "order",
                ..
            }
        ),
        "{err}"
    );
    let shown = err.to_string();
    assert!(shown.contains("1000000000"), "{shown}");
    assert!(shown.contains("more than the 1"), "{shown}");
    assert_eq!(server.requests(), 1, "no page after the first");

    // The stream of the order's instances stops too, after the first page.
    let items: Vec<Result<Instance, Error>> = client.order_instances("C1").collect().await;
    assert_eq!(items.len(), 1, "only the error");
    assert!(items[0].is_err());
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_listing_that_adds_nothing_new_stops() {
    // A big order (count 10,000) whose pages alternate between two sets of instances.
    let server = Hostile::start(|asked| {
        let mut data = billion_instance_order(asked, 10_000, 3);
        let page = asked.params["page"].as_u64().unwrap_or(1);
        let shown = if page % 2 == 1 { 1 } else { 2 };
        for (n, instance) in data["instances"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            instance["instanceNo"] = json!(format!("inst-{shown}-{n}"));
        }
        data["total"] = json!(10_000);
        Answer::ok(asked, &data)
    })
    .await;
    let items: Vec<Result<Instance, Error>> = server.client().order_instances("C1").collect().await;
    assert_eq!(items.len(), 201, "two pages, then the error");
    let err = items.last().unwrap().as_ref().unwrap_err();
    assert!(err.to_string().contains("adds nothing new"), "{err}");
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn waiting_with_a_zero_interval_does_not_busy_poll() {
    let server = Hostile::start(|asked| {
        Answer::ok(
            asked,
            &json!({"orderNo": "C1", "appOrderNo": "A1", "type": 1, "status": 2, "count": 1,
                    "refund": 0, "page": 1, "total": 0, "instances": []}),
        )
    })
    .await;
    let options = WaitOptions::default()
        .with_deadline(Duration::from_secs(1))
        .with_intervals(Duration::ZERO, Duration::ZERO);
    let err = server
        .client()
        .wait_for_order("C1", options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimedOut { .. }), "{err}");
    // One poll per MIN_POLL_INTERVAL at most (plus the first and the one at the deadline);
    // a busy loop makes hundreds in a second.
    let most =
        (Duration::from_secs(1).as_millis() / ipv_api::MIN_POLL_INTERVAL.as_millis()) as usize + 2;
    assert!(
        server.requests() <= most,
        "{} polls in a second",
        server.requests()
    );
}

// ---------------------------------------------------------------------------------------
// 5. The caller's timeout
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_clients_timeout_counts_not_the_transports_shorter_one() {
    let server = Hostile::start(|asked| {
        let mut answer = Answer::ok(asked, &json!({"appName": "slow", "coin": "1.00"}));
        answer.delay = Duration::from_millis(1500);
        answer
    })
    .await;
    // The transport would give up after 1 s on its own; the client allows 3 s.
    let transport = || {
        HyperTransport::builder()
            .no_proxy()
            .request_timeout(Duration::from_secs(1))
            .build()
            .unwrap()
    };
    let client = server.client_with(transport(), Duration::from_secs(3));
    let info = client.app_info().await.unwrap();
    assert_eq!(info.app_name, "slow");

    // And a client timeout shorter than the answer still ends the call, as a timeout.
    let client = server.client_with(transport(), Duration::from_millis(500));
    let err = client.app_info().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after, .. } if after == Duration::from_millis(500)),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// 6. Redirects
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_redirect_is_reported_with_its_location_and_not_followed() {
    let server = Hostile::start(|_asked| {
        Answer::status(
            302,
            vec![("Location", "https://elsewhere.example/api".to_owned())],
            b"",
        )
    })
    .await;
    let err = server.client().app_info().await.unwrap_err();
    let Error::Redirect {
        status, location, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*status, 302);
    assert_eq!(location.as_deref(), Some("https://elsewhere.example/api"));
    assert!(err.may_have_been_sent());
    assert!(!err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.contains("redirect to https://elsewhere.example/api not followed"),
        "{shown}"
    );
    assert_eq!(server.requests(), 1, "not followed");

    // A long Location is cut; tabs (legal in a header) are shown as escapes.
    let long = format!("https://elsewhere.example/\t{}", "a".repeat(8000));
    let server =
        Hostile::start(move |_asked| Answer::status(301, vec![("Location", long.clone())], b""))
            .await;
    let err = server.client().app_info().await.unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.len() < SERVER_TEXT_LIMIT + 400,
        "{} bytes",
        shown.len()
    );
    assert!(shown.contains("elsewhere.example/\\t"), "{shown}");
    assert_printable(&shown);

    // Without a Location.
    let server = Hostile::start(|_asked| Answer::status(307, Vec::new(), b"")).await;
    let err = server.client().app_info().await.unwrap_err();
    assert!(
        err.to_string().contains("redirect without a Location"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// 8. Server text is neutralised in Display
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn control_characters_from_the_server_never_reach_the_terminal() {
    let forged = "balance too low\u{1b}]0;pwned\u{7}\n1  inst-9  status disabled\u{1b}[2J\u{9b}";
    let server = Hostile::start(move |asked| {
        Answer::sealed(&asked.req_id, ApiCode::InsufficientBalance, forged, None)
    })
    .await;
    let err = server.client().app_info().await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err}")
    };
    assert_eq!(api.msg, forged, "the message itself is kept as sent");
    let shown = err.to_string();
    assert_printable(&shown);
    assert!(
        shown.contains("\\u{1b}]0;pwned\\u{7}\\n1  inst-9"),
        "{shown}"
    );

    let server =
        Hostile::start(move |_asked| Answer::status(500, Vec::new(), forged.as_bytes())).await;
    let err = server.client().app_info().await.unwrap_err();
    assert!(matches!(err, Error::Http { status: 500, .. }), "{err}");
    assert_printable(&err.to_string());
}

// ---------------------------------------------------------------------------------------
// Orders that are not the one asked for
// ---------------------------------------------------------------------------------------

/// A finished order `order_no` / `app_order_no` with one instance of `product`.
fn finished_order(order_no: &str, app_order_no: &str, product: &str) -> Value {
    json!({"orderNo": order_no, "appOrderNo": app_order_no, "type": 1, "status": 3,
           "count": 1, "refund": 0, "page": 1, "pageSize": 100, "total": 1,
           "instances": [{"instanceNo": "inst-stranger", "productNo": product,
                          "ip": "203.0.113.9", "username": "stranger", "pwd": "theirs"}]})
}

#[tokio::test]
async fn a_wait_answered_with_another_order_is_an_error_naming_both() {
    // Every poll of order C1 is answered with someone else's order C2.
    let server =
        Hostile::start(|asked| Answer::ok(asked, &finished_order("C2", "THEIRS-1", "p1"))).await;
    let client = server.client();
    let err = client
        .wait_for_order("C1", WaitOptions::default())
        .await
        .unwrap_err();
    let Error::WrongOrder {
        asked, answered, ..
    } = &err
    else {
        panic!("not WrongOrder: {err}")
    };
    assert_eq!(asked, "C1");
    assert_eq!(answered, "C2");
    assert!(!err.is_retryable());
    assert_eq!(server.requests(), 1, "the wait stops at the first stranger");
    let shown = err.to_string();
    assert!(shown.contains("`C1`") && shown.contains("`C2`"), "{shown}");
    assert!(
        !shown.contains("203.0.113.9"),
        "nothing of the stranger's order is shown"
    );

    // A plain lookup is held to the order it names too.
    let err = client.order(&OrderRequest::new("C1")).await.unwrap_err();
    assert!(matches!(err, Error::WrongOrder { .. }), "{err}");
}

#[tokio::test]
async fn a_purchase_wait_answered_with_the_right_number_but_another_app_order_is_refused() {
    // The platform's order number matches, the caller's does not: another app's order.
    let server = Hostile::start(|asked| {
        if asked.path.contains("/instance/open/") {
            Answer::ok(
                asked,
                &json!({"orderNo": "C1", "appOrderNo": "APP-MINE-1", "amount": "1.00"}),
            )
        } else {
            Answer::ok(asked, &finished_order("C1", "SOMEONE-ELSES", "p1"))
        }
    })
    .await;
    let client = server.client();
    let request = open_request();
    let receipt = client.open_instances(&request).await.unwrap();
    let err = client
        .wait_for_purchase(
            &receipt,
            &PurchaseIntent::from(&request),
            WaitOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::WrongOrder {
        asked_app_order_no,
        answered_app_order_no,
        ..
    } = &err
    else {
        panic!("not WrongOrder: {err}")
    };
    assert_eq!(asked_app_order_no.as_deref(), Some("APP-MINE-1"));
    assert_eq!(answered_app_order_no, "SOMEONE-ELSES");
}

#[tokio::test]
async fn a_purchase_answered_with_an_order_of_another_product_is_order_reused() {
    let server = Hostile::start(|asked| {
        if asked.path.contains("/instance/open/") {
            Answer::ok(
                asked,
                &json!({"orderNo": "C1", "appOrderNo": "APP-MINE-1", "amount": "1.00"}),
            )
        } else {
            Answer::ok(asked, &finished_order("C1", "APP-MINE-1", "p-other"))
        }
    })
    .await;
    let client = server.client();
    let request = open_request();
    let receipt = client.open_instances(&request).await.unwrap();
    let err = client
        .wait_for_purchase(
            &receipt,
            &PurchaseIntent::from(&request),
            WaitOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::OrderReused {
        app_order_no,
        order_no,
        sent,
        found,
    } = &err
    else {
        panic!("not OrderReused: {err}")
    };
    assert_eq!(app_order_no, "APP-MINE-1");
    assert_eq!(order_no, "C1");
    assert!(sent.contains("p1"), "{sent}");
    assert!(found.contains("p-other"), "{found}");
    assert_printable(&err.to_string());
}

#[tokio::test]
async fn a_receipt_with_an_empty_order_number_is_a_decode_error() {
    let server = Hostile::start(|asked| {
        Answer::ok(
            asked,
            &json!({"orderNo": "", "appOrderNo": "APP-MINE-1", "amount": "1.00"}),
        )
    })
    .await;
    let err = server
        .client()
        .open_instances(&open_request())
        .await
        .unwrap_err();
    let Error::Decode { source, .. } = &err else {
        panic!("not a decode error: {err}")
    };
    assert!(source.to_string().contains("orderNo"), "{source}");
    assert!(err.may_have_been_sent());
}
