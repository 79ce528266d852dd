//! The dashboard: a page at `/__emulator/ui/` (HTML, CSS and JavaScript embedded in the
//! binary, nothing fetched from elsewhere) that reads the control API, and the control
//! routes it needs beyond the original ones: paged and filtered instances and orders,
//! balance history, dynamic accounts, products, the delivery log and resend.
//!
//! Every control route, these included, first passes [`crate::access::Access::check`].

mod views;

use bytes::Bytes;
use http::{Method, Response, StatusCode, header};
use http_body_util::Full;
use serde::Deserialize;

pub(crate) use crate::access::Access;
pub use views::{
    AccountsView, AllotmentView, BalanceHistory, BalancePoint, DeliveriesView, InstanceFilter,
    InstanceRow, MAX_BALANCE_POINTS, MAX_PAGE_SIZE, MainAccountView, OrderFilter, OrderMove,
    OrderRow, Page, PageRequest, ProductStock, ProxyUserView,
};

use crate::control::{Control, refused, reply};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// The page's content security policy: its own script and style files only, no inline
/// code, no frames, no forms, requests to itself only.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The placeholder in `index.html` the token replaces.
const TOKEN_SLOT: &str = "{{EMULATOR_TOKEN}}";

type HttpResponse = Response<Full<Bytes>>;

fn asset(content_type: &'static str, body: impl Into<Bytes>) -> HttpResponse {
    let mut resp = Response::new(Full::new(body.into()));
    let headers = resp.headers_mut();
    let set = |h: &mut http::HeaderMap, name: header::HeaderName, value: &'static str| {
        h.insert(name, header::HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_TYPE, content_type);
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    resp
}

/// Decodes `%XX` and `+` in one query component; `None` for bad escapes or non-UTF-8.
fn decode_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The query as a JSON object of strings (empty values dropped), for serde.
fn query_object(query: Option<&str>) -> Result<serde_json::Value, String> {
    let mut map = serde_json::Map::new();
    for pair in query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .take(32)
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(name), Some(value)) = (decode_component(name), decode_component(value)) else {
            return Err("the query string is not valid percent-encoded UTF-8".to_owned());
        };
        if value.is_empty() {
            continue;
        }
        map.insert(name, serde_json::Value::String(value));
    }
    Ok(serde_json::Value::Object(map))
}

/// The query as `T`; `Err` names what is wrong.
fn from_query<T: serde::de::DeserializeOwned>(query: Option<&str>) -> Result<T, String> {
    let object = query_object(query)?;
    serde_path_to_error::deserialize(object).map_err(|e| {
        let path = e.path().to_string();
        format!("invalid query at `{path}`: {}", e.into_inner())
    })
}

