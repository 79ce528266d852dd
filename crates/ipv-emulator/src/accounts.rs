//! Main accounts, proxy users, flow limits, draws, whitelists, usage and flow returns
//! (the dynamic-proxy endpoints).

use ipv_types::{
    Account, AccountStatus, AddIpWhitelistRequest, ApiCode, DrawApiUrl, DrawApiUrlRequest,
    DrawApiUrls, DrawWithPasswordRequest, DrawnProxies, DrawnProxy, FlowUsage, FlowUsageLogRequest,
    IpWhitelist, NoData, Page, Product, ProxyBalance, ProxyBalanceItem, ProxyBalanceRequest,
    ProxyUser, ProxyUserRequest, RemoveIpWhitelistRequest, ReturnDynamicProxyRequest,
    ReturnedProxy, SetProxyUserFlowLimitRequest, SyncUserAuthRequest, UpsertProxyUserRequest,
    UpsertUserRequest, UserAuthStatus,
};
use time::OffsetDateTime;

use crate::records::{MainAccount, ProxyUserRecord, UsageRecord};
use crate::state::{ApiFailure, AppState, State};
use crate::terms::GATEWAY_HOST;

const MB: i64 = 1024 * 1024;
const MAX_WHITELIST: usize = 20;

fn check_name(field: &str, name: &str) -> Result<(), ApiFailure> {
    if name.is_empty() || name.len() > 32 {
        return Err(ApiFailure::invalid(field, "must be 1 to 32 characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ApiFailure::invalid(
            field,
            "only A-Z, a-z, 0-9, _ and - are allowed",
        ));
    }
    Ok(())
}

fn check_status(field: &str, status: AccountStatus) -> Result<(), ApiFailure> {
    if matches!(status, AccountStatus::Normal | AccountStatus::Disabled) {
        Ok(())
    } else {
        Err(ApiFailure::invalid(
            field,
            "must be 1 (normal) or 2 (disabled)",
        ))
    }
}

fn dynamic_product<'a>(
    state: &'a State,
    product_no: &str,
    proxy_type: Option<ipv_types::ProxyType>,
) -> Result<&'a Product, ApiFailure> {
    if product_no.is_empty() {
        return Err(ApiFailure::invalid("productNo", "is required"));
    }
    let product = state
        .catalogue
        .product(product_no)
        .ok_or_else(|| ApiFailure::invalid("productNo", "no such product"))?;
    if !product.proxy_type.is_dynamic() {
        return Err(ApiFailure::invalid("productNo", "not a dynamic product"));
    }
    if let Some(t) = proxy_type
        && t.as_i64() != 0
        && t != product.proxy_type
    {
        return Err(ApiFailure::invalid(
            "proxyType",
            format!("the product's type is {}", product.proxy_type.as_i64()),
        ));
    }
    Ok(product)
}

/// Finds a main account by platform username or app username.
fn main_account<'a>(
    app: &'a AppState,
    username: Option<&str>,
    app_username: Option<&str>,
) -> Result<Option<&'a MainAccount>, ApiFailure> {
    let username = username.filter(|s| !s.is_empty());
    let app_username = app_username.filter(|s| !s.is_empty());
    match (username, app_username) {
        (None, None) => Err(ApiFailure::invalid(
            "username/appUsername",
            "one of the two is required",
        )),
        (_, Some(a)) => Ok(app.users.get(a)),
        (Some(u), None) => Ok(app.users.values().find(|m| m.username == u)),
    }
}

