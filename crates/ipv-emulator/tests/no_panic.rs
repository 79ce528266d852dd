//! No input panics: valid requests for all 30 endpoints, with every field replaced in
//! turn by hostile values (wrong types, extremes, huge strings), are all answered with
//! an API code; the connection never breaks and the books stay balanced.

mod common;

use ipv_api::Error;
use serde_json::{Value, json};

use common::{client, config, start};

fn templates() -> Vec<(&'static str, Value)> {
    vec![
        ("info", Value::Null),
        ("area", json!({"codes": ["USA"]})),
        ("city/list", json!({"codes": ["USA"]})),
        (
            "product/query",
            json!({"proxyType": [103], "countryCode": "USA", "unit": 3, "duration": 1}),
        ),
        ("product/info", json!({"productNo": "ipv_res_us_nyc_m"})),
        (
            "product/area",
            json!({"productNo": "ipv_dyn_global_flow", "proxyType": 104}),
        ),
        ("project/list", json!({"codes": ["amazon"]})),
        (
            "instance/open",
            json!({"appOrderNo": "NP-1", "params": [{"productNo": "ipv_res_us_nyc_m", "count": 1, "cycleTimes": 1, "extBandWidth": 1, "useBridge": 2, "cidrBlocks": [{"cidr": "198.18.32.0/24", "count": 1}]}]}),
        ),
        (
            "instance/open/assign/ip",
            json!({"appOrderNo": "NP-2", "productNo": "ipv_res_us_nyc_m", "cycleTimes": 1, "assignIp": "198.18.32.9"}),
        ),
        ("assign/ip/info", json!({"ip": "198.18.32.9"})),
        (
            "instance/renew",
            json!({"appOrderNo": "NP-3", "instances": [{"instanceNo": "c_emu000000001", "cycleTimes": 1}]}),
        ),
        (
            "instance/release",
            json!({"orderNo": "NP-4", "instances": ["c_emu000000001"]}),
        ),
        (
            "instance/aftersale",
            json!({"orderNo": "NP-5", "instances": ["c_emu000000001"], "remark": "r", "reason": "r", "dingTalkUserList": [{"uid": "1", "phone": "2"}]}),
        ),
        (
            "instance/reset/password",
            json!({"instanceNoList": ["c_emu000000001"], "resetNo": "NP_6"}),
        ),
        ("order", json!({"orderNo": "C1", "page": 1, "pageSize": 10})),
        (
            "order/list",
            json!({"page": 1, "pageSize": 10, "startTime": "2025-01-01 00:00:00", "endTime": "2030-01-01 00:00:00"}),
        ),
        ("instance", json!({"instances": ["c_emu000000001"]})),
        ("instance/list", json!({"page": 1, "pageSize": 10})),
        (
            "user",
            json!({"appUsername": "np_main", "phone": "1", "email": "a@b.c", "authType": 1, "no": "1", "status": 1}),
        ),
        ("userAuth", json!({"appUsername": "np_main", "authType": 2})),
        (
            "proxy/user",
            json!({"appUsername": "np_sub", "limitFlow": 10, "appMainUsername": "np_main", "status": 1}),
        ),
        (
            "proxy/user/info",
            json!({"productNo": "ipv_dyn_global_flow", "appUsername": "np_sub"}),
        ),
        (
            "proxy/user/flow/limit",
            json!({"productNo": "ipv_dyn_global_flow", "appUsername": "np_sub", "limitFlow": 1}),
        ),
        (
            "proxy/info",
            json!({"appUsername": "np_main", "proxyType": 104, "productNo": "ipv_dyn_global_flow"}),
        ),
        (
            "proxy/draw/pwd",
            json!({"appUsername": "np_sub", "productNo": "ipv_dyn_global_flow", "sessTime": "5", "num": 2, "addressCode": "USA"}),
        ),
        (
            "proxy/draw/api",
            json!({"appUsername": "np_main", "proxyType": 104, "productNo": "ipv_dyn_global_flow", "num": 2, "protocol": "http", "returnType": "txt", "delimiter": 1}),
        ),
        (
            "proxy/flow/use/log",
            json!({"appUsername": "np_main", "productNo": "ipv_dyn_global_flow", "page": 1, "pageSize": 10}),
        ),
        (
            "proxy/addIpWhiteList",
            json!({"appUsername": "np_main", "ip": "203.0.113.1", "proxyType": 104, "productNo": "ipv_dyn_global_flow"}),
        ),
        (
            "proxy/delIpWhiteList",
            json!({"appUsername": "np_main", "ip": "203.0.113.1", "proxyType": 104, "productNo": "ipv_dyn_global_flow"}),
        ),
        (
            "proxy/return",
            json!({"appUsername": "np_main", "proxyType": 104, "productNo": "ipv_dyn_global_flow", "flowNum": 1}),
        ),
    ]
}

fn hostile() -> Vec<Value> {
    vec![
        Value::Null,
        json!(-1),
        json!(0),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e300),
        json!(""),
        json!("x".repeat(5000)),
        json!("💥\u{0}\"'"),
        json!("-99999999999999999999999999999"),
        json!([]),
        json!([null, 1, "a"]),
        json!({}),
        json!(true),
    ]
}

/// Every variant of `template`: each field (top level, and the first element's fields
/// of arrays of objects) replaced by each hostile value.
fn variants(template: &Value) -> Vec<Value> {
    let mut out = vec![Value::Null, json!([1, 2]), json!("string")];
    let Some(object) = template.as_object() else {
        return out;
    };
    for (field, value) in object {
        for bad in hostile() {
            let mut v = template.clone();
            v[field] = bad;
            out.push(v);
        }
        if let Some(inner) = value
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_object)
        {
            for inner_field in inner.keys() {
                for bad in hostile() {
                    let mut v = template.clone();
                    v[field][0][inner_field] = bad;
                    out.push(v);
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_parameters_never_break_the_server() {
    let emu = start(config()).await;
    let api = client(&emu);
    let mut answered = 0usize;
    let mut refused = 0usize;
    for (path, template) in templates() {
        for params in variants(&template) {
            match api.send_raw(path, &params).await {
                Ok(_) => answered += 1,
                Err(Error::Api(_)) => refused += 1,
                Err(other) => panic!("{path} with {params}: not an API answer: {other}"),
            }
        }
    }
    println!("hostile inputs: {answered} answered, {refused} refused with a code");
    assert!(refused > 1000);
    assert!(answered > 0);
    // Still healthy.
    assert!(api.app_info().await.is_ok());
    emu.control().check_invariants().expect("invariants");
    emu.shutdown().await;
}
