//! Endpoints 4 and 5: the product catalogue.

use serde::{Deserialize, Serialize};

use crate::dict::{
    CodeList, DrawType, IpType, IspType, NetType, Protocol, ProxyType, SellLimit, Toggle, Unit,
    UseLimit, UseType,
};
use crate::money::Money;

/// The request of `product/query` (endpoint 4): products of some proxy types, optionally
/// narrowed by the other filters.
///
/// ```
/// use ipv_types::{ProductsRequest, ProxyType};
///
/// let req = ProductsRequest::of_types([ProxyType::StaticResidentialAbroad]);
/// assert_eq!(serde_json::to_string(&req).unwrap(), r#"{"proxyType":[103]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductsRequest {
    /// The proxy types to list (required).
    #[serde(deserialize_with = "crate::de::vec")]
    pub proxy_type: Vec<ProxyType>,
    /// Only this product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_no: Option<String>,
    /// Only this country (ISO 3166 alpha-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Only this city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_code: Option<String>,
    /// Only this supplier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_code: Option<String>,
    /// Only this duration unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// Only this ISP type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isp_type: Option<IspType>,
    /// Only this network type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_type: Option<NetType>,
    /// Only this minimum duration (in `unit`s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
}

impl ProductsRequest {
    /// Products of the given proxy types, unfiltered otherwise.
    #[must_use]
    pub fn of_types<I: IntoIterator<Item = ProxyType>>(types: I) -> Self {
        Self {
            proxy_type: types.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Narrows the query to one country.
    #[must_use]
    pub fn in_country(mut self, country_code: impl Into<String>) -> Self {
        self.country_code = Some(country_code.into());
        self
    }

    /// Narrows the query to one city.
    #[must_use]
    pub fn in_city(mut self, city_code: impl Into<String>) -> Self {
        self.city_code = Some(city_code.into());
        self
    }
}

/// The request of `product/info` (endpoint 5): one product by number.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductRequest {
    /// The product.
    pub product_no: String,
}

impl ProductRequest {
    /// The product `product_no`.
    #[must_use]
    pub fn new(product_no: impl Into<String>) -> Self {
        Self {
            product_no: product_no.into(),
        }
    }
}

/// A product of the catalogue (endpoints 4 and 5).
///
/// A product can be bought only when `enable` is 1 and `inventory` is above 0
/// ([`Product::is_purchasable`]); `duration` x `unit` is the shortest period sold.
/// Integers decode from numbers or numeric strings, `null` lists are empty, and fields
/// this SDK does not know are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Product {
    /// The product's number (unique).
    pub product_no: String,
    /// Its name.
    #[serde(default)]
    pub product_name: String,
    /// Its proxy type.
    pub proxy_type: ProxyType,
    /// How its proxies authenticate users (`"1,2"`).
    #[serde(default)]
    pub use_type: CodeList<UseType>,
    /// The protocols its proxies speak (`"1,2,3"`).
    #[serde(default)]
    pub protocol: CodeList<Protocol>,
    /// Where the exit address may be.
    #[serde(default)]
    pub use_limit: UseLimit,
    /// Where it may be sold.
    #[serde(default)]
    pub sell_limit: SellLimit,
    /// The continent's code (empty for dynamic products).
    #[serde(default)]
    pub area_code: String,
    /// The country's code (ISO 3166 alpha-3).
    #[serde(default)]
    pub country_code: String,
    /// The state's code (6 characters).
    #[serde(default)]
    pub state_code: String,
    /// The city's code.
    #[serde(default)]
    pub city_code: String,
    /// A description.
    #[serde(default)]
    pub detail: String,
    /// The price of one instance for one period (static), or of one MB (dynamic by flow).
    pub cost_price: Money,
    /// Instances in stock.
    #[serde(deserialize_with = "crate::de::int")]
    pub inventory: i64,
    /// The address family.
    #[serde(default)]
    pub ip_type: IpType,
    /// The ISP type.
    #[serde(default)]
    pub isp_type: IspType,
    /// The network type.
    #[serde(default)]
    pub net_type: NetType,
    /// The shortest period sold, in `unit`s (0: unlimited).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub duration: i64,
    /// The unit of `duration`.
    #[serde(default)]
    pub unit: Unit,
    /// The bandwidth included (Mbps).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub band_width: i64,
    /// The bandwidth's kind: 1 dedicated, 2 shared, 3 traffic package.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub band_width_type: i64,
    /// The price of one extra Mbps for one period.
    #[serde(default)]
    pub band_width_price: Money,
    /// The most bandwidth that can be set (Mbps).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub max_band_width: i64,
    /// Dynamic by flow: the smallest package sold, in MB.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub flow: i64,
    /// CPUs.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub cpu: i64,
    /// Memory (a quantity, not money).
    #[serde(default, deserialize_with = "crate::de::float")]
    pub memory: f64,
    /// Whether it is on sale (1).
    #[serde(default)]
    pub enable: Toggle,
    /// The supplier's code.
    #[serde(default)]
    pub supplier_code: String,
    /// Dynamic by IP count: the smallest number of IPs sold.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub ip_count: i64,
    /// Dynamic by IP count: how long each IP lasts, in minutes.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub ip_duration: i64,
    /// Whether a chosen IP can be bought (`instance/open/assign/ip`).
    #[serde(default)]
    pub assign_ip: Toggle,
    /// The parent product's number.
    #[serde(default)]
    pub parent_no: String,
    /// Whether CIDR blocks can be chosen when buying.
    #[serde(default)]
    pub cidr_status: Toggle,
    /// The CIDR blocks on sale, with their stock.
    #[serde(default, deserialize_with = "crate::de::vec")]
    pub cidr_blocks: Vec<CidrBlock>,
    /// The CIDR blocks taken off sale in the last month.
    #[serde(default, deserialize_with = "crate::de::vec")]
    pub offline_cidr_blocks: Vec<OfflineCidrBlock>,
    /// How its proxies are drawn.
    #[serde(default)]
    pub draw_type: DrawType,
    /// For how many seconds after purchase a refund is possible (0: never).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub refund_duration: i64,
    /// Whether a one-day trial can be bought.
    #[serde(default)]
    pub one_day: Toggle,
    /// Dynamic, drawn by password: whether every connection can change the proxy.
    #[serde(default)]
    pub proxy_everytime_change: Toggle,
    /// Dynamic: whether drawing from the global pool is supported.
    #[serde(default)]
    pub proxy_global_random: Toggle,
    /// Dynamic, drawn by API: whether drawing from the global pool is supported.
    #[serde(default)]
    pub api_draw_global_random: Toggle,
    /// Dynamic: whether IP whitelists are supported (an int flag here, not a list).
    #[serde(default, rename = "ipWhiteList")]
    pub ip_whitelist: Toggle,
    /// Dynamic, drawn by password: whether proxy users (sub-accounts) are supported.
    #[serde(default)]
    pub pwd_draw_proxy_user: Toggle,
    /// Dynamic: whether proxy users' flow limits can be managed.
    #[serde(default)]
    pub proxy_user_flow_limit: Toggle,
    /// Dynamic: whether the flow usage log is available.
    #[serde(default)]
    pub flow_use_log: Toggle,
    /// Dynamic, drawn by password: the session lengths allowed, in minutes (`"1-120"`).
    #[serde(default)]
    pub pwd_draw_session_range: String,
    /// Dynamic: the base for unit conversions of flow, 1000 or 1024 (0: unknown).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub flow_conversion_base: i64,
    /// Stock per project.
    #[serde(default, deserialize_with = "crate::de::vec")]
    pub project_list: Vec<ProjectStock>,
    /// The product's kind (2: shared).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub product_type: i64,
    /// Whether its proxies' passwords can be reset.
    #[serde(default)]
    pub reset_password: Toggle,
    /// Fields this SDK does not know yet, kept so nothing the vendor adds is lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Product {
    /// Whether the product can be bought now: `enable` is 1 and `inventory` is above 0.
    #[must_use]
    pub fn is_purchasable(&self) -> bool {
        self.enable.is_yes() && self.inventory > 0
    }
}

