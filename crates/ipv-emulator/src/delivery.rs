//! Orders moved along their schedule and delivered (instances created, extended or
//! released, what could not be done refunded, callbacks queued), and instances expired.

use ipv_types::{CidrBlock, InstanceStatus, Money, OpenParam, OrderStatus, OrderType, Product};
use time::OffsetDateTime;

use crate::catalogue;
use crate::outbox::CallbackType;
use crate::records::{InstanceRecord, OrderLine, OrderRecord};
use crate::state::State;
use crate::terms::{GATEWAY_HOST, cost_of, duration_u32, expiry_of};

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
    if let Some(t) = state.expiries.first() {
        consider(t);
    }
    next
}

/// Advances one order; returns whether it changed.
pub(crate) fn advance_order(
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

/// What delivering an order's lines did so far: its instances, what it refunds, and the
/// callbacks to queue once it is final.
struct Delivery<'a> {
    app_key: &'a str,
    order_no: &'a str,
    now: OffsetDateTime,
    /// The order's instances (created, renewed or released by it).
    instances: &'a mut Vec<String>,
    delivered_units: u32,
    refund_total: Money,
    notes: Vec<String>,
    instance_events: Vec<String>,
    product_events: Vec<String>,
}

impl Delivery<'_> {
    /// A line (or part of one) that could not be delivered: refunded, with a note.
    fn refund(&mut self, amount: Money, note: String) {
        self.refund_total += amount;
        self.notes.push(note);
    }

    /// An instance this order created.
    fn created(&mut self, instance_no: &str) {
        self.instances.push(instance_no.to_owned());
        self.instance_events.push(instance_no.to_owned());
    }

    /// An instance this order changed (listed once however often it is named).
    fn touched(&mut self, instance_no: &str) {
        if !self.instances.iter().any(|n| n == instance_no) {
            self.instances.push(instance_no.to_owned());
        }
        self.instance_events.push(instance_no.to_owned());
    }
}

/// What the lines of a delivered order add up to.
struct Delivered {
    units: u32,
    refund_total: Money,
    notes: Vec<String>,
    instance_events: Vec<String>,
    product_events: Vec<String>,
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
    let OrderRecord {
        lines,
        instances,
        order_no: own_no,
        ..
    } = &mut order;
    let mut delivery = Delivery {
        app_key,
        order_no: own_no.as_str(),
        now,
        instances,
        delivered_units: 0,
        refund_total: Money::ZERO,
        notes: Vec::new(),
        instance_events: Vec::new(),
        product_events: Vec::new(),
    };
    for line in lines.iter_mut() {
        match line {
            OrderLine::Open {
                product_no,
                param,
                assign_ip,
                bridge,
                amount,
                delivered,
            } => {
                *delivered = deliver_open(
                    state,
                    &mut delivery,
                    product_no,
                    param,
                    assign_ip.as_deref(),
                    *bridge,
                    *amount,
                );
                delivery.delivered_units += *delivered;
            }
            OrderLine::Renew {
                instance_no,
                cycle_times,
                amount,
                done,
            } => {
                *done = deliver_renewal(state, &mut delivery, instance_no, *cycle_times, *amount);
                delivery.delivered_units += u32::from(*done);
            }
            OrderLine::Release {
                instance_no,
                refund,
                done,
            } => {
                *done = deliver_release(state, &mut delivery, instance_no, refund);
                delivery.delivered_units += u32::from(*done);
            }
        }
    }
    let delivered = Delivered {
        units: delivery.delivered_units,
        refund_total: delivery.refund_total,
        notes: delivery.notes,
        instance_events: delivery.instance_events,
        product_events: delivery.product_events,
    };
    finish(state, app_key, order, delivered, now);
}

/// Delivers one open line; returns how many units it delivered. A line that cannot be
/// delivered at all (product withdrawn, an injected failure, no stock) is refunded whole.
fn deliver_open(
    state: &mut State,
    delivery: &mut Delivery<'_>,
    product_no: &str,
    param: &OpenParam,
    assign_ip: Option<&str>,
    bridge: bool,
    amount: Money,
) -> u32 {
    let failing = state.faults.fail_products.iter().any(|p| p == product_no);
    let Some(product) = state.catalogue.product(product_no).cloned() else {
        delivery.refund(amount, format!("{product_no}: product withdrawn"));
        return 0;
    };
    if failing {
        delivery.refund(
            amount,
            format!("{product_no}: delivery failed (injected fault)"),
        );
        return 0;
    }
    if product.proxy_type.is_dynamic() {
        deliver_flow(state, delivery, &product, param, amount)
    } else {
        deliver_static(state, delivery, &product, param, assign_ip, bridge, amount)
    }
}

