//! The vendor's document as an oracle: every JSON example in it (requests and responses,
//! copied verbatim into `tests/data/document/`) decodes into the matching type, with the
//! values the example shows.

use std::path::PathBuf;

use ipv_types::{
    ApiCode, AssignedIpInfoRequest, CallbackAck, OpenAssignedIpRequest, OpenInstancesRequest,
    ProductArea, ProductsRequest, ProxyType, RequestEnvelope, ResponseEnvelope,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/document")
}

fn example<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let text = std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} does not decode: {e}"))
}

/// Every example of the document, and nothing else, is in the data directory (plus the
/// answer shapes the emulator's tests check against).
#[test]
fn every_example_is_there() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("data dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "assign-ip-info.request.json",
            "callback-ack.json",
            "instance-open-assign-ip.request.json",
            "instance-open.request.json",
            "product-area.response.json",
            "product-query.request.json",
            "request-envelope.json",
            "response-envelope.json",
            "response-shapes.json",
        ]
    );
}

#[test]
fn envelopes() {
    let req: RequestEnvelope = example("request-envelope.json");
    assert_eq!(req.version, "2.0");
    assert_eq!(req.encrypt, "aes");
    assert_eq!(req.app_key, "testappid");
    assert_eq!(req.req_id, "xxxxxx");
    assert_eq!(req.params, "5cfJMwX0w65sEQVBxu9zHw==");
    let resp: ResponseEnvelope = example("response-envelope.json");
    assert_eq!(resp.code, ApiCode::Ok);
    assert_eq!(resp.msg, "ok");
    assert_eq!(resp.data, "5cfJMwX0w65sEQVBxu9zHw==");
}

#[test]
fn requests() {
    let products: ProductsRequest = example("product-query.request.json");
    assert_eq!(products.proxy_type, [ProxyType::StaticResidentialAbroad]);
    assert_eq!(products.product_no.as_deref(), Some("productNo"));

    let open: OpenInstancesRequest = example("instance-open.request.json");
    assert_eq!(open.app_order_no, "TEST20240726094927");
    assert_eq!(open.params.len(), 2);
    assert_eq!(open.params[0].product_no.as_deref(), Some("ipideash_598"));
    assert_eq!((open.params[0].count, open.params[0].cycle_times), (20, 1));
    assert_eq!(open.params[1].product_no.as_deref(), Some("mb_gmhd5exp2"));
    assert_eq!((open.params[1].count, open.params[1].cycle_times), (20, 12));

    let assign: OpenAssignedIpRequest = example("instance-open-assign-ip.request.json");
    assert_eq!(assign.app_order_no, "TEST20240726094927");
    assert_eq!(assign.product_no, "ipideash_598");
    assert_eq!(assign.assign_ip, "127.0.0.1");
    assert_eq!(assign.cycle_times, 1);

    let info: AssignedIpInfoRequest = example("assign-ip-info.request.json");
    assert_eq!(info.ip, "127.0.0.1");
}

#[test]
fn responses() {
    let areas: Vec<ProductArea> = example("product-area.response.json");
    assert_eq!(areas.len(), 4);
    let countries: Vec<&str> = areas.iter().map(|a| a.country_code.as_str()).collect();
    assert_eq!(countries, ["USA", "FRA", "GBR", "JPN"]);
    assert!(areas.iter().all(|a| a.product_no == "out_dynamic_1"
        && a.proxy_type == ProxyType::DynamicAbroad
        && a.supplier_code == "xxx"
        && a.state_code.is_empty()));
    assert_eq!(areas[0].area_code, "6");
    assert_eq!(areas[3].region, "jp");

    let ack: CallbackAck = example("callback-ack.json");
    assert_eq!((ack.code.as_str(), ack.msg.as_str()), ("", ""));
}

/// The answer shapes the emulator is checked against name all 30 endpoints.
#[test]
fn answer_shapes_cover_the_thirty_endpoints() {
    let shapes: serde_json::Value = example("response-shapes.json");
    let answers = shapes["answers"].as_object().expect("answers");
    assert_eq!(answers.len(), 30);
}
