//! `ipv demo`: a reseller's day against an embedded emulator, every step checked
//! against real values (charges against the local estimate, balance deltas, expiries
//! against the calendar), stopping at the first step that does not check out.

use std::io::Write as _;
use std::time::Duration;

use ipv_api::Client;
use ipv_api::expiry::expires_at;
use ipv_api::pricing::estimate_cost;
use ipv_emulator::{AppConfig, EmulatorConfig, EmulatorHandle, OrderSchedule};
use ipv_types::{
    AccountStatus, AddIpWhitelistRequest, AfterSaleReleaseRequest, AuthType, Callback,
    CallbackKind, DrawWithPasswordRequest, Instance, InstanceStatus, InstancesRequest, Money,
    OpenInstancesRequest, OpenParam, Order, OrderReceipt, OrderRequest, OrderStatus, OrderType,
    Product, ProductsRequest, ProxyBalanceRequest, ProxyType, ReleaseInstancesRequest,
    RenewInstancesRequest, RenewItem, UpsertProxyUserRequest, UpsertUserRequest,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::DemoArgs;
use crate::commands::callbacks::Inbox;
use crate::config::{Secret, Settings};
use crate::failure::{CmdResult, Failure};
use crate::ids;
use crate::output::{print_json, unix_to_text};
use crate::session::{EMBEDDED_ADDR, api_failure, build_client, start_emulator};

/// How many static instances the demo buys.
const STATIC_COUNT: u32 = 2;
/// How many MB of dynamic flow the demo buys.
const FLOW_MB: u64 = 100;
/// How long the demo waits for one order or one callback.
const STEP_WAIT: Duration = Duration::from_secs(10);
/// An address from the documentation range (RFC 5737) for the whitelist.
const WHITELIST_IP: &str = "203.0.113.7";

/// A step's outcome: a line of detail when it checked out, the reason when not.
type StepResult = Result<String, String>;

/// What the steps learn and later steps use.
struct Day {
    client: Client,
    emulator: EmulatorHandle,
    inbox: Inbox,
    advance_days: u32,
    start_balance: Money,
    charged: Money,
    refunded: Money,
    product: Option<Product>,
    estimate: Money,
    open_receipt: Option<OrderReceipt>,
    instances: Vec<Instance>,
    main_user: String,
    proxy_user: String,
    flow_product: Option<Product>,
}

/// Prints step lines as they complete, in text or (at the end) JSON.
struct Report {
    json: bool,
    ascii: bool,
    steps: Vec<serde_json::Value>,
}

impl Report {
    fn line(&mut self, number: usize, name: &str, result: &StepResult) {
        let ok = result.is_ok();
        let text = match result {
            Ok(detail) | Err(detail) => detail.as_str(),
        };
        self.steps
            .push(json!({ "step": number, "name": name, "ok": ok, "detail": text }));
        if self.json {
            return;
        }
        let mark = match (ok, self.ascii) {
            (true, false) => "✓",
            (false, false) => "✗",
            (true, true) => "[ok]",
            (false, true) => "[FAILED]",
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{number:>2} {mark} {name}: {text}");
        let _ = stdout.flush();
    }
}

/// Whether the terminal can show ✓ and ✗ (a UTF-8 locale); otherwise ASCII marks.
fn wants_ascii() -> bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_default()
        .to_ascii_lowercase();
    !(locale.contains("utf-8") || locale.contains("utf8"))
}

/// Runs the demo; exit 0 only when every step checked out.
pub(crate) async fn run(settings: &Settings, args: &DemoArgs) -> CmdResult {
    let inbox = Inbox::start().await?;
    let app = AppConfig::default_app().with_callback_url(inbox.url());
    // A quick but real schedule: orders go pending -> processing -> done on their own.
    let schedule = OrderSchedule {
        to_processing: Duration::from_millis(10),
        to_done: Duration::from_millis(20),
    };
    let config = EmulatorConfig::default()
        .with_apps(vec![app.clone()])
        .with_order_schedule(schedule);
    let emulator = start_emulator(config, EMBEDDED_ADDR).await?;
    let secret = Secret::new(app.secret.clone().into_bytes());
    let client = build_client(settings, &emulator.base_url(), &app.app_key, &secret)?;
    let mut report = Report {
        json: settings.json(),
        ascii: args.ascii || wants_ascii(),
        steps: Vec::new(),
    };
    if !report.json {
        println!(
            "ipv demo: a reseller's day against an emulator embedded at {} (callbacks to {})\n",
            emulator.base_url(),
            inbox.url()
        );
    }
    let mut day = Day {
        client,
        emulator,
        inbox,
        advance_days: args.advance_days,
        start_balance: Money::ZERO,
        charged: Money::ZERO,
        refunded: Money::ZERO,
        product: None,
        estimate: Money::ZERO,
        open_receipt: None,
        instances: Vec::new(),
        main_user: format!("demo{}", &ids::app_order_no()[17..]),
        proxy_user: String::new(),
        flow_product: None,
    };
    day.proxy_user = format!("{}p", day.main_user);

    let mut failed: Option<(usize, &str, String)> = None;
    let mut count = 0;
    for (i, (name, step)) in STEPS.iter().enumerate() {
        let number = i + 1;
        count = number;
        let result = step(&mut day).await;
        report.line(number, name, &result);
        if let Err(why) = result {
            failed = Some((number, name, why));
            break;
        }
    }
    let Day {
        emulator, inbox, ..
    } = day;
    emulator.shutdown().await;
    inbox.stop().await;

    if report.json {
        print_json(&json!({
            "ok": failed.is_none(),
            "steps": report.steps,
            "failedStep": failed.as_ref().map(|(n, name, _)| json!({"step": n, "name": name})),
        }))?;
    } else if failed.is_none() {
        println!("\nall {count} steps checked out");
    }
    match failed {
        None => Ok(()),
        Some((number, name, why)) => Err(Failure::demo_failed(format!(
            "demo step {number} ({name}) did not check out: {why}"
        ))),
    }
}

type StepFn = for<'a> fn(&'a mut Day) -> futures_lite::BoxedStep<'a>;

