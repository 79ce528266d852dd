//! The small conveniences on the wire types.

use ipv_types::*;
use serde_json::json;

#[test]
fn page_has_more() {
    let page = |page, page_size, total, cur_page, items: usize| {
        let mut built_page = Page::default();
        built_page.page = page;
        built_page.page_size = page_size;
        built_page.total = total;
        built_page.cur_page = cur_page;
        built_page.list = vec![0_u8; items];
        built_page
    };
    assert!(page(1, 10, 25, 1, 10).has_more());
    assert!(page(2, 10, 25, 2, 10).has_more());
    assert!(!page(3, 10, 25, 3, 5).has_more());
    assert!(!page(1, 10, 10, 1, 10).has_more());
    // The flow-usage log sends only total and curPage: the item count stands in for the size.
    assert!(page(0, 0, 30, 1, 10).has_more());
    assert!(!page(0, 0, 30, 3, 10).has_more());
    // An empty page ends the listing even when total disagrees (a loop guard).
    assert!(!page(5, 10, 1000, 5, 0).has_more());
    assert!(!Page::<u8>::default().has_more());
}

#[test]
fn order_request_pages_are_clamped() {
    let r = OrderRequest::new("C1");
    assert_eq!((r.page, r.page_size), (1, 10));
    let r = OrderRequest::new("C1").with_page(0, 1000);
    assert_eq!((r.page, r.page_size), (1, OrderRequest::MAX_PAGE_SIZE));
    let r: OrderRequest = serde_json::from_value(json!({"orderNo":"C1"})).unwrap();
    assert_eq!((r.page, r.page_size), (1, 10));
}

#[test]
fn reset_numbers() {
    for ok in ["a", "reset_1", "ABCdef0123456789_ABCdef012345678"] {
        assert!(ResetPasswordsRequest::is_valid_reset_no(ok), "{ok}");
    }
    for bad in [
        "",
        "has space",
        "dash-ed",
        "ABCdef0123456789_ABCdef0123456789",
        "中文",
    ] {
        assert!(!ResetPasswordsRequest::is_valid_reset_no(bad), "{bad}");
    }
}

#[test]
fn product_purchasable() {
    let mut p = {
        let mut product = Product::default();
        product.enable = Toggle::Yes;
        product.inventory = 1;
        product
    };
    assert!(p.is_purchasable());
    p.inventory = 0;
    assert!(!p.is_purchasable());
    p.inventory = 5;
    p.enable = Toggle::No;
    assert!(!p.is_purchasable());
    p.enable = Toggle::Unknown(0);
    assert!(!p.is_purchasable());
}

#[test]
fn instance_expiry_and_renewal() {
    let mut i = Instance::default();
    assert_eq!(i.expires_at(), None);
    assert!(!i.auto_renews());
    i.user_expired = 1_735_689_600;
    i.renew = 1;
    assert_eq!(i.expires_at().unwrap().year(), 2025);
    assert!(i.auto_renews());
    i.user_expired = i64::MAX;
    assert_eq!(i.expires_at(), None);
}

#[test]
fn account_helpers() {
    let u = {
        let mut proxy_user = ProxyUser::default();
        proxy_user.limit_flow = -1;
        proxy_user
    };
    assert!(u.is_unlimited());
    assert!(!ProxyUser::default().is_unlimited());
    assert!(
        {
            let mut order = Order::default();
            order.refund = 1;
            order
        }
        .has_refund()
    );
    assert_eq!(DrawWithPasswordRequest::MAX_SESS_TIME, 120);
}

#[test]
fn open_param_constructors() {
    let p = OpenParam::by_product("p1", 3, 12);
    assert!(p.is_by_product());
    assert_eq!((p.count, p.cycle_times), (3, 12));
    assert_eq!(p.flow, None);
    let d = OpenParam::dynamic_flow("mb1", "alice", 2048);
    assert_eq!(d.app_username.as_deref(), Some("alice"));
    assert_eq!(d.flow, Some(2048));
    assert_eq!((d.count, d.cycle_times), (1, 1));
    let filters = OpenParam::default().with_proxy_type(ProxyType::StaticCloud);
    assert!(!filters.is_by_product());
    assert!(
        !OpenParam::default()
            .with_product_no(String::new())
            .is_by_product()
    );
    // Zero count and cycles from a Go client mean the default, 1.
    let zero = OpenParam::by_product("p", 1, 1)
        .with_count(0)
        .with_cycle_times(0);
    let clean = zero.without_go_zero_values();
    assert_eq!((clean.count, clean.cycle_times), (1, 1));
}

#[test]
fn request_constructors_fill_the_required_fields() {
    let r = ProductsRequest::of_types([ProxyType::StaticCloud])
        .in_country("USA")
        .in_city("USNYC0");
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"proxyType":[101],"countryCode":"USA","cityCode":"USNYC0"})
    );
    assert_eq!(
        serde_json::to_value(DrawWithPasswordRequest::new("sub", "mb")).unwrap(),
        json!({"appUsername":"sub","productNo":"mb"})
    );
    assert_eq!(
        serde_json::to_value(FlowUsageLogRequest::new("a", "mb")).unwrap(),
        json!({"appUsername":"a","productNo":"mb"})
    );
}