/// `user`: create or update a main account.
pub(crate) fn upsert_user(
    state: &mut State,
    app_key: &str,
    req: UpsertUserRequest,
) -> Result<Account, ApiFailure> {
    if req.phone.trim().is_empty() {
        return Err(ApiFailure::invalid("phone", "is required"));
    }
    if req.email.trim().is_empty() || !req.email.contains('@') {
        return Err(ApiFailure::invalid("email", "must be an e-mail address"));
    }
    if !matches!(req.auth_type.as_i64(), 1..=3) {
        return Err(ApiFailure::invalid("authType", "must be 1, 2 or 3"));
    }
    check_status("status", req.status)?;
    let requested = req.app_username.clone().filter(|s| !s.is_empty());
    if let Some(name) = &requested {
        check_name("appUsername", name)?;
        if state.app(app_key)?.proxy_users.contains_key(name) {
            return Err(ApiFailure::new(
                ApiCode::UserExists,
                "user exists: appUsername is taken by a proxy user",
            ));
        }
    }
    let name = match requested {
        Some(n) => n,
        None => state.next_username("m"),
    };
    let exists = state.app(app_key)?.users.contains_key(&name);
    let (username, password) = if exists {
        (String::new(), String::new())
    } else {
        (state.next_username("ipvm"), state.next_secret())
    };
    let app = state.app_mut(app_key)?;
    let account = app
        .users
        .entry(name.clone())
        .or_insert_with(|| MainAccount {
            app_username: name.clone(),
            username,
            password: req
                .password
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or(password),
            phone: String::new(),
            email: String::new(),
            auth_type: req.auth_type,
            auth_name: String::new(),
            no: String::new(),
            status: req.status,
            allotments: Default::default(),
        });
    if let Some(p) = req.password.filter(|p| !p.is_empty()) {
        account.password = p;
    }
    account.phone = req.phone;
    account.email = req.email;
    account.auth_type = req.auth_type;
    account.auth_name = req.auth_name.unwrap_or_default();
    account.no = req.no;
    account.status = req.status;
    Ok({
        let mut built_account = Account::default();
        built_account.app_username = account.app_username.clone();
        built_account.username = account.username.clone();
        built_account.password = account.password.clone();
        built_account.status = account.status;
        built_account.auth_status = account.auth_type;
        built_account
    })
}

/// `userAuth`.
pub(crate) fn sync_user_auth(
    state: &mut State,
    app_key: &str,
    req: SyncUserAuthRequest,
) -> Result<UserAuthStatus, ApiFailure> {
    if !matches!(req.auth_type.as_i64(), 1..=3) {
        return Err(ApiFailure::invalid("authType", "must be 1, 2 or 3"));
    }
    let key = main_account(
        state.app(app_key)?,
        req.username.as_deref(),
        req.app_username.as_deref(),
    )?
    .map(|m| m.app_username.clone())
    .ok_or_else(|| ApiFailure::new(ApiCode::UserNotFound, "no such user"))?;
    let app = state.app_mut(app_key)?;
    let account = app
        .users
        .get_mut(&key)
        .ok_or_else(|| ApiFailure::new(ApiCode::UserNotFound, "no such user"))?;
    account.auth_type = req.auth_type;
    // "" is a Go client's unset field: it leaves the value as it was.
    if let Some(name) = req.auth_name.filter(|s| !s.is_empty()) {
        account.auth_name = name;
    }
    if let Some(no) = req.no.filter(|s| !s.is_empty()) {
        account.no = no;
    }
    Ok({
        let mut user_auth_status = UserAuthStatus::default();
        user_auth_status.username = account.username.clone();
        user_auth_status.auth_status = account.auth_type;
        user_auth_status
    })
}

