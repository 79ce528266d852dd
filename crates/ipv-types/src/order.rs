//! Endpoints 8 to 13, 15 and 16: buying, renewing and releasing proxies, and orders.
//!
//! Purchases are asynchronous: open, renew and release answer at once with an
//! [`OrderReceipt`]; the order then moves pending -> processing -> a final status, and the
//! platform calls the app back. `appOrderNo` is the caller's idempotency key: the platform
//! refuses a second order with the same one, so a retried purchase must reuse it.

use ::time::OffsetDateTime;
use serde::{Deserialize, Serialize};

use crate::dict::{BridgeChoice, IspType, OrderStatus, OrderType, ProxyType, Unit};
use crate::instance::Instance;
use crate::money::Money;

/// The request of `instance/open` (endpoint 8): buy proxies.
///
/// ```
/// use ipv_types::{OpenInstancesRequest, OpenParam};
///
/// let req = OpenInstancesRequest::new(
///     "APP20240726094927",
///     vec![OpenParam::by_product("ipideash_598", 2, 1)],
/// );
/// assert_eq!(
///     serde_json::to_string(&req).unwrap(),
///     r#"{"appOrderNo":"APP20240726094927","params":[{"productNo":"ipideash_598","count":2,"cycleTimes":1}]}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpenInstancesRequest {
    /// The caller's order number (at most 32 characters; unique per order; the
    /// platform's idempotency key).
    pub app_order_no: String,
    /// What to buy.
    #[serde(deserialize_with = "crate::de::vec")]
    pub params: Vec<OpenParam>,
}

impl OpenInstancesRequest {
    /// An order `app_order_no` for the items in `params`.
    #[must_use]
    pub fn new(app_order_no: impl Into<String>, params: Vec<OpenParam>) -> Self {
        Self {
            app_order_no: app_order_no.into(),
            params,
        }
    }
}

fn one() -> u32 {
    1
}

/// One item of an open request: a product (recommended, by `product_no`) or the filters
/// that pick one, how many, and for how long.
///
/// When `product_no` is set the seven filters (`proxy_type`, `country_code`, `city_code`,
/// `supplier_code`, `unit`, `isp_type`, `duration`) are ignored by the platform.
/// A Go client sends every field, unset ones as zero values (`0`, `""`, `false`); those
/// decode literally (`Some(0)`, `Some("")`); [`OpenParam::without_go_zero_values`] maps
/// them to `None`.
///
/// Cost: static = price x `cycle_times` x `count` + bandwidth price x `ext_band_width` x
/// `cycle_times` x `count` (+ bridge fee x `cycle_times` x `count`); dynamic by flow =
/// price per MB x `flow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpenParam {
    /// The product to buy (recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_no: Option<String>,
    /// Filter: proxy type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_type: Option<ProxyType>,
    /// Filter: country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Filter: city code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_code: Option<String>,
    /// Filter: supplier code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_code: Option<String>,
    /// Filter: duration unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// Filter: ISP type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isp_type: Option<IspType>,
    /// Filter: the product's duration (in `unit`s). Old clients used it as the period
    /// bought; `cycle_times` supersedes that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// How many instances (static: 1 to 20; ignored by flow products). Default 1.
    #[serde(default = "one", deserialize_with = "crate::de::int")]
    pub count: u32,
    /// How many of the product's periods (`duration` x `unit`) to buy. Default 1.
    #[serde(default = "one", deserialize_with = "crate::de::int")]
    pub cycle_times: u32,
    /// Whether to renew automatically.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::de::opt_flag"
    )]
    pub renew: Option<bool>,
    /// Extra bandwidth, in Mbps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_band_width: Option<u32>,
    /// The main account that receives a dynamic product (required for dynamic products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_username: Option<String>,
    /// Dynamic products: the flow to buy, in MB (required for dynamic products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<u64>,
    /// Whether to use the bridge (default: follow the app's setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_bridge: Option<BridgeChoice>,
    /// A project to buy for (reserved by the platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// CIDR blocks to take the addresses from, with how many from each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_blocks: Option<Vec<CidrSelection>>,
}

