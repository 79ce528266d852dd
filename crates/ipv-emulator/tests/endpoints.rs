//! Every one of the 30 endpoints, called through `ipv_api::Client` over loopback HTTP,
//! with the typed results asserted.

mod common;

use ipv_api::endpoint::Endpoint;
use ipv_types::*;

use common::{START, client, config, start};

#[tokio::test]
async fn catalogue_endpoints() {
    let emu = start(config()).await;
    let api = client(&emu);

    // 1 info
    let info = api.app_info().await.expect("app_info");
    assert_eq!(info.app_name, "ipv emulator app");
    assert_eq!(info.coin.to_string(), "10000.00");
    assert_eq!(info.use_bridge, AppBridge::No);
    assert_eq!(info.status, AppStatus::Normal);

    // 2 area: the whole tree, and a subtree by code
    let areas = api.areas(&AreasRequest::all()).await.expect("areas");
    assert_eq!(areas.len(), 4);
    let america = areas.iter().find(|a| a.code == "6").expect("North America");
    let usa = &america.children[0];
    assert_eq!(usa.code, "USA");
    assert!(
        usa.children
            .iter()
            .any(|s| s.code == "840006" && s.children.len() == 2)
    );
    let only_gbr = api
        .areas(&AreasRequest::of(["GBR"]))
        .await
        .expect("areas GBR");
    assert_eq!(only_gbr.len(), 1);
    assert_eq!(only_gbr[0].cname, "英国");

    // 3 city/list
    let cities = api.cities(&CitiesRequest::all()).await.expect("cities");
    assert!(cities.len() >= 15);
    let tokyo = cities
        .iter()
        .find(|c| c.city_code == "392013001")
        .expect("Tokyo");
    assert_eq!(tokyo.country_code, "JPN");
    assert_eq!(tokyo.city_en_name, "Tokyo");
    assert_eq!(tokyo.area_en_name, "Asia");
    let usa_cities = api
        .cities(&CitiesRequest::of(["USA"]))
        .await
        .expect("US cities");
    assert_eq!(usa_cities.len(), 4);

    // 4 product/query: every type, and filters
    let all_types = ProxyType::ALL.to_vec();
    let products = api
        .products(&ProductsRequest::of_types(all_types))
        .await
        .expect("products");
    assert!(products.len() >= 20);
    for t in ProxyType::ALL {
        assert!(products.iter().any(|p| p.proxy_type == *t), "{t:?}");
    }
    let us_static = api
        .products(
            &ProductsRequest::of_types([ProxyType::StaticResidentialAbroad]).in_country("USA"),
        )
        .await
        .expect("US residential");
    assert_eq!(us_static.len(), 2);
    assert!(
        us_static
            .iter()
            .all(|p| p.country_code == "USA" && p.cidr_status.is_yes())
    );

    // 5 product/info
    let nyc = api
        .product(&ProductRequest::new("ipv_res_us_nyc_m"))
        .await
        .expect("product");
    assert_eq!(nyc.cost_price.to_string(), "7.20");
    assert_eq!(nyc.inventory, 500);
    assert_eq!(nyc.cidr_blocks.len(), 2);
    assert_eq!(nyc.unit, Unit::Month);
    assert!(nyc.assign_ip.is_yes());

    // 6 product/area
    let regions = api
        .product_areas(&ProductAreasRequest::new(
            "ipv_dyn_global_flow",
            ProxyType::DynamicAbroad,
        ))
        .await
        .expect("product areas");
    assert_eq!(regions.len(), 6);
    assert!(
        regions
            .iter()
            .any(|r| r.country_code == "JPN" && r.area_code == "1")
    );

    // 7 project/list
    let projects = api
        .projects(&ProjectsRequest::all())
        .await
        .expect("projects");
    assert_eq!(projects.len(), 4);
    assert!(projects.iter().any(|p| p.code == "tiktok"));

    // 10 assign/ip/info
    let free = api
        .assigned_ip_info(&AssignedIpInfoRequest::new("198.18.32.10"))
        .await
        .expect("ip info");
    assert!(free.can_buy_status);
    let outside = api
        .assigned_ip_info(&AssignedIpInfoRequest::new("10.0.0.1"))
        .await
        .expect("ip info outside");
    assert!(!outside.can_buy_status);

    emu.control().check_invariants().expect("invariants");
    emu.shutdown().await;
}