/// The steps, in order.
const STEPS: &[(&str, StepFn)] = &[
    ("app info", |d| Box::pin(app_info(d))),
    ("product search", |d| Box::pin(product_search(d))),
    ("cost estimate", |d| Box::pin(cost_estimate(d))),
    ("open and wait", |d| Box::pin(open_and_wait(d))),
    ("order callback", |d| Box::pin(order_callback(d))),
    ("instances", |d| Box::pin(show_instances(d))),
    ("renew and wait", |d| Box::pin(renew_and_wait(d))),
    ("advance the clock", |d| Box::pin(advance_clock(d))),
    ("release and wait", |d| Box::pin(release_and_wait(d))),
    ("main user", |d| Box::pin(main_user(d))),
    ("proxy user", |d| Box::pin(proxy_user(d))),
    ("open dynamic flow", |d| Box::pin(open_flow(d))),
    ("proxy balance", |d| Box::pin(proxy_balance(d))),
    ("whitelist add", |d| Box::pin(whitelist_add(d))),
    ("draw with password", |d| Box::pin(draw(d))),
    ("final balance", |d| Box::pin(final_balance(d))),
];

/// Boxed step futures, so the steps fit one table.
mod futures_lite {
    use std::future::Future;
    use std::pin::Pin;

    pub(super) type BoxedStep<'a> = Pin<Box<dyn Future<Output = super::StepResult> + Send + 'a>>;
}

fn api(err: ipv_api::Error) -> String {
    api_failure(err).message
}

fn check(condition: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(why()) }
}

async fn app_info(day: &mut Day) -> StepResult {
    let info = day.client.app_info().await.map_err(api)?;
    check(info.coin.as_decimal() > Money::ZERO.as_decimal(), || {
        format!("balance is {}, nothing to buy with", info.coin)
    })?;
    day.start_balance = info.coin;
    Ok(format!(
        "\"{}\", balance {}, status {}",
        info.app_name, info.coin, info.status
    ))
}