impl Default for OpenParam {
    /// Nothing chosen; `count` and `cycle_times` at their default of 1.
    fn default() -> Self {
        Self {
            product_no: None,
            proxy_type: None,
            country_code: None,
            city_code: None,
            supplier_code: None,
            unit: None,
            isp_type: None,
            duration: None,
            count: 1,
            cycle_times: 1,
            renew: None,
            ext_band_width: None,
            app_username: None,
            flow: None,
            use_bridge: None,
            project_id: None,
            cidr_blocks: None,
        }
    }
}

impl OpenParam {
    /// `count` instances of a static product for `cycle_times` of its periods.
    #[must_use]
    pub fn by_product(product_no: impl Into<String>, count: u32, cycle_times: u32) -> Self {
        Self {
            product_no: Some(product_no.into()),
            count,
            cycle_times,
            ..Self::default()
        }
    }

    /// `flow_mb` megabytes of a dynamic product for the main account `app_username`.
    #[must_use]
    pub fn dynamic_flow(
        product_no: impl Into<String>,
        app_username: impl Into<String>,
        flow_mb: u64,
    ) -> Self {
        Self {
            product_no: Some(product_no.into()),
            app_username: Some(app_username.into()),
            flow: Some(flow_mb),
            ..Self::default()
        }
    }

    /// Takes the addresses from these CIDR blocks.
    #[must_use]
    pub fn with_cidr_blocks(mut self, blocks: Vec<CidrSelection>) -> Self {
        self.cidr_blocks = Some(blocks);
        self
    }

    /// Adds `mbps` of bandwidth to each instance.
    #[must_use]
    pub fn with_ext_band_width(mut self, mbps: u32) -> Self {
        self.ext_band_width = Some(mbps);
        self
    }

    /// Chooses whether to use the bridge.
    #[must_use]
    pub fn with_bridge(mut self, choice: BridgeChoice) -> Self {
        self.use_bridge = Some(choice);
        self
    }

    /// Whether the item names a product (a non-empty `product_no`).
    #[must_use]
    pub fn is_by_product(&self) -> bool {
        self.product_no.as_deref().is_some_and(|p| !p.is_empty())
    }

    /// The same item with Go zero values (`0`, `""`, `false`, empty lists) as `None`,
    /// which is what a Go client means by them. `count` and `cycle_times` of 0 become 1,
    /// their documented default.
    #[must_use]
    pub fn without_go_zero_values(self) -> Self {
        fn text(v: Option<String>) -> Option<String> {
            v.filter(|s| !s.is_empty())
        }
        fn num(v: Option<u32>) -> Option<u32> {
            v.filter(|n| *n != 0)
        }
        Self {
            product_no: text(self.product_no),
            proxy_type: self.proxy_type.filter(|t| t.as_i64() != 0),
            country_code: text(self.country_code),
            city_code: text(self.city_code),
            supplier_code: text(self.supplier_code),
            unit: self.unit.filter(|u| u.as_i64() != 0),
            isp_type: self.isp_type.filter(|t| t.as_i64() != 0),
            duration: num(self.duration),
            count: self.count.max(1),
            cycle_times: self.cycle_times.max(1),
            renew: self.renew.filter(|r| *r),
            ext_band_width: num(self.ext_band_width),
            app_username: text(self.app_username),
            flow: self.flow.filter(|f| *f != 0),
            use_bridge: self.use_bridge.filter(|b| b.as_i64() != 0),
            project_id: text(self.project_id),
            cidr_blocks: self.cidr_blocks.filter(|b| !b.is_empty()),
        }
    }
}

/// A CIDR block chosen in an open request, with how many addresses to take from it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CidrSelection {
    /// The block, e.g. `104.28.0.0/24` (one of the product's `cidr_blocks`).
    pub cidr: String,
    /// How many addresses to take from it.
    #[serde(deserialize_with = "crate::de::int")]
    pub count: u32,
    /// The block's autonomous system (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<String>,
    /// The block's ISP (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isp: Option<String>,
    /// Projects to take the addresses for, with their stock (the Go SDK's `projectList`,
    /// the same shape as a product block's; optional, `null` decodes to `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_list: Option<Vec<crate::product::ProjectStock>>,
}

