//! The documented rules each request must meet, checked before anything is sent.
//!
//! One function per endpoint, named after its client method (`ipv_api::Client`); the
//! endpoint table calls them from [`Endpoint::validate`](crate::Endpoint::validate).
//! Field names in errors are the wire's (`appOrderNo`, `params[1].count`).
//!
//! The rules are exactly as strict as the vendor's document
//! (`ipipv-open-api-v2.txt`), no stricter: each length or value limit below cites the
//! line of the document it comes from. Where the document gives no limit (renew's
//! `appOrderNo`, the release and after-sale `orderNo`, the after-sale and flow-limit
//! `remark`), none is applied.

use ipv_types::{
    AddIpWhitelistRequest, AfterSaleReleaseRequest, AppInfoRequest, AreasRequest,
    AssignedIpInfoRequest, CitiesRequest, DrawApiUrlRequest, DrawWithPasswordRequest,
    FlowUsageLogRequest, InstanceListRequest, InstancesRequest, OpenAssignedIpRequest,
    OpenInstancesRequest, OpenParam, OrderRequest, OrdersRequest, ProductAreasRequest,
    ProductRequest, ProductsRequest, ProjectsRequest, ProxyBalanceRequest, ProxyUserRequest,
    ReleaseInstancesRequest, RemoveIpWhitelistRequest, RenewInstancesRequest,
    ResetPasswordsRequest, ReturnDynamicProxyRequest, SetProxyUserFlowLimitRequest,
    SyncUserAuthRequest, UpsertProxyUserRequest, UpsertUserRequest,
};

use crate::InvalidInput;

type Checked = Result<(), InvalidInput>;

/// Longest `appOrderNo` of a purchase (document, `instance/open` and
/// `instance/open/assign/ip`: `appOrderNo string(32)`) and longest `resetNo`.
pub const MAX_ORDER_NO_LEN: usize = 32;
/// Most flow one `instance/open` item may buy, in MB. The document is silent; the
/// vendor's Go SDK documents its `OpenParam.Flow` as `动态流量 最大102400MB` (dynamic flow,
/// at most 102400 MB), the one limit this module takes from outside the document.
pub const MAX_FLOW_MB: u64 = 102_400;
/// Longest proxy-user `appUsername` (document, `proxy/user`: `appUsername string(32)`).
pub const MAX_APP_USERNAME_LEN: usize = 32;
/// Most instances one static `params` entry may open.
pub const MAX_STATIC_COUNT: u32 = 20;
/// Largest `pageSize` the platform serves.
pub const MAX_PAGE_SIZE: u32 = 100;
/// `sessTime` bounds, in minutes.
pub const SESS_TIME_MINUTES: std::ops::RangeInclusive<u32> = 1..=120;
/// Longest `proxy/return` `remark`, in characters (document: `remark string 否 备注
/// 最多250个字符`).
pub const MAX_REMARK_CHARS: usize = 250;
/// Longest `proxy/user` `remark`, in characters (document: `remark string(255)`).
pub const MAX_PROXY_USER_REMARK_CHARS: usize = 255;
/// What `proxy/draw/api` `protocol` may be (document: `取值 socks5 http 之一`).
pub const DRAW_PROTOCOLS: [&str; 2] = ["socks5", "http"];
/// What `proxy/draw/api` `returnType` may be (document: `取值 txt json 之一`).
pub const DRAW_RETURN_TYPES: [&str; 2] = ["txt", "json"];

fn fail(field: impl Into<String>, reason: impl Into<String>) -> Checked {
    Err(InvalidInput::new(field, reason))
}

fn required(field: &str, value: &str) -> Checked {
    if value.trim().is_empty() {
        return fail(field, "is required and must not be empty");
    }
    Ok(())
}

fn optional_non_empty(field: &str, value: Option<&str>) -> Checked {
    match value {
        Some(v) if v.trim().is_empty() => fail(field, "must not be empty when given"),
        _ => Ok(()),
    }
}

fn order_no(field: &str, value: &str) -> Checked {
    required(field, value)?;
    let len = value.chars().count();
    if len > MAX_ORDER_NO_LEN {
        return fail(
            field,
            format!("is {len} characters long; at most {MAX_ORDER_NO_LEN} are allowed"),
        );
    }
    Ok(())
}

