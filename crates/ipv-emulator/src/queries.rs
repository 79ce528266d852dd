//! Read-only endpoints over the catalogue, orders and instances, and password resets.

use ipv_types::time::QueryTime;
use ipv_types::{
    ApiCode, AppBridge, AppInfo, AppStatus, Area, AreasRequest, AssignedIpInfo,
    AssignedIpInfoRequest, CitiesRequest, City, CodeList, Instance, InstanceListRequest,
    InstancesRequest, Money, Order, OrderItem, OrderRequest, OrdersRequest, Page, PasswordReset,
    Product, ProductArea, ProductAreasRequest, ProductRequest, ProductsRequest, Project,
    ProjectsRequest, ResetPasswordsRequest, ResetPasswordsResult, ResetStatus, Toggle,
};
use time::OffsetDateTime;

use crate::catalogue;
use crate::records::{InstanceRecord, OrderLine, OrderRecord, ResetRecord};
use crate::state::{ApiFailure, AppState, State};

/// `info`.
pub(crate) fn app_info(state: &State, app_key: &str) -> Result<AppInfo, ApiFailure> {
    let app = state.app(app_key)?;
    Ok({
        let mut app_info = AppInfo::default();
        app_info.app_name = app.config.name.clone();
        app_info.coin = crate::records::shown(app.balance);
        app_info.use_bridge = if app.config.use_bridge {
            AppBridge::Yes
        } else {
            AppBridge::No
        };
        app_info.callback_url = app.config.callback_url.clone().unwrap_or_default();
        app_info.credit = Some(crate::records::shown(
            app.config.credit.parse().unwrap_or(Money::ZERO),
        ));
        app_info.status = if app.config.enabled {
            AppStatus::Normal
        } else {
            AppStatus::Disabled
        };
        app_info
    })
}

fn find_area<'a>(areas: &'a [Area], code: &str) -> Option<&'a Area> {
    for area in areas {
        if area.code == code {
            return Some(area);
        }
        if let Some(found) = find_area(&area.children, code) {
            return Some(found);
        }
    }
    None
}

/// `area`: the whole tree, or the subtrees of the given codes (any level).
pub(crate) fn areas(state: &State, req: AreasRequest) -> Result<Vec<Area>, ApiFailure> {
    match req.codes.filter(|c| !c.is_empty()) {
        None => Ok(state.catalogue.areas.clone()),
        Some(codes) => {
            let mut out = Vec::new();
            for (i, code) in codes.iter().enumerate() {
                match find_area(&state.catalogue.areas, code) {
                    Some(area) => out.push(area.clone()),
                    None => {
                        return Err(ApiFailure::new(
                            ApiCode::RegionNotFound,
                            format!("no such region: codes[{i}]"),
                        ));
                    }
                }
            }
            Ok(out)
        }
    }
}

/// `city/list`: every city, or those whose city, state or country code is listed.
pub(crate) fn cities(state: &State, req: CitiesRequest) -> Result<Vec<City>, ApiFailure> {
    let cities = &state.catalogue.cities;
    Ok(match req.codes.filter(|c| !c.is_empty()) {
        None => cities.clone(),
        Some(codes) => cities
            .iter()
            .filter(|c| {
                codes.iter().any(|code| {
                    *code == c.city_code || *code == c.state_code || *code == c.country_code
                })
            })
            .cloned()
            .collect(),
    })
}

/// `product/query`.
pub(crate) fn products(state: &State, req: ProductsRequest) -> Result<Vec<Product>, ApiFailure> {
    if req.proxy_type.is_empty() {
        return Err(ApiFailure::invalid(
            "proxyType",
            "at least one type is required",
        ));
    }
    Ok(state
        .catalogue
        .products
        .iter()
        .filter(|p| {
            req.proxy_type.contains(&p.proxy_type)
                && req
                    .product_no
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .is_none_or(|n| n == p.product_no)
                && req
                    .country_code
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .is_none_or(|c| c == p.country_code)
                && req
                    .city_code
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .is_none_or(|c| c == p.city_code)
                && req
                    .supplier_code
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .is_none_or(|c| c == p.supplier_code)
                && req
                    .unit
                    .filter(|u| u.as_i64() != 0)
                    .is_none_or(|u| u == p.unit)
                && req
                    .isp_type
                    .filter(|i| i.as_i64() != 0)
                    .is_none_or(|i| i == p.isp_type)
                && req
                    .net_type
                    .filter(|i| i.as_i64() != 0)
                    .is_none_or(|i| i == p.net_type)
                && req
                    .duration
                    .filter(|d| *d != 0)
                    .is_none_or(|d| i64::from(d) == p.duration)
        })
        .cloned()
        .collect())
}