/// A dynamic line: the flow (or IPs) is taken from the stock and added to the main
/// account's allotment, and one instance stands for the package.
fn deliver_flow(
    state: &mut State,
    delivery: &mut Delivery<'_>,
    product: &Product,
    param: &OpenParam,
    amount: Money,
) -> u32 {
    let product_no = product.product_no.as_str();
    let flow = param.flow.unwrap_or(0);
    let flow_i64 = i64::try_from(flow).unwrap_or(i64::MAX);
    if product.inventory < flow_i64 {
        delivery.refund(amount, format!("{product_no}: out of stock at delivery"));
        return 0;
    }
    if let Some(p) = state.catalogue.product_mut(product_no) {
        p.inventory -= flow_i64;
    }
    delivery.product_events.push(product_no.to_owned());
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
    let Some(app) = state.apps.get_mut(delivery.app_key) else {
        return 0;
    };
    let Some(account) = app.users.get_mut(&user) else {
        delivery.refund(amount, format!("{product_no}: main account {user} is gone"));
        return 0;
    };
    let allotment = account.allotments.entry(product_no.to_owned()).or_default();
    // `flow` was taken from the stock (an i64), so the totals stay far below u64::MAX;
    // saturate rather than wrap all the same.
    if product.ip_count > 0 {
        allotment.ip_total = allotment.ip_total.saturating_add(flow);
    } else {
        allotment.flow_total_mb = allotment.flow_total_mb.saturating_add(flow);
    }
    allotment.unit_price = per_unit;
    let username = account.username.clone();
    let password = account.password.clone();
    state.add_instance(
        delivery.app_key,
        InstanceRecord {
            instance_no: instance_no.clone(),
            product_no: product_no.to_owned(),
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
            order_no: delivery.order_no.to_owned(),
            user_expired: None,
            flow_total: flow as f64,
            flow_balance: flow as f64,
            status: InstanceStatus::Running,
            renew: false,
            bridges: Vec::new(),
            open_at: delivery.now,
            renew_at: None,
            release_at: None,
            cidr: None,
            charged: amount,
            releasing: false,
            unit: product.unit,
            duration: duration_u32(product),
            app_username: Some(user),
        },
    );
    delivery.created(&instance_no);
    1
}

/// Addresses for a static line, as (block, address) pairs: the assigned IP if it is
/// still free, else from the chosen blocks, else block by block through the product's
/// blocks, skipping addresses live instances hold. At most `param.count`.
fn pick_addresses(
    state: &State,
    product: &Product,
    param: &OpenParam,
    assign_ip: Option<&str>,
) -> Vec<(String, String)> {
    let wanted = param.count;
    let mut picks: Vec<(String, String)> = Vec::new();
    if let Some(ip) = assign_ip {
        if let Some(block) = product
            .cidr_blocks
            .iter()
            .find(|b| catalogue::block_contains(&b.cidr, ip))
            && block.count > 0
            && !state.allocated_ips.contains(ip)
        {
            picks.push((block.cidr.clone(), ip.to_owned()));
        }
        return picks;
    }
    let selections: Vec<(&CidrBlock, u32)> = match param.cidr_blocks.as_ref() {
        Some(chosen) if !chosen.is_empty() => chosen
            .iter()
            .filter_map(|s| {
                product
                    .cidr_blocks
                    .iter()
                    .find(|b| b.cidr == s.cidr)
                    .map(|b| (b, s.count))
            })
            .collect(),
        _ => product.cidr_blocks.iter().map(|b| (b, wanted)).collect(),
    };
    for (block, per_block) in selections {
        let already = u32::try_from(picks.len()).unwrap_or(wanted);
        let available = u32::try_from(block.count.max(0)).unwrap_or(u32::MAX);
        let take = per_block.min(available).min(wanted.saturating_sub(already));
        if take == 0 {
            continue;
        }
        let Some(hosts) = catalogue::block_hosts(&block.cidr) else {
            continue;
        };
        let mut taken = 0;
        for host in hosts {
            if taken == take {
                break;
            }
            if !state.allocated_ips.contains(&host) && !picks.iter().any(|(_, h)| h == &host) {
                picks.push((block.cidr.clone(), host));
                taken += 1;
            }
        }
        if picks.len() as u32 >= wanted {
            break;
        }
    }
    picks
}

