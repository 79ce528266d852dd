//! Purchases: open, open with an assigned IP, renew, release, after-sale release. Each
//! is checked in full first (nothing changes on an error), charged, and recorded as an
//! order, which `delivery` delivers on its schedule.

use ipv_types::{
    ApiCode, BridgeChoice, Money, OpenParam, OrderReceipt, OrderStatus, OrderType, Product, Toggle,
    UseLimit,
};
use time::OffsetDateTime;

use crate::catalogue;
use crate::config::OrderSchedule;
use crate::records::{OrderLine, OrderRecord};
use crate::state::{ApiFailure, State};
use crate::terms::cost_of;
use crate::{delivery, pricing};

/// The longest appOrderNo of a purchase: the document types it `string(32)` on
/// `instance/open` and `instance/open/assign/ip` only (renew's appOrderNo and the
/// release / after-sale orderNo are plain `string`, with no length).
const MAX_APP_ORDER_NO: usize = 32;

fn check_app_order_no(field: &str, value: &str, order_type: OrderType) -> Result<(), ApiFailure> {
    if value.trim().is_empty() {
        return Err(ApiFailure::invalid(field, "is required"));
    }
    if order_type == OrderType::New && value.chars().count() > MAX_APP_ORDER_NO {
        return Err(ApiFailure::invalid(field, "must be at most 32 characters"));
    }
    Ok(())
}

/// Checks the caller's order number and, when it already names an order, returns that
/// order's receipt: the platform's idempotency on appOrderNo (a repeat charges nothing).
/// The same number used for another kind of order is a 10004 naming `field`.
fn earlier_receipt(
    state: &mut State,
    app_key: &str,
    app_order_no: &str,
    order_type: OrderType,
    after_sale: bool,
    field: &str,
) -> Result<Option<OrderReceipt>, ApiFailure> {
    check_app_order_no(field, app_order_no, order_type)?;
    let app = state.app(app_key)?;
    let Some(order_no) = app.app_orders.get(app_order_no) else {
        return Ok(None);
    };
    let Some(order) = app.orders.get(order_no) else {
        return Ok(None);
    };
    if order.order_type != order_type || order.after_sale != after_sale {
        return Err(ApiFailure::invalid(
            field,
            format!("already used by order {order_no} of another type"),
        ));
    }
    Ok(Some(receipt(order)))
}

fn receipt(order: &OrderRecord) -> OrderReceipt {
    {
        let mut order_receipt = OrderReceipt::default();
        order_receipt.order_no = order.order_no.clone();
        order_receipt.app_order_no = order.app_order_no.clone();
        order_receipt.amount = crate::records::shown(order.amount);
        order_receipt
    }
}

/// Whether a purchase uses the bridge: the parameter decides, else the app's setting;
/// bridges only serve exits abroad.
fn uses_bridge(choice: Option<BridgeChoice>, app_default: bool, product: &Product) -> bool {
    let wanted = match choice {
        Some(BridgeChoice::Yes) => true,
        Some(BridgeChoice::No) => false,
        _ => app_default,
    };
    wanted && product.use_limit == UseLimit::ExitAbroad && product.proxy_type.is_static()
}

/// Resolves an open parameter to a product: by productNo, else by the filters.
fn resolve_product<'a>(
    state: &'a State,
    param: &OpenParam,
    field: &str,
) -> Result<&'a Product, ApiFailure> {
    if let Some(no) = param.product_no.as_deref().filter(|p| !p.is_empty()) {
        return state
            .catalogue
            .product(no)
            .ok_or_else(|| ApiFailure::invalid(format!("{field}.productNo"), "no such product"));
    }
    state
        .catalogue
        .products
        .iter()
        .find(|p| {
            p.is_purchasable()
                && param.proxy_type.is_none_or(|t| t == p.proxy_type)
                && param
                    .country_code
                    .as_deref()
                    .is_none_or(|c| c == p.country_code)
                && param.city_code.as_deref().is_none_or(|c| c == p.city_code)
                && param
                    .supplier_code
                    .as_deref()
                    .is_none_or(|c| c == p.supplier_code)
                && param.unit.is_none_or(|u| u == p.unit)
                && param.isp_type.is_none_or(|i| i == p.isp_type)
                && param.duration.is_none_or(|d| i64::from(d) == p.duration)
        })
        .ok_or_else(|| ApiFailure::invalid(field, "no product on sale matches the filters"))
}

