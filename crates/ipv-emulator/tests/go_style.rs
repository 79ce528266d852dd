//! Go-style requests, in Rust: the vendor's Go SDK has no `omitempty` on its request
//! structs, so every field goes out, unset ones as `""`, `0`, `false` or `null`, and the
//! `instance` key is spelled `Instances`. For every one of the 30 endpoints such a request
//! is sealed with the codec and answered in process; a twin emulator receives the same
//! request with those fields left out. The two answers must be the same (modulo the
//! reqId and the fields that depend on the moment: order numbers and times).
//!
//! Also here: the request-reading points one by one (zero means "not given", renew's
//! `cycleTimes: 0`, a static line's `count: 0`, `delimiter: 0`, date-only and China-time
//! filters, `order/list` `instanceNo`, the code-only answer, the money scale), and
//! numeric request fields at and near the i64/u64 limits.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use ipv_api::codec;
use ipv_crypto::Key;
use ipv_emulator::{DEFAULT_APP_KEY, DEFAULT_APP_SECRET, EmulatorHandle};
use serde_json::{Value, json};

use common::{config, start};

const STATIC_NYC: &str = "ipv_res_us_nyc_m";
const STATIC_LAX: &str = "ipv_dc_us_lax_m";
const FLOW: &str = "ipv_dyn_global_flow";

/// One emulator and what earlier answers told us (order and instance numbers).
struct Side {
    emu: EmulatorHandle,
    key: Key,
    vars: BTreeMap<&'static str, String>,
    calls: u32,
}

/// An opened answer: the code, the message and the decoded data.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    code: i64,
    msg: String,
    data: Value,
    /// The `data` text as sent (sealed, or empty).
    raw_data: String,
}

impl Side {
    async fn new() -> Side {
        Side {
            emu: start(config()).await,
            key: Key::new(DEFAULT_APP_SECRET.as_bytes()).expect("key"),
            vars: BTreeMap::new(),
            calls: 0,
        }
    }

    fn var(&self, name: &str) -> String {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("{name} was not captured"))
            .clone()
    }

    /// Seals `params` (`None`: no params) for `middle` and opens the answer.
    fn call(&mut self, middle: &str, params: Option<&Value>) -> Answer {
        self.calls += 1;
        let req_id = format!("go-style-{}", self.calls);
        let body = codec::seal_request(&self.key, DEFAULT_APP_KEY, &req_id, params)
            .expect("request seals");
        let path = ipv_api::endpoint::path_for(middle);
        let reply = self.emu.answer_api_request(&path, &body);
        assert_eq!(reply.status, 200, "{middle}: HTTP status");
        let envelope: Value = serde_json::from_slice(&reply.body).expect("envelope is JSON");
        let opened = codec::open_response_raw(&self.key, &reply.body).expect("answer opens");
        assert_eq!(opened.req_id, req_id, "{middle}: reqId echoed");
        Answer {
            code: opened.code.as_i64(),
            msg: opened.msg,
            data: opened.data.unwrap_or(Value::Null),
            raw_data: envelope["data"]
                .as_str()
                .unwrap_or("<not a string>")
                .to_owned(),
        }
    }
}

/// The request a client with `omitempty` sends for the same intent: keys whose value is
/// a Go zero value (`""`, `0`, `false`, `null`) left out, at every depth, and `Instances`
/// spelled `instances`.
fn without_zero_values(v: &Value) -> Value {
    fn is_zero(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::String(s) => s.is_empty(),
            Value::Array(_) | Value::Object(_) => false,
        }
    }
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !is_zero(v))
                .map(|(k, v)| {
                    let key = if k == "Instances" { "instances" } else { k };
                    (key.to_owned(), without_zero_values(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_zero_values).collect()),
        other => other.clone(),
    }
}

/// Masks what depends on the moment a request arrives (both emulators run on the wall
/// clock from the same start time, a few milliseconds apart).
fn timeless(v: &Value) -> Value {
    const MOMENTARY: &[&str] = &[
        "orderNo",
        "createdAt",
        "openAt",
        "renewAt",
        "releaseAt",
        "userExpired",
    ];
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if MOMENTARY.contains(&k.as_str()) {
                        json!("<moment>")
                    } else {
                        timeless(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(timeless).collect()),
        other => other.clone(),
    }
}