/// Takes one address out of a product's stock.
fn take_address(state: &mut State, product_no: &str, cidr: &str, ip: &str) {
    if let Some(p) = state.catalogue.product_mut(product_no) {
        if let Some(b) = p.cidr_blocks.iter_mut().find(|b| b.cidr == cidr) {
            b.count -= 1;
        }
        p.inventory -= 1;
        for stock in &mut p.project_list {
            stock.inventory = (stock.inventory - 1).max(0);
        }
    }
    state.allocated_ips.insert(ip.to_owned());
}

/// A static line: one instance per address found; the units with no address are
/// refunded, priced with the same fee formula.
fn deliver_static(
    state: &mut State,
    delivery: &mut Delivery<'_>,
    product: &Product,
    param: &OpenParam,
    assign_ip: Option<&str>,
    bridge: bool,
    amount: Money,
) -> u32 {
    let product_no = product.product_no.as_str();
    let wanted = param.count;
    let picks = pick_addresses(state, product, param, assign_ip);
    let got = u32::try_from(picks.len()).unwrap_or(0).min(wanted);
    let missing = wanted - got;
    // Each instance carries its share of the charge: the cost of one unit.
    let single = {
        let mut open_param = param.clone();
        open_param.count = 1;
        open_param.cidr_blocks = None;
        open_param
    };
    let unit_cost = cost_of(product, &single, bridge, "params").unwrap_or(Money::ZERO);
    if missing > 0 {
        let short = {
            let mut open_param = param.clone();
            open_param.count = missing;
            open_param.cidr_blocks = None;
            open_param
        };
        let refund = if got == 0 {
            amount
        } else {
            // The short units cost no more than the whole line, which was charged: if
            // they cannot be priced, refund the line's share.
            cost_of(product, &short, bridge, "params").unwrap_or_else(|_| {
                unit_cost
                    .checked_mul_int(i64::from(got))
                    .and_then(|delivered| amount.checked_sub(delivered))
                    .unwrap_or(amount)
            })
        };
        delivery.refund(
            refund,
            format!("{product_no}: {missing} of {wanted} not delivered (out of stock)"),
        );
    }
    let now = delivery.now;
    let expires = expiry_of(
        now,
        product.unit,
        duration_u32(product),
        param.cycle_times.max(1),
        "params",
    )
    .ok()
    .flatten();
    for (cidr, ip) in picks.into_iter().take(got as usize) {
        take_address(state, product_no, &cidr, &ip);
        let instance_no = state.next_instance_no();
        let username = format!("u{}", &instance_no[5..]);
        let pwd = state.next_secret();
        let bridges = if bridge {
            vec![format!("bridge.{GATEWAY_HOST}:9000")]
        } else {
            Vec::new()
        };
        state.add_instance(
            delivery.app_key,
            InstanceRecord {
                instance_no: instance_no.clone(),
                product_no: product_no.to_owned(),
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
                order_no: delivery.order_no.to_owned(),
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
                duration: duration_u32(product),
                app_username: None,
            },
        );
        delivery.created(&instance_no);
    }
    if got > 0 {
        delivery.product_events.push(product_no.to_owned());
    }
    got
}

/// A renewal line: the instance's expiry moves on by `cycles` cycles from its current
/// expiry (a stopped instance whose new expiry is ahead runs again). Refunded when the
/// instance is gone or the new expiry cannot be computed.
fn deliver_renewal(
    state: &mut State,
    delivery: &mut Delivery<'_>,
    instance_no: &str,
    cycles: u32,
    amount: Money,
) -> bool {
    let now = delivery.now;
    let renewed = state
        .change_instance(delivery.app_key, instance_no, |inst| {
            if !inst.is_live() {
                return None;
            }
            let from = inst.user_expired.unwrap_or(now);
            let new_expiry = expiry_of(from, inst.unit, inst.duration, cycles, "instances").ok()?;
            inst.user_expired = new_expiry;
            inst.renew_at = Some(now);
            inst.charged += amount;
            if inst.status == InstanceStatus::Stopped && new_expiry.is_none_or(|t| t > now) {
                inst.status = InstanceStatus::Running;
            }
            Some(())
        })
        .flatten();
    if renewed.is_some() {
        delivery.touched(instance_no);
        return true;
    }
    let live = state
        .apps
        .get(delivery.app_key)
        .and_then(|a| a.instances.get(instance_no))
        .is_some_and(InstanceRecord::is_live);
    let why = if live {
        "could not compute the new expiry"
    } else {
        "released before the renewal"
    };
    delivery.refund(amount, format!("{instance_no}: {why}"));
    false
}