#[tokio::test]
async fn static_order_endpoints() {
    let emu = start(config()).await;
    let api = client(&emu);
    let control = emu.control();

    // 8 instance/open: 2 instances for 1 month + 1 with extra bandwidth
    let receipt = api
        .open_instances(&OpenInstancesRequest::new(
            "APP-OPEN-1",
            vec![
                OpenParam::by_product("ipv_res_us_nyc_m", 2, 1),
                OpenParam::by_product("ipv_dc_us_lax_m", 1, 1).with_ext_band_width(5),
            ],
        ))
        .await
        .expect("open");
    // 7.20 x 2 + (4.50 + 1.20 x 5) = 14.40 + 10.50
    assert_eq!(receipt.amount.to_string(), "24.90");
    assert_eq!(receipt.app_order_no, "APP-OPEN-1");

    // 15 order
    let order = api
        .order(&OrderRequest::new(&receipt.order_no))
        .await
        .expect("order");
    assert_eq!(order.status, OrderStatus::Succeeded);
    assert_eq!(order.order_type, OrderType::New);
    assert_eq!(order.count, 3);
    assert_eq!(order.total, 3);
    assert_eq!(order.instances.len(), 3);
    let first = &order.instances[0];
    assert_eq!(first.status, InstanceStatus::Running);
    assert!(first.ip.starts_with("198.18.32."), "{}", first.ip);
    // One calendar month from 2025-01-31 10:00 ends on the last day of February.
    let expiry = first.expires_at().expect("an expiry");
    assert_eq!(expiry.date(), ::time::macros::date!(2025 - 02 - 28));

    // 9 instance/open/assign/ip
    let assigned = api
        .open_assigned_ip(&OpenAssignedIpRequest::new(
            "APP-ASSIGN-1",
            "ipv_res_us_nyc_m",
            "198.18.33.77",
            2,
        ))
        .await
        .expect("assign");
    assert_eq!(assigned.amount.to_string(), "14.40");
    let assigned_order = api
        .order(&OrderRequest::new(&assigned.order_no))
        .await
        .expect("order");
    assert_eq!(assigned_order.instances[0].ip, "198.18.33.77");
    let taken = api
        .assigned_ip_info(&AssignedIpInfoRequest::new("198.18.33.77"))
        .await
        .expect("ip info");
    assert!(!taken.can_buy_status);

    // 11 instance/renew: two more months from the current expiry
    let renew = api
        .renew_instances(&RenewInstancesRequest::new(
            "APP-RENEW-1",
            vec![RenewItem::new(&first.instance_no, 2)],
        ))
        .await
        .expect("renew");
    assert_eq!(renew.amount.to_string(), "14.40");
    // 17 instance
    let renewed = api
        .instances(&InstancesRequest::new([&first.instance_no]))
        .await
        .expect("instances");
    assert_eq!(renewed.len(), 1);
    assert_eq!(
        renewed[0].expires_at().expect("expiry").date(),
        ::time::macros::date!(2025 - 04 - 28)
    );
    assert!(renewed[0].renew_at.is_some());

    // 14 instance/reset/password, idempotent on resetNo
    let reset = api
        .reset_passwords(&ResetPasswordsRequest::new([&first.instance_no], "RESET_1"))
        .await
        .expect("reset");
    assert_eq!(reset.reset_no, "RESET_1");
    assert_eq!(reset.list.len(), 1);
    assert_eq!(reset.list[0].status, ResetStatus::Succeeded);
    let again = api
        .reset_passwords(&ResetPasswordsRequest::new([&first.instance_no], "RESET_1"))
        .await
        .expect("reset again");
    assert_eq!(again.list[0].new_password, reset.list[0].new_password);
    let after = api
        .instances(&InstancesRequest::new([&first.instance_no]))
        .await
        .expect("instances");
    assert_eq!(after[0].pwd, reset.list[0].new_password);

    // 12 instance/release (inside the 24 h window): refunds what the instance cost
    let second = &order.instances[1];
    let release = api
        .release_instances(&ReleaseInstancesRequest::new(
            "APP-RELEASE-1",
            [&second.instance_no],
        ))
        .await
        .expect("release");
    assert_eq!(release.amount.to_string(), "7.20");
    let released = api
        .order(&OrderRequest::new(&release.order_no))
        .await
        .expect("order");
    assert_eq!(released.order_type, OrderType::Release);
    assert_eq!(released.status, OrderStatus::Succeeded);
    assert!(released.has_refund());
    assert_eq!(released.instances[0].status, InstanceStatus::Released);
    assert!(released.instances[0].release_at.is_some());

    // 13 instance/aftersale: no window, no refund
    let third = &order.instances[2];
    let after_sale = api
        .after_sale_release(
            &AfterSaleReleaseRequest::new("APP-AFTERSALE-1", vec![third.instance_no.clone()])
                .with_remark("customer left")
                .with_reason("other")
                .with_ding_talk_users(vec![DingTalkUser::new("u1", "13800000000")]),
        )
        .await
        .expect("after sale");
    assert_eq!(after_sale.amount.to_string(), "0.00");

    // 16 order/list, newest first
    let orders = api.orders(&OrdersRequest::default()).await.expect("orders");
    assert_eq!(orders.total, 5);
    assert_eq!(orders.list.len(), 5);
    assert_eq!(orders.list[0].order_no, after_sale.order_no);
    let open_item = orders
        .list
        .iter()
        .find(|o| o.order_no == receipt.order_no)
        .expect("the open order is listed");
    assert_eq!(open_item.success_count, 3);
    assert_eq!(open_item.city_code, "840036001");
    let page = api
        .orders(&OrdersRequest::default().with_page(2).with_page_size(2))
        .await
        .expect("page 2");
    assert_eq!((page.cur_page, page.list.len(), page.total), (2, 2, 5));

    // 18 instance/list
    let list = api
        .instance_list(&InstanceListRequest::default())
        .await
        .expect("instance list");
    assert_eq!(list.total, 4);
    assert_eq!(
        list.list
            .iter()
            .filter(|i| i.status == InstanceStatus::Released)
            .count(),
        2
    );

    // Money adds up: 24.90 + 14.40 + 14.40 charged, 7.20 refunded.
    let summary = control.summary();
    assert_eq!(summary.apps[0].balance.to_string(), "9953.50");
    assert_eq!(summary.apps[0].charges, 3);
    assert_eq!(summary.apps[0].refunds, 1);
    let info = api.app_info().await.expect("info");
    assert_eq!(info.coin.to_string(), "9953.50");
    control.check_invariants().expect("invariants");
    emu.shutdown().await;
}