/// `proxy/user`: create or update a proxy (sub) account.
pub(crate) fn upsert_proxy_user(
    state: &mut State,
    app_key: &str,
    req: UpsertProxyUserRequest,
) -> Result<Account, ApiFailure> {
    check_status("status", req.status)?;
    if req.limit_flow < -1 {
        return Err(ApiFailure::invalid(
            "limitFlow",
            "must be -1 (no limit) or more",
        ));
    }
    if req
        .remark
        .as_deref()
        .is_some_and(|r| r.chars().count() > 255)
    {
        return Err(ApiFailure::invalid(
            "remark",
            "must be at most 255 characters",
        ));
    }
    let main = main_account(
        state.app(app_key)?,
        req.main_username.as_deref(),
        req.app_main_username.as_deref(),
    )
    .map_err(|_| {
        ApiFailure::invalid("mainUsername/appMainUsername", "one of the two is required")
    })?;
    let main = match main {
        Some(m) if m.status == AccountStatus::Normal => m.clone(),
        Some(_) => {
            return Err(ApiFailure::new(
                ApiCode::ProxyUserConflict,
                "proxy user failed: main account is disabled",
            ));
        }
        None => {
            return Err(ApiFailure::new(
                ApiCode::ProxyUserConflict,
                "proxy user failed: main account does not exist",
            ));
        }
    };
    let requested = req.app_username.clone().filter(|s| !s.is_empty());
    if let Some(name) = &requested {
        check_name("appUsername", name)?;
        let app = state.app(app_key)?;
        if app.users.contains_key(name) {
            return Err(ApiFailure::new(
                ApiCode::ProxyUserConflict,
                "proxy user exists: appUsername is a main account",
            ));
        }
        if let Some(existing) = app.proxy_users.get(name)
            && existing.main_app_username != main.app_username
        {
            return Err(ApiFailure::new(
                ApiCode::ProxyUserConflict,
                "proxy user exists: appUsername belongs to another main account",
            ));
        }
    }
    let name = match requested {
        Some(n) => n,
        None => state.next_username("s"),
    };
    let exists = state.app(app_key)?.proxy_users.contains_key(&name);
    let (username, password) = if exists {
        (String::new(), String::new())
    } else {
        (state.next_username("ipvs"), state.next_secret())
    };
    let app = state.app_mut(app_key)?;
    let user = app
        .proxy_users
        .entry(name.clone())
        .or_insert_with(|| ProxyUserRecord {
            app_username: name.clone(),
            username,
            password,
            main_app_username: main.app_username.clone(),
            remark: String::new(),
            status: req.status,
            limit_flow_mb: -1,
            product_limits: Default::default(),
            used_bytes: Default::default(),
        });
    if let Some(p) = req.password.filter(|p| !p.is_empty()) {
        user.password = p;
    }
    user.limit_flow_mb = req.limit_flow;
    if let Some(r) = req.remark.filter(|s| !s.is_empty()) {
        user.remark = r;
    }
    user.status = req.status;
    Ok({
        let mut account = Account::default();
        account.app_username = user.app_username.clone();
        account.username = user.username.clone();
        account.password = user.password.clone();
        account.status = user.status;
        account.auth_status = main.auth_type;
        account
    })
}

fn proxy_user_dto(user: &ProxyUserRecord, product_no: &str) -> ProxyUser {
    let mut proxy_user = ProxyUser::default();
    proxy_user.product_no = product_no.to_owned();
    proxy_user.app_username = user.app_username.clone();
    proxy_user.username = user.username.clone();
    proxy_user.limit_flow = user.product_limits.get(product_no).copied().unwrap_or(-1);
    proxy_user.use_flow = user.used_bytes.get(product_no).copied().unwrap_or(0);
    proxy_user.password = user.password.clone();
    proxy_user.remark = user.remark.clone();
    proxy_user.status = user.status;
    proxy_user
}

/// `proxy/user/info`.
pub(crate) fn proxy_user(
    state: &State,
    app_key: &str,
    req: ProxyUserRequest,
) -> Result<ProxyUser, ApiFailure> {
    dynamic_product(state, &req.product_no, None)?;
    let user = state
        .app(app_key)?
        .proxy_users
        .get(&req.app_username)
        .ok_or_else(|| {
            ApiFailure::new(
                ApiCode::ProxyUserNotFound,
                "no such proxy user: appUsername",
            )
        })?;
    Ok(proxy_user_dto(user, &req.product_no))
}

