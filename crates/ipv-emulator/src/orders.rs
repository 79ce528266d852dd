//! Purchases and the order state machine: open, open with an assigned IP, renew,
//! release, after-sale release; order queries; delivery of due orders; expiry.

use ipv_types::{
    ApiCode, BridgeChoice, InstanceStatus, Money, OpenParam, OrderReceipt, OrderStatus, OrderType,
    Product, Toggle, UseLimit,
};
use time::OffsetDateTime;

use crate::callbacks::CallbackType;
use crate::catalogue;
use crate::config::OrderSchedule;
use crate::records::{InstanceRecord, OrderLine, OrderRecord};
use crate::state::{ApiFailure, State};
use crate::{expiry, pricing};

/// The bridge fee per instance and cycle, charged when a bridge is used abroad.
pub(crate) const BRIDGE_FEE: &str = "0.50";
/// The gateway address handed out with dynamic draws and bridges.
pub(crate) const GATEWAY_HOST: &str = "gate.emulator.invalid";

/// The longest appOrderNo of a purchase: the document types it `string(32)` on
/// `instance/open` and `instance/open/assign/ip` only (renew's appOrderNo and the
/// release / after-sale orderNo are plain `string`, with no length).
const MAX_APP_ORDER_NO: usize = 32;

pub(crate) fn bridge_fee() -> Money {
    BRIDGE_FEE.parse().unwrap_or(Money::ZERO)
}

/// The charge for one open parameter on `product`, by the emulator's own reading of the
/// document's fee rules ([`pricing`]): a dynamic product is charged per MB (or IP) of
/// `flow`, a static one per instance and cycle. A charge that does not fit is a 10004
/// naming `field`.
pub(crate) fn cost_of(
    product: &Product,
    param: &OpenParam,
    bridge: bool,
    field: &str,
) -> Result<Money, ApiFailure> {
    let charge = if product.proxy_type.is_dynamic() {
        pricing::flow_charge(product.cost_price, param.flow.unwrap_or(0))
    } else {
        pricing::static_charge(
            product.cost_price,
            product.band_width_price,
            pricing::StaticTerms {
                count: param.count,
                cycles: param.cycle_times,
                extra_mbps: param.ext_band_width.unwrap_or(0),
                bridge_fee: bridge.then(bridge_fee),
            },
        )
    };
    charge.map_err(|e| ApiFailure::invalid(field, e))
}

/// When an instance bought at `start` for `cycles` cycles of its product expires, by the
/// emulator's own calendar ([`expiry`]).
pub(crate) fn expiry_of(
    start: OffsetDateTime,
    unit: ipv_types::Unit,
    duration: u32,
    cycles: u32,
    field: &str,
) -> Result<Option<OffsetDateTime>, ApiFailure> {
    expiry::end_of_term(start, unit.as_i64(), duration, cycles)
        .map_err(|e| ApiFailure::invalid(field, e))
}

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
    let mut order_receipt = OrderReceipt::default();
    order_receipt.order_no = order.order_no.clone();
    order_receipt.app_order_no = order.app_order_no.clone();
    order_receipt.amount = crate::records::shown(order.amount);
    order_receipt
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

fn duration_u32(product: &Product) -> u32 {
    u32::try_from(product.duration.max(0)).unwrap_or(u32::MAX)
}

