//! Overflow cases for every numeric request field that feeds the emulator's arithmetic
//! (count, cycleTimes, duration, extBandWidth, flow, flowNum/ipNum, limitFlow, page,
//! num, sessTime), at and near the limits of their types: each is answered with a code
//! (never a panic: these calls run in process, so a panic fails the test), nothing is
//! charged for a refusal, no sum wraps past the stock check, and the books balance
//! after every call.

use ipv_api::codec;
use ipv_crypto::Key;
use ipv_emulator::{
    DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig, EmulatorHandle, OrderSchedule,
};
use ipv_types::Money;
use serde_json::{Value, json};

const MAIN: &str = "arith-main";
const DYN: &str = "ipv_dyn_global_flow";
const DYN_IP: &str = "ipv_dyn_global_ip";
const MONTHLY: &str = "ipv_dc_us_lax_m";
const YEARLY: &str = "ipv_dc_jp_tyo_y";

struct Harness {
    emu: EmulatorHandle,
    key: Key,
    seq: u64,
}

impl Harness {
    async fn start() -> Self {
        let config = EmulatorConfig::default().with_order_schedule(OrderSchedule::IMMEDIATE);
        let emu = Emulator::start(config, "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("starts");
        let mut h = Self {
            emu,
            key: Key::new(DEFAULT_APP_SECRET.as_bytes()).expect("key"),
            seq: 0,
        };
        let account = json!({
            "appUsername": MAIN, "phone": "13800000000", "email": "a@example.invalid",
            "authType": 1, "no": "x", "status": 1,
        });
        assert_eq!(h.send("user", &account).0, 200, "main account");
        h
    }

    /// Sends `params` to `/api/open/app/{middle}/v2`; returns (code, data).
    fn send(&mut self, middle: &str, params: &Value) -> (i64, Option<Value>) {
        self.seq += 1;
        let body = codec::seal_request(
            &self.key,
            DEFAULT_APP_KEY,
            &format!("arith-{}", self.seq),
            Some(params),
        )
        .expect("seal");
        let reply = self
            .emu
            .answer_api_request(&format!("/api/open/app/{middle}/v2"), &body);
        assert_eq!(reply.status, 200, "{middle}");
        let opened = codec::open_response::<Value>(&self.key, &reply.body).expect("opens");
        (opened.code.as_i64(), opened.data)
    }

    fn balance(&mut self) -> Money {
        let (code, data) = self.send("info", &json!({}));
        assert_eq!(code, 200);
        let coin = data.expect("data")["coin"].clone();
        serde_json::from_value(coin).expect("coin is money")
    }

    fn inventory(&mut self, product_no: &str) -> i64 {
        let (code, data) = self.send("product/info", &json!({ "productNo": product_no }));
        assert_eq!(code, 200);
        data.expect("data")["inventory"]
            .as_i64()
            .expect("inventory")
    }

    /// Sends a request that must be refused with `want`: no money moves, the stock of
    /// `product` stays, and the books balance.
    fn refused(&mut self, middle: &str, params: Value, want: i64, product: &str) {
        let balance = self.balance();
        let stock = self.inventory(product);
        let (code, _) = self.send(middle, &params);
        assert_eq!(code, want, "{middle} {params}");
        assert_eq!(self.balance(), balance, "nothing charged for {params}");
        assert_eq!(self.inventory(product), stock, "stock kept for {params}");
        self.emu
            .control()
            .check_invariants()
            .unwrap_or_else(|e| panic!("books after {params}: {e}"));
    }
}

fn open(order_no: &str, params: Value) -> Value {
    json!({ "appOrderNo": order_no, "params": params })
}

fn dynamic_line(flow: Value) -> Value {
    json!({ "productNo": DYN, "appUsername": MAIN, "flow": flow })
}

#[tokio::test]
async fn dynamic_flow_sums_never_wrap_past_the_stock_check() {
    let mut h = Harness::start().await;
    let stock = h.inventory(DYN);
    let near_2_62 = json!(4_611_686_018_427_387_904_u64);
    let near_2_63 = json!(9_223_372_036_854_775_807_u64);
    // Two lines near 2^62 (their i64 sum overflows), two just past i64::MAX each, one
    // at u64::MAX, twenty at u64::MAX: all out of stock, none charged.
    for (no, lines) in [
        (
            "F-1",
            vec![dynamic_line(near_2_62.clone()), dynamic_line(near_2_62)],
        ),
        (
            "F-2",
            vec![dynamic_line(near_2_63.clone()), dynamic_line(near_2_63)],
        ),
        ("F-3", vec![dynamic_line(json!(u64::MAX))]),
        ("F-4", vec![dynamic_line(json!(u64::MAX)); 20]),
        (
            "F-5",
            vec![
                dynamic_line(json!(stock)),
                dynamic_line(json!(u64::MAX - 100)),
            ],
        ),
    ] {
        h.refused("instance/open", open(no, json!(lines)), 10003, DYN);
    }
    // Just past the stock: 10003; a flow beyond u64, below zero or fractional does not decode: 10004.
    let past = u64::try_from(stock).expect("stock") + 1;
    h.refused(
        "instance/open",
        open("F-6", json!([dynamic_line(json!(past))])),
        10003,
        DYN,
    );
    for (no, flow) in [
        ("F-7", json!(1.844_674_407_370_955_2e19)),
        ("F-8", json!(-1)),
        ("F-9", json!(1e300)),
    ] {
        h.refused(
            "instance/open",
            open(no, json!([dynamic_line(flow)])),
            10004,
            DYN,
        );
    }
    // All the stock: affordable? 10,000,000 MB x 0.0040 = 40,000 > 10,000.00: 10002.
    h.refused(
        "instance/open",
        open("F-10", json!([dynamic_line(json!(stock))])),
        10002,
        DYN,
    );
}

#[tokio::test]
async fn a_charge_of_exactly_the_balance_is_taken_and_one_more_is_refused() {
    let mut h = Harness::start().await;
    let balance = h.balance();
    assert_eq!(balance.to_string(), "10000.00");
    // 2,500,000 MB x 0.0040 = 10,000.00: the whole balance.
    let (code, data) = h.send(
        "instance/open",
        &open("B-1", json!([dynamic_line(json!(2_500_000))])),
    );
    assert_eq!(code, 200, "{data:?}");
    assert!(h.balance().is_zero());
    h.refused(
        "instance/open",
        open("B-2", json!([dynamic_line(json!(100))])),
        10002,
        DYN,
    );
    h.emu.control().check_invariants().expect("books");
}

#[tokio::test]
async fn static_quantities_at_and_past_their_limits() {
    let mut h = Harness::start().await;
    let line = |count: Value, cycles: Value| json!([{ "productNo": MONTHLY, "count": count, "cycleTimes": cycles }]);
    // count: 1..20; beyond, or beyond u32, or negative: 10004.
    for (i, count) in [
        json!(21),
        json!(u32::MAX),
        json!(4_294_967_296_u64),
        json!(u64::MAX),
        json!(-1),
    ]
    .into_iter()
    .enumerate()
    {
        h.refused(
            "instance/open",
            open(&format!("C-{i}"), line(count, json!(1))),
            10004,
            MONTHLY,
        );
    }
    // cycleTimes: 1..120.
    for (i, cycles) in [
        json!(121),
        json!(u32::MAX),
        json!(4_294_967_296_u64),
        json!(-1),
    ]
    .into_iter()
    .enumerate()
    {
        h.refused(
            "instance/open",
            open(&format!("Y-{i}"), line(json!(1), cycles)),
            10004,
            MONTHLY,
        );
    }
    // extBandWidth: at most the product's maximum.
    for (i, mbps) in [json!(101), json!(u32::MAX), json!(4_294_967_296_u64)]
        .into_iter()
        .enumerate()
    {
        let params =
            json!([{ "productNo": MONTHLY, "count": 1, "cycleTimes": 1, "extBandWidth": mbps }]);
        h.refused(
            "instance/open",
            open(&format!("W-{i}"), params),
            10004,
            MONTHLY,
        );
    }
    // At the limits together: 20 instances x 120 years with full bandwidth costs far
    // more than the balance: 10002, computed, not overflowed.
    let params =
        json!([{ "productNo": YEARLY, "count": 20, "cycleTimes": 120, "extBandWidth": 100 }]);
    h.refused("instance/open", open("L-1", params), 10002, YEARLY);
    // Twenty such lines want more than the stock: 10003 (stock is checked first).
    let params = json!(vec![
        json!({ "productNo": YEARLY, "count": 20, "cycleTimes": 120, "extBandWidth": 100 });
        20
    ]);
    h.refused("instance/open", open("L-2", params), 10003, YEARLY);
    // Twenty lines of one instance each fit the stock; their total is a checked sum.
    let params = json!(vec![
        json!({ "productNo": YEARLY, "count": 1, "cycleTimes": 120, "extBandWidth": 100 });
        20
    ]);
    h.refused("instance/open", open("L-3", params), 10002, YEARLY);
    // A filter purchase with a duration no product has.
    let params = json!([{ "proxyType": 101, "duration": u32::MAX, "count": 1, "cycleTimes": 1 }]);
    h.refused("instance/open", open("D-1", params), 10004, MONTHLY);

    // 120 cycles of a monthly product are within the limits and affordable.
    let (code, data) = h.send("instance/open", &open("OK-1", line(json!(1), json!(120))));
    assert_eq!(code, 200, "{data:?}");
    let order_no = data.expect("receipt")["orderNo"]
        .as_str()
        .expect("orderNo")
        .to_owned();
    let (code, order) = h.send("order", &json!({ "orderNo": order_no }));
    assert_eq!(code, 200);
    let instance_no = order.expect("order")["instances"][0]["instanceNo"]
        .as_str()
        .expect("an instance")
        .to_owned();

    // Renewals: cycleTimes and the old duration field, past their limits.
    for (i, item) in [
        json!({ "instanceNo": instance_no, "cycleTimes": 121 }),
        json!({ "instanceNo": instance_no, "cycleTimes": u32::MAX }),
        json!({ "instanceNo": instance_no, "cycleTimes": 4_294_967_296_u64 }),
        json!({ "instanceNo": instance_no, "duration": u32::MAX }),
        json!({ "instanceNo": instance_no, "duration": -1 }),
    ]
    .into_iter()
    .enumerate()
    {
        h.refused(
            "instance/renew",
            json!({ "appOrderNo": format!("R-{i}"), "instances": [item] }),
            10004,
            MONTHLY,
        );
    }
    // 120 more cycles on top of 120: ten years out, dated without overflow.
    let (code, _) = h.send(
        "instance/renew",
        &json!({ "appOrderNo": "R-OK", "instances": [{ "instanceNo": instance_no, "cycleTimes": 120 }] }),
    );
    assert_eq!(code, 200);
    h.emu.control().check_invariants().expect("books");
}

#[tokio::test]
async fn assigned_ip_cycles_past_their_limit() {
    let mut h = Harness::start().await;
    let (code, data) = h.send("product/info", &json!({ "productNo": MONTHLY }));
    assert_eq!(code, 200);
    let cidr = data.expect("product")["cidrBlocks"][0]["cidr"]
        .as_str()
        .expect("a block")
        .to_owned();
    let ip = cidr.replace(".0/24", ".7");
    for (i, cycles) in [json!(121), json!(u32::MAX), json!(4_294_967_296_u64)]
        .into_iter()
        .enumerate()
    {
        h.refused(
            "instance/open/assign/ip",
            json!({ "appOrderNo": format!("A-{i}"), "productNo": MONTHLY, "assignIp": ip, "cycleTimes": cycles }),
            10004,
            MONTHLY,
        );
    }
}

#[tokio::test]
async fn flow_returns_and_limits_at_the_limits() {
    let mut h = Harness::start().await;
    let (code, _) = h.send(
        "instance/open",
        &open("P-1", json!([dynamic_line(json!(1000))])),
    );
    assert_eq!(code, 200);
    let ret = |field: &str, n: Value, product: &str| json!({ "appUsername": MAIN, "proxyType": 104, "productNo": product, field: n });
    // More than was bought, up to u64::MAX: 10081; beyond u64 or negative: 10004.
    for n in [json!(1001), json!(u64::MAX), json!(i64::MAX)] {
        h.refused("proxy/return", ret("flowNum", n, DYN), 10081, DYN);
    }
    for n in [json!(1.844_674_407_370_955_2e19), json!(-5)] {
        h.refused("proxy/return", ret("flowNum", n, DYN), 10004, DYN);
    }
    h.refused(
        "proxy/return",
        ret("ipNum", json!(u64::MAX), DYN_IP),
        10081,
        DYN_IP,
    );
    // Exactly what was bought comes back, and is refunded.
    let before = h.balance();
    let (code, data) = h.send("proxy/return", &ret("flowNum", json!(1000), DYN));
    assert_eq!(code, 200, "{data:?}");
    assert!(h.balance() > before, "refunded");
    h.emu.control().check_invariants().expect("books");

    // Proxy-user flow limits, in bytes: i64 extremes.
    let user = json!({ "appUsername": "arith-sub", "limitFlow": -1, "appMainUsername": MAIN, "status": 1 });
    assert_eq!(h.send("proxy/user", &user).0, 200);
    for (limit, want) in [(json!(i64::MAX), 10072), (json!(i64::MIN), 10004)] {
        let params = json!({ "productNo": DYN, "appUsername": "arith-sub", "limitFlow": limit });
        h.refused("proxy/user/flow/limit", params, want, DYN);
    }
    let params = json!({ "productNo": DYN, "appUsername": "arith-sub", "limitFlow": 1.844_674_407_370_955_2e19 });
    h.refused("proxy/user/flow/limit", params, 10004, DYN);
}

#[tokio::test]
async fn paging_and_drawing_at_the_limits() {
    let mut h = Harness::start().await;
    // A page far past the end is empty, not an overflow.
    let (code, data) = h.send("order/list", &json!({ "page": u32::MAX, "pageSize": 100 }));
    assert_eq!(code, 200);
    assert_eq!(
        data.expect("page")["list"].as_array().map_or(0, Vec::len),
        0
    );
    let (code, _) = h.send(
        "instance/list",
        &json!({ "page": u32::MAX, "pageSize": u32::MAX }),
    );
    assert!(code == 200 || code == 10004, "instance/list: {code}");
    for (middle, params) in [
        ("order/list", json!({ "page": 4_294_967_296_u64 })),
        (
            "proxy/draw/pwd",
            json!({ "appUsername": MAIN, "productNo": DYN, "num": u32::MAX }),
        ),
        (
            "proxy/draw/api",
            json!({ "appUsername": MAIN, "productNo": DYN, "proxyType": 104, "num": u32::MAX }),
        ),
    ] {
        h.refused(middle, params, 10004, DYN);
    }
    h.refused(
        "proxy/draw/pwd",
        json!({ "appUsername": MAIN, "productNo": DYN, "sessTime": u32::MAX }),
        10093,
        DYN,
    );
}
