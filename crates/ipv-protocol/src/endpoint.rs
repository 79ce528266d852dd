//! One declaration per endpoint: the [`Endpoint`] trait and the table of all 30.
//!
//! The table at the bottom of this file reads side by side with the endpoint table in
//! `docs/architecture.md`: number, path middle, `Client` method, request type, response
//! type, and whether sending the request twice is harmless. From it one macro
//! generates the `Endpoint` impls and [`ENDPOINTS`]; [`for_each_endpoint!`](crate::for_each_endpoint)
//! hands the same rows to other crates, so `ipv-api` generates its named client methods
//! and the CLI its subcommands from this one table.
//!
//! ```
//! use ipv_protocol::endpoint::{ENDPOINTS, Endpoint};
//! use ipv_types::OpenInstancesRequest;
//!
//! assert_eq!(ENDPOINTS.len(), 30);
//! assert_eq!(OpenInstancesRequest::PATH, "/api/open/app/instance/open/v2");
//! assert_eq!(OpenInstancesRequest::NAME, "open_instances");
//! let info = ipv_protocol::endpoint::by_path("/api/open/app/order/v2").unwrap();
//! assert_eq!(info.number, 15);
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::InvalidInput;
use crate::validate;

use ipv_types::{
    Account, AddIpWhitelistRequest, AfterSaleReleaseRequest, AppInfo, AppInfoRequest, Area,
    AreasRequest, AssignedIpInfo, AssignedIpInfoRequest, CitiesRequest, City, DrawApiUrlRequest,
    DrawApiUrls, DrawWithPasswordRequest, DrawnProxies, FlowUsage, FlowUsageLogRequest, Instance,
    InstanceListRequest, InstancesRequest, IpWhitelist, NoData, OpenAssignedIpRequest,
    OpenInstancesRequest, Order, OrderItem, OrderReceipt, OrderRequest, OrdersRequest, Page,
    Product, ProductArea, ProductAreasRequest, ProductRequest, ProductsRequest, Project,
    ProjectsRequest, ProxyBalance, ProxyBalanceRequest, ProxyUser, ProxyUserRequest,
    ReleaseInstancesRequest, RemoveIpWhitelistRequest, RenewInstancesRequest,
    ResetPasswordsRequest, ResetPasswordsResult, ReturnDynamicProxyRequest, ReturnedProxy,
    SetProxyUserFlowLimitRequest, SyncUserAuthRequest, UpsertProxyUserRequest, UpsertUserRequest,
    UserAuthStatus,
};

/// The path every endpoint path starts with.
pub const PATH_PREFIX: &str = "/api/open/app/";
/// The suffix every endpoint path ends with.
pub const PATH_SUFFIX: &str = "/v2";

/// A request DTO of one endpoint: where it goes and what it returns.
///
/// Implemented for the 30 request types of `ipv-types`; the client's `send` takes any of
/// them, and the emulator routes on [`Endpoint::PATH`].
pub trait Endpoint: Serialize {
    /// The URL path, such as `/api/open/app/product/query/v2`.
    const PATH: &'static str;
    /// The endpoint's name, which is also the name of its method on `ipv_api::Client`.
    const NAME: &'static str;
    /// Whether sending the same request twice is harmless even if the platform did not
    /// de-duplicate it by reqId: reads, set-style updates, and purchases keyed by the
    /// caller's own order number (appOrderNo / orderNo / resetNo). Requests that are not
    /// (drawing proxies, returning flow, creating accounts without a chosen name) are
    /// retried only when they certainly did not reach the server, unless the
    /// client's retry policy says otherwise.
    const IDEMPOTENT: bool;
    /// Whether the request has parameters; when not, the envelope's `params` is `""`.
    const HAS_PARAMS: bool = true;
    /// The decoded `data` of a successful response.
    type Response: DeserializeOwned;

    /// Checks the request before anything is sent, naming the offending field.
    ///
    /// # Errors
    /// [`InvalidInput`] for the first rule the request breaks.
    fn validate(&self) -> Result<(), InvalidInput> {
        Ok(())
    }
}