/// One checked open line, ready to commit.
struct PlannedLine {
    product_no: String,
    param: OpenParam,
    amount: Money,
    units: u32,
    bridge: bool,
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
    // Units of stock wanted per line: MB (or IPs) of a dynamic line, instances of a
    // static one. Kept as u64 (a request's `flow` is a u64) and summed in 128 bits, so
    // no request can wrap a sum past the stock check.
    let mut wanted_stock: Vec<(String, u64)> = Vec::new();
    for (i, raw) in req.params.iter().enumerate() {
        let field = format!("params[{i}]");
        // A Go client sends every field; its zero values (`""`, `0`, `false`, `null`)
        // mean "not given", and count / cycleTimes of 0 their documented default of 1.
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
        let units;
        if product.proxy_type.is_dynamic() {
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
            wanted_stock.push((product.product_no.clone(), flow));
            units = 1;
        } else {
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
                    let Some(block) = product.cidr_blocks.iter().find(|b| b.cidr == sel.cidr)
                    else {
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
            wanted_stock.push((product.product_no.clone(), u64::from(param.count)));
            units = param.count;
        }
        let bridge = uses_bridge(param.use_bridge, app_bridge, product);
        let amount = cost_of(product, &param, bridge, &field)?;
        planned.push(PlannedLine {
            product_no: product.product_no.clone(),
            param,
            amount,
            units,
            bridge,
        });
    }
    // Stock, summed per product over all lines.
    let mut per_product: std::collections::BTreeMap<&str, u128> = Default::default();
    for (no, n) in &wanted_stock {
        // At most 20 lines of at most u64::MAX each: the sum fits 128 bits.
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
        app.orders.insert(order_no.clone(), order);
    }
    state
        .open_orders
        .insert((app_key.to_owned(), order_no.clone()));
    if schedule.is_immediate() {
        advance_order(state, app_key, &order_no, now, true);
    }
    receipt
}

/// Moves every open order along its schedule and expires instances. With `force`,
/// every open order is delivered now, whatever its schedule.
pub(crate) fn process_due(state: &mut State, now: OffsetDateTime, force: bool) -> usize {
    let open: Vec<(String, String)> = state.open_orders.iter().cloned().collect();
    let mut moved = 0;
    for (app_key, order_no) in open {
        if advance_order(state, &app_key, &order_no, now, force) {
            moved += 1;
        }
    }
    expire_instances(state, now);
    moved
}

/// The earliest time something is due (an order step or an instance expiry).
pub(crate) fn next_due(state: &State) -> Option<OffsetDateTime> {
    let mut next: Option<OffsetDateTime> = None;
    let mut consider = |t: OffsetDateTime| {
        next = Some(next.map_or(t, |n| n.min(t)));
    };
    for (app_key, order_no) in &state.open_orders {
        if let Some(order) = state.apps.get(app_key).and_then(|a| a.orders.get(order_no)) {
            if order.status == OrderStatus::Pending {
                consider(order.processing_at);
            } else {
                consider(order.done_at);
            }
        }
    }
    for app in state.apps.values() {
        for inst in app.instances.values() {
            if inst.status == InstanceStatus::Running
                && let Some(t) = inst.user_expired
            {
                consider(t);
            }
        }
    }
    next
}

/// Advances one order; returns whether it changed.
fn advance_order(
    state: &mut State,
    app_key: &str,
    order_no: &str,
    now: OffsetDateTime,
    force: bool,
) -> bool {
    let Some((status, processing_at, done_at)) = state
        .apps
        .get(app_key)
        .and_then(|a| a.orders.get(order_no))
        .map(|o| (o.status, o.processing_at, o.done_at))
    else {
        state
            .open_orders
            .remove(&(app_key.to_owned(), order_no.to_owned()));
        return false;
    };
    if force || now >= done_at {
        deliver(state, app_key, order_no, now);
        state
            .open_orders
            .remove(&(app_key.to_owned(), order_no.to_owned()));
        return true;
    }
    if status == OrderStatus::Pending && now >= processing_at {
        if let Some(order) = state
            .apps
            .get_mut(app_key)
            .and_then(|a| a.orders.get_mut(order_no))
        {
            order.status = OrderStatus::Processing;
        }
        return true;
    }
    false
}

/// Delivers an order: creates, extends or releases instances, refunds what could not be
/// done, sets the final status and queues the callbacks.
fn deliver(state: &mut State, app_key: &str, order_no: &str, now: OffsetDateTime) {
    let Some(mut order) = state
        .apps
        .get_mut(app_key)
        .and_then(|a| a.orders.remove(order_no))
    else {
        return;
    };
    let mut delivered_units = 0u32;
    let mut refund_total = Money::ZERO;
    let mut notes = Vec::new();
    let mut instance_events = Vec::new();
    let mut product_events = Vec::new();
    for line in &mut order.lines {
        match line {
            OrderLine::Open {
                product_no,
                param,
                assign_ip,
                bridge,
                amount,
                delivered,
            } => {
                let failing = state.faults.fail_products.iter().any(|p| p == product_no);
                let Some(product) = state.catalogue.product(product_no).cloned() else {
                    refund_total += *amount;
                    notes.push(format!("{product_no}: product withdrawn"));
                    continue;
                };
                if failing {
                    refund_total += *amount;
                    notes.push(format!("{product_no}: delivery failed (injected fault)"));
                    continue;
                }
                if product.proxy_type.is_dynamic() {
                    let flow = param.flow.unwrap_or(0);
                    let flow_i64 = i64::try_from(flow).unwrap_or(i64::MAX);
                    if product.inventory < flow_i64 {
                        refund_total += *amount;
                        notes.push(format!("{product_no}: out of stock at delivery"));
                        continue;
                    }
                    if let Some(p) = state.catalogue.product_mut(product_no) {
                        p.inventory -= flow_i64;
                    }
                    product_events.push(product_no.clone());
                    let user = param.app_username.clone().unwrap_or_default();
                    let instance_no = state.next_instance_no();
                    let per_unit = if flow > 0 {
                        amount
                            .as_decimal()
                            .checked_div(rust_decimal::Decimal::from(flow))
                            .map(Money::from_decimal)
                            .unwrap_or(Money::ZERO)
                    } else {
                        Money::ZERO
                    };
                    let Some(app) = state.apps.get_mut(app_key) else {
                        continue;
                    };
                    let Some(account) = app.users.get_mut(&user) else {
                        refund_total += *amount;
                        notes.push(format!("{product_no}: main account {user} is gone"));
                        continue;
                    };
                    let allotment = account.allotments.entry(product_no.clone()).or_default();
                    // `flow` was taken from the stock (an i64), so the totals stay far
                    // below u64::MAX; saturate rather than wrap all the same.
                    if product.ip_count > 0 {
                        allotment.ip_total = allotment.ip_total.saturating_add(flow);
                    } else {
                        allotment.flow_total_mb = allotment.flow_total_mb.saturating_add(flow);
                    }
                    allotment.unit_price = per_unit;
                    let username = account.username.clone();
                    let password = account.password.clone();
                    app.instances.insert(
                        instance_no.clone(),
                        InstanceRecord {
                            instance_no: instance_no.clone(),
                            product_no: product_no.clone(),
                            proxy_type: product.proxy_type,
                            protocol: product.protocol.to_string(),
                            use_type: product.use_type.to_string(),
                            ip: GATEWAY_HOST.to_owned(),
                            port: 7777,
                            region_id: String::new(),
                            country_code: product.country_code.clone(),
                            city_code: product.city_code.clone(),
                            username,
                            pwd: password,
                            order_no: order.order_no.clone(),
                            user_expired: None,
                            flow_total: flow as f64,
                            flow_balance: flow as f64,
                            status: InstanceStatus::Running,
                            renew: false,
                            bridges: Vec::new(),
                            open_at: now,
                            renew_at: None,
                            release_at: None,
                            cidr: None,
                            charged: *amount,
                            releasing: false,
                            unit: product.unit,
                            duration: duration_u32(&product),
                            app_username: Some(user),
                        },
                    );
                    order.instances.push(instance_no.clone());
                    instance_events.push(instance_no);
                    *delivered = 1;
                    delivered_units += 1;
                    continue;
                }
                // Static: pick addresses, block by block.
                let wanted = param.count;
                let mut picks: Vec<(String, String)> = Vec::new();
                if let Some(ip) = assign_ip.as_deref() {
                    if let Some(block) = product
                        .cidr_blocks
                        .iter()
                        .find(|b| catalogue::block_contains(&b.cidr, ip))
                        && block.count > 0
                        && !state.allocated_ips.contains(ip)
                    {
                        picks.push((block.cidr.clone(), ip.to_owned()));
                    }
                } else {
                    let selections: Vec<(String, u32)> = match param.cidr_blocks.as_ref() {
                        Some(sel) if !sel.is_empty() => {
                            sel.iter().map(|s| (s.cidr.clone(), s.count)).collect()
                        }
                        _ => product
                            .cidr_blocks
                            .iter()
                            .map(|b| (b.cidr.clone(), wanted))
                            .collect(),
                    };
                    for (cidr, per_block) in selections {
                        let Some(block) = product.cidr_blocks.iter().find(|b| b.cidr == cidr)
                        else {
                            continue;
                        };
                        let already = picks.len();
                        let available = u32::try_from(block.count.max(0)).unwrap_or(u32::MAX);
                        let take = per_block
                            .min(available)
                            .min(wanted - u32::try_from(already).unwrap_or(wanted));
                        if take == 0 {
                            continue;
                        }
                        let Some(hosts) = catalogue::block_hosts(&cidr) else {
                            continue;
                        };
                        let mut taken = 0;
                        for host in hosts {
                            if taken == take {
                                break;
                            }
                            if !state.allocated_ips.contains(&host)
                                && !picks.iter().any(|(_, h)| h == &host)
                            {
                                picks.push((cidr.clone(), host));
                                taken += 1;
                            }
                        }
                        if picks.len() as u32 >= wanted {
                            break;
                        }
                    }
                }
                let got = u32::try_from(picks.len()).unwrap_or(0).min(wanted);
                let missing = wanted - got;
                // Each instance carries its share of the charge: the cost of one unit.
                let bridge = *bridge;
                let single = {
                    let mut open_param = (**param).clone();
                    open_param.count = 1;
                    open_param.cidr_blocks = None;
                    open_param
                };
                let unit_cost = cost_of(&product, &single, bridge, "params").unwrap_or(Money::ZERO);
                if missing > 0 {
                    let short = {
                        let mut open_param = (**param).clone();
                        open_param.count = missing;
                        open_param.cidr_blocks = None;
                        open_param
                    };
                    let refund = if got == 0 {
                        *amount
                    } else {
                        // The short units cost no more than the whole line, which was
                        // charged: if they cannot be priced, refund the line's share.
                        cost_of(&product, &short, bridge, "params").unwrap_or_else(|_| {
                            unit_cost
                                .checked_mul_int(i64::from(got))
                                .and_then(|delivered| amount.checked_sub(delivered))
                                .unwrap_or(*amount)
                        })
                    };
                    refund_total += refund;
                    notes.push(format!(
                        "{product_no}: {missing} of {wanted} not delivered (out of stock)"
                    ));
                }
                let expires = expiry_of(
                    now,
                    product.unit,
                    duration_u32(&product),
                    param.cycle_times.max(1),
                    "params",
                )
                .ok()
                .flatten();
                for (cidr, ip) in picks.into_iter().take(got as usize) {
                    if let Some(p) = state.catalogue.product_mut(product_no) {
                        if let Some(b) = p.cidr_blocks.iter_mut().find(|b| b.cidr == cidr) {
                            b.count -= 1;
                        }
                        p.inventory -= 1;
                        for stock in &mut p.project_list {
                            stock.inventory = (stock.inventory - 1).max(0);
                        }
                    }
                    state.allocated_ips.insert(ip.clone());
                    let instance_no = state.next_instance_no();
                    let username = format!("u{}", &instance_no[5..]);
                    let pwd = state.next_secret();
                    let bridges = if bridge {
                        vec![format!("bridge.{GATEWAY_HOST}:9000")]
                    } else {
                        Vec::new()
                    };
                    if let Some(app) = state.apps.get_mut(app_key) {
                        app.instances.insert(
                            instance_no.clone(),
                            InstanceRecord {
                                instance_no: instance_no.clone(),
                                product_no: product_no.clone(),
                                proxy_type: product.proxy_type,
                                protocol: product.protocol.to_string(),
                                use_type: product.use_type.to_string(),
                                ip,
                                port: 1080,
                                region_id: product.state_code.clone(),
                                country_code: product.country_code.clone(),
                                city_code: product.city_code.clone(),
                                username,
                                pwd,
                                order_no: order.order_no.clone(),
                                user_expired: expires,
                                flow_total: 0.0,
                                flow_balance: 0.0,
                                status: InstanceStatus::Running,
                                renew: param.renew.unwrap_or(false),
                                bridges,
                                open_at: now,
                                renew_at: None,
                                release_at: None,
                                cidr: Some(cidr),
                                charged: unit_cost,
                                releasing: false,
                                unit: product.unit,
                                duration: duration_u32(&product),
                                app_username: None,
                            },
                        );
                    }
                    order.instances.push(instance_no.clone());
                    instance_events.push(instance_no);
                }
                if got > 0 {
                    product_events.push(product_no.clone());
                }
                *delivered = got;
                delivered_units += got;
            }
            OrderLine::Renew {
                instance_no,
                cycle_times,
                amount,
                done,
            } => {
                let Some(app) = state.apps.get_mut(app_key) else {
                    continue;
                };
                let Some(inst) = app
                    .instances
                    .get_mut(instance_no.as_str())
                    .filter(|i| i.is_live())
                else {
                    refund_total += *amount;
                    notes.push(format!("{instance_no}: released before the renewal"));
                    continue;
                };
                let from = inst.user_expired.unwrap_or(now);
                match expiry_of(from, inst.unit, inst.duration, *cycle_times, "instances") {
                    Ok(new_expiry) => {
                        inst.user_expired = new_expiry;
                        inst.renew_at = Some(now);
                        inst.charged += *amount;
                        if inst.status == InstanceStatus::Stopped
                            && new_expiry.is_none_or(|t| t > now)
                        {
                            inst.status = InstanceStatus::Running;
                        }
                        if !order.instances.contains(instance_no) {
                            order.instances.push(instance_no.clone());
                        }
                        instance_events.push(instance_no.clone());
                        *done = true;
                        delivered_units += 1;
                    }
                    Err(_) => {
                        refund_total += *amount;
                        notes.push(format!("{instance_no}: could not compute the new expiry"));
                    }
                }
            }
            OrderLine::Release {
                instance_no,
                refund,
                done,
            } => {
                let Some(app) = state.apps.get_mut(app_key) else {
                    continue;
                };
                let Some(inst) = app
                    .instances
                    .get_mut(instance_no.as_str())
                    .filter(|i| i.is_live())
                else {
                    notes.push(format!("{instance_no}: already released"));
                    // Nothing is refunded for an instance that was not released here.
                    *refund = Money::ZERO;
                    continue;
                };
                inst.status = InstanceStatus::Released;
                inst.release_at = Some(now);
                inst.releasing = false;
                let freed = inst.cidr.clone().map(|c| (c, inst.ip.clone()));
                let product_no = inst.product_no.clone();
                if !refund.is_zero() {
                    app.refund(*refund, &order.order_no, now);
                }
                if let Some((cidr, ip)) = freed {
                    state.allocated_ips.remove(&ip);
                    if let Some(p) = state.catalogue.product_mut(&product_no) {
                        if let Some(b) = p.cidr_blocks.iter_mut().find(|b| b.cidr == cidr) {
                            b.count += 1;
                        }
                        p.inventory += 1;
                    }
                    product_events.push(product_no);
                }
                if !order.instances.contains(instance_no) {
                    order.instances.push(instance_no.clone());
                }
                instance_events.push(instance_no.clone());
                *done = true;
                delivered_units += 1;
            }
        }
    }
    if order.order_type == OrderType::Release {
        // The receipt promised the refund of every line; what was not released is not
        // refunded, and the order amount says what was.
        order.amount = order
            .lines
            .iter()
            .map(|l| match l {
                OrderLine::Release { refund, .. } => *refund,
                _ => Money::ZERO,
            })
            .sum();
        order.refunded = order.amount;
    } else if !refund_total.is_zero() {
        if let Some(app) = state.apps.get_mut(app_key) {
            app.refund(refund_total, &order.order_no, now);
        }
        order.refunded = refund_total;
    }
    order.success_count = delivered_units;
    order.status = if delivered_units == 0 {
        OrderStatus::Failed
    } else if delivered_units < order.count {
        OrderStatus::PartlyDone
    } else {
        OrderStatus::Succeeded
    };
    order.note = notes.join("; ");
    order.finished_at = Some(now);
    let op = order.order_type.as_i64().to_string();
    let order_no = order.order_no.clone();
    if let Some(app) = state.apps.get_mut(app_key) {
        app.orders.insert(order_no.clone(), order);
    }
    for instance_no in instance_events {
        state.enqueue_callback(app_key, CallbackType::Instance, &instance_no, "", now);
    }
    product_events.sort();
    product_events.dedup();
    for product_no in product_events {
        state.enqueue_product_callback(&product_no, now);
    }
    state.enqueue_callback(app_key, CallbackType::Order, &order_no, &op, now);
}

/// Stops running instances whose time is up, with an instance callback each.
fn expire_instances(state: &mut State, now: OffsetDateTime) {
    let mut events = Vec::new();
    for (app_key, app) in &mut state.apps {
        for inst in app.instances.values_mut() {
            if inst.status == InstanceStatus::Running && inst.user_expired.is_some_and(|t| t <= now)
            {
                inst.status = InstanceStatus::Stopped;
                events.push((app_key.clone(), inst.instance_no.clone()));
            }
        }
    }
    for (app_key, no) in events {
        state.enqueue_callback(&app_key, CallbackType::Instance, &no, "", now);
    }
}