/// `proxy/user/flow/limit`.
pub(crate) fn set_proxy_user_flow_limit(
    state: &mut State,
    app_key: &str,
    req: SetProxyUserFlowLimitRequest,
) -> Result<NoData, ApiFailure> {
    dynamic_product(state, &req.product_no, None)?;
    if req.limit_flow < -1 {
        return Err(ApiFailure::invalid(
            "limitFlow",
            "must be -1 (no limit) or more",
        ));
    }
    let app = state.app(app_key)?;
    let user = app.proxy_users.get(&req.app_username).ok_or_else(|| {
        ApiFailure::new(
            ApiCode::ProxyUserNotFound,
            "no such proxy user: appUsername",
        )
    })?;
    let main = app
        .users
        .get(&user.main_app_username)
        .filter(|m| m.status == AccountStatus::Normal)
        .ok_or_else(|| {
            ApiFailure::new(
                ApiCode::FlowMainAccountUnavailable,
                "flow allotment failed: the main account is missing or disabled",
            )
        })?;
    if req.limit_flow > 0 {
        let available = main
            .allotments
            .get(&req.product_no)
            .map_or(0, |a| a.flow_balance_mb())
            .saturating_mul(MB as u64);
        if u64::try_from(req.limit_flow).unwrap_or(u64::MAX) > available {
            return Err(ApiFailure::new(
                ApiCode::FlowInsufficientBalance,
                format!(
                    "flow allotment failed: limitFlow exceeds the main account's {available} bytes"
                ),
            ));
        }
    }
    let app = state.app_mut(app_key)?;
    if let Some(user) = app.proxy_users.get_mut(&req.app_username) {
        user.product_limits.insert(req.product_no, req.limit_flow);
        if let Some(r) = req.remark.filter(|s| !s.is_empty()) {
            user.remark = r;
        }
    }
    Ok(NoData)
}

/// `proxy/info`.
pub(crate) fn proxy_balance(
    state: &State,
    app_key: &str,
    req: ProxyBalanceRequest,
) -> Result<ProxyBalance, ApiFailure> {
    dynamic_product(state, &req.product_no, Some(req.proxy_type))?;
    let main = main_account(
        state.app(app_key)?,
        req.username.as_deref(),
        req.app_username.as_deref(),
    )?
    .ok_or_else(|| ApiFailure::new(ApiCode::UserNotFound, "no such user"))?;
    let a = main
        .allotments
        .get(&req.product_no)
        .cloned()
        .unwrap_or_default();
    Ok({
        let mut proxy_balance = ProxyBalance::default();
        proxy_balance.list = vec![{
            let mut proxy_balance_item = ProxyBalanceItem::default();
            proxy_balance_item.used = a.flow_used_mb.to_string();
            proxy_balance_item.total = a.flow_total_mb.to_string();
            proxy_balance_item.balance = a.flow_balance_mb().to_string();
            proxy_balance_item.ip_whitelist = a.whitelist.clone();
            proxy_balance_item.product_no = req.product_no;
            proxy_balance_item.ip_used = i64::try_from(a.ip_used).unwrap_or(i64::MAX);
            proxy_balance_item.ip_total = i64::try_from(a.ip_total).unwrap_or(i64::MAX);
            proxy_balance_item
        }];
        proxy_balance
    })
}

fn check_address(
    state: &State,
    product: &Product,
    code: Option<&str>,
) -> Result<String, ApiFailure> {
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        return Ok("global".to_owned());
    };
    let known = state.catalogue.product_areas.iter().any(|a| {
        a.product_no == product.product_no
            && (a.area_code == code
                || a.country_code == code
                || a.state_code == code
                || a.city_code == code)
    });
    if known {
        Ok(code.to_ascii_lowercase())
    } else {
        Err(ApiFailure::new(
            ApiCode::RegionNotFound,
            "no such region: addressCode",
        ))
    }
}

/// `proxy/draw/pwd`.
pub(crate) fn draw_with_password(
    state: &mut State,
    app_key: &str,
    req: DrawWithPasswordRequest,
) -> Result<DrawnProxies, ApiFailure> {
    let sess = req.sess_time.unwrap_or(5);
    if !(DrawWithPasswordRequest::MIN_SESS_TIME..=DrawWithPasswordRequest::MAX_SESS_TIME)
        .contains(&sess)
    {
        return Err(ApiFailure::new(
            ApiCode::SessTimeOutOfRange,
            "sessTime must be 1 to 120 minutes",
        ));
    }
    let num = req.num.unwrap_or(1).max(1);
    if num > 100 {
        return Err(ApiFailure::invalid("num", "must be 1 to 100"));
    }
    let product = dynamic_product(state, &req.product_no, req.proxy_type)?.clone();
    let region = check_address(state, &product, req.address_code.as_deref())?;
    let user = state
        .app(app_key)?
        .proxy_users
        .get(&req.app_username)
        .cloned()
        .ok_or_else(|| {
            ApiFailure::new(
                ApiCode::DrawProxyUserNotFound,
                "no such proxy user: appUsername",
            )
        })?;
    let mut list = Vec::new();
    for _ in 0..num {
        let session = state.next_secret();
        list.push(format!(
            "{}-region-{region}-session-{}-sesstime-{sess}:{}",
            user.username,
            &session[..8],
            user.password
        ));
    }
    Ok({
        let mut drawn_proxies = DrawnProxies::default();
        drawn_proxies.list = vec![{
            let mut drawn_proxy = DrawnProxy::default();
            drawn_proxy.proxy_url = format!("{GATEWAY_HOST}:7777");
            drawn_proxy.list = list;
            drawn_proxy
        }];
        drawn_proxies
    })
}