/// One row of the endpoint table, for documentation, the CLI and the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointInfo {
    /// The endpoint's number in the spec (1..=30).
    pub number: u8,
    /// The method name on `ipv_api::Client`, also [`Endpoint::NAME`].
    pub name: &'static str,
    /// The full URL path.
    pub path: &'static str,
    /// The middle part of the path, such as `product/query`.
    pub middle: &'static str,
    /// [`Endpoint::IDEMPOTENT`].
    pub idempotent: bool,
    /// [`Endpoint::HAS_PARAMS`].
    pub has_params: bool,
    /// The request type's name.
    pub request: &'static str,
    /// The response type's name.
    pub response: &'static str,
}

/// The table row for `path` (a full path such as `/api/open/app/order/v2`).
#[must_use]
pub fn by_path(path: &str) -> Option<&'static EndpointInfo> {
    ENDPOINTS.iter().find(|e| e.path == path)
}

/// The table row for a method name such as `open_instances`.
#[must_use]
pub fn by_name(name: &str) -> Option<&'static EndpointInfo> {
    ENDPOINTS.iter().find(|e| e.name == name)
}

/// The full path for a path middle: `order/list` -> `/api/open/app/order/list/v2`.
#[must_use]
pub fn path_for(middle: &str) -> String {
    format!("{PATH_PREFIX}{middle}{PATH_SUFFIX}")
}

macro_rules! flag {
    (idempotent) => {
        true
    };
    (not_idempotent) => {
        false
    };
}

macro_rules! has_params {
    () => {
        true
    };
    (()) => {
        false
    };
}

macro_rules! endpoints {
    ($(
        $num:literal $middle:literal $method:ident $( ($($unit:tt)*) )?
            $req:ident => $resp:ty, $idem:ident;
    )*) => {
        $(
            impl Endpoint for $req {
                const PATH: &'static str = concat!("/api/open/app/", $middle, "/v2");
                const NAME: &'static str = stringify!($method);
                const IDEMPOTENT: bool = flag!($idem);
                const HAS_PARAMS: bool = has_params!($( ($($unit)*) )?);
                type Response = $resp;

                fn validate(&self) -> Result<(), InvalidInput> {
                    validate::$method(self)
                }
            }
        )*

        /// Every endpoint, in the spec's order.
        pub const ENDPOINTS: &[EndpointInfo] = &[$(
            EndpointInfo {
                number: $num,
                name: stringify!($method),
                path: concat!("/api/open/app/", $middle, "/v2"),
                middle: $middle,
                idempotent: flag!($idem),
                has_params: has_params!($( ($($unit)*) )?),
                request: stringify!($req),
                response: stringify!($resp),
            },
        )*];
    };
}