/// `useBridge` is `uint8` 1 (no) or 2 (yes) in the document, and not given (0, a Go
/// client's unset field) follows the app: any other number is a bad parameter.
fn check_use_bridge(field: &str, choice: Option<BridgeChoice>) -> Result<(), ApiFailure> {
    match choice.map(BridgeChoice::as_i64) {
        None | Some(0..=2) => Ok(()),
        Some(_) => Err(ApiFailure::invalid(
            field,
            "must be 1 (no bridge) or 2 (bridge), or left out",
        )),
    }
}

/// One checked open line, ready to commit.
struct PlannedLine {
    product_no: String,
    param: OpenParam,
    amount: Money,
    units: u32,
    bridge: bool,
}

/// A dynamic line's checks: a normal main account and at least the product's minimum
/// flow (or IPs). Returns the flow, the stock the line wants.
fn check_flow_line(
    state: &State,
    app_key: &str,
    field: &str,
    param: &OpenParam,
    product: &Product,
) -> Result<u64, ApiFailure> {
    let user = param.app_username.as_deref().unwrap_or("");
    if user.is_empty() {
        return Err(ApiFailure::invalid(
            format!("{field}.appUsername"),
            "is required for dynamic products",
        ));
    }
    let account = state.apps.get(app_key).and_then(|a| a.users.get(user));
    match account {
        Some(a) if a.status.as_i64() == 1 => {}
        _ => {
            return Err(ApiFailure::new(
                ApiCode::FlowMainAccountUnavailable,
                format!(
                    "flow allotment failed: {field}.appUsername: main account missing or disabled"
                ),
            ));
        }
    }
    let flow = param.flow.unwrap_or(0);
    let minimum = u64::try_from(product.flow.max(product.ip_count).max(1)).unwrap_or(1);
    if flow < minimum {
        return Err(ApiFailure::invalid(
            format!("{field}.flow"),
            format!("must be at least {minimum}"),
        ));
    }
    Ok(flow)
}

/// A static line's checks: the count, the extra bandwidth, and chosen blocks that are
/// the product's, in stock, and add up to the count.
fn check_static_line(field: &str, param: &OpenParam, product: &Product) -> Result<(), ApiFailure> {
    if param.count == 0 || param.count > 20 {
        return Err(ApiFailure::invalid(
            format!("{field}.count"),
            "must be 1 to 20",
        ));
    }
    if let Some(bw) = param.ext_band_width
        && i64::from(bw) > product.max_band_width
    {
        return Err(ApiFailure::invalid(
            format!("{field}.extBandWidth"),
            format!("must be at most {}", product.max_band_width),
        ));
    }
    if let Some(blocks) = param.cidr_blocks.as_ref().filter(|b| !b.is_empty()) {
        let mut total = 0u32;
        for (j, sel) in blocks.iter().enumerate() {
            let Some(block) = product.cidr_blocks.iter().find(|b| b.cidr == sel.cidr) else {
                return Err(ApiFailure::invalid(
                    format!("{field}.cidrBlocks[{j}].cidr"),
                    "not a block of this product",
                ));
            };
            if i64::from(sel.count) > block.count {
                return Err(ApiFailure::new(
                    ApiCode::OutOfStock,
                    format!("open failed: out of stock: {field}.cidrBlocks[{j}]"),
                ));
            }
            total = total.saturating_add(sel.count);
        }
        if total != param.count {
            return Err(ApiFailure::invalid(
                format!("{field}.cidrBlocks"),
                "the block counts must add up to count",
            ));
        }
    }
    Ok(())
}

