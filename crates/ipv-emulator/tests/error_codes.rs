//! Every documented error code the emulator can produce, provoked through the client.

mod common;

use ipv_api::{Error, RetryPolicy};
use ipv_emulator::{DEFAULT_APP_KEY, FaultConfig};
use ipv_types::*;
use serde_json::json;

use common::{client, client_for, config, second_app, start};

fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> (ApiCode, String) {
    match result {
        Err(Error::Api(e)) => (e.code, e.msg.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_documented_error_code() {
    let emu =
        start(config().with_apps(vec![ipv_emulator::AppConfig::default_app(), second_app()])).await;
    let api = client(&emu);
    let poor = client_for(
        &emu,
        &second_app().app_key,
        &second_app().secret,
        RetryPolicy::none(),
    );
    let control = emu.control();

    // 10001: the wrong secret for a known appKey (on an endpoint with params: `info`
    // has none, so there is nothing for the server to fail to decrypt).
    let wrong = client_for(
        &emu,
        DEFAULT_APP_KEY,
        "ffffffffffffffff",
        RetryPolicy::none(),
    );
    assert_eq!(
        code(
            wrong
                .product(&ProductRequest::new("ipv_res_us_nyc_m"))
                .await
        )
        .0,
        ApiCode::DecryptFailed
    );

    // 10002: the second app has 5.00.
    let (c, msg) = code(
        poor.open_instances(&OpenInstancesRequest::new(
            "POOR-1",
            vec![OpenParam::by_product("ipv_res_us_nyc_m", 1, 1)],
        ))
        .await,
    );
    assert_eq!(c, ApiCode::InsufficientBalance, "{msg}");

    // 10003: more than the stock of a small product.
    control.set_stock("ipv_dc_gb_lon_u", 1).expect("stock");
    let (c, msg) = code(
        api.open_instances(&OpenInstancesRequest::new(
            "STOCK-1",
            vec![OpenParam::by_product("ipv_dc_gb_lon_u", 2, 1)],
        ))
        .await,
    );
    assert_eq!(c, ApiCode::OutOfStock, "{msg}");

    // 10004: a parameter out of range (sent raw: the client would refuse it), named.
    let err = api
        .send_raw(
            "instance/open",
            &json!({"appOrderNo": "BAD-1", "params": [{"productNo": "ipv_res_us_nyc_m", "count": 21}]}),
        )
        .await
        .expect_err("count 21");
    assert_eq!(err.api_code(), Some(ApiCode::InvalidParams));
    assert!(err.to_string().contains("params[0].count"), "{err}");
    let err = api
        .send_raw("product/info", &json!({"productNo": 7}))
        .await
        .expect_err("wrong type");
    assert_eq!(err.api_code(), Some(ApiCode::InvalidParams));
    assert!(err.to_string().contains("productNo"), "{err}");

    // Something to renew and release.
    let receipt = api
        .open_instances(&OpenInstancesRequest::new(
            "OPEN-1",
            vec![OpenParam::by_product("ipv_res_us_dfw_w", 1, 1)],
        ))
        .await
        .expect("open");
    let order = api
        .order(&OrderRequest::new(&receipt.order_no))
        .await
        .expect("order");
    let instance = order.instances[0].instance_no.clone();

    // 10011
    let (c, _) = code(
        api.renew_instances(&RenewInstancesRequest::new(
            "RENEW-X",
            vec![RenewItem::new("c_nope", 1)],
        ))
        .await,
    );
    assert_eq!(c, ApiCode::RenewInstanceNotFound);
    // 10021
    let (c, _) = code(
        api.release_instances(&ReleaseInstancesRequest::new("REL-X", ["c_nope"]))
            .await,
    );
    assert_eq!(c, ApiCode::ReleaseInstanceNotFound);
    // 10022: a day and a second later the 24 h window has closed.
    control.advance_clock(86_401).expect("advance");
    let (c, msg) = code(
        api.release_instances(&ReleaseInstancesRequest::new("REL-LATE", [&instance]))
            .await,
    );
    assert_eq!(c, ApiCode::ReleaseWindowClosed, "{msg}");
    // 10031
    let (c, _) = code(api.order(&OrderRequest::new("C0000")).await);
    assert_eq!(c, ApiCode::OrderNotFound);
    // 10041
    let (c, _) = code(api.instances(&InstancesRequest::new(["c_nope"])).await);
    assert_eq!(c, ApiCode::InstanceNotFound);

    // Accounts.
    let user = |name: &str| {
        UpsertUserRequest::default()
            .with_app_username(name)
            .with_phone("13800000000")
            .with_email("a@example.com")
            .with_auth_type(AuthType::None)
            .with_no("1")
            .with_status(AccountStatus::Normal)
    };
    api.upsert_user(&user("main_a")).await.expect("main_a");
    api.upsert_user(&{
        let mut upsert_user_request = user("main_off");
        upsert_user_request.status = AccountStatus::Disabled;
        upsert_user_request
    })
    .await
    .expect("main_off");
    let sub = |name: &str, main: &str| {
        UpsertProxyUserRequest::default()
            .with_app_username(name)
            .with_limit_flow(-1)
            .with_app_main_username(main)
            .with_status(AccountStatus::Normal)
    };
    api.upsert_proxy_user(&sub("sub_a", "main_a"))
        .await
        .expect("sub_a");
    // 10051: a main account named like an existing proxy user.
    assert_eq!(
        code(api.upsert_user(&user("sub_a")).await).0,
        ApiCode::UserExists
    );
    // 10052
    let (c, _) = code(
        api.sync_user_auth(&SyncUserAuthRequest::for_app_user(
            "ghost",
            AuthType::Person,
        ))
        .await,
    );
    assert_eq!(c, ApiCode::UserNotFound);
    // 10061: main account missing; and disabled.
    assert_eq!(
        code(api.upsert_proxy_user(&sub("sub_b", "ghost")).await).0,
        ApiCode::ProxyUserConflict
    );
    assert_eq!(
        code(api.upsert_proxy_user(&sub("sub_c", "main_off")).await).0,
        ApiCode::ProxyUserConflict
    );
    // 10062
    assert_eq!(
        code(
            api.proxy_user(&ProxyUserRequest::new("ipv_dyn_global_flow", "ghost"))
                .await
        )
        .0,
        ApiCode::ProxyUserNotFound
    );
    // 10071: dynamic flow for a disabled main account.
    let (c, _) = code(
        api.open_instances(&OpenInstancesRequest::new(
            "FLOW-OFF",
            vec![OpenParam::dynamic_flow(
                "ipv_dyn_global_flow",
                "main_off",
                100,
            )],
        ))
        .await,
    );
    assert_eq!(c, ApiCode::FlowMainAccountUnavailable);
    // 10072: a proxy-user limit above the main account's flow (it has none).
    let (c, _) = code(
        api.set_proxy_user_flow_limit(&SetProxyUserFlowLimitRequest::new(
            "ipv_dyn_global_flow",
            "sub_a",
            1024,
        ))
        .await,
    );
    assert_eq!(c, ApiCode::FlowInsufficientBalance);
    // 10081: returning flow that was never bought.
    let (c, _) = code(
        api.return_dynamic_proxy(
            &ReturnDynamicProxyRequest::new(
                "main_a",
                ProxyType::DynamicAbroad,
                "ipv_dyn_global_flow",
            )
            .with_flow_num(10),
        )
        .await,
    );
    assert_eq!(c, ApiCode::FlowReturnInsufficient);
    // 10091: a region the product does not serve.
    let (c, _) = code(
        api.draw_with_password(&{
            let mut draw_with_password_request =
                DrawWithPasswordRequest::new("sub_a", "ipv_dyn_global_flow");
            draw_with_password_request.address_code = Some("ATA".into());
            draw_with_password_request
        })
        .await,
    );
    assert_eq!(c, ApiCode::RegionNotFound);
    // 10092
    let (c, _) = code(
        api.draw_with_password(&DrawWithPasswordRequest::new(
            "ghost",
            "ipv_dyn_global_flow",
        ))
        .await,
    );
    assert_eq!(c, ApiCode::DrawProxyUserNotFound);
    // 10093 (raw: the client refuses it before sending)
    let err = api
        .send_raw(
            "proxy/draw/pwd",
            &json!({"appUsername": "sub_a", "productNo": "ipv_dyn_global_flow", "sessTime": "121"}),
        )
        .await
        .expect_err("sessTime 121");
    assert_eq!(err.api_code(), Some(ApiCode::SessTimeOutOfRange));

    // 500: the system-error fault (answered before anything is applied).
    control
        .set_faults(FaultConfig {
            system_error_rate: 1.0,
            ..FaultConfig::none()
        })
        .expect("faults");
    assert_eq!(code(api.app_info().await).0, ApiCode::SystemError);
    control
        .set_faults(FaultConfig {
            http5xx_rate: 1.0,
            ..FaultConfig::none()
        })
        .expect("faults");
    let err = api.app_info().await.expect_err("5xx");
    assert_eq!(err.http_status(), Some(500), "{err}");
    control.set_faults(FaultConfig::none()).expect("faults off");
    assert!(api.app_info().await.is_ok());

    // A reqId reused with different parameters is refused.
    let first = api
        .send_with_req_id(
            &OpenInstancesRequest::new(
                "REQ-1",
                vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
            ),
            "fixed-req-id-1",
        )
        .await
        .expect("first");
    assert_eq!(first.value.app_order_no, "REQ-1");
    let err = api
        .send_with_req_id(
            &OpenInstancesRequest::new(
                "REQ-2",
                vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
            ),
            "fixed-req-id-1",
        )
        .await
        .expect_err("reused reqId");
    assert_eq!(err.api_code(), Some(ApiCode::InvalidParams));
    assert!(err.to_string().contains("reqId"), "{err}");

    control.check_invariants().expect("invariants");
    emu.shutdown().await;
}

/// The state without the parts every answered request may touch (the reply cache, id
/// counters, the clock and the fault counters).
fn books(emu: &ipv_emulator::EmulatorHandle) -> serde_json::Value {
    let mut state = emu.control().state_json();
    for app in state["apps"].as_object_mut().expect("apps").values_mut() {
        let app = app.as_object_mut().expect("app");
        app.remove("replies");
        app.remove("replyOrder");
    }
    let root = state.as_object_mut().expect("state");
    for volatile in ["counters", "clock", "faultStats"] {
        root.remove(volatile);
    }
    state
}

#[tokio::test]
async fn refused_requests_change_nothing() {
    let emu = start(config()).await;
    let api = client(&emu);
    api.upsert_user(
        &UpsertUserRequest::default()
            .with_app_username("main_a")
            .with_phone("1")
            .with_email("a@example.com")
            .with_auth_type(AuthType::None)
            .with_no("1")
            .with_status(AccountStatus::Normal),
    )
    .await
    .expect("user");
    let before = books(&emu);

    let refusals: Vec<(ApiCode, Result<serde_json::Value, Error>)> = vec![
        (
            ApiCode::InsufficientBalance,
            api.send_raw(
                "instance/open",
                &json!({"appOrderNo": "R1", "params": [
                {"productNo": "ipv_dc_jp_tyo_y", "count": 20, "cycleTimes": 120}]}),
            )
            .await,
        ),
        (
            ApiCode::OutOfStock,
            api.send_raw(
                "instance/open",
                &json!({"appOrderNo": "R2", "params": [
                {"productNo": "ipv_res_de_ber_y", "count": 20},
                {"productNo": "ipv_res_de_ber_y", "count": 20}]}),
            )
            .await,
        ),
        (
            ApiCode::InvalidParams,
            api.send_raw(
                "instance/open",
                &json!({"appOrderNo": "R3", "params": [
                {"productNo": "ipv_dc_us_lax_m", "count": 1},
                {"productNo": "ipv_res_us_nyc_m", "count": 1,
                 "cidrBlocks": [{"cidr": "10.0.0.0/24", "count": 1}]}]}),
            )
            .await,
        ),
        (
            ApiCode::RenewInstanceNotFound,
            api.send_raw(
                "instance/renew",
                &json!({"appOrderNo": "R4", "instances": [{"instanceNo": "c_none"}]}),
            )
            .await,
        ),
        (
            ApiCode::FlowReturnInsufficient,
            api.send_raw(
                "proxy/return",
                &json!({"appUsername": "main_a", "proxyType": 104,
                "productNo": "ipv_dyn_global_flow", "flowNum": 5}),
            )
            .await,
        ),
        (
            ApiCode::InvalidParams,
            api.send_raw(
                "proxy/delIpWhiteList",
                &json!({"appUsername": "main_a", "ip": "203.0.113.9",
                "proxyType": 104, "productNo": "ipv_dyn_global_flow"}),
            )
            .await,
        ),
        (
            ApiCode::InstanceNotFound,
            api.send_raw(
                "instance/reset/password",
                &json!({"instanceNoList": ["c_none"], "resetNo": "R7"}),
            )
            .await,
        ),
        (
            ApiCode::ProxyUserConflict,
            api.send_raw(
                "proxy/user",
                &json!({"appUsername": "sub_x", "limitFlow": 1,
                "appMainUsername": "nobody", "status": 1}),
            )
            .await,
        ),
    ];
    for (expected, result) in refusals {
        let err = result.expect_err("refused");
        assert_eq!(err.api_code(), Some(expected), "{err}");
    }
    let after = books(&emu);
    assert!(
        after == before,
        "a refused request left a trace:\nbefore: {}\nafter:  {}",
        before["apps"],
        after["apps"]
    );
    emu.control().check_invariants().expect("invariants");
    emu.shutdown().await;
}