fn list<T>(field: &str, items: &[T], each: impl Fn(&str, &T) -> Checked) -> Checked {
    if items.is_empty() {
        return fail(field, "must list at least one item");
    }
    for (i, item) in items.iter().enumerate() {
        each(&format!("{field}[{i}]"), item)?;
    }
    Ok(())
}

fn numbers(field: &str, items: &[String]) -> Checked {
    list(field, items, |f, s| required(f, s))
}

fn page_size(field: &str, value: Option<u32>) -> Checked {
    match value {
        Some(n) if n == 0 || n > MAX_PAGE_SIZE => {
            fail(field, format!("is {n}; it must be 1..={MAX_PAGE_SIZE}"))
        }
        _ => Ok(()),
    }
}

fn page(field: &str, value: Option<u32>) -> Checked {
    match value {
        Some(0) => fail(field, "pages count from 1"),
        _ => Ok(()),
    }
}

/// A text of at most `max` characters (`None` passes).
fn max_chars(field: &str, value: Option<&str>, max: usize) -> Checked {
    let len = value.map_or(0, |v| v.chars().count());
    if len > max {
        return fail(
            field,
            format!("is {len} characters long; at most {max} are allowed"),
        );
    }
    Ok(())
}

/// At least one of two alternative names must be given (and not be empty). The
/// document: `平台主账号和渠道商主账号两个必填一个` (one of the two is required); giving
/// both is allowed (a Go client always sends both keys).
fn one_of(a: (&str, Option<&str>), b: (&str, Option<&str>)) -> Checked {
    let given = |v: Option<&str>| v.is_some_and(|s| !s.trim().is_empty());
    if given(a.1) || given(b.1) {
        return Ok(());
    }
    fail(
        format!("{}|{}", a.0, b.0),
        format!("one of `{}` or `{}` is required", a.0, b.0),
    )
}

/// An optional choice among `allowed`; `None` and `""` (Go's "not given") pass.
fn one_of_values(field: &str, value: Option<&str>, allowed: &[&str]) -> Checked {
    match value {
        Some(v) if !v.is_empty() && !allowed.contains(&v) => {
            fail(field, format!("must be one of {}", allowed.join(", ")))
        }
        _ => Ok(()),
    }
}

fn cycle_times(field: &str, value: u32) -> Checked {
    if value == 0 {
        return fail(field, "must be at least 1");
    }
    Ok(())
}

/// Whether an open param buys a dynamic (flow) product rather than static instances.
///
/// A param counts as dynamic when its proxy type is a dynamic one or it asks for flow;
/// a param naming only a product number with no flow is treated as static, so its
/// count is checked (the stricter reading when the kind is unknown).
#[must_use]
pub fn is_dynamic_param(param: &OpenParam) -> bool {
    param.proxy_type.is_some_and(|t| t.is_dynamic()) || param.flow.is_some_and(|f| f > 0)
}

/// An `instance/open` item. Buying by filters needs no product and no proxy type (the
/// document: `按产品筛选条件（proxyType,countryCode,...）购买`, every filter optional): with
/// none, the platform picks any product on sale.
fn open_param(field: &str, param: &OpenParam) -> Checked {
    optional_non_empty(&format!("{field}.productNo"), param.product_no.as_deref())?;
    cycle_times(&format!("{field}.cycleTimes"), param.cycle_times)?;
    if is_dynamic_param(param) {
        match param.app_username.as_deref() {
            Some(name) if !name.trim().is_empty() => {}
            _ => {
                return fail(
                    format!("{field}.appUsername"),
                    "is required for dynamic products",
                );
            }
        }
        if param.flow.is_none_or(|f| f == 0) {
            return fail(
                format!("{field}.flow"),
                "is required (in MB, above 0) for dynamic products",
            );
        }
        if let Some(flow) = param.flow.filter(|f| *f > MAX_FLOW_MB) {
            return fail(
                format!("{field}.flow"),
                format!("is {flow} MB; at most {MAX_FLOW_MB} MB per item"),
            );
        }
    } else if param.count == 0 || param.count > MAX_STATIC_COUNT {
        return fail(
            format!("{field}.count"),
            format!(
                "is {}; static opens take 1..={MAX_STATIC_COUNT}",
                param.count
            ),
        );
    }
    if let Some(blocks) = &param.cidr_blocks {
        for (i, block) in blocks.iter().enumerate() {
            required(&format!("{field}.cidrBlocks[{i}].cidr"), &block.cidr)?;
            if block.count == 0 {
                return fail(
                    format!("{field}.cidrBlocks[{i}].count"),
                    "must be at least 1",
                );
            }
        }
    }
    Ok(())
}