/// `product/info`.
pub(crate) fn product(state: &State, req: ProductRequest) -> Result<Product, ApiFailure> {
    if req.product_no.is_empty() {
        return Err(ApiFailure::invalid("productNo", "is required"));
    }
    state
        .catalogue
        .product(&req.product_no)
        .cloned()
        .ok_or_else(|| ApiFailure::invalid("productNo", "no such product"))
}

/// `product/area`.
pub(crate) fn product_areas(
    state: &State,
    req: ProductAreasRequest,
) -> Result<Vec<ProductArea>, ApiFailure> {
    let product = state
        .catalogue
        .product(&req.product_no)
        .ok_or_else(|| ApiFailure::invalid("productNo", "no such product"))?;
    if product.proxy_type != req.proxy_type {
        return Err(ApiFailure::invalid(
            "proxyType",
            format!("the product's type is {}", product.proxy_type.as_i64()),
        ));
    }
    Ok(state
        .catalogue
        .product_areas
        .iter()
        .filter(|a| a.product_no == req.product_no)
        .cloned()
        .collect())
}

/// `project/list`.
pub(crate) fn projects(state: &State, req: ProjectsRequest) -> Result<Vec<Project>, ApiFailure> {
    Ok(match req.codes.filter(|c| !c.is_empty()) {
        None => state.catalogue.projects.clone(),
        Some(codes) => state
            .catalogue
            .projects
            .iter()
            .filter(|p| codes.contains(&p.code))
            .cloned()
            .collect(),
    })
}

/// `assign/ip/info`: purchasable when some assign-IP product's block holds the address
/// and no live instance has it.
pub(crate) fn assigned_ip_info(
    state: &State,
    req: AssignedIpInfoRequest,
) -> Result<AssignedIpInfo, ApiFailure> {
    if req.ip.parse::<std::net::Ipv4Addr>().is_err() {
        return Err(ApiFailure::invalid("ip", "not an IPv4 address"));
    }
    let can_buy = !state.allocated_ips.contains(&req.ip)
        && state.catalogue.products.iter().any(|p| {
            p.assign_ip == Toggle::Yes
                && p.enable.is_yes()
                && p.cidr_blocks
                    .iter()
                    .any(|b| b.count > 0 && catalogue::block_contains(&b.cidr, &req.ip))
        });
    Ok({
        let mut assigned_ip_info = AssignedIpInfo::default();
        assigned_ip_info.ip = req.ip;
        assigned_ip_info.can_buy_status = can_buy;
        assigned_ip_info
    })
}

/// The wire form of an instance.
pub(crate) fn instance_dto(inst: &InstanceRecord) -> Instance {
    {
        let mut instance = Instance::default();
        instance.instance_no = inst.instance_no.clone();
        instance.proxy_type = inst.proxy_type;
        instance.protocol = inst
            .protocol
            .parse()
            .unwrap_or_else(|_| CodeList::default());
        instance.ip = inst.ip.clone();
        instance.port = inst.port;
        instance.region_id = inst.region_id.clone();
        instance.country_code = inst.country_code.clone();
        instance.city_code = inst.city_code.clone();
        instance.use_type = inst
            .use_type
            .parse()
            .unwrap_or_else(|_| CodeList::default());
        instance.username = inst.username.clone();
        instance.pwd = inst.pwd.clone();
        instance.order_no = inst.order_no.clone();
        instance.user_expired = inst.user_expired.map_or(0, OffsetDateTime::unix_timestamp);
        instance.flow_total = inst.flow_total;
        instance.flow_balance = inst.flow_balance;
        instance.status = inst.status;
        instance.renew = i64::from(inst.renew);
        instance.bridges = inst.bridges.clone();
        instance.open_at = Some(inst.open_at);
        instance.renew_at = inst.renew_at;
        instance.release_at = inst.release_at;
        instance.product_no = inst.product_no.clone();
        instance
    }
}

fn order_ref<'a>(
    app: &'a AppState,
    order_no: &str,
    app_order_no: Option<&str>,
) -> Option<&'a OrderRecord> {
    app.orders.get(order_no).or_else(|| {
        app_order_no
            .filter(|s| !s.is_empty())
            .and_then(|a| app.app_orders.get(a))
            .and_then(|no| app.orders.get(no))
    })
}