/// A whole number given as query text.
fn number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
{
    let text: Option<String> = Option::deserialize(deserializer)?;
    text.map(|t| {
        t.parse()
            .map_err(|_| serde::de::Error::custom("not a whole number in range"))
    })
    .transpose()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InstancesQuery {
    app_key: Option<String>,
    status: Option<String>,
    product_no: Option<String>,
    #[serde(default, deserialize_with = "number")]
    expires_within_days: Option<u32>,
    #[serde(default, deserialize_with = "number")]
    page: Option<usize>,
    #[serde(default, deserialize_with = "number")]
    per_page: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OrdersQuery {
    app_key: Option<String>,
    status: Option<String>,
    #[serde(default, deserialize_with = "number")]
    page: Option<usize>,
    #[serde(default, deserialize_with = "number")]
    per_page: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppQuery {
    app_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LimitQuery {
    #[serde(default, deserialize_with = "number")]
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResendBody {
    id: u64,
}

fn page_of(page: Option<usize>, per_page: Option<usize>) -> PageRequest {
    let default = PageRequest::default();
    PageRequest {
        page: page.unwrap_or(default.page),
        per_page: per_page.unwrap_or(default.per_page),
    }
}

fn answer<T: serde::Serialize>(result: Result<T, crate::ControlError>) -> HttpResponse {
    match result {
        Ok(value) => reply(StatusCode::OK, &value),
        Err(e) => refused(e.0),
    }
}

macro_rules! query {
    ($t:ty, $q:expr) => {
        match from_query::<$t>($q) {
            Ok(v) => v,
            Err(why) => return Some(refused(why)),
        }
    };
}

/// Serves the dashboard's routes under `/__emulator/` (`rest` is the path after it);
/// `None` when the route is not one of them. The access rules have been checked.
pub(crate) fn route(
    control: &Control,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    body: &[u8],
) -> Option<HttpResponse> {
    let resp = match (method.as_str(), rest) {
        ("GET", "ui" | "ui/" | "ui/index.html") => asset(
            "text/html; charset=utf-8",
            INDEX_HTML.replace(TOKEN_SLOT, control.shared.access.token()),
        ),
        ("GET", "ui/app.js") => asset("text/javascript; charset=utf-8", APP_JS),
        ("GET", "ui/app.css") => asset("text/css; charset=utf-8", APP_CSS),
        ("GET", "instances") => {
            let q = query!(InstancesQuery, query);
            let filter = InstanceFilter {
                app_key: q.app_key,
                status: q.status,
                product_no: q.product_no,
                expires_within_days: q.expires_within_days,
            };
            answer(control.instances_page(&filter, page_of(q.page, q.per_page)))
        }
        ("GET", "orders") => {
            let q = query!(OrdersQuery, query);
            let filter = OrderFilter {
                app_key: q.app_key,
                status: q.status,
            };
            answer(control.orders_page(&filter, page_of(q.page, q.per_page)))
        }
        ("GET", "balance") => {
            let q = query!(AppQuery, query);
            let default_app = control
                .shared
                .config
                .apps
                .first()
                .map(|a| a.app_key.clone());
            match q.app_key.or(default_app) {
                Some(app) => answer(control.balance_history(&app)),
                None => refused("appKey: required"),
            }
        }
        ("GET", "accounts") => reply(StatusCode::OK, &control.accounts()),
        ("GET", "products") => reply(StatusCode::OK, &control.products()),
        ("GET", "deliveries") => {
            let q = query!(LimitQuery, query);
            reply(StatusCode::OK, &control.deliveries(q.limit.unwrap_or(100)))
        }
        ("POST", "callbacks/resend") => {
            let parsed: Result<ResendBody, _> = serde_json::from_slice(body);
            match parsed {
                Ok(b) => match control.resend_callback(b.id) {
                    Ok(()) => reply(StatusCode::OK, &serde_json::json!({"ok": true})),
                    Err(e) => refused(e.0),
                },
                Err(e) => refused(format!("invalid JSON body: {e}")),
            }
        }
        _ => return None,
    };
    Some(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_decode() {
        assert_eq!(decode_component("a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(decode_component("%E4%BD%A0").as_deref(), Some("你"));
        assert_eq!(decode_component("%4"), None);
        assert_eq!(decode_component("%zz"), None);
        assert_eq!(decode_component("%FF"), None);
    }

    #[test]
    fn queries_become_typed_filters() {
        let q: InstancesQuery =
            from_query(Some("status=running&expiresWithinDays=7&page=2&productNo="))
                .expect("parses");
        assert_eq!(q.status.as_deref(), Some("running"));
        assert_eq!(q.expires_within_days, Some(7));
        assert_eq!(q.page, Some(2));
        assert_eq!(q.product_no, None);
        assert!(from_query::<InstancesQuery>(Some("colour=red")).is_err());
        assert!(from_query::<InstancesQuery>(Some("page=two")).is_err());
    }

    #[test]
    fn the_page_has_no_inline_code() {
        assert!(INDEX_HTML.contains(TOKEN_SLOT));
        assert!(INDEX_HTML.contains(r#"<script src="/__emulator/ui/app.js""#));
        assert!(!INDEX_HTML.contains("<script>"));
        let lower = INDEX_HTML.to_ascii_lowercase();
        let handler = lower.match_indices(" on").any(|(at, _)| {
            lower[at + 3..]
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .count()
                > 0
                && lower[at + 3..]
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .starts_with('=')
        });
        assert!(!handler, "no inline event handlers");
        assert!(!INDEX_HTML.contains("style="));
        assert!(!APP_JS.contains("innerHTML"), "data goes in as text only");
        assert!(!APP_JS.contains("eval("));
    }
}