pub(crate) fn app_info(_: &AppInfoRequest) -> Checked {
    Ok(())
}

pub(crate) fn areas(_: &AreasRequest) -> Checked {
    Ok(())
}

pub(crate) fn cities(_: &CitiesRequest) -> Checked {
    Ok(())
}

pub(crate) fn products(r: &ProductsRequest) -> Checked {
    if r.proxy_type.is_empty() {
        return fail("proxyType", "must list at least one proxy type");
    }
    optional_non_empty("productNo", r.product_no.as_deref())
}

pub(crate) fn product(r: &ProductRequest) -> Checked {
    required("productNo", &r.product_no)
}

pub(crate) fn product_areas(r: &ProductAreasRequest) -> Checked {
    required("productNo", &r.product_no)
}

pub(crate) fn projects(_: &ProjectsRequest) -> Checked {
    Ok(())
}

pub(crate) fn open_instances(r: &OpenInstancesRequest) -> Checked {
    order_no("appOrderNo", &r.app_order_no)?;
    list("params", &r.params, open_param)
}

pub(crate) fn open_assigned_ip(r: &OpenAssignedIpRequest) -> Checked {
    order_no("appOrderNo", &r.app_order_no)?;
    required("productNo", &r.product_no)?;
    cycle_times("cycleTimes", r.cycle_times)?;
    required("assignIp", &r.assign_ip)
}

pub(crate) fn assigned_ip_info(r: &AssignedIpInfoRequest) -> Checked {
    required("ip", &r.ip)
}

pub(crate) fn renew_instances(r: &RenewInstancesRequest) -> Checked {
    // The document types renew's appOrderNo as `string`, with no length.
    required("appOrderNo", &r.app_order_no)?;
    list("instances", &r.instances, |f, item| {
        required(&format!("{f}.instanceNo"), &item.instance_no)?;
        match item.cycle_times {
            Some(n) => cycle_times(&format!("{f}.cycleTimes"), n),
            None => Ok(()),
        }
    })
}

pub(crate) fn release_instances(r: &ReleaseInstancesRequest) -> Checked {
    // The document types release's orderNo as `string`, with no length.
    required("orderNo", &r.order_no)?;
    numbers("instances", &r.instances)
}

pub(crate) fn after_sale_release(r: &AfterSaleReleaseRequest) -> Checked {
    // A Go SDK endpoint: the document gives no length for orderNo or remark.
    required("orderNo", &r.order_no)?;
    numbers("instances", &r.instances)
}

pub(crate) fn reset_passwords(r: &ResetPasswordsRequest) -> Checked {
    numbers("instanceNoList", &r.instance_no_list)?;
    order_no("resetNo", &r.reset_no)?;
    if let Some(bad) = r
        .reset_no
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return fail(
            "resetNo",
            format!("may hold only A-Z, a-z, 0-9 and `_`, not {bad:?}"),
        );
    }
    Ok(())
}

pub(crate) fn order(r: &OrderRequest) -> Checked {
    required("orderNo", &r.order_no)?;
    optional_non_empty("appOrderNo", r.app_order_no.as_deref())?;
    page("page", Some(r.page))?;
    page_size("pageSize", Some(r.page_size))
}

pub(crate) fn orders(r: &OrdersRequest) -> Checked {
    page("page", r.page)?;
    page_size("pageSize", r.page_size)
}

pub(crate) fn instances(r: &InstancesRequest) -> Checked {
    numbers("instances", &r.instances)
}

pub(crate) fn instance_list(r: &InstanceListRequest) -> Checked {
    page("page", r.page)?;
    page_size("pageSize", r.page_size)
}

pub(crate) fn upsert_user(r: &UpsertUserRequest) -> Checked {
    optional_non_empty("appUsername", r.app_username.as_deref())?;
    // The document, `user`: `phone string 是`, `email string 是`, `no string 是`.
    required("phone", &r.phone)?;
    required("email", &r.email)?;
    required("no", &r.no)
}

