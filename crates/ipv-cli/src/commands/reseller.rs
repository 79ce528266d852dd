//! A reseller's day: `export`, `expiring` and `renew --expiring-within`.
//!
//! All three walk every page of `instance/list` with the client's guarded stream (a
//! server that repeats pages or never stops ends it with an error) and show a spinner
//! on stderr meanwhile (only on a terminal). `export` writes each instance as it
//! arrives; `expiring` and `renew` keep only the instances in their window, at most
//! [`MAX_EXPIRING`] of them.

use std::collections::HashMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::time::Duration;

use futures_util::StreamExt as _;
use ipv_api::pricing::estimate_cost;
use ipv_types as t;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::cli::{ExpiringArgs, ExportArgs, ExportFormat, InstanceFilter};
use crate::failure::{CmdResult, Failure};
use crate::names;
use crate::output::{Table, neutralise, print_json, print_text, unix_to_text};
use crate::session::{Session, api_failure};

/// Most instances `expiring` and `renew --expiring-within` hold at once.
pub(crate) const MAX_EXPIRING: usize = 10_000;

/// The `instance/list` request for a filter, from page 1.
fn list_request(filter: &InstanceFilter) -> t::InstanceListRequest {
    t::InstanceListRequest::default()
        .with_page(1)
        .with_page_size(filter.page_size)
        .with_start_time(filter.opened_from)
        .with_end_time(filter.opened_until)
}

/// Calls `each` with every instance of every page, showing progress on stderr.
async fn for_each_instance(
    session: &Session,
    filter: &InstanceFilter,
    mut each: impl FnMut(t::Instance) -> CmdResult,
) -> CmdResult<u64> {
    let request = list_request(filter);
    let bar = crate::progress::spinner("listing instances");
    let stream = session.client().instance_list_stream(request);
    let mut stream = std::pin::pin!(stream);
    let mut seen = 0u64;
    while let Some(item) = stream.next().await {
        let instance = match item {
            Ok(instance) => instance,
            Err(err) => {
                bar.finish_and_clear();
                return Err(api_failure(err));
            }
        };
        seen += 1;
        if seen.is_multiple_of(25) {
            bar.set_message(format!("listing instances: {seen}"));
        }
        if let Err(failure) = each(instance) {
            bar.finish_and_clear();
            return Err(failure);
        }
    }
    bar.finish_and_clear();
    Ok(seen)
}

/// Whether `instance` expires after `now` and no later than `now + window`.
fn expires_within(instance: &t::Instance, now: OffsetDateTime, window: Duration) -> bool {
    instance
        .expires_at()
        .is_some_and(|at| at > now && at <= now + window)
}

/// Whether the instance still exists (not closed or released).
fn is_live(instance: &t::Instance) -> bool {
    !matches!(
        instance.status.normalized(),
        t::InstanceStatus::Closed | t::InstanceStatus::Released
    )
}

// ---------------------------------------------------------------- export

/// `ipv export`.
pub(crate) async fn export(session: &Session, args: &ExportArgs) -> CmdResult {
    let now = if args.expiring_within.is_some() {
        session.now(args.now).await
    } else {
        OffsetDateTime::now_utc()
    };
    let mut out = std::io::BufWriter::new(std::io::stdout());
    if args.format == ExportFormat::Csv {
        writeln!(out, "{}", CSV_HEADER.join(","))?;
    }
    let mut unknown_protocol = 0u64;
    for_each_instance(session, &args.filter, |instance| {
        if !args.status.is_empty()
            && !args
                .status
                .iter()
                .any(|s| s.as_i64() == instance.status.as_i64())
        {
            return Ok(());
        }
        if let Some(window) = args.expiring_within
            && !expires_within(&instance, now, window)
        {
            return Ok(());
        }
        match args.format {
            ExportFormat::Plain => writeln!(out, "{}", plain_line(&instance))?,
            ExportFormat::Url => match url_line(&instance) {
                Some(line) => writeln!(out, "{line}")?,
                None => {
                    unknown_protocol += 1;
                    eprintln!(
                        "warning: instance {} speaks no socks5, http or https; left out of the URL export",
                        neutralise(&instance.instance_no)
                    );
                }
            },
            ExportFormat::Csv => writeln!(out, "{}", csv_line(&instance))?,
            ExportFormat::Json => {
                let text = serde_json::to_string(&instance)
                    .map_err(|err| Failure::other(format!("cannot print JSON: {err}")))?;
                writeln!(out, "{text}")?;
            }
        }
        Ok(())
    })
    .await?;
    out.flush()?;
    if unknown_protocol > 0 {
        eprintln!("warning: {unknown_protocol} instance(s) left out of the URL export");
    }
    Ok(())
}