/// Checks open parameter `i` and prices it. Returns the line and the stock it wants (MB
/// or IPs of a dynamic line, instances of a static one; a u64, as a request's `flow`).
fn plan_open_line(
    state: &State,
    app_key: &str,
    app_bridge: bool,
    i: usize,
    raw: &OpenParam,
) -> Result<(PlannedLine, u64), ApiFailure> {
    let field = format!("params[{i}]");
    // A Go client sends every field; its zero values (`""`, `0`, `false`, `null`) mean
    // "not given", and count / cycleTimes of 0 their documented default of 1.
    let raw = raw.clone().without_go_zero_values();
    let product = resolve_product(state, &raw, &field)?;
    if !product.enable.is_yes() {
        return Err(ApiFailure::invalid(
            format!("{field}.productNo"),
            "product is not for sale",
        ));
    }
    check_use_bridge(&format!("{field}.useBridge"), raw.use_bridge)?;
    let mut param = raw;
    param.product_no = Some(product.product_no.clone());
    if param.cycle_times > 120 {
        return Err(ApiFailure::invalid(
            format!("{field}.cycleTimes"),
            "must be 1 to 120",
        ));
    }
    let (units, wanted) = if product.proxy_type.is_dynamic() {
        (1, check_flow_line(state, app_key, &field, &param, product)?)
    } else {
        check_static_line(&field, &param, product)?;
        (param.count, u64::from(param.count))
    };
    let bridge = uses_bridge(param.use_bridge, app_bridge, product);
    let amount = cost_of(product, &param, bridge, &field)?;
    let line = PlannedLine {
        product_no: product.product_no.clone(),
        param,
        amount,
        units,
        bridge,
    };
    Ok((line, wanted))
}

/// The stock check of an open: what the lines want, summed per product in 128 bits (at
/// most 20 lines of at most u64::MAX each, so no sum wraps), against each inventory.
fn check_stock(state: &State, wanted_stock: &[(String, u64)]) -> Result<(), ApiFailure> {
    let mut per_product: std::collections::BTreeMap<&str, u128> = Default::default();
    for (no, n) in wanted_stock {
        *per_product.entry(no.as_str()).or_default() += u128::from(*n);
    }
    for (no, n) in per_product {
        let available = state.catalogue.product(no).map_or(0, |p| p.inventory);
        if i128::from(available) < i128::try_from(n).unwrap_or(i128::MAX) {
            return Err(ApiFailure::new(
                ApiCode::OutOfStock,
                format!("open failed: out of stock: {no} has {available}, {n} wanted"),
            ));
        }
    }
    Ok(())
}

/// `instance/open`.
pub(crate) fn open_instances(
    state: &mut State,
    app_key: &str,
    now: OffsetDateTime,
    schedule: OrderSchedule,
    req: ipv_types::OpenInstancesRequest,
) -> Result<OrderReceipt, ApiFailure> {
    if let Some(r) = earlier_receipt(
        state,
        app_key,
        &req.app_order_no,
        OrderType::New,
        false,
        "appOrderNo",
    )? {
        return Ok(r);
    }
    if req.params.is_empty() {
        return Err(ApiFailure::invalid(
            "params",
            "at least one entry is required",
        ));
    }
    if req.params.len() > 20 {
        return Err(ApiFailure::invalid("params", "at most 20 entries"));
    }
    let app_bridge = state.apps.get(app_key).is_some_and(|a| a.config.use_bridge);
    let mut planned = Vec::new();
    let mut wanted_stock: Vec<(String, u64)> = Vec::new();
    for (i, raw) in req.params.iter().enumerate() {
        let (line, wanted) = plan_open_line(state, app_key, app_bridge, i, raw)?;
        wanted_stock.push((line.product_no.clone(), wanted));
        planned.push(line);
    }
    check_stock(state, &wanted_stock)?;
    let total = pricing::checked_sum(planned.iter().map(|l| l.amount)).ok_or_else(|| {
        ApiFailure::invalid("params", "the amounts together are too large to charge")
    })?;
    let balance = state.apps.get(app_key).map_or(Money::ZERO, |a| a.balance);
    if balance.as_decimal() < total.as_decimal() {
        return Err(ApiFailure::new(
            ApiCode::InsufficientBalance,
            format!("open failed: balance too low: {total} needed, {balance} available"),
        ));
    }
    let count = planned.iter().map(|l| l.units).sum();
    let lines = planned
        .into_iter()
        .map(|l| OrderLine::Open {
            product_no: l.product_no,
            param: Box::new(l.param),
            assign_ip: None,
            bridge: l.bridge,
            amount: l.amount,
            delivered: 0,
        })
        .collect();
    Ok(create_order(
        state,
        app_key,
        now,
        schedule,
        NewOrder {
            app_order_no: req.app_order_no,
            order_type: OrderType::New,
            after_sale: false,
            lines,
            amount: total,
            count,
        },
    ))
}

