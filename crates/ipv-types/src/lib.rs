//! Wire types of the ipipv open API v2, serde only.
//!
//! This crate holds every type that crosses the wire: the request and response
//! [envelopes](envelope), the status [codes](code), the [dictionaries](dict), exact
//! [money], [times](time), the requests and responses of all 30 endpoints, and
//! the platform's [callbacks](callback). It does no I/O and no cryptography; `ipv-api`
//! seals these types into envelopes and sends them.
//!
//! Decoding is tolerant where the platform is loose: numbers that arrive as strings,
//! `null` for empty lists, Go's zero time for "never", flags as bools or `-1`/`1`, and
//! values or fields this SDK does not know yet (kept, and written back unchanged).
//!
//! ```
//! use ipv_types::{Money, OpenInstancesRequest, OpenParam, Product, ProxyType};
//!
//! // A product as the platform sends it (most fields left out for brevity).
//! let json = r#"{"productNo":"ipideash_500","proxyType":103,"costPrice":"2.00",
//!               "inventory":"1000","enable":1,"cidrBlocks":null,"newField":true}"#;
//! let product: Product = serde_json::from_str(json).unwrap();
//! assert_eq!(product.proxy_type, ProxyType::StaticResidentialAbroad);
//! assert_eq!(product.cost_price.to_string(), "2.00");
//! assert_eq!(product.inventory, 1000);
//! assert!(product.is_purchasable());
//! assert!(product.cidr_blocks.is_empty());
//! assert_eq!(product.extra["newField"], serde_json::json!(true));
//!
//! // Buying 3 instances for 2 periods: the price is exact.
//! let cost = product.cost_price * 3 * 2;
//! assert_eq!(cost, "12.00".parse::<Money>().unwrap());
//!
//! let order = OpenInstancesRequest::new("APP-1", vec![OpenParam::by_product(&product.product_no, 3, 2)]);
//! let json = serde_json::to_string(&order).unwrap();
//! assert_eq!(json, r#"{"appOrderNo":"APP-1","params":[{"productNo":"ipideash_500","count":3,"cycleTimes":2}]}"#);
//! ```
//!
//! # Choices
//!
//! - Fields the vendor document marks required in an answer must be present: the
//!   numbers that identify a record (`orderNo`, `appOrderNo`, `instanceNo`, `productNo`,
//!   …) and the amounts decisions rest on (`coin`, `costPrice`, `inventory`, `total`).
//!   Decoding an answer without one fails with serde's "missing field `name`", so `{}`
//!   never passes as a receipt, an order or app info. A `null` list still decodes as an
//!   empty list and Go's zero time as `None`.
//! - Every other response field decodes with Go's zero value when missing (every
//!   response type is `Default`); dictionaries default to the number `0`, kept as
//!   `Unknown(0)` where `0` has no name.
//! - Required request fields are plain fields and fail decoding when missing (a server
//!   answers "bad parameters"); optional ones are `Option`, left out when `None`.
//! - `canBuyStatus` decodes from a bool or `-1`/`1` and encodes as a bool (what the Go SDK
//!   reads).
//! - Response times are `Option<OffsetDateTime>` via [`time::go_time`]; request times are
//!   [`QueryTime`].
//! - Passwords in responses are plain `String`s (the caller needs them) whose `Debug`
//!   prints `[redacted]`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[macro_use]
mod builder;

pub mod account;
pub mod app;
pub mod area;
pub mod callback;
pub mod code;
mod de;
pub mod dict;
pub mod envelope;
pub mod instance;
pub mod money;
pub mod order;
pub mod page;
pub mod product;
mod redact;
pub mod text;
pub mod time;

pub use account::{
    Account, AddIpWhitelistRequest, DrawApiUrl, DrawApiUrlRequest, DrawApiUrls,
    DrawWithPasswordRequest, DrawnProxies, DrawnProxy, FlowUsage, FlowUsageLogRequest, IpWhitelist,
    NoData, ProxyBalance, ProxyBalanceItem, ProxyBalanceRequest, ProxyUser, ProxyUserRequest,
    RemoveIpWhitelistRequest, ReturnDynamicProxyRequest, ReturnedProxy,
    SetProxyUserFlowLimitRequest, SyncUserAuthRequest, UpsertProxyUserRequest, UpsertUserRequest,
    UserAuthStatus,
};
pub use app::{AppInfo, AppInfoRequest};
pub use area::{
    Area, AreasRequest, CitiesRequest, City, ProductArea, ProductAreasRequest, Project,
    ProjectsRequest,
};
pub use callback::{Callback, CallbackAck, CallbackKind, CallbackParseError, MAX_CALLBACK_NO_LEN};
pub use code::ApiCode;
pub use dict::{
    AccountStatus, AppBridge, AppStatus, AuthType, BridgeChoice, CodeList, CodeListError, DictCode,
    DrawType, InstanceStatus, IpType, IspType, ListingStatus, NetType, OrderStatus, OrderType,
    Protocol, ProxyType, ResetStatus, SellLimit, Toggle, Unit, UseLimit, UseType,
};
pub use envelope::{ENCRYPT_AES, RequestEnvelope, ResponseEnvelope, VERSION};
pub use instance::{
    Instance, InstanceListRequest, InstancesRequest, PasswordReset, ResetPasswordsRequest,
    ResetPasswordsResult,
};
pub use money::{Money, MoneyParseError};
pub use order::{
    AfterSaleReleaseRequest, AssignedIpInfo, AssignedIpInfoRequest, CidrSelection, DingTalkUser,
    OpenAssignedIpRequest, OpenInstancesRequest, OpenParam, Order, OrderItem, OrderReceipt,
    OrderRequest, OrdersRequest, ReleaseInstancesRequest, RenewInstancesRequest, RenewItem,
};
pub use page::Page;
pub use product::{
    CidrBlock, OfflineCidrBlock, Product, ProductRequest, ProductsRequest, ProjectStock,
};
pub use time::QueryTime;

/// The `time` crate, whose `OffsetDateTime` holds response times.
pub use ::time as time_crate;

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
/// The `rust_decimal` crate, whose `Decimal` backs [`Money`].
pub use rust_decimal;
