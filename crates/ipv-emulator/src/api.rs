//! The 30 endpoints: the routing table (keyed by `ipv_protocol`'s `Endpoint::PATH`), typed
//! parameter decoding with field-naming errors, and the handlers' wiring.

use ipv_protocol::endpoint::Endpoint;
use ipv_types::{
    AddIpWhitelistRequest, AfterSaleReleaseRequest, AppInfoRequest, AreasRequest,
    AssignedIpInfoRequest, CitiesRequest, DrawApiUrlRequest, DrawWithPasswordRequest,
    FlowUsageLogRequest, InstanceListRequest, InstancesRequest, OpenAssignedIpRequest,
    OpenInstancesRequest, OrderRequest, OrdersRequest, ProductAreasRequest, ProductRequest,
    ProductsRequest, ProjectsRequest, ProxyBalanceRequest, ProxyUserRequest,
    ReleaseInstancesRequest, RemoveIpWhitelistRequest, RenewInstancesRequest,
    ResetPasswordsRequest, ReturnDynamicProxyRequest, SetProxyUserFlowLimitRequest,
    SyncUserAuthRequest, UpsertProxyUserRequest, UpsertUserRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::config::OrderSchedule;
use crate::state::{ApiFailure, State};
use crate::{accounts, orders, queries};

/// What a handler sees: the locked state, the calling app and the emulator time.
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a mut State,
    pub(crate) app_key: &'a str,
    pub(crate) now: OffsetDateTime,
    pub(crate) schedule: OrderSchedule,
}

/// A decoded, handled request: the serialised JSON of the response data.
pub(crate) type Outcome = Result<serde_json::Value, ApiFailure>;