#[tokio::test]
async fn dynamic_and_account_endpoints() {
    let emu = start(config()).await;
    let api = client(&emu);
    let control = emu.control();

    // 19 user
    let main = api
        .upsert_user(
            &UpsertUserRequest::default()
                .with_app_username("shop_main")
                .with_phone("13800000000")
                .with_email("owner@example.com")
                .with_auth_type(AuthType::None)
                .with_no("ID-1")
                .with_status(AccountStatus::Normal),
        )
        .await
        .expect("user");
    assert_eq!(main.app_username, "shop_main");
    assert!(main.username.starts_with("ipvm"));
    assert_eq!(main.password.len(), 16);
    assert_eq!(main.auth_status, AuthType::None);

    // 20 userAuth
    let auth = api
        .sync_user_auth(
            &SyncUserAuthRequest::for_app_user("shop_main", AuthType::Company)
                .with_auth_name("Shop Ltd")
                .with_no("91310000"),
        )
        .await
        .expect("user auth");
    assert_eq!(auth.username, main.username);
    assert_eq!(auth.auth_status, AuthType::Company);

    // Buy 1000 MB of dynamic flow for the main account.
    let flow = api
        .open_instances(&OpenInstancesRequest::new(
            "APP-FLOW-1",
            vec![OpenParam::dynamic_flow(
                "ipv_dyn_global_flow",
                "shop_main",
                1000,
            )],
        ))
        .await
        .expect("open flow");
    assert_eq!(flow.amount.to_string(), "4.00");

    // 21 proxy/user
    let sub = api
        .upsert_proxy_user(
            &UpsertProxyUserRequest::default()
                .with_app_username("shop_sub1")
                .with_limit_flow(500)
                .with_app_main_username("shop_main")
                .with_remark("crawler")
                .with_status(AccountStatus::Normal),
        )
        .await
        .expect("proxy user");
    assert_eq!(sub.app_username, "shop_sub1");
    assert_eq!(sub.auth_status, AuthType::Company);

    // 23 proxy/user/flow/limit, then 22 proxy/user/info
    api.set_proxy_user_flow_limit(&SetProxyUserFlowLimitRequest::new(
        "ipv_dyn_global_flow",
        "shop_sub1",
        100 * 1024 * 1024,
    ))
    .await
    .expect("flow limit");
    let info = api
        .proxy_user(&ProxyUserRequest::new("ipv_dyn_global_flow", "shop_sub1"))
        .await
        .expect("proxy user info");
    assert_eq!(info.limit_flow, 100 * 1024 * 1024);
    assert_eq!(info.remark, "crawler");
    assert_eq!(info.username, sub.username);

    // Usage (through the control API), then 24 proxy/info and 27 flow log.
    control
        .record_usage(
            ipv_emulator::DEFAULT_APP_KEY,
            "shop_sub1",
            "ipv_dyn_global_flow",
            150,
        )
        .expect("usage");
    let balance = api
        .proxy_balance(&ProxyBalanceRequest::for_app_user(
            "shop_main",
            ProxyType::DynamicAbroad,
            "ipv_dyn_global_flow",
        ))
        .await
        .expect("proxy balance");
    let item = &balance.list[0];
    assert_eq!(
        (
            item.total.as_str(),
            item.used.as_str(),
            item.balance.as_str()
        ),
        ("1000", "150", "850")
    );
    let log = api
        .flow_usage_log(&FlowUsageLogRequest::new(
            "shop_main",
            "ipv_dyn_global_flow",
        ))
        .await
        .expect("usage log");
    assert_eq!(log.total, 1);
    assert_eq!(log.list[0].used, 150 * 1024 * 1024);
    assert_eq!(log.list[0].balance, 850 * 1024 * 1024);
    let sub_info = api
        .proxy_user(&ProxyUserRequest::new("ipv_dyn_global_flow", "shop_sub1"))
        .await
        .expect("proxy user info");
    assert_eq!(sub_info.use_flow, 150 * 1024 * 1024);

    // 25 proxy/draw/pwd
    let drawn = api
        .draw_with_password(&{
            let mut draw_with_password_request =
                DrawWithPasswordRequest::new("shop_sub1", "ipv_dyn_global_flow");
            draw_with_password_request.address_code = Some("JPN".into());
            draw_with_password_request.sess_time = Some(30);
            draw_with_password_request.num = Some(3);
            draw_with_password_request
        })
        .await
        .expect("draw pwd");
    assert_eq!(drawn.list[0].list.len(), 3);
    assert!(drawn.list[0].list[0].contains("region-jpn"));
    assert!(drawn.list[0].list[0].contains("sesstime-30"));

    // 26 proxy/draw/api
    let urls = api
        .draw_api_url(
            &DrawApiUrlRequest::new("shop_main", ProxyType::DynamicAbroad, "ipv_dyn_global_flow")
                .with_num(5)
                .with_protocol("http")
                .with_return_type("json"),
        )
        .await
        .expect("draw api");
    assert!(urls.list[0].proxy_url.contains("num=5"));
    assert!(urls.list[0].proxy_url.contains("protocol=http"));

    // 28 / 29 whitelist
    let added = api
        .add_ip_whitelist(&AddIpWhitelistRequest::new(
            "shop_main",
            "203.0.113.5",
            ProxyType::DynamicAbroad,
            "ipv_dyn_global_flow",
        ))
        .await
        .expect("add whitelist");
    assert_eq!(added.ip_whitelist, vec!["203.0.113.5".to_owned()]);
    api.add_ip_whitelist(&AddIpWhitelistRequest::new(
        "shop_main",
        "203.0.113.6",
        ProxyType::DynamicAbroad,
        "ipv_dyn_global_flow",
    ))
    .await
    .expect("add whitelist 2");
    let removed = api
        .remove_ip_whitelist(&RemoveIpWhitelistRequest::new(
            "shop_main",
            "203.0.113.5",
            ProxyType::DynamicAbroad,
            "ipv_dyn_global_flow",
        ))
        .await
        .expect("remove whitelist");
    assert_eq!(removed.ip_whitelist, vec!["203.0.113.6".to_owned()]);

    // 30 proxy/return: 250 MB back at 0.004 per MB
    let returned = api
        .return_dynamic_proxy(
            &ReturnDynamicProxyRequest::new(
                "shop_main",
                ProxyType::DynamicAbroad,
                "ipv_dyn_global_flow",
            )
            .with_flow_num(250)
            .with_remark("unused"),
        )
        .await
        .expect("return");
    // returnAmount is a JSON number on the wire: compare values, not scales.
    assert_eq!(
        returned.return_amount.as_decimal(),
        Money::from_int(1).as_decimal()
    );
    let after = api
        .proxy_balance(&ProxyBalanceRequest::for_app_user(
            "shop_main",
            ProxyType::DynamicAbroad,
            "ipv_dyn_global_flow",
        ))
        .await
        .expect("balance");
    assert_eq!(after.list[0].balance, "600");
    assert_eq!(after.list[0].ip_whitelist, vec!["203.0.113.6".to_owned()]);

    let summary = control.summary();
    // 10000 - 4.0000 (1000 MB at 0.0040) + 1.00 returned.
    assert_eq!(
        summary.apps[0].balance,
        "9997".parse::<Money>().expect("money")
    );
    control.check_invariants().expect("invariants");
    let _ = START;
    let _ = <AppInfoRequest as Endpoint>::PATH;
    emu.shutdown().await;
}