/// `instance/open/assign/ip`.
pub(crate) fn open_assigned_ip(
    state: &mut State,
    app_key: &str,
    now: OffsetDateTime,
    schedule: OrderSchedule,
    req: ipv_types::OpenAssignedIpRequest,
) -> Result<OrderReceipt, ApiFailure> {
    if let Some(r) = earlier_receipt(
        state,
        app_key,
        &req.app_order_no,
        OrderType::New,
        false,
        "appOrderNo",
    )? {
        return Ok(r);
    }
    let product = state
        .catalogue
        .product(&req.product_no)
        .ok_or_else(|| ApiFailure::invalid("productNo", "no such product"))?;
    if !product.enable.is_yes() {
        return Err(ApiFailure::invalid("productNo", "product is not for sale"));
    }
    if product.assign_ip != Toggle::Yes {
        return Err(ApiFailure::invalid(
            "productNo",
            "product does not support an assigned IP",
        ));
    }
    if req.assign_ip.parse::<std::net::Ipv4Addr>().is_err() {
        return Err(ApiFailure::invalid("assignIp", "not an IPv4 address"));
    }
    let Some(block) = product
        .cidr_blocks
        .iter()
        .find(|b| catalogue::block_contains(&b.cidr, &req.assign_ip))
    else {
        return Err(ApiFailure::invalid(
            "assignIp",
            "not inside this product's CIDR blocks",
        ));
    };
    if block.count <= 0 || state.allocated_ips.contains(&req.assign_ip) {
        return Err(ApiFailure::new(
            ApiCode::OutOfStock,
            "open failed: out of stock: assignIp is not available",
        ));
    }
    let cycle_times = req.cycle_times.max(1);
    if cycle_times > 120 {
        return Err(ApiFailure::invalid("cycleTimes", "must be 1 to 120"));
    }
    check_use_bridge("useBridge", req.use_bridge)?;
    if let Some(bw) = req.ext_band_width
        && i64::from(bw) > product.max_band_width
    {
        return Err(ApiFailure::invalid(
            "extBandWidth",
            format!("must be at most {}", product.max_band_width),
        ));
    }
    let param = {
        let mut open_param = OpenParam::default();
        open_param.product_no = Some(product.product_no.clone());
        open_param.count = 1;
        open_param.cycle_times = cycle_times;
        open_param.renew = req.renew;
        open_param.ext_band_width = req.ext_band_width;
        open_param.use_bridge = req.use_bridge;
        open_param
    };
    let app_bridge = state.apps.get(app_key).is_some_and(|a| a.config.use_bridge);
    let bridge = uses_bridge(param.use_bridge, app_bridge, product);
    let amount = cost_of(product, &param, bridge, "productNo")?;
    let balance = state.apps.get(app_key).map_or(Money::ZERO, |a| a.balance);
    if balance.as_decimal() < amount.as_decimal() {
        return Err(ApiFailure::new(
            ApiCode::InsufficientBalance,
            format!("open failed: balance too low: {amount} needed, {balance} available"),
        ));
    }
    let product_no = product.product_no.clone();
    Ok(create_order(
        state,
        app_key,
        now,
        schedule,
        NewOrder {
            app_order_no: req.app_order_no,
            order_type: OrderType::New,
            after_sale: false,
            lines: vec![OrderLine::Open {
                product_no,
                param: Box::new(param),
                assign_ip: Some(req.assign_ip),
                bridge,
                amount,
                delivered: 0,
            }],
            amount,
            count: 1,
        },
    ))
}