/// The document's and the Go SDK's answer shapes, one per endpoint (see its `about`).
fn shapes() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ipv-types/tests/data/document/response-shapes.json"
    );
    let text = std::fs::read_to_string(path).expect("response-shapes.json");
    serde_json::from_str(&text).expect("response-shapes.json is JSON")
}

/// Where `value` does not have the keys and JSON types of `shape`.
fn shape_mismatches(shape: &Value, value: &Value, defs: &Value, at: &str, out: &mut Vec<String>) {
    match shape {
        Value::String(name) if name.starts_with('$') => {
            shape_mismatches(&defs[&name[1..]], value, defs, at, out);
        }
        Value::String(kind) => {
            let ok = match kind.as_str() {
                "string" => value.is_string(),
                "number" => value.is_number(),
                "bool" => value.is_boolean(),
                "null" => value.is_null(),
                "list?" => value.is_array() || value.is_null(),
                "any" => true,
                other => panic!("unknown shape type {other}"),
            };
            if !ok {
                out.push(format!("{at}: {kind} expected, got {value}"));
            }
        }
        Value::Array(item) => match value.as_array() {
            Some(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate() {
                    shape_mismatches(&item[0], v, defs, &format!("{at}[{i}]"), out);
                }
            }
            Some(_) => out.push(format!("{at}: an empty list proves no shape")),
            None => out.push(format!("{at}: a list expected, got {value}")),
        },
        Value::Object(keys) => match value.as_object() {
            Some(map) => {
                for (k, s) in keys {
                    match map.get(k) {
                        Some(v) => shape_mismatches(s, v, defs, &format!("{at}.{k}"), out),
                        None => out.push(format!("{at}.{k}: missing")),
                    }
                }
            }
            None => out.push(format!("{at}: an object expected, got {value}")),
        },
        other => panic!("bad shape {other}"),
    }
}

/// One endpoint: its number in the spec, its path middle, the Go-style request (from
/// the numbers earlier answers gave this side), and what to remember of the answer.
struct Row {
    number: u8,
    middle: &'static str,
    go: fn(&Side) -> Option<Value>,
    after: fn(&mut Side, &Answer),
}

fn nothing(_: &mut Side, _: &Answer) {}

fn remember_open(s: &mut Side, a: &Answer) {
    let no = a.data["orderNo"].as_str().expect("orderNo").to_owned();
    s.vars.insert("open_order", no);
    // Usage for the flow log (27), as the platform would record it.
    s.emu
        .control()
        .record_usage(DEFAULT_APP_KEY, "shop_main", FLOW, 150)
        .expect("usage");
}

fn remember_assign(s: &mut Side, a: &Answer) {
    let no = a.data["orderNo"].as_str().expect("orderNo").to_owned();
    s.vars.insert("assign_order", no);
}