impl CidrSelection {
    /// `count` addresses from `cidr`.
    #[must_use]
    pub fn new(cidr: impl Into<String>, count: u32) -> Self {
        Self {
            cidr: cidr.into(),
            count,
            asn: None,
            isp: None,
            project_list: None,
        }
    }
}

/// The request of `instance/open/assign/ip` (endpoint 9): buy a chosen IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpenAssignedIpRequest {
    /// The caller's order number (idempotency key).
    pub app_order_no: String,
    /// The product (the address's region may differ from the product's).
    pub product_no: String,
    /// How many of the product's periods to buy. Default 1.
    #[serde(default = "one", deserialize_with = "crate::de::int")]
    pub cycle_times: u32,
    /// Whether to renew automatically.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::de::opt_flag"
    )]
    pub renew: Option<bool>,
    /// Extra bandwidth, in Mbps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_band_width: Option<u32>,
    /// Whether to use the bridge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_bridge: Option<BridgeChoice>,
    /// The IP to buy.
    pub assign_ip: String,
}

impl OpenAssignedIpRequest {
    /// Buy `ip` as product `product_no` for `cycle_times` periods, as order `app_order_no`.
    #[must_use]
    pub fn new(
        app_order_no: impl Into<String>,
        product_no: impl Into<String>,
        ip: impl Into<String>,
        cycle_times: u32,
    ) -> Self {
        Self {
            app_order_no: app_order_no.into(),
            product_no: product_no.into(),
            cycle_times,
            renew: None,
            ext_band_width: None,
            use_bridge: None,
            assign_ip: ip.into(),
        }
    }
}

/// The request of `assign/ip/info` (endpoint 10): can this IP be bought?
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AssignedIpInfoRequest {
    /// The IP.
    pub ip: String,
}

impl AssignedIpInfoRequest {
    /// Asks about `ip`.
    #[must_use]
    pub fn new(ip: impl Into<String>) -> Self {
        Self { ip: ip.into() }
    }
}

/// Whether an IP can be bought (endpoint 10).
///
/// `canBuyStatus` is an int in the vendor's document (`1` yes, `-1` no) and a bool in its
/// Go SDK: both decode (as do `0` and numeric strings). It encodes as a JSON bool: the
/// vendor's newer client (the Go SDK) is the better witness of what the platform sends,
/// and a Go client's `bool` field cannot decode an int, while this type reads both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AssignedIpInfo {
    /// The IP.
    pub ip: String,
    /// Whether it can be bought.
    #[serde(deserialize_with = "crate::de::flag")]
    pub can_buy_status: bool,
}

/// The request of `instance/renew` (endpoint 11): extend instances.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RenewInstancesRequest {
    /// The caller's order number (idempotency key).
    pub app_order_no: String,
    /// The instances and how long to extend each.
    #[serde(deserialize_with = "crate::de::vec")]
    pub instances: Vec<RenewItem>,
}

impl RenewInstancesRequest {
    /// An order `app_order_no` renewing `instances`.
    #[must_use]
    pub fn new(app_order_no: impl Into<String>, instances: Vec<RenewItem>) -> Self {
        Self {
            app_order_no: app_order_no.into(),
            instances,
        }
    }
}

/// One instance of a renew request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RenewItem {
    /// The instance.
    pub instance_no: String,
    /// The old way to say how long (default: the period bought); prefer `cycle_times`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// How many of the product's periods to add (takes precedence over `duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle_times: Option<u32>,
}

impl RenewItem {
    /// Renews `instance_no` for `cycle_times` of its product's periods.
    #[must_use]
    pub fn new(instance_no: impl Into<String>, cycle_times: u32) -> Self {
        Self {
            instance_no: instance_no.into(),
            duration: None,
            cycle_times: Some(cycle_times),
        }
    }
}

/// The request of `instance/release` (endpoint 12): give instances back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReleaseInstancesRequest {
    /// The caller's order number for this release (the wire calls it `orderNo`).
    pub order_no: String,
    /// The instances.
    #[serde(deserialize_with = "crate::de::vec")]
    pub instances: Vec<String>,
}