/// A CIDR block of a product, with its stock.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct CidrBlock {
    /// The block, e.g. `104.28.0.0/24`.
    pub cidr: String,
    /// Addresses in stock in the block.
    #[serde(deserialize_with = "crate::de::int")]
    pub count: i64,
    /// The block's autonomous system, e.g. `AS13335`.
    pub asn: String,
    /// The block's ISP, e.g. `Cloudflare`.
    pub isp: String,
    /// Stock per project in the block.
    #[serde(deserialize_with = "crate::de::vec")]
    pub project_list: Vec<ProjectStock>,
}

/// A CIDR block taken off sale.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct OfflineCidrBlock {
    /// The block.
    pub cidr: String,
    /// When it was taken off sale, as the server wrote it (`"2024-06-27 12:00:00"`).
    pub offline_time: String,
}

/// Stock for one project.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ProjectStock {
    /// The project's code.
    pub code: String,
    /// Addresses in stock for it.
    #[serde(deserialize_with = "crate::de::int")]
    pub inventory: i64,
}

with_fields!(ProductsRequest {
    with_proxy_type(proxy_type): set Vec<ProxyType>;
    with_product_no(product_no): some_into String;
    with_country_code(country_code): some_into String;
    with_city_code(city_code): some_into String;
    with_supplier_code(supplier_code): some_into String;
    with_unit(unit): some Unit;
    with_isp_type(isp_type): some IspType;
    with_net_type(net_type): some NetType;
    with_duration(duration): some u32;
});

impl ProjectStock {
    /// `inventory` addresses in stock for project `code`.
    #[must_use]
    pub fn new(code: impl Into<String>, inventory: i64) -> Self {
        Self {
            code: code.into(),
            inventory,
        }
    }
}