/// A release line: the instance is released, its charge refunded (`refund`, zero for an
/// after-sale) and its address back in stock. An instance already gone is refunded
/// nothing (`refund` becomes zero).
fn deliver_release(
    state: &mut State,
    delivery: &mut Delivery<'_>,
    instance_no: &str,
    refund: &mut Money,
) -> bool {
    let now = delivery.now;
    let released = state
        .change_instance(delivery.app_key, instance_no, |inst| {
            if !inst.is_live() {
                return None;
            }
            inst.status = InstanceStatus::Released;
            inst.release_at = Some(now);
            inst.releasing = false;
            Some((
                inst.cidr.clone().map(|c| (c, inst.ip.clone())),
                inst.product_no.clone(),
            ))
        })
        .flatten();
    let Some((freed, product_no)) = released else {
        delivery
            .notes
            .push(format!("{instance_no}: already released"));
        *refund = Money::ZERO;
        return false;
    };
    if !refund.is_zero()
        && let Some(app) = state.apps.get_mut(delivery.app_key)
    {
        app.refund(*refund, delivery.order_no, now);
    }
    if let Some((cidr, ip)) = freed {
        state.allocated_ips.remove(&ip);
        if let Some(p) = state.catalogue.product_mut(&product_no) {
            if let Some(b) = p.cidr_blocks.iter_mut().find(|b| b.cidr == cidr) {
                b.count += 1;
            }
            p.inventory += 1;
        }
        delivery.product_events.push(product_no);
    }
    delivery.touched(instance_no);
    true
}

/// Makes a delivered order final: its refunds, status and note; puts it back among the
/// app's orders and queues the instance, product and order callbacks.
fn finish(
    state: &mut State,
    app_key: &str,
    mut order: OrderRecord,
    delivered: Delivered,
    now: OffsetDateTime,
) {
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
    } else if !delivered.refund_total.is_zero() {
        if let Some(app) = state.apps.get_mut(app_key) {
            app.refund(delivered.refund_total, &order.order_no, now);
        }
        order.refunded = delivered.refund_total;
    }
    order.success_count = delivered.units;
    order.status = if delivered.units == 0 {
        OrderStatus::Failed
    } else if delivered.units < order.count {
        OrderStatus::PartlyDone
    } else {
        OrderStatus::Succeeded
    };
    order.note = delivered.notes.join("; ");
    order.finished_at = Some(now);
    let op = order.order_type.as_i64().to_string();
    let order_no = order.order_no.clone();
    if let Some(app) = state.apps.get_mut(app_key) {
        // Back in its place (it was taken out while its lines were delivered); its
        // creation time, and so its place in the time index, is unchanged.
        app.orders.insert(order_no.clone(), order);
    }
    for instance_no in delivered.instance_events {
        state.enqueue_callback(app_key, CallbackType::Instance, &instance_no, "", now);
    }
    let mut products = delivered.product_events;
    products.sort();
    products.dedup();
    for product_no in products {
        state.enqueue_product_callback(&product_no, now);
    }
    state.enqueue_callback(app_key, CallbackType::Order, &order_no, &op, now);
}

/// Stops running instances whose time is up, with an instance callback each: those the
/// expiry index holds as due, so the work is the expiring instances, not the account.
fn expire_instances(state: &mut State, now: OffsetDateTime) {
    for (app_key, no) in state.expiries.take_due(now) {
        let stopped = state.change_instance(&app_key, &no, |inst| {
            inst.status = InstanceStatus::Stopped;
        });
        if stopped.is_some() {
            state.enqueue_callback(&app_key, CallbackType::Instance, &no, "", now);
        }
    }
}