/// `order`: the order with one page of its instances.
pub(crate) fn order(state: &State, app_key: &str, req: OrderRequest) -> Result<Order, ApiFailure> {
    if req.order_no.is_empty() && req.app_order_no.as_deref().is_none_or(str::is_empty) {
        return Err(ApiFailure::invalid("orderNo", "is required"));
    }
    if req.page_size > OrderRequest::MAX_PAGE_SIZE {
        return Err(ApiFailure::invalid("pageSize", "must be at most 100"));
    }
    let app = state.app(app_key)?;
    let order = order_ref(app, &req.order_no, req.app_order_no.as_deref())
        .ok_or_else(|| ApiFailure::new(ApiCode::OrderNotFound, "no such order: orderNo"))?;
    let page = req.page.max(1);
    let size = if req.page_size == 0 {
        10
    } else {
        req.page_size
    };
    let instances = order
        .instances
        .iter()
        .skip(((page - 1) as usize).saturating_mul(size as usize))
        .take(size as usize)
        .filter_map(|no| app.instances.get(no))
        .map(instance_dto)
        .collect();
    Ok({
        let mut built_order = Order::default();
        built_order.order_no = order.order_no.clone();
        built_order.app_order_no = order.app_order_no.clone();
        built_order.order_type = order.order_type;
        built_order.status = order.status;
        built_order.count = i64::from(order.count);
        built_order.amount = crate::records::shown(order.amount);
        built_order.refund = i64::from(!order.refunded.is_zero());
        built_order.page = i64::from(page);
        built_order.page_size = i64::from(size);
        built_order.total = order.instances.len() as i64;
        built_order.instances = instances;
        built_order
    })
}

/// Whether `at` is inside a `startTime` / `endTime` filter, both bounds inclusive. The
/// filter's wall-clock times are China Standard Time (UTC+8): the rule written once in
/// `ipv_types::time` and in `docs/emulator.md`.
pub(crate) fn in_range(
    at: OffsetDateTime,
    start: Option<ipv_types::time::QueryTime>,
    end: Option<ipv_types::time::QueryTime>,
) -> bool {
    start.is_none_or(|s| at >= s.instant()) && end.is_none_or(|e| at <= e.instant())
}

fn paging(
    page: Option<u32>,
    page_size: Option<u32>,
    default_size: u32,
) -> Result<(u32, u32), ApiFailure> {
    let page = page.unwrap_or(1).max(1);
    let size = match page_size {
        None | Some(0) => default_size,
        Some(n) if n > 100 => return Err(ApiFailure::invalid("pageSize", "must be at most 100")),
        Some(n) => n,
    };
    Ok((page, size))
}

/// A page of `list` (already cut to the page) out of `total` entries.
fn page_from<T>(list: Vec<T>, total: usize, page: u32, size: u32) -> Page<T> {
    {
        let mut built_page = Page::default();
        built_page.page = i64::from(page);
        built_page.page_size = i64::from(size);
        built_page.total = i64::try_from(total).unwrap_or(i64::MAX);
        built_page.cur_page = i64::from(page);
        built_page.list = list;
        built_page
    }
}

/// `order/list`, newest first: a page read off the app's time index (two binary searches
/// and the page itself), so its cost does not grow with the account.
pub(crate) fn orders(
    state: &State,
    app_key: &str,
    req: OrdersRequest,
) -> Result<Page<OrderItem>, ApiFailure> {
    let (page, size) = paging(req.page, req.page_size, 20)?;
    let app = state.app(app_key)?;
    let (total, numbers) = app.order_times.page_newest_first(
        req.start_time.map(QueryTime::instant),
        req.end_time.map(QueryTime::instant),
        page,
        size,
    );
    let list = numbers
        .into_iter()
        .filter_map(|no| app.orders.get(no))
        .map(|o| order_item(state, o))
        .collect();
    Ok(page_from(list, total, page, size))
}

/// One order as `order/list` shows it.
fn order_item(state: &State, o: &OrderRecord) -> OrderItem {
    let (city, ext, flow) = o
        .lines
        .iter()
        .find_map(|l| match l {
            OrderLine::Open {
                product_no, param, ..
            } => Some((
                state
                    .catalogue
                    .product(product_no)
                    .map(|p| p.city_code.clone())
                    .unwrap_or_default(),
                i64::from(param.ext_band_width.unwrap_or(0)),
                i64::try_from(param.flow.unwrap_or(0)).unwrap_or(i64::MAX),
            )),
            _ => None,
        })
        .unwrap_or_default();
    {
        let mut order_item = OrderItem::default();
        order_item.order_no = o.order_no.clone();
        order_item.app_order_no = o.app_order_no.clone();
        order_item.city_code = city;
        // The instance renewed or released; empty for purchases (the Go
        // SDK's OrderItem: a new order's instances are read with `order`).
        order_item.instance_no = if o.order_type == ipv_types::OrderType::New {
            String::new()
        } else {
            o.instances.join(",")
        };
        order_item.order_type = o.order_type;
        order_item.status = o.status;
        order_item.count = i64::from(o.count);
        order_item.success_count = i64::from(o.success_count);
        order_item.amount = crate::records::shown(o.amount);
        order_item.ext_band_width = ext;
        order_item.flow = flow;
        order_item.created_at = Some(o.created_at);
        order_item
    }
}