/// The 30 endpoints in an order where each finds what it needs (an account, an order,
/// instances) made by the rows before it.
fn rows() -> Vec<Row> {
    vec![
        Row {
            number: 1,
            middle: "info",
            go: |_| None,
            after: nothing,
        },
        Row {
            number: 2,
            middle: "area",
            go: |_| Some(json!({"codes": null})),
            after: nothing,
        },
        Row {
            number: 3,
            middle: "city/list",
            go: |_| Some(json!({"codes": null})),
            after: nothing,
        },
        Row {
            number: 4,
            middle: "product/query",
            go: |_| {
                Some(
                    json!({"proxyType": [103], "productNo": "", "countryCode": "USA",
                    "cityCode": "", "supplierCode": "", "unit": 0, "ispType": 0, "netType": 0,
                    "duration": 0}),
                )
            },
            after: nothing,
        },
        Row {
            number: 5,
            middle: "product/info",
            go: |_| Some(json!({"productNo": STATIC_NYC})),
            after: nothing,
        },
        Row {
            number: 6,
            middle: "product/area",
            go: |_| Some(json!({"productNo": FLOW, "proxyType": 104})),
            after: nothing,
        },
        Row {
            number: 7,
            middle: "project/list",
            go: |_| Some(json!({"codes": null})),
            after: nothing,
        },
        Row {
            number: 19,
            middle: "user",
            go: |_| {
                Some(json!({"appUsername": "shop_main", "password": "",
                    "phone": "13800000000", "email": "owner@example.com", "authType": 1,
                    "authName": "", "no": "ID-1", "vsp": 0, "status": 1}))
            },
            after: nothing,
        },
        Row {
            number: 20,
            middle: "userAuth",
            go: |_| {
                Some(
                    json!({"username": "", "appUsername": "shop_main", "authType": 3,
                    "authName": "Shop Ltd", "no": "", "vsp": ""}),
                )
            },
            after: nothing,
        },
        Row {
            number: 8,
            middle: "instance/open",
            go: |_| {
                let zero_item = json!({"productNo": "", "proxyType": 0, "countryCode": "",
                    "cityCode": "", "supplierCode": "", "unit": 0, "ispType": 0, "duration": 0,
                    "count": 0, "cycleTimes": 0, "renew": false, "extBandWidth": 0,
                    "appUsername": "", "flow": 0, "useBridge": 0, "projectId": "",
                    "cidrBlocks": null});
                let with = |fields: Value| {
                    let mut item = zero_item.clone();
                    for (k, v) in fields.as_object().expect("object") {
                        item[k] = v.clone();
                    }
                    item
                };
                Some(json!({"appOrderNo": "GO-OPEN-1", "params": [
                    // By filters, Go's zero values in the unused filters.
                    with(json!({"proxyType": 103, "countryCode": "USA", "count": 2,
                        "cycleTimes": 1})),
                    // A static line with count 0 and cycleTimes 0: the defaults, 1 and 1.
                    with(json!({"productNo": STATIC_LAX})),
                    // Dynamic flow for the main account.
                    with(json!({"productNo": FLOW, "appUsername": "shop_main",
                        "flow": 1000})),
                ]}))
            },
            after: remember_open,
        },
        Row {
            number: 9,
            middle: "instance/open/assign/ip",
            go: |_| {
                Some(json!({"appOrderNo": "GO-ASSIGN-1", "productNo": STATIC_NYC,
                    "cycleTimes": 1, "renew": false, "extBandWidth": 0, "useBridge": 0,
                    "assignIp": "198.18.33.77"}))
            },
            after: remember_assign,
        },
        Row {
            number: 10,
            middle: "assign/ip/info",
            go: |_| Some(json!({"ip": "198.18.33.78"})),
            after: nothing,
        },
        Row {
            number: 15,
            middle: "order",
            go: |s| {
                Some(
                    json!({"orderNo": s.var("open_order"), "appOrderNo": "", "page": 0,
                    "pageSize": 0}),
                )
            },
            after: |s, a| {
                let instances = a.data["instances"].as_array().expect("instances");
                for (name, inst) in ["i1", "i2", "i3"].into_iter().zip(instances) {
                    let no = inst["instanceNo"].as_str().expect("instanceNo").to_owned();
                    s.vars.insert(name, no);
                }
            },
        },
        Row {
            number: 16,
            middle: "order/list",
            go: |_| Some(json!({"page": 0, "pageSize": 0, "startTime": "", "endTime": ""})),
            after: nothing,
        },
        Row {
            number: 17,
            middle: "instance",
            go: |s| Some(json!({"Instances": [s.var("i1"), s.var("i2")]})),
            after: nothing,
        },
        Row {
            number: 18,
            middle: "instance/list",
            go: |_| Some(json!({"page": 0, "pageSize": 0, "startTime": "", "endTime": ""})),
            after: nothing,
        },
        Row {
            number: 11,
            middle: "instance/renew",
            go: |s| {
                Some(json!({"appOrderNo": "GO-RENEW-1", "instances": [
                    {"instanceNo": s.var("i1"), "duration": 0, "cycleTimes": 2},
                    {"instanceNo": s.var("i2"), "duration": 3, "cycleTimes": 0},
                ]}))
            },
            after: nothing,
        },
        Row {
            number: 14,
            middle: "instance/reset/password",
            go: |s| Some(json!({"instanceNoList": [s.var("i1")], "resetNo": "GO_RESET_1"})),
            after: nothing,
        },
        Row {
            number: 21,
            middle: "proxy/user",
            go: |_| {
                Some(
                    json!({"appUsername": "shop_sub1", "password": "", "limitFlow": 500,
                    "mainUsername": "", "appMainUsername": "shop_main", "remark": "",
                    "status": 1}),
                )
            },
            after: nothing,
        },
        Row {
            number: 23,
            middle: "proxy/user/flow/limit",
            go: |_| {
                Some(json!({"productNo": FLOW, "appUsername": "shop_sub1",
                    "limitFlow": 104_857_600, "remark": ""}))
            },
            after: nothing,
        },
        Row {
            number: 22,
            middle: "proxy/user/info",
            go: |_| Some(json!({"productNo": FLOW, "appUsername": "shop_sub1"})),
            after: nothing,
        },
        Row {
            number: 24,
            middle: "proxy/info",
            go: |_| {
                Some(
                    json!({"username": "", "appUsername": "shop_main", "proxyType": 104,
                    "productNo": FLOW}),
                )
            },
            after: nothing,
        },
        Row {
            number: 25,
            middle: "proxy/draw/pwd",
            go: |_| {
                Some(
                    json!({"appUsername": "shop_sub1", "addressCode": "", "sessTime": "",
                    "num": 0, "proxyType": 0, "maxFlowLimit": 0, "productNo": FLOW}),
                )
            },
            after: nothing,
        },
        Row {
            number: 26,
            middle: "proxy/draw/api",
            go: |_| {
                Some(
                    json!({"appUsername": "shop_main", "proxyType": 104, "num": 0,
                    "addressCode": "", "protocol": "", "returnType": "", "delimiter": 0,
                    "maxFlowLimit": 0, "productNo": FLOW}),
                )
            },
            after: nothing,
        },
        Row {
            number: 27,
            middle: "proxy/flow/use/log",
            go: |_| {
                Some(
                    json!({"appUsername": "shop_main", "startTime": "", "endTime": "",
                    "productNo": FLOW, "page": 0, "pageSize": 0}),
                )
            },
            after: nothing,
        },
        Row {
            number: 28,
            middle: "proxy/addIpWhiteList",
            go: |_| {
                Some(json!({"appUsername": "shop_main", "ip": "203.0.113.5",
                    "proxyType": 104, "productNo": FLOW}))
            },
            after: nothing,
        },
        Row {
            number: 29,
            middle: "proxy/delIpWhiteList",
            go: |_| {
                Some(json!({"appUsername": "shop_main", "ip": "203.0.113.5",
                    "proxyType": 0, "productNo": FLOW}))
            },
            after: nothing,
        },
        Row {
            number: 30,
            middle: "proxy/return",
            go: |_| {
                Some(
                    json!({"appUsername": "shop_main", "proxyType": 104, "ipNum": 0,
                    "productNo": FLOW, "flowNum": 250, "remark": ""}),
                )
            },
            after: nothing,
        },
        Row {
            number: 12,
            middle: "instance/release",
            go: |s| Some(json!({"orderNo": "GO-RELEASE-1", "instances": [s.var("i2")]})),
            after: nothing,
        },
        Row {
            number: 13,
            middle: "instance/aftersale",
            go: |s| {
                Some(
                    json!({"orderNo": "GO-AFTERSALE-1", "instances": [s.var("i3")],
                    "remark": "", "reason": "", "dingTalkUserList": null}),
                )
            },
            after: nothing,
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_style_requests_are_answered_as_without_the_zero_values() {
    let rows = rows();
    // One row per endpoint, all 30 present, each path one of the table's.
    let numbers: BTreeSet<u8> = rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, (1..=30).collect::<BTreeSet<u8>>());
    assert_eq!(rows.len(), 30);
    for row in &rows {
        let info = ipv_api::endpoint::by_path(&ipv_api::endpoint::path_for(row.middle))
            .unwrap_or_else(|| panic!("{} is not an endpoint", row.middle));
        assert_eq!(info.number, row.number, "{}", row.middle);
    }

    let shapes = shapes();
    let mut go = Side::new().await;
    let mut plain = Side::new().await;
    let mut zero_keys_sent = 0usize;
    let mut mismatches = Vec::new();
    for row in &rows {
        let go_request = (row.go)(&go);
        let plain_request = (row.go)(&plain).map(|v| without_zero_values(&v));
        if let (Some(g), Some(p)) = (&go_request, &plain_request)
            && g != p
        {
            zero_keys_sent += 1;
        }
        let go_answer = go.call(row.middle, go_request.as_ref());
        let plain_answer = plain.call(row.middle, plain_request.as_ref());
        assert_eq!(
            go_answer.code, 200,
            "{} {}: the Go-style request is refused: {}",
            row.number, row.middle, go_answer.msg
        );
        assert_eq!(
            plain_answer.code, 200,
            "{} {}: {}",
            row.number, row.middle, plain_answer.msg
        );
        assert_eq!(
            timeless(&go_answer.data),
            timeless(&plain_answer.data),
            "{} {}: the Go-style answer differs",
            row.number,
            row.middle
        );
        assert_eq!(go_answer.msg, plain_answer.msg, "{}", row.middle);
        // The answer has the keys and JSON types the document and the Go SDK read.
        let shape = &shapes["answers"][row.middle];
        assert!(!shape.is_null(), "no shape for {}", row.middle);
        shape_mismatches(
            shape,
            &go_answer.data,
            &shapes["defs"],
            row.middle,
            &mut mismatches,
        );
        (row.after)(&mut go, &go_answer);
        (row.after)(&mut plain, &plain_answer);
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // The Go-style form really differed from the plain one for most endpoints (those
    // with optional fields).
    assert!(zero_keys_sent >= 20, "{zero_keys_sent}");
    for side in [go, plain] {
        side.emu
            .control()
            .check_invariants()
            .expect("invariants hold");
        side.emu.shutdown().await;
    }
}

/// A side with a main account holding 1000 MB of flow, and one static instance of
/// `STATIC_LAX` (4.50 a month) opened the Go way: `count: 0` and `cycleTimes: 0`, the
/// documented default of one instance for one cycle.
async fn side_with_purchases() -> (Side, String) {
    let mut side = Side::new().await;
    let user = side.call(
        "user",
        Some(
            &json!({"appUsername": "shop_main", "password": "", "phone": "13800000000",
            "email": "owner@example.com", "authType": 1, "authName": "", "no": "ID-1",
            "vsp": 0, "status": 1}),
        ),
    );
    assert_eq!(user.code, 200, "{}", user.msg);
    let open = side.call(
        "instance/open",
        Some(&json!({"appOrderNo": "ZERO-OPEN-1", "params": [
            {"productNo": STATIC_LAX, "proxyType": 0, "countryCode": "", "cityCode": "",
             "supplierCode": "", "unit": 0, "ispType": 0, "duration": 0, "count": 0,
             "cycleTimes": 0, "renew": false, "extBandWidth": 0, "appUsername": "",
             "flow": 0, "useBridge": 0, "projectId": "", "cidrBlocks": null},
            {"productNo": FLOW, "count": 0, "cycleTimes": 0, "appUsername": "shop_main",
             "flow": 1000},
        ]})),
    );
    assert_eq!(
        open.code, 200,
        "static count 0 is the default 1: {}",
        open.msg
    );
    // 4.50 (one instance, one month) + 1000 MB at 0.0040.
    assert_eq!(open.data["amount"], json!("8.50"));
    let order_no = open.data["orderNo"].as_str().expect("orderNo").to_owned();
    let order = side.call("order", Some(&json!({"orderNo": order_no})));
    assert_eq!(order.code, 200, "{}", order.msg);
    let instance = order.data["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .find(|i| i["productNo"] == json!(STATIC_LAX))
        .expect("the static instance");
    let no = instance["instanceNo"].as_str().expect("no").to_owned();
    (side, no)
}

#[tokio::test]
async fn zero_means_not_given_where_the_document_gives_a_default() {
    let (mut side, instance) = side_with_purchases().await;

    // Renew: cycleTimes 0 falls back to the old duration; with neither, one cycle.
    let renew = side.call(
        "instance/renew",
        Some(&json!({"appOrderNo": "ZERO-RENEW-1", "instances": [
            {"instanceNo": instance, "duration": 3, "cycleTimes": 0}]})),
    );
    assert_eq!(renew.code, 200, "{}", renew.msg);
    assert_eq!(renew.data["amount"], json!("13.50"), "3 cycles of 4.50");
    let renew = side.call(
        "instance/renew",
        Some(&json!({"appOrderNo": "ZERO-RENEW-2", "instances": [
            {"instanceNo": instance, "duration": 0, "cycleTimes": 0}]})),
    );
    assert_eq!(renew.code, 200, "{}", renew.msg);
    assert_eq!(renew.data["amount"], json!("4.50"), "the default: 1 cycle");
    // Renew's appOrderNo has no length limit in the document.
    let long = "R".repeat(40);
    let renew = side.call(
        "instance/renew",
        Some(&json!({"appOrderNo": long, "instances": [{"instanceNo": instance}]})),
    );
    assert_eq!(renew.code, 200, "{}", renew.msg);
    // A purchase's appOrderNo is string(32).
    let open = side.call(
        "instance/open",
        Some(&json!({"appOrderNo": "O".repeat(33), "params": [{"productNo": STATIC_LAX}]})),
    );
    assert_eq!(open.code, 10004, "{}", open.msg);

    // Buying by filters with Go's zero values finds what the filters alone find.
    let by_filters = side.call(
        "instance/open",
        Some(&json!({"appOrderNo": "ZERO-FILTER-1", "params": [
            {"productNo": "", "proxyType": 101, "countryCode": "USA", "cityCode": "",
             "supplierCode": "", "unit": 0, "ispType": 0, "duration": 0, "count": 1,
             "cycleTimes": 1, "renew": false, "extBandWidth": 0, "appUsername": "",
             "flow": 0, "useBridge": 0, "projectId": "", "cidrBlocks": null}]})),
    );
    assert_eq!(by_filters.code, 200, "{}", by_filters.msg);
    // useBridge is 1 or 2 (0: not given, follow the app); anything else is refused.
    for (i, (bridge, code)) in [(0, 200), (1, 200), (7, 10004), (-1, 10004)]
        .into_iter()
        .enumerate()
    {
        let open = side.call(
            "instance/open/assign/ip",
            Some(&json!({"appOrderNo": format!("ZERO-BRIDGE-{bridge}"),
                "productNo": STATIC_NYC, "cycleTimes": 1, "useBridge": bridge,
                "assignIp": format!("198.18.33.{}", 10 + i)})),
        );
        assert_eq!(open.code, code, "useBridge {bridge}: {}", open.msg);
    }

    // proxy/draw/api: delimiter 0 is the default 1.
    let draw = side.call(
        "proxy/draw/api",
        Some(
            &json!({"appUsername": "shop_main", "proxyType": 104, "num": 0,
            "addressCode": "", "protocol": "", "returnType": "", "delimiter": 0,
            "maxFlowLimit": 0, "productNo": FLOW}),
        ),
    );
    assert_eq!(draw.code, 200, "{}", draw.msg);
    let url = draw.data["list"][0]["proxyUrl"].as_str().expect("proxyUrl");
    assert!(url.contains("delimiter=1"), "{url}");
    assert!(
        url.contains("protocol=socks5") && url.contains("type=txt"),
        "{url}"
    );
    let draw = side.call(
        "proxy/draw/api",
        Some(
            &json!({"appUsername": "shop_main", "proxyType": 104, "delimiter": 6,
            "productNo": FLOW}),
        ),
    );
    assert_eq!(draw.code, 10004, "delimiter is 1..5: {}", draw.msg);
    side.emu.shutdown().await;
}

#[tokio::test]
async fn answers_in_the_shape_the_document_and_the_go_sdk_read() {
    let (mut side, instance) = side_with_purchases().await;

    // canBuyStatus is a JSON bool.
    let info = side.call("assign/ip/info", Some(&json!({"ip": "198.18.33.90"})));
    assert_eq!(info.code, 200, "{}", info.msg);
    assert_eq!(info.data["canBuyStatus"], json!(true));

    // A code-only answer carries no data: "" rather than a sealed null.
    side.call(
        "proxy/user",
        Some(&json!({"appUsername": "shop_sub1", "limitFlow": 500,
            "appMainUsername": "shop_main", "status": 1})),
    );
    let limit = side.call(
        "proxy/user/flow/limit",
        Some(&json!({"productNo": FLOW, "appUsername": "shop_sub1", "limitFlow": 1024})),
    );
    assert_eq!(limit.code, 200, "{}", limit.msg);
    assert_eq!(limit.raw_data, "");
    assert_eq!(limit.data, Value::Null);

    // Money keeps two decimals in every answer, though a per-MB price has four.
    let app = side.call("info", None);
    assert_eq!(app.data["coin"], json!("9991.50"));
    let list = side.call("order/list", Some(&json!({})));
    assert_eq!(list.data["list"][0]["amount"], json!("8.50"));

    // order/list: instanceNo is empty for a purchase, the instance for a renewal.
    let renew = side.call(
        "instance/renew",
        Some(&json!({"appOrderNo": "SHAPE-RENEW-1", "instances": [
            {"instanceNo": instance, "cycleTimes": 1}]})),
    );
    assert_eq!(renew.code, 200, "{}", renew.msg);
    let list = side.call("order/list", Some(&json!({})));
    let items = list.data["list"].as_array().expect("list");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["type"], json!(2));
    assert_eq!(items[0]["instanceNo"], json!(instance));
    assert_eq!(items[1]["type"], json!(1));
    assert_eq!(items[1]["instanceNo"], json!(""));
    assert_eq!(items[0]["amount"], json!("4.50"));
    side.emu.shutdown().await;
}

#[tokio::test]
async fn time_filters_are_china_time_and_a_date_alone_is_midnight() {
    // The emulator starts at 2025-01-31 10:00 UTC, which is 18:00 in China: the orders
    // below are placed a moment after that.
    let (mut side, _) = side_with_purchases().await;
    let total = |side: &mut Side, middle: &str, filter: Value| {
        let mut params = filter;
        if middle == "proxy/flow/use/log" {
            params["appUsername"] = json!("shop_main");
            params["productNo"] = json!(FLOW);
        }
        let answer = side.call(middle, Some(&params));
        assert_eq!(answer.code, 200, "{middle} {params}: {}", answer.msg);
        answer.data["total"].as_i64().expect("total")
    };
    side.emu
        .control()
        .record_usage(DEFAULT_APP_KEY, "shop_main", FLOW, 10)
        .expect("usage");
    for middle in ["order/list", "instance/list", "proxy/flow/use/log"] {
        let all = total(&mut side, middle, json!({}));
        assert!(all >= 1, "{middle}");
        // Read as China time, 17:59:59 is before the start; read as UTC it is after.
        let cases = [
            (json!({"startTime": "2025-01-31 18:00:00"}), all),
            (json!({"endTime": "2025-01-31 17:59:59"}), 0),
            (
                json!({"startTime": "2025-01-31 17:00:00", "endTime": "2025-01-31 19:00:00"}),
                all,
            ),
            // A date alone is midnight, China time.
            (json!({"startTime": "2025-01-31"}), all),
            (json!({"startTime": "2025-02-01"}), 0),
            (json!({"endTime": "2025-01-31"}), 0),
            (json!({"endTime": "2025-02-01"}), all),
            // Go's zero values: no filter.
            (json!({"startTime": "", "endTime": ""}), all),
        ];
        for (filter, want) in cases {
            assert_eq!(
                total(&mut side, middle, filter.clone()),
                want,
                "{middle} {filter}"
            );
        }
        let bad = side.call(
            middle,
            Some(&json!({"startTime": "2025-01", "appUsername": "shop_main", "productNo": FLOW})),
        );
        assert_eq!(bad.code, 10004, "{middle}: {}", bad.msg);
    }
    side.emu.shutdown().await;
}

/// Every numeric field of every Go-style request, at and near the i64/u64 limits: each
/// is answered with a documented code, never a panic or a system error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_request_fields_at_their_limits_are_answered_with_documented_codes() {
    const DOCUMENTED: &[i64] = &[
        200, 10002, 10003, 10004, 10011, 10021, 10022, 10031, 10041, 10051, 10052, 10061, 10062,
        10071, 10072, 10081, 10091, 10092, 10093,
    ];
    let extremes: Vec<Value> = vec![
        json!(i64::MAX),
        json!(i64::MAX - 1),
        json!(i64::MIN),
        json!(i64::MIN + 1),
        json!(u64::MAX),
        json!(u64::MAX - 1),
        json!(1_i64 << 62),
        json!(-(1_i64 << 62)),
        json!(u32::MAX),
        json!(u64::from(u32::MAX) + 1),
        json!(-1),
        json!(1e300),
    ];

    /// The JSON pointers of every number in `v`.
    fn numbers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Number(_) => out.push(at),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    numbers(item, format!("{at}/{i}"), out);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    numbers(item, format!("{at}/{k}"), out);
                }
            }
            _ => {}
        }
    }

    let mut side = Side::new().await;
    let mut probed = 0usize;
    let mut fields = BTreeSet::new();
    for row in rows() {
        let request = (row.go)(&side);
        if let Some(request) = &request {
            let mut pointers = Vec::new();
            numbers(request, String::new(), &mut pointers);
            for pointer in pointers {
                fields.insert(format!("{} {pointer}", row.middle));
                for extreme in &extremes {
                    let mut probe = request.clone();
                    *probe.pointer_mut(&pointer).expect("pointer") = extreme.clone();
                    // Each probe asks for an address of its own, so one that succeeds
                    // leaves the row's address free.
                    if probe.get("assignIp").is_some() {
                        probe["assignIp"] = json!(format!("198.18.33.{}", 100 + probed % 100));
                    }
                    // Purchases must not be answered from the appOrderNo cache.
                    for key in ["appOrderNo", "orderNo", "resetNo"] {
                        if probe.get(key).is_some() && row.middle != "order" {
                            probe[key] = json!(format!("PROBE{probed}"));
                        }
                    }
                    let answer = side.call(row.middle, Some(&probe));
                    assert!(
                        DOCUMENTED.contains(&answer.code),
                        "{} {pointer} = {extreme}: code {} ({})",
                        row.middle,
                        answer.code,
                        answer.msg
                    );
                    probed += 1;
                }
            }
        }
        // Then the row itself, so the next rows find what they need.
        let answer = side.call(row.middle, request.as_ref());
        assert_eq!(answer.code, 200, "{}: {}", row.middle, answer.msg);
        (row.after)(&mut side, &answer);
    }
    // Numeric fields the rows leave null or send as text: CIDR block counts (with the Go
    // SDK's projectList), sessTime as a number.
    let extra = [
        (
            "instance/open",
            json!({"appOrderNo": "EXTRA-1", "params": [{"productNo": STATIC_NYC, "count": 1,
                "cycleTimes": 1, "cidrBlocks": [{"cidr": "198.18.32.0/24", "count": 1,
                "projectList": [{"code": "tiktok", "inventory": 1}]}]}]}),
        ),
        (
            "proxy/draw/pwd",
            json!({"appUsername": "shop_sub1", "sessTime": 5, "productNo": FLOW}),
        ),
    ];
    for (middle, request) in extra {
        let mut pointers = Vec::new();
        numbers(&request, String::new(), &mut pointers);
        for pointer in pointers {
            fields.insert(format!("{middle} {pointer}"));
            for extreme in &extremes {
                let mut probe = request.clone();
                *probe.pointer_mut(&pointer).expect("pointer") = extreme.clone();
                if probe.get("appOrderNo").is_some() {
                    probe["appOrderNo"] = json!(format!("PROBE{probed}"));
                }
                let answer = side.call(middle, Some(&probe));
                assert!(
                    DOCUMENTED.contains(&answer.code),
                    "{middle} {pointer} = {extreme}: code {} ({})",
                    answer.code,
                    answer.msg
                );
                probed += 1;
            }
        }
    }
    assert!(fields.len() >= 40, "{} numeric fields", fields.len());
    assert!(probed >= 400, "{probed}");
    side.emu
        .control()
        .check_invariants()
        .expect("invariants hold");
    side.emu.shutdown().await;
}