impl ReleaseInstancesRequest {
    /// An order `order_no` releasing `instances`.
    #[must_use]
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(
        order_no: impl Into<String>,
        instances: I,
    ) -> Self {
        Self {
            order_no: order_no.into(),
            instances: instances.into_iter().map(Into::into).collect(),
        }
    }
}

/// The request of `instance/aftersale` (endpoint 13): release instances through
/// after-sales service, with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AfterSaleReleaseRequest {
    /// The caller's order number.
    pub order_no: String,
    /// The instances.
    #[serde(deserialize_with = "crate::de::vec")]
    pub instances: Vec<String>,
    /// A remark.
    #[serde(default)]
    pub remark: String,
    /// The reason.
    #[serde(default)]
    pub reason: String,
    /// DingTalk users to notify.
    #[serde(
        rename = "dingTalkUserList",
        default,
        deserialize_with = "crate::de::vec"
    )]
    pub ding_talk_users: Vec<DingTalkUser>,
}

/// A DingTalk user to notify about an after-sales release.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct DingTalkUser {
    /// The user's DingTalk id.
    pub uid: String,
    /// The user's phone number.
    pub phone: String,
}

/// The answer to open, renew, release and after-sales requests (endpoints 8, 9, 11, 12,
/// 13): the order was accepted and will be processed asynchronously.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderReceipt {
    /// The platform's order number (use it with `order` and in callbacks). Never empty:
    /// a receipt without one names no order to follow, and does not decode.
    #[serde(deserialize_with = "crate::de::non_empty_text")]
    pub order_no: String,
    /// The caller's order number, echoed.
    pub app_order_no: String,
    /// The total charged, in yuan.
    #[serde(default)]
    pub amount: Money,
}

fn default_page() -> u32 {
    1
}

fn default_order_page_size() -> u32 {
    10
}

/// The request of `order` (endpoint 15): one order, with a page of its instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderRequest {
    /// The platform's order number.
    pub order_no: String,
    /// The caller's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_order_no: Option<String>,
    /// The page of instances (from 1; default 1).
    #[serde(default = "default_page", deserialize_with = "crate::de::int")]
    pub page: u32,
    /// Instances per page (default 10, at most 100).
    #[serde(
        default = "default_order_page_size",
        deserialize_with = "crate::de::int"
    )]
    pub page_size: u32,
}

impl OrderRequest {
    /// The largest page size the platform accepts.
    pub const MAX_PAGE_SIZE: u32 = 100;

    /// The order `order_no` with its first page of 10 instances.
    #[must_use]
    pub fn new(order_no: impl Into<String>) -> Self {
        Self {
            order_no: order_no.into(),
            app_order_no: None,
            page: 1,
            page_size: 10,
        }
    }

    /// Asks for page `page` (from 1) of `page_size` instances (capped at 100).
    #[must_use]
    pub fn with_page(mut self, page: u32, page_size: u32) -> Self {
        self.page = page.max(1);
        self.page_size = page_size.clamp(1, Self::MAX_PAGE_SIZE);
        self
    }
}

/// An order with a page of its instances (endpoint 15).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Order {
    /// The platform's order number.
    pub order_no: String,
    /// The caller's order number.
    pub app_order_no: String,
    /// What the order does (wire name `type`).
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Where the order is.
    #[serde(default)]
    pub status: OrderStatus,
    /// How many instances were ordered.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub count: i64,
    /// The total, in yuan.
    #[serde(default)]
    pub amount: Money,
    /// 1 when part of the amount was refunded.
    #[serde(deserialize_with = "crate::de::int")]
    pub refund: i64,
    /// The page of instances (echoed).
    #[serde(deserialize_with = "crate::de::int")]
    pub page: i64,
    /// Instances per page (echoed).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub page_size: i64,
    /// How many instances the order has in all.
    #[serde(deserialize_with = "crate::de::int")]
    pub total: i64,
    /// This page of the order's instances.
    #[serde(default, deserialize_with = "crate::de::vec")]
    pub instances: Vec<Instance>,
    /// Fields this SDK does not know yet, kept so nothing the vendor adds is lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Order {
    /// Whether some of the amount was refunded (`refund` is 1).
    #[must_use]
    pub fn has_refund(&self) -> bool {
        self.refund == 1
    }
}