pub(crate) fn sync_user_auth(r: &SyncUserAuthRequest) -> Checked {
    one_of(
        ("username", r.username.as_deref()),
        ("appUsername", r.app_username.as_deref()),
    )
}

pub(crate) fn upsert_proxy_user(r: &UpsertProxyUserRequest) -> Checked {
    optional_non_empty("appUsername", r.app_username.as_deref())?;
    // The document, `proxy/user`: `appUsername string(32)`.
    max_chars(
        "appUsername",
        r.app_username.as_deref(),
        MAX_APP_USERNAME_LEN,
    )?;
    one_of(
        ("mainUsername", r.main_username.as_deref()),
        ("appMainUsername", r.app_main_username.as_deref()),
    )?;
    // The document, `proxy/user`: `remark string(255)`.
    max_chars("remark", r.remark.as_deref(), MAX_PROXY_USER_REMARK_CHARS)
}

pub(crate) fn proxy_user(r: &ProxyUserRequest) -> Checked {
    required("productNo", &r.product_no)?;
    required("appUsername", &r.app_username)
}

pub(crate) fn set_proxy_user_flow_limit(r: &SetProxyUserFlowLimitRequest) -> Checked {
    required("productNo", &r.product_no)?;
    required("appUsername", &r.app_username)?;
    if r.limit_flow < -1 {
        return fail("limitFlow", "is in bytes, or -1 for no limit");
    }
    // A Go SDK endpoint: the document gives no length for remark.
    Ok(())
}

pub(crate) fn proxy_balance(r: &ProxyBalanceRequest) -> Checked {
    one_of(
        ("username", r.username.as_deref()),
        ("appUsername", r.app_username.as_deref()),
    )?;
    required("productNo", &r.product_no)
}

pub(crate) fn draw_with_password(r: &DrawWithPasswordRequest) -> Checked {
    required("appUsername", &r.app_username)?;
    required("productNo", &r.product_no)?;
    if let Some(minutes) = r.sess_time
        && !SESS_TIME_MINUTES.contains(&minutes)
    {
        return fail(
            "sessTime",
            format!("is {minutes} minutes; it must be 1..=120"),
        );
    }
    if r.num == Some(0) {
        return fail("num", "must be at least 1");
    }
    Ok(())
}

pub(crate) fn draw_api_url(r: &DrawApiUrlRequest) -> Checked {
    required("appUsername", &r.app_username)?;
    required("productNo", &r.product_no)?;
    if r.num == Some(0) {
        return fail("num", "must be at least 1");
    }
    if let Some(d) = r.delimiter
        && !(1..=5).contains(&d)
    {
        return fail("delimiter", format!("is {d}; it must be 1..=5"));
    }
    // The document, `proxy/draw/api`: protocol `取值 socks5 http 之一`, returnType
    // `取值 txt json 之一` (both optional).
    one_of_values("protocol", r.protocol.as_deref(), &DRAW_PROTOCOLS)?;
    one_of_values("returnType", r.return_type.as_deref(), &DRAW_RETURN_TYPES)
}

pub(crate) fn flow_usage_log(r: &FlowUsageLogRequest) -> Checked {
    required("appUsername", &r.app_username)?;
    required("productNo", &r.product_no)?;
    page("page", r.page)?;
    page_size("pageSize", r.page_size)
}

pub(crate) fn add_ip_whitelist(r: &AddIpWhitelistRequest) -> Checked {
    required("appUsername", &r.app_username)?;
    required("ip", &r.ip)?;
    required("productNo", &r.product_no)
}

pub(crate) fn remove_ip_whitelist(r: &RemoveIpWhitelistRequest) -> Checked {
    required("appUsername", &r.app_username)?;
    required("ip", &r.ip)?;
    required("productNo", &r.product_no)
}

pub(crate) fn return_dynamic_proxy(r: &ReturnDynamicProxyRequest) -> Checked {
    required("appUsername", &r.app_username)?;
    required("productNo", &r.product_no)?;
    // The document, `proxy/return`: `remark ... 最多250个字符`.
    max_chars("remark", r.remark.as_deref(), MAX_REMARK_CHARS)
}