/// `proxy/draw/api`.
pub(crate) fn draw_api_url(
    state: &State,
    app_key: &str,
    req: DrawApiUrlRequest,
) -> Result<DrawApiUrls, ApiFailure> {
    let product = dynamic_product(state, &req.product_no, Some(req.proxy_type))?;
    let num = req.num.unwrap_or(1).max(1);
    if num > 200 {
        return Err(ApiFailure::invalid("num", "must be 1 to 200"));
    }
    let protocol = req
        .protocol
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("socks5");
    if !matches!(protocol, "socks5" | "http") {
        return Err(ApiFailure::invalid("protocol", "must be socks5 or http"));
    }
    let return_type = req
        .return_type
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("txt");
    if !matches!(return_type, "txt" | "json") {
        return Err(ApiFailure::invalid("returnType", "must be txt or json"));
    }
    // The document: "默认1"; 0 is a Go client's unset field.
    let delimiter = req.delimiter.filter(|d| *d != 0).unwrap_or(1);
    if !(1..=5).contains(&delimiter) {
        return Err(ApiFailure::invalid("delimiter", "must be 1 to 5"));
    }
    let region = check_address(state, product, req.address_code.as_deref())?;
    let app = state.app(app_key)?;
    let username = app
        .users
        .get(&req.app_username)
        .map(|m| m.username.clone())
        .or_else(|| {
            app.proxy_users
                .get(&req.app_username)
                .map(|p| p.username.clone())
        })
        .ok_or_else(|| {
            ApiFailure::new(
                ApiCode::DrawProxyUserNotFound,
                "no such proxy user: appUsername",
            )
        })?;
    Ok({
        let mut draw_api_urls = DrawApiUrls::default();
        draw_api_urls.list = vec![{
            let mut draw_api_url = DrawApiUrl::default();
            draw_api_url.proxy_url = format!(
                "http://{GATEWAY_HOST}/draw?user={username}&product={}&num={num}&region={region}&protocol={protocol}&type={return_type}&delimiter={delimiter}",
                product.product_no
            );
            draw_api_url
        }];
        draw_api_urls
    })
}

/// `proxy/flow/use/log`.
pub(crate) fn flow_usage_log(
    state: &State,
    app_key: &str,
    req: FlowUsageLogRequest,
) -> Result<Page<FlowUsage>, ApiFailure> {
    dynamic_product(state, &req.product_no, None)?;
    let app = state.app(app_key)?;
    if !app.users.contains_key(&req.app_username) {
        return Err(ApiFailure::new(
            ApiCode::UserNotFound,
            "no such user: appUsername",
        ));
    }
    let page = req.page.unwrap_or(1).max(1);
    let size = match req.page_size {
        None | Some(0) => 10,
        Some(n) if n > 100 => return Err(ApiFailure::invalid("pageSize", "must be at most 100")),
        Some(n) => n,
    };
    let records: Vec<&UsageRecord> = app
        .usage
        .iter()
        .filter(|u| {
            u.app_username == req.app_username
                && u.product_no == req.product_no
                && crate::queries::in_range(u.at, req.start_time, req.end_time)
        })
        .collect();
    let total = records.len() as i64;
    let list = records
        .into_iter()
        .rev()
        .skip(((page - 1) as usize).saturating_mul(size as usize))
        .take(size as usize)
        .map(|u| {
            let mut flow_usage = FlowUsage::default();
            flow_usage.used = u.used_bytes;
            flow_usage.total = u.total_bytes;
            flow_usage.balance = u.balance_bytes;
            flow_usage.used_time = u.used_seconds;
            flow_usage.product_no = u.product_no.clone();
            flow_usage
        })
        .collect();
    Ok({
        let mut built_page = Page::default();
        built_page.page = i64::from(page);
        built_page.page_size = i64::from(size);
        built_page.total = total;
        built_page.cur_page = i64::from(page);
        built_page.list = list;
        built_page
    })
}