async fn product_search(day: &mut Day) -> StepResult {
    let request = ProductsRequest::of_types([
        ProxyType::StaticCloud,
        ProxyType::StaticResidentialCn,
        ProxyType::StaticResidentialAbroad,
    ]);
    let products = day.client.products(&request).await.map_err(api)?;
    let statics: Vec<&Product> = products
        .iter()
        .filter(|p| !p.proxy_type.is_dynamic())
        .collect();
    check(statics.len() == products.len(), || {
        "the search for static types returned dynamic products".to_owned()
    })?;
    // A product with a time limit longer than the clock jump, so renewing and the
    // clock have something to show and the instances are still live to release.
    let now = OffsetDateTime::now_utc();
    let jump = i64::from(day.advance_days) * 86_400;
    let chosen = statics
        .iter()
        .find(|p| {
            p.is_purchasable()
                && p.inventory >= i64::from(STATIC_COUNT)
                && expiry_after(now, p, 1).is_ok_and(|end| end - now.unix_timestamp() > jump)
        })
        .ok_or_else(|| format!("none of {} static products can be bought", statics.len()))?;
    let detail = format!(
        "{} static products; picked {} \"{}\" at {} per {} {}, {} in stock",
        statics.len(),
        chosen.product_no,
        chosen.product_name,
        chosen.cost_price,
        chosen.duration,
        chosen.unit,
        chosen.inventory
    );
    day.product = Some((*chosen).clone());
    Ok(detail)
}

fn product(day: &Day) -> Result<&Product, String> {
    day.product
        .as_ref()
        .ok_or_else(|| "no product was picked".to_owned())
}

fn static_param(product: &Product) -> OpenParam {
    OpenParam::by_product(product.product_no.clone(), STATIC_COUNT, 1)
}

async fn cost_estimate(day: &mut Day) -> StepResult {
    let product = product(day)?.clone();
    let estimate =
        estimate_cost(&product, &static_param(&product), None).map_err(|e| e.to_string())?;
    let by_hand = product.cost_price.times(i64::from(STATIC_COUNT));
    check(estimate == by_hand, || {
        format!("estimate {estimate} is not price x count = {by_hand}")
    })?;
    day.estimate = estimate;
    Ok(format!(
        "{STATIC_COUNT} x 1 cycle x {} = {estimate}",
        product.cost_price
    ))
}