/// `instance/renew`.
pub(crate) fn renew_instances(
    state: &mut State,
    app_key: &str,
    now: OffsetDateTime,
    schedule: OrderSchedule,
    req: ipv_types::RenewInstancesRequest,
) -> Result<OrderReceipt, ApiFailure> {
    if let Some(r) = earlier_receipt(
        state,
        app_key,
        &req.app_order_no,
        OrderType::Renew,
        false,
        "appOrderNo",
    )? {
        return Ok(r);
    }
    if req.instances.is_empty() {
        return Err(ApiFailure::invalid(
            "instances",
            "at least one entry is required",
        ));
    }
    let app = state.app(app_key)?;
    let mut lines = Vec::new();
    let mut total = Money::ZERO;
    for (i, item) in req.instances.iter().enumerate() {
        let field = format!("instances[{i}]");
        let instance = app
            .instances
            .get(&item.instance_no)
            .filter(|inst| inst.is_live() && !inst.releasing)
            .ok_or_else(|| {
                ApiFailure::new(
                    ApiCode::RenewInstanceNotFound,
                    format!("renew failed: {field}.instanceNo: no such instance"),
                )
            })?;
        if instance.user_expired.is_none() {
            return Err(ApiFailure::invalid(
                format!("{field}.instanceNo"),
                "the instance has no time limit to extend",
            ));
        }
        // cycleTimes supersedes the old duration; 0 (a Go client's unset field) is not
        // given, and with neither the document's default is 1.
        let cycles = item
            .cycle_times
            .filter(|n| *n != 0)
            .or(item.duration.filter(|n| *n != 0))
            .unwrap_or(1);
        if cycles > 120 {
            return Err(ApiFailure::invalid(
                format!("{field}.cycleTimes"),
                "must be 1 to 120",
            ));
        }
        let product = state
            .catalogue
            .product(&instance.product_no)
            .ok_or_else(|| ApiFailure::invalid(format!("{field}.instanceNo"), "product gone"))?;
        let param = OpenParam::default()
            .with_product_no(product.product_no.clone())
            .with_count(1)
            .with_cycle_times(cycles)
            .with_use_bridge(if instance.bridges.is_empty() {
                BridgeChoice::No
            } else {
                BridgeChoice::Yes
            });
        let amount = cost_of(product, &param, !instance.bridges.is_empty(), &field)?;
        total = total.checked_add(amount).ok_or_else(|| {
            ApiFailure::invalid("instances", "the amounts together are too large to charge")
        })?;
        lines.push(OrderLine::Renew {
            instance_no: item.instance_no.clone(),
            cycle_times: cycles,
            amount,
            done: false,
        });
    }
    if app.balance.as_decimal() < total.as_decimal() {
        return Err(ApiFailure::new(
            ApiCode::InsufficientBalance,
            format!(
                "renew failed: balance too low: {total} needed, {} available",
                app.balance
            ),
        ));
    }
    let count = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    Ok(create_order(
        state,
        app_key,
        now,
        schedule,
        NewOrder {
            app_order_no: req.app_order_no,
            order_type: OrderType::Renew,
            after_sale: false,
            lines,
            amount: total,
            count,
        },
    ))
}