/// `instance`: every listed instance must exist.
pub(crate) fn instances(
    state: &State,
    app_key: &str,
    req: InstancesRequest,
) -> Result<Vec<Instance>, ApiFailure> {
    if req.instances.is_empty() {
        return Err(ApiFailure::invalid("instances", "at least one is required"));
    }
    let app = state.app(app_key)?;
    req.instances
        .iter()
        .enumerate()
        .map(|(i, no)| {
            app.instances.get(no).map(instance_dto).ok_or_else(|| {
                ApiFailure::new(
                    ApiCode::InstanceNotFound,
                    format!("no such instance: instances[{i}]"),
                )
            })
        })
        .collect()
}

/// `instance/list`, newest first: a page read off the app's time index, as `order/list`.
pub(crate) fn instance_list(
    state: &State,
    app_key: &str,
    req: InstanceListRequest,
) -> Result<Page<Instance>, ApiFailure> {
    let (page, size) = paging(req.page, req.page_size, 20)?;
    let app = state.app(app_key)?;
    let (total, numbers) = app.instance_times.page_newest_first(
        req.start_time.map(QueryTime::instant),
        req.end_time.map(QueryTime::instant),
        page,
        size,
    );
    let list = numbers
        .into_iter()
        .filter_map(|no| app.instances.get(no))
        .map(instance_dto)
        .collect();
    Ok(page_from(list, total, page, size))
}

/// `instance/reset/password`: idempotent on resetNo (the first result is returned
/// again; a resetNo reused for other instances is refused).
pub(crate) fn reset_passwords(
    state: &mut State,
    app_key: &str,
    req: ResetPasswordsRequest,
) -> Result<ResetPasswordsResult, ApiFailure> {
    if !ResetPasswordsRequest::is_valid_reset_no(&req.reset_no) {
        return Err(ApiFailure::invalid(
            "resetNo",
            "must be 1 to 32 characters of A-Z, a-z, 0-9 and _",
        ));
    }
    if req.instance_no_list.is_empty() {
        return Err(ApiFailure::invalid(
            "instanceNoList",
            "at least one is required",
        ));
    }
    let fingerprint = crate::records::fingerprint(
        &req.instance_no_list
            .iter()
            .map(|s| s.as_bytes())
            .collect::<Vec<_>>(),
    );
    let result = |record: &ResetRecord| {
        let mut reset_passwords_result = ResetPasswordsResult::default();
        reset_passwords_result.list = record
            .results
            .iter()
            .map(|(no, pwd)| {
                let mut password_reset = PasswordReset::default();
                password_reset.instance_no = no.clone();
                password_reset.new_password = pwd.clone();
                password_reset.status = ResetStatus::Succeeded;
                password_reset
            })
            .collect();
        reset_passwords_result.reset_no = record.reset_no.clone();
        reset_passwords_result
    };
    {
        let app = state.app(app_key)?;
        if let Some(record) = app.resets.get(&req.reset_no) {
            if record.fingerprint != fingerprint {
                return Err(ApiFailure::invalid(
                    "resetNo",
                    "already used for a different instance list",
                ));
            }
            return Ok(result(record));
        }
        for (i, no) in req.instance_no_list.iter().enumerate() {
            match app.instances.get(no) {
                Some(inst) if inst.is_live() => {}
                _ => {
                    return Err(ApiFailure::new(
                        ApiCode::InstanceNotFound,
                        format!("no such instance: instanceNoList[{i}]"),
                    ));
                }
            }
        }
    }
    let mut results = Vec::new();
    for no in &req.instance_no_list {
        let pwd = state.next_secret();
        results.push((no.clone(), pwd));
    }
    let app = state.app_mut(app_key)?;
    for (no, pwd) in &results {
        if let Some(inst) = app.instances.get_mut(no) {
            inst.pwd = pwd.clone();
        }
    }
    let record = ResetRecord {
        reset_no: req.reset_no.clone(),
        fingerprint,
        results,
    };
    let out = result(&record);
    app.resets.insert(req.reset_no, record);
    Ok(out)
}