/// Polls an order until final (the library's waiting is not used here so every state
/// change can be shown); the order must succeed.
async fn wait_until_done(client: &Client, order_no: &str) -> Result<(Order, Vec<String>), String> {
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    loop {
        let order = client
            .order(&OrderRequest::new(order_no).with_page(1, 100))
            .await
            .map_err(api)?;
        let label = order.status.to_string();
        if seen.last() != Some(&label) {
            seen.push(label);
        }
        if order.status.is_final() {
            check(order.status == OrderStatus::Succeeded, || {
                format!("order {order_no} ended {}", order.status)
            })?;
            return Ok((order, seen));
        }
        if started.elapsed() > STEP_WAIT {
            return Err(format!(
                "order {order_no} still {} after {STEP_WAIT:?}",
                order.status
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn open_and_wait(day: &mut Day) -> StepResult {
    let product = product(day)?.clone();
    let app_order_no = ids::app_order_no();
    let request = OpenInstancesRequest::new(app_order_no.clone(), vec![static_param(&product)]);
    let receipt = day.client.open_instances(&request).await.map_err(api)?;
    check(receipt.amount == day.estimate, || {
        format!(
            "charged {} but the estimate was {}",
            receipt.amount, day.estimate
        )
    })?;
    check(receipt.app_order_no == app_order_no, || {
        format!("receipt names appOrderNo {}", receipt.app_order_no)
    })?;
    let (order, seen) = wait_until_done(&day.client, &receipt.order_no).await?;
    check(order.instances.len() == STATIC_COUNT as usize, || {
        format!(
            "order holds {} instances, not {STATIC_COUNT}",
            order.instances.len()
        )
    })?;
    day.charged += receipt.amount;
    day.instances = order.instances;
    let detail = format!(
        "order {} ({app_order_no}) charged {} = the estimate; {}",
        receipt.order_no,
        receipt.amount,
        seen.join(" -> ")
    );
    day.open_receipt = Some(receipt);
    Ok(detail)
}

async fn order_callback(day: &mut Day) -> StepResult {
    let receipt = day
        .open_receipt
        .as_ref()
        .ok_or_else(|| "no order was opened".to_owned())?;
    let wanted = Callback::order(receipt.order_no.clone(), OrderType::New);
    let got = day
        .inbox
        .wait_for(STEP_WAIT, |cb| {
            cb.kind == CallbackKind::Order && cb.no == wanted.no
        })
        .await
        .ok_or_else(|| {
            format!(
                "no order callback for {} within {STEP_WAIT:?}",
                receipt.order_no
            )
        })?;
    check(got == wanted, || {
        format!(
            "callback was {}, expected {}",
            got.to_query(),
            wanted.to_query()
        )
    })?;
    Ok(format!(
        "GET ?{} received and answered success",
        got.to_query()
    ))
}

async fn fetch_instances(client: &Client, numbers: &[String]) -> Result<Vec<Instance>, String> {
    let request = InstancesRequest::new(numbers.to_vec());
    client.instances(&request).await.map_err(api)
}

fn numbers(day: &Day) -> Vec<String> {
    day.instances
        .iter()
        .map(|i| i.instance_no.clone())
        .collect()
}

fn expiry_text(instance: &Instance) -> String {
    unix_to_text(instance.user_expired)
}

async fn show_instances(day: &mut Day) -> StepResult {
    let product = product(day)?.clone();
    let list = fetch_instances(&day.client, &numbers(day)).await?;
    check(list.len() == STATIC_COUNT as usize, || {
        format!("{} instances came back, not {STATIC_COUNT}", list.len())
    })?;
    let mut lines = Vec::new();
    for instance in &list {
        check(instance.status == InstanceStatus::Running, || {
            format!(
                "{} is {}, not running",
                instance.instance_no, instance.status
            )
        })?;
        check(!instance.ip.is_empty() && instance.port > 0, || {
            format!("{} has no address", instance.instance_no)
        })?;
        let opened = instance
            .open_at
            .ok_or_else(|| format!("{} has no openAt", instance.instance_no))?;
        let expected = expiry_after(opened, &product, 1)?;
        check(instance.user_expired == expected, || {
            format!(
                "{} expires {} but opening at {opened} for {} {} ends {}",
                instance.instance_no,
                expiry_text(instance),
                product.duration,
                product.unit,
                unix_to_text(expected)
            )
        })?;
        let protocols: Vec<String> = instance
            .protocol
            .as_slice()
            .iter()
            .map(ToString::to_string)
            .collect();
        lines.push(format!(
            "{} {}:{} {} user {} until {}",
            instance.instance_no,
            instance.ip,
            instance.port,
            protocols.join("/"),
            instance.username,
            expiry_text(instance)
        ));
    }
    day.instances = list;
    Ok(format!(
        "{} running, expiry = openAt + {} {}\n     {}",
        STATIC_COUNT,
        product.duration,
        product.unit,
        lines.join("\n     ")
    ))
}

/// `start` plus `cycles` of the product's period, as a unix time.
fn expiry_after(start: OffsetDateTime, product: &Product, cycles: u32) -> Result<i64, String> {
    let duration =
        u32::try_from(product.duration).map_err(|_| "duration out of range".to_owned())?;
    expires_at(start, product.unit, duration, cycles)
        .map_err(|e| e.to_string())?
        .map(OffsetDateTime::unix_timestamp)
        .ok_or_else(|| "the product never expires".to_owned())
}

async fn renew_and_wait(day: &mut Day) -> StepResult {
    let product = product(day)?.clone();
    let app_order_no = ids::app_order_no();
    let items = numbers(day)
        .into_iter()
        .map(|no| RenewItem::new(no, 1))
        .collect();
    let receipt = day
        .client
        .renew_instances(&RenewInstancesRequest::new(app_order_no, items))
        .await
        .map_err(api)?;
    check(receipt.amount == day.estimate, || {
        format!(
            "renewal charged {}, expected {} for {STATIC_COUNT} x 1 cycle",
            receipt.amount, day.estimate
        )
    })?;
    let (_, seen) = wait_until_done(&day.client, &receipt.order_no).await?;
    day.charged += receipt.amount;
    let before = day.instances.clone();
    let after = fetch_instances(&day.client, &numbers(day)).await?;
    for old in &before {
        let new = after
            .iter()
            .find(|i| i.instance_no == old.instance_no)
            .ok_or_else(|| format!("{} vanished", old.instance_no))?;
        let start =
            OffsetDateTime::from_unix_timestamp(old.user_expired).map_err(|e| e.to_string())?;
        let expected = expiry_after(start, &product, 1)?;
        check(new.user_expired == expected, || {
            format!(
                "{} now expires {}, expected {} (old expiry + {} {})",
                new.instance_no,
                expiry_text(new),
                unix_to_text(expected),
                product.duration,
                product.unit
            )
        })?;
    }
    let first = after.first().ok_or_else(|| "no instances".to_owned())?;
    let detail = format!(
        "order {} charged {}; {}; expiry moved by {} {} to {}",
        receipt.order_no,
        receipt.amount,
        seen.join(" -> "),
        product.duration,
        product.unit,
        expiry_text(first)
    );
    day.instances = after;
    Ok(detail)
}

async fn advance_clock(day: &mut Day) -> StepResult {
    let seconds = i64::from(day.advance_days) * 86_400;
    let clock = day
        .emulator
        .control()
        .advance_clock(seconds)
        .map_err(|e| e.to_string())?;
    check(clock.offset_seconds == seconds, || {
        format!(
            "the clock is {} s ahead, not {seconds}",
            clock.offset_seconds
        )
    })?;
    let now = OffsetDateTime::now_utc().unix_timestamp() + seconds;
    let after = fetch_instances(&day.client, &numbers(day)).await?;
    let mut states = Vec::new();
    for (old, new) in day.instances.iter().zip(&after) {
        check(new.user_expired == old.user_expired, || {
            format!("{}'s expiry moved with the clock", new.instance_no)
        })?;
        let live = new.user_expired > now;
        let running = new.status == InstanceStatus::Running;
        check(live == running, || {
            format!(
                "{} is {} with expiry {} and the clock at {}",
                new.instance_no,
                new.status,
                expiry_text(new),
                unix_to_text(now)
            )
        })?;
        let days_left = (new.user_expired - now) / 86_400;
        states.push(format!(
            "{} {} ({days_left} days left)",
            new.instance_no, new.status
        ));
    }
    day.instances = after;
    Ok(format!(
        "+{} days, clock now {}; {}",
        day.advance_days,
        unix_to_text(now),
        states.join(", ")
    ))
}

async fn release_and_wait(day: &mut Day) -> StepResult {
    let product = product(day)?.clone();
    let numbers = numbers(day);
    let order_no = ids::app_order_no();
    let elapsed = i64::from(day.advance_days) * 86_400;
    let (receipt, how) = if elapsed < product.refund_duration {
        let receipt = day
            .client
            .release_instances(&ReleaseInstancesRequest::new(order_no, numbers.clone()))
            .await
            .map_err(api)?;
        (receipt, "inside the refund window".to_owned())
    } else {
        // Past the product's refund window a plain release is refused (10022); the
        // reseller releases through after-sales instead, without a refund.
        let refused = day
            .client
            .release_instances(&ReleaseInstancesRequest::new(
                order_no.clone(),
                numbers.clone(),
            ))
            .await;
        match refused {
            Err(ipv_api::Error::Api(e)) if e.code == ipv_types::ApiCode::ReleaseWindowClosed => {}
            Err(other) => return Err(api(other)),
            Ok(r) => {
                return Err(format!(
                    "release past the {} s window was accepted as order {}",
                    product.refund_duration, r.order_no
                ));
            }
        }
        let request = AfterSaleReleaseRequest::new(ids::app_order_no(), numbers.clone())
            .with_remark("ipv demo".to_owned())
            .with_reason("end of the demo".to_owned());
        let receipt = day.client.after_sale_release(&request).await.map_err(api)?;
        check(receipt.amount.is_zero(), || {
            format!(
                "after-sales release refunds {}, expected nothing",
                receipt.amount
            )
        })?;
        (
            receipt,
            format!(
                "plain release refused with 10022 (refund window {} h closed), released through after-sales",
                product.refund_duration / 3600
            ),
        )
    };
    let (_, seen) = wait_until_done(&day.client, &receipt.order_no).await?;
    day.refunded += receipt.amount;
    let after = fetch_instances(&day.client, &numbers).await?;
    for instance in &after {
        check(instance.status == InstanceStatus::Released, || {
            format!(
                "{} is {}, not released",
                instance.instance_no, instance.status
            )
        })?;
    }
    Ok(format!(
        "{how}; order {} ({}), refund {}; {} instances released",
        receipt.order_no,
        seen.join(" -> "),
        receipt.amount,
        after.len()
    ))
}

async fn main_user(day: &mut Day) -> StepResult {
    let request = UpsertUserRequest::default()
        .with_app_username(day.main_user.clone())
        .with_phone("13800000000")
        .with_email("demo@example.com")
        .with_auth_type(AuthType::None)
        // The document requires the identity number even for an unverified user.
        .with_no("DEMO-ID-0001")
        .with_status(AccountStatus::Normal);
    let account = day.client.upsert_user(&request).await.map_err(api)?;
    check(account.app_username == day.main_user, || {
        format!("created {}, not {}", account.app_username, day.main_user)
    })?;
    check(!account.username.is_empty(), || {
        "the platform gave no username".to_owned()
    })?;
    Ok(format!(
        "{} is platform user {} ({})",
        account.app_username, account.username, account.status
    ))
}

async fn proxy_user(day: &mut Day) -> StepResult {
    let request = UpsertProxyUserRequest::default()
        .with_app_username(day.proxy_user.clone())
        .with_limit_flow(-1)
        .with_app_main_username(day.main_user.clone())
        .with_remark("ipv demo".to_owned())
        .with_status(AccountStatus::Normal);
    let account = day.client.upsert_proxy_user(&request).await.map_err(api)?;
    check(account.app_username == day.proxy_user, || {
        format!("created {}, not {}", account.app_username, day.proxy_user)
    })?;
    Ok(format!(
        "{} under {} is platform user {}",
        account.app_username, day.main_user, account.username
    ))
}

async fn open_flow(day: &mut Day) -> StepResult {
    let products = day
        .client
        .products(&ProductsRequest::of_types([ProxyType::DynamicAbroad]))
        .await
        .map_err(api)?;
    let product = products
        .into_iter()
        .find(|p| p.is_purchasable() && ipv_api::pricing::is_flow_product(p) && p.ip_count == 0)
        .ok_or_else(|| "no dynamic flow product for sale".to_owned())?;
    let param = OpenParam::dynamic_flow(product.product_no.clone(), day.main_user.clone(), FLOW_MB);
    let estimate = estimate_cost(&product, &param, None).map_err(|e| e.to_string())?;
    let receipt = day
        .client
        .open_instances(&OpenInstancesRequest::new(ids::app_order_no(), vec![param]))
        .await
        .map_err(api)?;
    check(receipt.amount == estimate, || {
        format!("charged {}, estimated {estimate}", receipt.amount)
    })?;
    let (_, seen) = wait_until_done(&day.client, &receipt.order_no).await?;
    day.charged += receipt.amount;
    let detail = format!(
        "{} MB of {} at {} per MB: charged {} = the estimate; {}",
        FLOW_MB,
        product.product_no,
        product.cost_price,
        receipt.amount,
        seen.join(" -> ")
    );
    day.flow_product = Some(product);
    Ok(detail)
}

fn flow_product(day: &Day) -> Result<&Product, String> {
    day.flow_product
        .as_ref()
        .ok_or_else(|| "no dynamic product was bought".to_owned())
}

async fn proxy_balance(day: &mut Day) -> StepResult {
    let product = flow_product(day)?.clone();
    let request = ProxyBalanceRequest::for_app_user(
        day.main_user.clone(),
        product.proxy_type,
        product.product_no.clone(),
    );
    let balance = day.client.proxy_balance(&request).await.map_err(api)?;
    let item = balance
        .list
        .iter()
        .find(|i| i.product_no == product.product_no)
        .ok_or_else(|| format!("no balance line for {}", product.product_no))?;
    let total: f64 = item
        .total
        .parse()
        .map_err(|_| format!("total `{}` is not a number", item.total))?;
    let left: f64 = item
        .balance
        .parse()
        .map_err(|_| format!("balance `{}` is not a number", item.balance))?;
    #[allow(clippy::cast_precision_loss)] // 100 MB is exact in an f64.
    let bought = FLOW_MB as f64;
    check(
        (total - bought).abs() < f64::EPSILON && (left - bought).abs() < f64::EPSILON,
        || {
            format!(
                "total {} MB and balance {} MB, expected {FLOW_MB} each",
                item.total, item.balance
            )
        },
    )?;
    Ok(format!(
        "{}: {} MB total, {} MB used, {} MB left",
        product.product_no, item.total, item.used, item.balance
    ))
}

async fn whitelist_add(day: &mut Day) -> StepResult {
    let product = flow_product(day)?.clone();
    let request = AddIpWhitelistRequest::new(
        day.main_user.clone(),
        WHITELIST_IP.to_owned(),
        product.proxy_type,
        product.product_no,
    );
    let list = day.client.add_ip_whitelist(&request).await.map_err(api)?;
    check(
        list.ip_whitelist.iter().any(|ip| ip == WHITELIST_IP),
        || format!("{WHITELIST_IP} is not in {:?}", list.ip_whitelist),
    )?;
    Ok(format!("whitelist now {}", list.ip_whitelist.join(", ")))
}

async fn draw(day: &mut Day) -> StepResult {
    let product = flow_product(day)?.clone();
    let request = DrawWithPasswordRequest::new(day.proxy_user.clone(), product.product_no)
        .with_sess_time(10)
        .with_num(2)
        .with_proxy_type(product.proxy_type);
    let drawn = day.client.draw_with_password(&request).await.map_err(api)?;
    let mut urls = Vec::new();
    for group in &drawn.list {
        for credentials in &group.list {
            urls.push(format!("socks5://{credentials}@{}", group.proxy_url));
        }
    }
    check(urls.len() == 2, || {
        format!("drew {} proxies, not 2", urls.len())
    })?;
    Ok(format!(
        "2 sticky sessions (10 min):\n     {}",
        urls.join("\n     ")
    ))
}

async fn final_balance(day: &mut Day) -> StepResult {
    let info = day.client.app_info().await.map_err(api)?;
    let expected = day.start_balance - day.charged + day.refunded;
    check(info.coin == expected, || {
        format!(
            "balance {} but {} - {} charged + {} refunded = {expected}",
            info.coin, day.start_balance, day.charged, day.refunded
        )
    })?;
    Ok(format!(
        "{} - {} charged + {} refunded = {} (exact)",
        day.start_balance, day.charged, day.refunded, info.coin
    ))
}
