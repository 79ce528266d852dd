//! The six endpoints whose whole answer is a list (`area`, `city/list`, `product/query`,
//! `product/area`, `project/list`, `instance`) read `null` as an empty list: a Go server
//! sends `null` for an empty slice. An empty `data` reads the same way; an object
//! answer's `null` is still an error.

mod common;

use common::{answering, client_over, code_body};
use ipv_api::codec;
use ipv_transport::test_util::{CaptureTransport, json_response};
use ipv_types::{
    ApiCode, AreasRequest, CitiesRequest, InstancesRequest, ProductAreasRequest, ProductRequest,
    ProductsRequest, ProjectsRequest, ProxyType,
};
use serde_json::Value;

#[tokio::test]
async fn whole_list_answers_read_null_as_empty() {
    let (api, capture) = answering(Value::Null);
    assert!(
        api.areas(&AreasRequest::all())
            .await
            .expect("area")
            .is_empty()
    );
    assert!(
        api.cities(&CitiesRequest::all())
            .await
            .expect("city/list")
            .is_empty()
    );
    assert!(
        api.products(&ProductsRequest::of_types([ProxyType::StaticCloud]))
            .await
            .expect("product/query")
            .is_empty()
    );
    assert!(
        api.product_areas(&ProductAreasRequest::new("d", ProxyType::DynamicAbroad))
            .await
            .expect("product/area")
            .is_empty()
    );
    assert!(
        api.projects(&ProjectsRequest::all())
            .await
            .expect("project/list")
            .is_empty()
    );
    assert!(
        api.instances(&InstancesRequest::new(["i1"]))
            .await
            .expect("instance")
            .is_empty()
    );
    assert_eq!(capture.requests().len(), 6);
    // An object answer is not a list: `null` there is still a decoding error.
    assert!(api.product(&ProductRequest::new("p")).await.is_err());
}

#[tokio::test]
async fn whole_list_answers_read_empty_data_as_empty() {
    let capture = CaptureTransport::with_responder(|request| {
        let envelope = codec::parse_request_envelope(request.body()).unwrap();
        json_response(
            http::StatusCode::OK,
            code_body(&envelope.req_id, ApiCode::Ok, "ok"),
        )
    });
    let api = client_over(capture);
    assert!(
        api.areas(&AreasRequest::all())
            .await
            .expect("area")
            .is_empty()
    );
    assert!(
        api.projects(&ProjectsRequest::all())
            .await
            .expect("project/list")
            .is_empty()
    );
}