/// The whitelist of a main account for a product; with `create`, an empty one is made
/// when there is none (adding), otherwise its absence is reported (removing), so a
/// refused call leaves no trace.
fn whitelist_target<'a>(
    state: &'a mut State,
    app_key: &str,
    app_username: &str,
    product_no: &str,
    proxy_type: ipv_types::ProxyType,
    ip: &str,
    create: bool,
) -> Result<&'a mut Vec<String>, ApiFailure> {
    dynamic_product(state, product_no, Some(proxy_type))?;
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(ApiFailure::invalid("ip", "not an IP address"));
    }
    let app = state.app_mut(app_key)?;
    let account = app
        .users
        .get_mut(app_username)
        .ok_or_else(|| ApiFailure::new(ApiCode::UserNotFound, "no such user: appUsername"))?;
    if create {
        Ok(&mut account
            .allotments
            .entry(product_no.to_owned())
            .or_default()
            .whitelist)
    } else {
        account
            .allotments
            .get_mut(product_no)
            .map(|a| &mut a.whitelist)
            .ok_or_else(|| ApiFailure::invalid("ip", "not in the whitelist"))
    }
}

/// `proxy/addIpWhiteList`.
pub(crate) fn add_ip_whitelist(
    state: &mut State,
    app_key: &str,
    req: AddIpWhitelistRequest,
) -> Result<IpWhitelist, ApiFailure> {
    let list = whitelist_target(
        state,
        app_key,
        &req.app_username,
        &req.product_no,
        req.proxy_type,
        &req.ip,
        true,
    )?;
    if !list.contains(&req.ip) {
        if list.len() >= MAX_WHITELIST {
            return Err(ApiFailure::invalid(
                "ip",
                "the whitelist holds at most 20 addresses",
            ));
        }
        list.push(req.ip);
    }
    Ok({
        let mut built_ip_whitelist = IpWhitelist::default();
        built_ip_whitelist.ip_whitelist = list.clone();
        built_ip_whitelist
    })
}

/// `proxy/delIpWhiteList`.
pub(crate) fn remove_ip_whitelist(
    state: &mut State,
    app_key: &str,
    req: RemoveIpWhitelistRequest,
) -> Result<IpWhitelist, ApiFailure> {
    let proxy_type = if req.proxy_type.as_i64() == 0 {
        ipv_types::ProxyType::DynamicAbroad
    } else {
        req.proxy_type
    };
    let list = whitelist_target(
        state,
        app_key,
        &req.app_username,
        &req.product_no,
        proxy_type,
        &req.ip,
        false,
    )?;
    let Some(pos) = list.iter().position(|ip| *ip == req.ip) else {
        return Err(ApiFailure::invalid("ip", "not in the whitelist"));
    };
    list.remove(pos);
    Ok({
        let mut built_ip_whitelist = IpWhitelist::default();
        built_ip_whitelist.ip_whitelist = list.clone();
        built_ip_whitelist
    })
}