/// The request of `order/list` (endpoint 16): a page of the app's orders (the last year).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrdersRequest {
    /// The page (from 1; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Orders per page (default 20, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Orders placed from this time (default: a year ago).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::opt_query_time"
    )]
    pub start_time: Option<crate::time::QueryTime>,
    /// Orders placed until this time (default: today).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::opt_query_time"
    )]
    pub end_time: Option<crate::time::QueryTime>,
}

/// An order in the order list (endpoint 16).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct OrderItem {
    /// The platform's order number.
    pub order_no: String,
    /// The caller's order number.
    pub app_order_no: String,
    /// The city's code.
    pub city_code: String,
    /// The instance renewed or released (empty for purchases).
    pub instance_no: String,
    /// What the order does (wire name `type`).
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Where the order is.
    pub status: OrderStatus,
    /// How many instances were ordered.
    #[serde(deserialize_with = "crate::de::int")]
    pub count: i64,
    /// How many succeeded.
    #[serde(deserialize_with = "crate::de::int")]
    pub success_count: i64,
    /// The total, in yuan.
    pub amount: Money,
    /// Extra bandwidth ordered.
    #[serde(deserialize_with = "crate::de::int")]
    pub ext_band_width: i64,
    /// Dynamic orders: the flow in MB, or the number of IPs.
    #[serde(deserialize_with = "crate::de::int")]
    pub flow: i64,
    /// When the order was placed (`None` for Go's zero time).
    #[serde(with = "crate::time::go_time")]
    pub created_at: Option<OffsetDateTime>,
    /// Fields this SDK does not know yet, kept so nothing the vendor adds is lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

with_fields!(OpenParam {
    with_product_no(product_no): some_into String;
    with_proxy_type(proxy_type): some ProxyType;
    with_country_code(country_code): some_into String;
    with_city_code(city_code): some_into String;
    with_supplier_code(supplier_code): some_into String;
    with_unit(unit): some Unit;
    with_isp_type(isp_type): some IspType;
    with_duration(duration): some u32;
    with_count(count): set u32;
    with_cycle_times(cycle_times): set u32;
    with_renew(renew): some bool;
    with_app_username(app_username): some_into String;
    with_flow(flow): some u64;
    with_use_bridge(use_bridge): some BridgeChoice;
    with_project_id(project_id): some_into String;
});

with_fields!(CidrSelection {
    with_asn(asn): some_into String;
    with_isp(isp): some_into String;
    with_project_list(project_list): some Vec<crate::product::ProjectStock>;
});

with_fields!(OpenAssignedIpRequest {
    with_renew(renew): some bool;
    with_ext_band_width(ext_band_width): some u32;
    with_use_bridge(use_bridge): some BridgeChoice;
});

with_fields!(RenewItem {
    with_instance_no(instance_no): into String;
    with_duration(duration): some u32;
    with_cycle_times(cycle_times): some u32;
});

impl AfterSaleReleaseRequest {
    /// An after-sales release `order_no` of `instances`, without remark or reason.
    #[must_use]
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(
        order_no: impl Into<String>,
        instances: I,
    ) -> Self {
        Self {
            order_no: order_no.into(),
            instances: instances.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

with_fields!(AfterSaleReleaseRequest {
    with_remark(remark): into String;
    with_reason(reason): into String;
    with_ding_talk_users(ding_talk_users): set Vec<DingTalkUser>;
});

impl DingTalkUser {
    /// The DingTalk user `uid`, reachable at `phone`.
    #[must_use]
    pub fn new(uid: impl Into<String>, phone: impl Into<String>) -> Self {
        Self {
            uid: uid.into(),
            phone: phone.into(),
        }
    }
}

with_fields!(OrderRequest {
    with_app_order_no(app_order_no): some_into String;
});

with_fields!(OrdersRequest {
    with_page(page): some u32;
    with_page_size(page_size): some u32;
    with_start_time(start_time): some crate::time::QueryTime;
    with_end_time(end_time): some crate::time::QueryTime;
});