/// `instance/release` (window-checked, refunding) and `instance/aftersale` (no window,
/// no refund).
pub(crate) fn release_instances(
    state: &mut State,
    app_key: &str,
    now: OffsetDateTime,
    schedule: OrderSchedule,
    app_order_no: String,
    instances: Vec<String>,
    after_sale: bool,
) -> Result<OrderReceipt, ApiFailure> {
    if let Some(r) = earlier_receipt(
        state,
        app_key,
        &app_order_no,
        OrderType::Release,
        after_sale,
        "orderNo",
    )? {
        return Ok(r);
    }
    if instances.is_empty() {
        return Err(ApiFailure::invalid(
            "instances",
            "at least one entry is required",
        ));
    }
    let app = state.app(app_key)?;
    let mut lines = Vec::new();
    let mut total = Money::ZERO;
    let mut seen = std::collections::BTreeSet::new();
    for (i, no) in instances.iter().enumerate() {
        let field = format!("instances[{i}]");
        if !seen.insert(no.as_str()) {
            return Err(ApiFailure::invalid(&field, "listed twice"));
        }
        let instance = app
            .instances
            .get(no)
            .filter(|inst| inst.is_live() && !inst.releasing)
            .ok_or_else(|| {
                ApiFailure::new(
                    ApiCode::ReleaseInstanceNotFound,
                    format!("release failed: {field}: no such instance"),
                )
            })?;
        let refund = if after_sale {
            Money::ZERO
        } else {
            let window = state
                .catalogue
                .product(&instance.product_no)
                .map_or(0, |p| p.refund_duration.max(0));
            let closes = instance.open_at + time::Duration::seconds(window);
            if now >= closes {
                return Err(ApiFailure::new(
                    ApiCode::ReleaseWindowClosed,
                    format!(
                        "release failed: {field}: past the release window ({window} s after opening)"
                    ),
                ));
            }
            instance.charged
        };
        total = total.checked_add(refund).ok_or_else(|| {
            ApiFailure::invalid("instances", "the refunds together are too large")
        })?;
        lines.push(OrderLine::Release {
            instance_no: no.clone(),
            refund,
            done: false,
        });
    }
    // Mark them so no second release or renewal can start.
    if let Some(app) = state.apps.get_mut(app_key) {
        for no in &instances {
            if let Some(inst) = app.instances.get_mut(no) {
                inst.releasing = true;
            }
        }
    }
    let count = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    Ok(create_order(
        state,
        app_key,
        now,
        schedule,
        NewOrder {
            app_order_no,
            order_type: OrderType::Release,
            after_sale,
            lines,
            amount: total,
            count,
        },
    ))
}

struct NewOrder {
    app_order_no: String,
    order_type: OrderType,
    after_sale: bool,
    lines: Vec<OrderLine>,
    amount: Money,
    count: u32,
}

/// Records an order (charging opens and renewals now) and, on an immediate schedule,
/// delivers it at once.
fn create_order(
    state: &mut State,
    app_key: &str,
    now: OffsetDateTime,
    schedule: OrderSchedule,
    new: NewOrder,
) -> OrderReceipt {
    let order_no = state.next_order_no(now);
    let to_processing = time::Duration::try_from(schedule.to_processing).unwrap_or_default();
    let to_done = time::Duration::try_from(schedule.to_done).unwrap_or_default();
    let order = OrderRecord {
        order_no: order_no.clone(),
        app_order_no: new.app_order_no.clone(),
        order_type: new.order_type,
        after_sale: new.after_sale,
        status: OrderStatus::Pending,
        created_at: now,
        processing_at: now + to_processing,
        done_at: now + to_processing + to_done,
        finished_at: None,
        lines: new.lines,
        amount: new.amount,
        refunded: Money::ZERO,
        instances: Vec::new(),
        count: new.count,
        success_count: 0,
        note: String::new(),
    };
    let receipt = receipt(&order);
    if let Some(app) = state.apps.get_mut(app_key) {
        if new.order_type != OrderType::Release {
            app.charge(new.amount, &order_no, now);
        }
        app.app_orders.insert(new.app_order_no, order_no.clone());
        app.add_order(order);
    }
    state
        .open_orders
        .insert((app_key.to_owned(), order_no.clone()));
    if schedule.is_immediate() {
        delivery::advance_order(state, app_key, &order_no, now, true);
    }
    receipt
}