/// Calls the macro named `$callback` with the rows of the endpoint table, so other crates
/// generate code from the one table (the client's named methods, the CLI's subcommands).
///
/// Each row reads `number "path/middle" method_name Request => Response, repeat;`, where
/// `method_name` is followed by `()` for the one request without parameters and `repeat`
/// is `idempotent` or `not_idempotent`. The request and response names are plain
/// identifiers of `ipv_types` items: bring them into scope where the callback expands.
///
/// ```
/// macro_rules! count {
///     ($($num:literal $middle:literal $method:ident $( ($($unit:tt)*) )?
///         $req:ident => $resp:ty, $idem:ident;)*) => { [$($num),*].len() };
/// }
/// assert_eq!(ipv_protocol::for_each_endpoint!(count), 30);
/// ```
#[macro_export]
macro_rules! for_each_endpoint {
    ($callback:ident) => {
        $callback! {
    //  #  path middle                  Client method                request                          response                 repeat
    1  "info"                      app_info()                AppInfoRequest               => AppInfo,              idempotent;
    2  "area"                      areas                     AreasRequest                 => Vec<Area>,            idempotent;
    3  "city/list"                 cities                    CitiesRequest                => Vec<City>,            idempotent;
    4  "product/query"             products                  ProductsRequest              => Vec<Product>,         idempotent;
    5  "product/info"              product                   ProductRequest               => Product,              idempotent;
    6  "product/area"              product_areas             ProductAreasRequest          => Vec<ProductArea>,     idempotent;
    7  "project/list"              projects                  ProjectsRequest              => Vec<Project>,         idempotent;
    8  "instance/open"             open_instances            OpenInstancesRequest         => OrderReceipt,         idempotent;
    9  "instance/open/assign/ip"   open_assigned_ip          OpenAssignedIpRequest        => OrderReceipt,         idempotent;
    10 "assign/ip/info"            assigned_ip_info          AssignedIpInfoRequest        => AssignedIpInfo,       idempotent;
    11 "instance/renew"            renew_instances           RenewInstancesRequest        => OrderReceipt,         idempotent;
    12 "instance/release"          release_instances         ReleaseInstancesRequest      => OrderReceipt,         idempotent;
    13 "instance/aftersale"        after_sale_release        AfterSaleReleaseRequest      => OrderReceipt,         idempotent;
    14 "instance/reset/password"   reset_passwords           ResetPasswordsRequest        => ResetPasswordsResult, idempotent;
    15 "order"                     order                     OrderRequest                 => Order,                idempotent;
    16 "order/list"                orders                    OrdersRequest                => Page<OrderItem>,      idempotent;
    17 "instance"                  instances                 InstancesRequest             => Vec<Instance>,        idempotent;
    18 "instance/list"             instance_list             InstanceListRequest          => Page<Instance>,       idempotent;
    19 "user"                      upsert_user               UpsertUserRequest            => Account,              not_idempotent;
    20 "userAuth"                  sync_user_auth            SyncUserAuthRequest          => UserAuthStatus,       idempotent;
    21 "proxy/user"                upsert_proxy_user         UpsertProxyUserRequest       => Account,              not_idempotent;
    22 "proxy/user/info"           proxy_user                ProxyUserRequest             => ProxyUser,            idempotent;
    23 "proxy/user/flow/limit"     set_proxy_user_flow_limit SetProxyUserFlowLimitRequest => NoData,               idempotent;
    24 "proxy/info"                proxy_balance             ProxyBalanceRequest          => ProxyBalance,         idempotent;
    25 "proxy/draw/pwd"            draw_with_password        DrawWithPasswordRequest      => DrawnProxies,         not_idempotent;
    26 "proxy/draw/api"            draw_api_url              DrawApiUrlRequest            => DrawApiUrls,          idempotent;
    27 "proxy/flow/use/log"        flow_usage_log            FlowUsageLogRequest          => Page<FlowUsage>,      idempotent;
    28 "proxy/addIpWhiteList"      add_ip_whitelist          AddIpWhitelistRequest        => IpWhitelist,          idempotent;
    29 "proxy/delIpWhiteList"      remove_ip_whitelist       RemoveIpWhitelistRequest     => IpWhitelist,          idempotent;
    30 "proxy/return"              return_dynamic_proxy      ReturnDynamicProxyRequest    => ReturnedProxy,        not_idempotent;
        }
    };
}

for_each_endpoint!(endpoints);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_consistent() {
        assert_eq!(ENDPOINTS.len(), 30);
        for (i, e) in ENDPOINTS.iter().enumerate() {
            assert_eq!(usize::from(e.number), i + 1);
            assert!(e.path.starts_with(PATH_PREFIX) && e.path.ends_with(PATH_SUFFIX));
            assert_eq!(path_for(e.middle), e.path);
            assert_eq!(by_path(e.path), Some(e));
            assert_eq!(by_name(e.name), Some(e));
        }
        let mut paths: Vec<_> = ENDPOINTS.iter().map(|e| e.path).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), 30, "paths are unique");
        assert_eq!(ENDPOINTS.iter().filter(|e| !e.has_params).count(), 1);
        assert_eq!(
            RemoveIpWhitelistRequest::PATH,
            "/api/open/app/proxy/delIpWhiteList/v2"
        );
    }
}