/// `ip:port:user:pass`, neutralised (a forged newline cannot add a line).
fn plain_line(instance: &t::Instance) -> String {
    neutralise(&format!(
        "{}:{}:{}:{}",
        instance.ip, instance.port, instance.username, instance.pwd
    ))
    .into_owned()
}

/// `scheme://user:pass@host:port` with the scheme from the instance's protocols
/// (socks5 first, then http, then https), user and password percent-encoded; `None`
/// when it speaks none of them.
fn url_line(instance: &t::Instance) -> Option<String> {
    let scheme = [
        (t::Protocol::Socks5, "socks5"),
        (t::Protocol::Http, "http"),
        (t::Protocol::Https, "https"),
    ]
    .into_iter()
    .find(|(p, _)| instance.protocol.contains(*p))
    .map(|(_, scheme)| scheme)?;
    let host = if instance.ip.contains(':') {
        format!("[{}]", instance.ip)
    } else {
        instance.ip.clone()
    };
    Some(
        neutralise(&format!(
            "{scheme}://{}:{}@{host}:{}",
            percent_encode(&instance.username),
            percent_encode(&instance.pwd),
            instance.port
        ))
        .into_owned(),
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

const CSV_HEADER: &[&str] = &[
    "instanceNo",
    "status",
    "protocol",
    "ip",
    "port",
    "username",
    "password",
    "expiresAt",
    "productNo",
    "proxyType",
];

fn csv_line(instance: &t::Instance) -> String {
    let protocols: Vec<String> = instance.protocol.iter().map(names::display).collect();
    let expires = instance
        .expires_at()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let cells = [
        instance.instance_no.clone(),
        names::display(instance.status),
        protocols.join("|"),
        instance.ip.clone(),
        instance.port.to_string(),
        instance.username.clone(),
        instance.pwd.clone(),
        expires,
        instance.product_no.clone(),
        names::display(instance.proxy_type),
    ];
    cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",")
}

/// One CSV cell: control characters neutralised, a leading `=`, `+`, `-` or `@`
/// prefixed with `'` (so a spreadsheet does not run it as a formula), and quoted when
/// it holds a comma, a quote or a space at either end.
fn csv_cell(text: &str) -> String {
    let mut cell = neutralise(text).into_owned();
    if cell.starts_with(['=', '+', '-', '@']) {
        cell.insert(0, '\'');
    }
    if cell.contains([',', '"']) || cell.starts_with(' ') || cell.ends_with(' ') {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

// ---------------------------------------------------------------- expiring

/// One instance in a window and its estimated renewal.
struct Due {
    instance: t::Instance,
    /// The estimated renewal cost, or why there is none.
    estimate: Result<t::Money, String>,
}

/// The instances running out within `window`, soonest first, each with the estimated
/// cost of renewing it for `cycles` periods.
async fn due_within(
    session: &Session,
    filter: &InstanceFilter,
    window: Duration,
    cycles: u32,
    now: OffsetDateTime,
) -> CmdResult<Vec<Due>> {
    let mut found = Vec::new();
    for_each_instance(session, filter, |instance| {
        if is_live(&instance) && expires_within(&instance, now, window) {
            if found.len() >= MAX_EXPIRING {
                return Err(Failure::other(format!(
                    "more than {MAX_EXPIRING} instances expire in this window; narrow it"
                )));
            }
            found.push(instance);
        }
        Ok(())
    })
    .await?;
    found.sort_by_key(|i| (i.user_expired, i.instance_no.clone()));

    let mut products: HashMap<String, Result<t::Product, String>> = HashMap::new();
    let mut due = Vec::with_capacity(found.len());
    for instance in found {
        if !products.contains_key(&instance.product_no) {
            let fetched = session
                .send(&t::ProductRequest::new(instance.product_no.clone()))
                .await
                .map_err(|f| f.message);
            products.insert(instance.product_no.clone(), fetched);
        }
        let estimate = match &products[&instance.product_no] {
            Ok(product) => renewal_estimate(product, &instance, cycles),
            Err(why) => Err(format!("product unknown: {why}")),
        };
        due.push(Due { instance, estimate });
    }
    Ok(due)
}

/// What renewing `instance` for `cycles` of its product's periods costs by the fee
/// formula: one instance, no extra bandwidth. An instance with bridges also pays the
/// bridge fee, which the API does not publish: such an estimate is refused rather than
/// shown too low.
pub(crate) fn renewal_estimate(
    product: &t::Product,
    instance: &t::Instance,
    cycles: u32,
) -> Result<t::Money, String> {
    if !instance.bridges.is_empty() {
        return Err("has a bridge; the bridge fee is not published".to_owned());
    }
    let mut param = t::OpenParam::by_product(product.product_no.clone(), 1, cycles);
    param.use_bridge = Some(t::BridgeChoice::No);
    estimate_cost(product, &param, None).map_err(|err| err.to_string())
}

/// `1d 4h`, `3h 20m`, `45m`: how long until `at`.
fn time_left(at: i64, now: i64) -> String {
    let secs = (at - now).max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    }
}

/// The table of due instances and the estimated total (of those with an estimate).
fn due_table(due: &[Due], now: OffsetDateTime) -> (String, t::Money, usize) {
    let now = now.unix_timestamp();
    let mut table = Table::new([
        "instanceNo",
        "address",
        "expires",
        "in",
        "productNo",
        "renewal (estimate)",
    ]);
    let mut total = t::Money::ZERO;
    let mut unpriced = 0;
    for d in due {
        let i = &d.instance;
        let estimate = match &d.estimate {
            Ok(money) => {
                total += *money;
                money.to_string()
            }
            Err(why) => {
                unpriced += 1;
                format!("? ({why})")
            }
        };
        table.push(vec![
            i.instance_no.clone(),
            format!("{}:{}", i.ip, i.port),
            unix_to_text(i.user_expired),
            time_left(i.user_expired, now),
            i.product_no.clone(),
            estimate,
        ]);
    }
    (table.to_string(), total, unpriced)
}

fn due_json(d: &Due) -> Value {
    let i = &d.instance;
    json!({
        "instanceNo": i.instance_no,
        "ip": i.ip,
        "port": i.port,
        "productNo": i.product_no,
        "userExpired": i.user_expired,
        "estimate": d.estimate.as_ref().ok(),
        "noEstimate": d.estimate.as_ref().err(),
    })
}

fn total_line(total: t::Money, unpriced: usize) -> String {
    if unpriced == 0 {
        format!("estimated total: {total}\n")
    } else {
        format!("estimated total: {total} (plus {unpriced} instance(s) without an estimate)\n")
    }
}

/// `ipv expiring`.
pub(crate) async fn expiring(session: &Session, args: &ExpiringArgs) -> CmdResult {
    let now = session.now(args.now).await;
    let due = due_within(session, &args.filter, args.within, 1, now).await?;
    let (table, total, unpriced) = due_table(&due, now);
    if session.json() {
        return print_json(&json!({
            "withinSeconds": args.within.as_secs(),
            "instances": due.iter().map(due_json).collect::<Vec<_>>(),
            "estimatedTotal": total,
            "unpriced": unpriced,
        }));
    }
    if due.is_empty() {
        return print_text(&format!(
            "no instance expires within {}\n",
            humanize(args.within)
        ));
    }
    print_text(&table)?;
    print_text(&total_line(total, unpriced))
}

fn humanize(window: Duration) -> String {
    time_left(i64::try_from(window.as_secs()).unwrap_or(i64::MAX), 0)
}

// ---------------------------------------------------------------- renew

/// The renewal order number for `instance` at its current expiry: `ipvr`, then 16 hex
/// digits of an FNV-1a hash of the instance number, expiry and period, then the expiry's
/// low 32 bits in hex (28 characters). The same instance at the same expiry always gets
/// the same number, so a rerun after a crash repeats an order rather than placing a new
/// one (the platform de-duplicates appOrderNo); once renewed, the expiry moves and the
/// next renewal gets a new number.
pub(crate) fn renewal_order_no(instance_no: &str, user_expired: i64, period: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in instance_no
        .bytes()
        .chain([0])
        .chain(user_expired.to_string().bytes())
        .chain([0])
        .chain(period.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let low = user_expired as u32;
    format!("ipvr{hash:016x}{low:08x}")
}

/// One placed renewal and how it ended.
struct Renewal {
    instance_no: String,
    app_order_no: String,
    /// The platform's order number, when the renewal was accepted.
    order_no: Option<String>,
    estimate: Option<t::Money>,
    outcome: Result<t::Order, String>,
}

/// What `ipv renew --expiring-within WINDOW` was asked.
pub(crate) struct RenewExpiring {
    window: Duration,
    yes: bool,
    cycle_times: Option<u32>,
    duration: Option<u32>,
    wait_timeout: Option<Duration>,
    now: Option<OffsetDateTime>,
    dry_run: bool,
}

impl RenewExpiring {
    /// Reads the renewal's flags: the window, `--yes`, `--now`, `--wait-timeout`, and
    /// the cycles (or duration) each instance gets.
    pub(crate) fn from_matches(
        window: Duration,
        yes: bool,
        matches: &clap::ArgMatches,
    ) -> CmdResult<Self> {
        let number = |id: &str, flag: &str| -> CmdResult<Option<u32>> {
            match matches.try_get_one::<String>(id).ok().flatten() {
                None => Ok(None),
                Some(text) => text.trim().parse().map(Some).map_err(|_| {
                    Failure::usage(format!("--{flag}: `{text}` is not a whole number"))
                }),
            }
        };
        Ok(Self {
            window,
            yes,
            cycle_times: number("instances.cycleTimes", "cycle-times")?,
            duration: number("instances.duration", "duration")?,
            wait_timeout: matches
                .try_get_one::<Duration>("wait_timeout")
                .ok()
                .flatten()
                .copied(),
            now: matches
                .try_get_one::<OffsetDateTime>("now")
                .ok()
                .flatten()
                .copied(),
            dry_run: matches
                .try_get_one::<bool>("dry_run")
                .ok()
                .flatten()
                .copied()
                .unwrap_or(false),
        })
    }
}

/// `ipv renew --expiring-within WINDOW`.
pub(crate) async fn renew_expiring(session: &Session, args: &RenewExpiring) -> CmdResult {
    let window = args.window;
    // `--duration` is the older spelling of the periods to add: priced the same way.
    let cycles = args.cycle_times.or(args.duration).unwrap_or(1);
    let period = match (args.cycle_times, args.duration) {
        (None, Some(duration)) => format!("d{duration}"),
        _ => format!("c{cycles}"),
    };
    let filter = InstanceFilter {
        opened_from: None,
        opened_until: None,
        page_size: 100,
    };
    let now = session.now(args.now).await;
    let due = due_within(session, &filter, window, cycles, now).await?;
    let (table, total, unpriced) = due_table(&due, now);
    if due.is_empty() {
        if session.json() {
            return print_json(
                &json!({"renewals": [], "estimatedTotal": total, "charged": t::Money::ZERO}),
            );
        }
        return print_text(&format!(
            "no instance expires within {}; nothing to renew\n",
            humanize(window)
        ));
    }
    if !session.json() {
        print_text(&table)?;
        print_text(&total_line(total, unpriced))?;
    }
    if args.dry_run {
        // The table is the estimate: nothing is renewed.
        if session.json() {
            return print_json(&json!({
                "dryRun": true,
                "instances": due.iter().map(due_json).collect::<Vec<_>>(),
                "estimatedTotal": total,
                "unpriced": unpriced,
            }));
        }
        return print_text("dry run: nothing was renewed\n");
    }
    let summary = format!(
        "{} instance(s), estimated {total}{}",
        due.len(),
        if unpriced > 0 {
            " plus unestimated ones"
        } else {
            ""
        }
    );
    if !args.yes {
        let on_terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        if !on_terminal {
            return Err(Failure::usage(format!(
                "not renewing {summary}: there is no terminal to confirm on; pass --yes to renew without asking"
            )));
        }
        eprint!("renew {summary}? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            eprintln!("nothing renewed");
            return Ok(());
        }
    }

    // Place every renewal first, then wait for them all.
    let bar = crate::progress::spinner("placing renewals");
    let mut placed = Vec::with_capacity(due.len());
    for (n, d) in due.iter().enumerate() {
        bar.set_message(format!("placing renewals: {}/{}", n + 1, due.len()));
        let instance = &d.instance;
        let app_order_no = renewal_order_no(&instance.instance_no, instance.user_expired, &period);
        let item = t::RenewItem::default()
            .with_instance_no(instance.instance_no.clone())
            .with_duration(args.duration.filter(|_| args.cycle_times.is_none()))
            .with_cycle_times(
                args.cycle_times
                    .or(args.duration.is_none().then_some(cycles)),
            );
        let request = t::RenewInstancesRequest::new(app_order_no.clone(), vec![item]);
        let receipt = session.send(&request).await.map_err(|f| f.message);
        placed.push((d, ipv_api::PurchaseIntent::from(&request), receipt));
    }
    bar.finish_and_clear();

    let mut renewals = Vec::with_capacity(placed.len());
    for (d, intent, receipt) in placed {
        let app_order_no = intent.app_order_no().to_owned();
        let order_no = receipt.as_ref().ok().map(|r| r.order_no.clone());
        let outcome = match receipt {
            Ok(receipt) => crate::wait::follow_order(session, &receipt, &intent, args.wait_timeout)
                .await
                .map_err(|f| f.message),
            Err(why) => Err(why),
        };
        renewals.push(Renewal {
            instance_no: d.instance.instance_no.clone(),
            app_order_no,
            order_no,
            estimate: d.estimate.as_ref().ok().copied(),
            outcome,
        });
    }
    report_renewals(session, &renewals, total)
}

fn report_renewals(session: &Session, renewals: &[Renewal], estimate: t::Money) -> CmdResult {
    let mut charged = t::Money::ZERO;
    let mut failed = 0usize;
    let mut table = Table::new([
        "instanceNo",
        "appOrderNo",
        "orderNo",
        "status",
        "charged",
        "estimate",
    ]);
    let mut rows = Vec::with_capacity(renewals.len());
    for r in renewals {
        let estimate_text = r.estimate.map(|m| m.to_string()).unwrap_or_default();
        match &r.outcome {
            Ok(order) => {
                let ok = order.status == t::OrderStatus::Succeeded;
                if ok || order.status == t::OrderStatus::PartlyDone {
                    charged += order.amount;
                }
                if !ok {
                    failed += 1;
                }
                table.push(vec![
                    r.instance_no.clone(),
                    r.app_order_no.clone(),
                    order.order_no.clone(),
                    names::display(order.status),
                    order.amount.to_string(),
                    estimate_text,
                ]);
                rows.push(json!({
                    "instanceNo": r.instance_no, "appOrderNo": r.app_order_no,
                    "orderNo": order.order_no, "status": order.status,
                    "amount": order.amount, "estimate": r.estimate,
                }));
            }
            Err(why) => {
                failed += 1;
                table.push(vec![
                    r.instance_no.clone(),
                    r.app_order_no.clone(),
                    r.order_no.clone().unwrap_or_default(),
                    format!("error: {why}"),
                    String::new(),
                    estimate_text,
                ]);
                rows.push(json!({
                    "instanceNo": r.instance_no, "appOrderNo": r.app_order_no,
                    "orderNo": r.order_no, "error": why, "estimate": r.estimate,
                }));
            }
        }
    }
    if session.json() {
        print_json(&json!({
            "renewals": rows,
            "estimatedTotal": estimate,
            "charged": charged,
        }))?;
    } else {
        print_text("\n")?;
        print_text(&table.to_string())?;
        print_text(&format!("charged {charged} (estimated {estimate})\n"))?;
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::order_failed(format!(
            "{failed} of {} renewal(s) did not succeed; rerun the same command to retry them (the order numbers repeat, nothing is renewed twice)",
            renewals.len()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_numbers_repeat_for_the_same_expiry_only() {
        let a = renewal_order_no("I1", 1_800_000_000, "c1");
        assert_eq!(a, renewal_order_no("I1", 1_800_000_000, "c1"));
        assert_ne!(a, renewal_order_no("I1", 1_800_086_400, "c1"));
        assert_ne!(a, renewal_order_no("I2", 1_800_000_000, "c1"));
        assert_ne!(a, renewal_order_no("I1", 1_800_000_000, "c2"));
        assert!(
            a.len() <= 32 && a.chars().all(|c| c.is_ascii_alphanumeric()),
            "{a}"
        );
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1,2"), "\"'-1,2\"");
        assert_eq!(csv_cell("a\nb"), "a\\nb");
    }

    #[test]
    fn urls_encode_credentials_and_pick_the_scheme() {
        let mut instance = t::Instance::default();
        instance.ip = "10.0.0.1".into();
        instance.port = 1080;
        instance.username = "u@x".into();
        instance.pwd = "p:w/d%".into();
        instance.protocol = serde_json::from_str("\"2,1\"").unwrap();
        assert_eq!(
            url_line(&instance).unwrap(),
            "socks5://u%40x:p%3Aw%2Fd%25@10.0.0.1:1080"
        );
        instance.protocol = serde_json::from_str("\"2\"").unwrap();
        instance.ip = "::1".into();
        assert_eq!(
            url_line(&instance).unwrap(),
            "http://u%40x:p%3Aw%2Fd%25@[::1]:1080"
        );
        instance.protocol = serde_json::from_str("\"4\"").unwrap();
        assert_eq!(url_line(&instance), None);
    }

    #[test]
    fn time_left_reads_naturally() {
        assert_eq!(time_left(100_000, 0), "1d 3h");
        assert_eq!(time_left(7_260, 0), "2h 1m");
        assert_eq!(time_left(59, 0), "0m");
    }
}