/// `proxy/return`: gives back unused flow (or IPs) for the price paid.
pub(crate) fn return_dynamic_proxy(
    state: &mut State,
    app_key: &str,
    now: OffsetDateTime,
    req: ReturnDynamicProxyRequest,
) -> Result<ReturnedProxy, ApiFailure> {
    let product = dynamic_product(state, &req.product_no, Some(req.proxy_type))?.clone();
    if req
        .remark
        .as_deref()
        .is_some_and(|r| r.chars().count() > 250)
    {
        return Err(ApiFailure::invalid(
            "remark",
            "must be at most 250 characters",
        ));
    }
    let by_ip = product.ip_count > 0;
    let amount = if by_ip {
        req.ip_num
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiFailure::invalid("ipNum", "is required for IP-count products"))?
    } else {
        req.flow_num
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiFailure::invalid("flowNum", "is required for flow products"))?
    };
    let app = state.app_mut(app_key)?;
    let account = app
        .users
        .get_mut(&req.app_username)
        .ok_or_else(|| ApiFailure::new(ApiCode::UserNotFound, "no such user: appUsername"))?;
    let Some(allotment) = account.allotments.get_mut(&req.product_no) else {
        return Err(ApiFailure::new(
            ApiCode::FlowReturnInsufficient,
            "flow return failed: balance too low (0 available)",
        ));
    };
    let available = if by_ip {
        allotment.ip_balance()
    } else {
        allotment.flow_balance_mb()
    };
    if amount > available {
        return Err(ApiFailure::new(
            ApiCode::FlowReturnInsufficient,
            format!("flow return failed: balance too low ({available} available)"),
        ));
    }
    // Priced before anything changes: `amount` is at most what was bought, so the
    // product fits, but a refund that cannot be computed is refused, not made zero.
    let refund = allotment
        .unit_price
        .checked_mul(rust_decimal::Decimal::from(amount))
        .ok_or_else(|| {
            ApiFailure::invalid(
                if by_ip { "ipNum" } else { "flowNum" },
                "the refund is too large to compute",
            )
        })?
        .round_to(2);
    if by_ip {
        allotment.ip_returned += amount;
    } else {
        allotment.flow_returned_mb += amount;
    }
    let reference = format!("return:{}:{}", req.app_username, req.product_no);
    app.refund(refund, &reference, now);
    Ok({
        let mut returned_proxy = ReturnedProxy::default();
        returned_proxy.return_amount = refund;
        returned_proxy
    })
}

/// Records dynamic flow use (control API): the main account's allotment, the proxy
/// user's counter and a usage-log row.
pub(crate) fn record_usage(
    state: &mut State,
    app_key: &str,
    now: OffsetDateTime,
    app_username: &str,
    product_no: &str,
    used_mb: u64,
) -> Result<(), String> {
    let app = state
        .apps
        .get_mut(app_key)
        .ok_or_else(|| format!("appKey: no app {app_key}"))?;
    let (main_name, proxy_name) = if app.users.contains_key(app_username) {
        (app_username.to_owned(), None)
    } else if let Some(p) = app.proxy_users.get(app_username) {
        (p.main_app_username.clone(), Some(app_username.to_owned()))
    } else {
        return Err(format!("appUsername: no account {app_username}"));
    };
    let account = app
        .users
        .get_mut(&main_name)
        .ok_or_else(|| "appUsername: main account missing".to_owned())?;
    let allotment = account
        .allotments
        .get_mut(product_no)
        .ok_or_else(|| format!("productNo: no flow of {product_no} for {main_name}"))?;
    if used_mb > allotment.flow_balance_mb() {
        return Err(format!(
            "usedMb: only {} MB left",
            allotment.flow_balance_mb()
        ));
    }
    allotment.flow_used_mb += used_mb;
    let total = i64::try_from(allotment.flow_total_mb).unwrap_or(i64::MAX) * MB;
    let balance = i64::try_from(allotment.flow_balance_mb()).unwrap_or(i64::MAX) * MB;
    let used_bytes = i64::try_from(used_mb).unwrap_or(i64::MAX) * MB;
    if let Some(name) = proxy_name
        && let Some(p) = app.proxy_users.get_mut(&name)
    {
        *p.used_bytes.entry(product_no.to_owned()).or_default() += used_bytes;
    }
    // Spend the oldest packages first.
    let mut left = used_mb as f64;
    for inst in app.instances.values_mut() {
        if left <= 0.0 {
            break;
        }
        if inst.product_no == product_no
            && inst.app_username.as_deref() == Some(main_name.as_str())
            && inst.flow_balance > 0.0
        {
            let take = inst.flow_balance.min(left);
            inst.flow_balance -= take;
            left -= take;
        }
    }
    app.usage.push(UsageRecord {
        app_username: main_name,
        product_no: product_no.to_owned(),
        at: now,
        used_bytes,
        total_bytes: total,
        balance_bytes: balance,
        used_seconds: 60,
    });
    Ok(())
}