/// One routable endpoint.
#[derive(Clone, Copy)]
pub(crate) struct Route {
    /// Whether the endpoint changes state (its answers are cached for reqId replay).
    pub(crate) mutating: bool,
    /// Decodes the params and runs the handler.
    pub(crate) run: fn(&mut Ctx<'_>, serde_json::Value) -> Outcome,
}

/// Decodes `value` into the endpoint's request type, naming the failing field (never
/// quoting the value: it is decrypted text).
pub(crate) fn decode<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiFailure> {
    let was_empty = value.is_null();
    serde_path_to_error::deserialize(value).map_err(|err| {
        if was_empty {
            return ApiFailure::invalid("params", "is empty, but this endpoint takes parameters");
        }
        let path = err.path().to_string();
        let path = if path == "." {
            "params".to_owned()
        } else {
            path
        };
        let inner = err.into_inner().to_string();
        // serde's "missing field `x`" names only our own field; other messages may
        // quote the input (decrypted text), so they are replaced by a fixed text.
        let why = if inner.starts_with("missing field `") {
            inner
                .split(" at line")
                .next()
                .unwrap_or("missing field")
                .to_owned()
        } else {
            "has the wrong type or an invalid value".to_owned()
        };
        ApiFailure::invalid(path, why)
    })
}

fn run<E>(
    ctx: &mut Ctx<'_>,
    value: serde_json::Value,
    handler: fn(&mut Ctx<'_>, E) -> Result<E::Response, ApiFailure>,
) -> Outcome
where
    E: Endpoint + DeserializeOwned,
    E::Response: Serialize,
{
    let req: E = decode(value)?;
    let resp = handler(ctx, req)?;
    serde_json::to_value(&resp)
        .map_err(|_| ApiFailure::new(ipv_types::ApiCode::SystemError, "system error"))
}

macro_rules! routes {
    ($( $req:ty => $mutating:literal, $handler:expr; )*) => {
        /// The route for an API path, if it is one of the 30.
        pub(crate) fn route_for(path: &str) -> Option<Route> {
            $(
                if path == <$req as Endpoint>::PATH {
                    return Some(Route {
                        mutating: $mutating,
                        run: |ctx, value| run::<$req>(ctx, value, $handler),
                    });
                }
            )*
            None
        }

        /// Every routed path, in table order.
        #[cfg(test)]
        pub(crate) const ROUTED_PATHS: &[&str] = &[$( <$req as Endpoint>::PATH, )*];
    };
}

routes! {
    AppInfoRequest => false, |c, _r| queries::app_info(c.state, c.app_key);
    AreasRequest => false, |c, r| queries::areas(c.state, r);
    CitiesRequest => false, |c, r| queries::cities(c.state, r);
    ProductsRequest => false, |c, r| queries::products(c.state, r);
    ProductRequest => false, |c, r| queries::product(c.state, r);
    ProductAreasRequest => false, |c, r| queries::product_areas(c.state, r);
    ProjectsRequest => false, |c, r| queries::projects(c.state, r);
    OpenInstancesRequest => true, |c, r| orders::open_instances(c.state, c.app_key, c.now, c.schedule, r);
    OpenAssignedIpRequest => true, |c, r| orders::open_assigned_ip(c.state, c.app_key, c.now, c.schedule, r);
    AssignedIpInfoRequest => false, |c, r| queries::assigned_ip_info(c.state, r);
    RenewInstancesRequest => true, |c, r| orders::renew_instances(c.state, c.app_key, c.now, c.schedule, r);
    ReleaseInstancesRequest => true, |c, r: ReleaseInstancesRequest| orders::release_instances(c.state, c.app_key, c.now, c.schedule, r.order_no, r.instances, false);
    AfterSaleReleaseRequest => true, |c, r: AfterSaleReleaseRequest| orders::release_instances(c.state, c.app_key, c.now, c.schedule, r.order_no, r.instances, true);
    ResetPasswordsRequest => true, |c, r| queries::reset_passwords(c.state, c.app_key, r);
    OrderRequest => false, |c, r| queries::order(c.state, c.app_key, r);
    OrdersRequest => false, |c, r| queries::orders(c.state, c.app_key, r);
    InstancesRequest => false, |c, r| queries::instances(c.state, c.app_key, r);
    InstanceListRequest => false, |c, r| queries::instance_list(c.state, c.app_key, r);
    UpsertUserRequest => true, |c, r| accounts::upsert_user(c.state, c.app_key, r);
    SyncUserAuthRequest => true, |c, r| accounts::sync_user_auth(c.state, c.app_key, r);
    UpsertProxyUserRequest => true, |c, r| accounts::upsert_proxy_user(c.state, c.app_key, r);
    ProxyUserRequest => false, |c, r| accounts::proxy_user(c.state, c.app_key, r);
    SetProxyUserFlowLimitRequest => true, |c, r| accounts::set_proxy_user_flow_limit(c.state, c.app_key, r);
    ProxyBalanceRequest => false, |c, r| accounts::proxy_balance(c.state, c.app_key, r);
    DrawWithPasswordRequest => true, |c, r| accounts::draw_with_password(c.state, c.app_key, r);
    DrawApiUrlRequest => false, |c, r| accounts::draw_api_url(c.state, c.app_key, r);
    FlowUsageLogRequest => false, |c, r| accounts::flow_usage_log(c.state, c.app_key, r);
    AddIpWhitelistRequest => true, |c, r| accounts::add_ip_whitelist(c.state, c.app_key, r);
    RemoveIpWhitelistRequest => true, |c, r| accounts::remove_ip_whitelist(c.state, c.app_key, r);
    ReturnDynamicProxyRequest => true, |c, r| accounts::return_dynamic_proxy(c.state, c.app_key, c.now, r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_thirty_endpoints_are_routed() {
        assert_eq!(ROUTED_PATHS.len(), 30);
        for info in ipv_protocol::endpoint::ENDPOINTS {
            assert!(
                route_for(info.path).is_some(),
                "{} is not routed",
                info.path
            );
        }
        assert!(route_for("/api/open/app/nope/v2").is_none());
    }

    #[test]
    fn decode_names_the_field_and_never_quotes_input() {
        let err = decode::<ProductRequest>(serde_json::json!({})).unwrap_err();
        assert_eq!(err.code, ipv_types::ApiCode::InvalidParams);
        assert!(err.msg.contains("productNo"), "{}", err.msg);
        let err = decode::<OpenInstancesRequest>(serde_json::json!({
            "appOrderNo": "A1",
            "params": [{"productNo": "p", "count": "SECRET-TEXT"}]
        }))
        .unwrap_err();
        assert!(err.msg.contains("params[0].count"), "{}", err.msg);
        assert!(!err.msg.contains("SECRET-TEXT"), "{}", err.msg);
        let err = decode::<ProductRequest>(serde_json::Value::Null).unwrap_err();
        assert!(err.msg.contains("params: is empty"), "{}", err.msg);
        assert!(decode::<AppInfoRequest>(serde_json::Value::Null).is_ok());
    }
}
