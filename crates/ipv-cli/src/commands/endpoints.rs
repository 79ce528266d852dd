//! The 30 endpoint subcommands, made from the request types and the endpoint table.
//!
//! [`ROWS`] names each endpoint's subcommand and what the CLI adds to it (a positional
//! argument, defaults, a generated order number); the flags come from the request
//! type's own wire shape ([`crate::shape`], [`crate::flags`]). A command's flags become
//! the request's JSON, which is deserialised into the request type (so its rules
//! apply), sent with `Client::send` (which validates it first), and the typed answer
//! is printed by its [`Show`] impl. Purchases (answered with an `OrderReceipt`) also
//! take `--wait` and `--dry-run`.

use std::any::Any;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use ipv_api::endpoint::{ENDPOINTS, Endpoint, EndpointInfo};
use ipv_types as t;

use crate::cli::{parse_duration, parse_window};
use crate::failure::{CmdResult, Failure};
use crate::flags::FlagSet;
use crate::session::Session;
use crate::shape::{Kind, shape_of};
use crate::show::{Show, to_wire_value};
use crate::{ids, names, output, wait};

/// Makes an identifier the caller did not give.
pub(crate) type MakeId = fn() -> String;

/// Completes or checks a request's JSON before it is decoded.
pub(crate) type Prepare = fn(&mut Map<String, Value>) -> CmdResult;

/// What the CLI adds to one endpoint's generated command.
pub(crate) struct Row {
    /// The endpoint's name in the table (`open_instances`).
    pub(crate) endpoint: &'static str,
    /// The subcommand (`open`); the endpoint's name in kebab case is an alias.
    pub(crate) command: &'static str,
    /// One line of help.
    pub(crate) about: &'static str,
    /// The wire field that also takes positional values.
    pub(crate) positional: Option<&'static str>,
    /// Values for fields left out, as flag text.
    pub(crate) defaults: &'static [(&'static str, &'static str)],
    /// The caller's identifier generated when absent, and how.
    pub(crate) generated: Option<(&'static str, MakeId)>,
    /// A last look at the request's JSON before it is decoded.
    pub(crate) prepare: Option<Prepare>,
}

const fn row(endpoint: &'static str, command: &'static str, about: &'static str) -> Row {
    Row {
        endpoint,
        command,
        about,
        positional: None,
        defaults: &[],
        generated: None,
        prepare: None,
    }
}

impl Row {
    const fn positional(mut self, wire: &'static str) -> Self {
        self.positional = Some(wire);
        self
    }

    const fn defaults(mut self, defaults: &'static [(&'static str, &'static str)]) -> Self {
        self.defaults = defaults;
        self
    }

    const fn generated(mut self, wire: &'static str, make: MakeId) -> Self {
        self.generated = Some((wire, make));
        self
    }

    const fn prepare(mut self, prepare: Prepare) -> Self {
        self.prepare = Some(prepare);
        self
    }

    /// The endpoint's row in the endpoint table.
    pub(crate) fn info(&self) -> Option<&'static EndpointInfo> {
        ENDPOINTS.iter().find(|e| e.name == self.endpoint)
    }

    /// Whether the endpoint is a purchase (answered with a receipt).
    pub(crate) fn is_purchase(&self) -> bool {
        self.info().is_some_and(|e| e.response == "OrderReceipt")
    }
}

/// Every endpoint command, in the endpoint table's order.
pub(crate) const ROWS: &[Row] = &[
    row(
        "app_info",
        "app-info",
        "The app's name, balance, credit, callback URL and status",
    ),
    row(
        "areas",
        "areas",
        "Regions, as a tree of continents and countries",
    ),
    row(
        "cities",
        "cities",
        "Cities with their state, country and region",
    ),
    row(
        "products",
        "products",
        "Search products (default: every proxy type)",
    )
    .prepare(every_proxy_type_by_default),
    row("product", "product", "One product by number").positional("productNo"),
    row(
        "product_areas",
        "product-areas",
        "Where a product can be bought",
    )
    .positional("productNo"),
    row("projects", "projects", "Projects"),
    row(
        "open_instances",
        "open",
        "Buy instances of a product (or of the product filters pick)",
    )
    .generated("appOrderNo", ids::app_order_no)
    .prepare(something_chosen_to_buy),
    row(
        "open_assigned_ip",
        "open-assigned-ip",
        "Buy an instance with a chosen IP",
    )
    .generated("appOrderNo", ids::app_order_no),
    row(
        "assigned_ip_info",
        "assigned-ip-info",
        "Whether an IP can be bought with open-assigned-ip",
    )
    .positional("ip"),
    row(
        "renew_instances",
        "renew",
        "Renew instances (or every instance expiring soon: --expiring-within)",
    )
    .positional("instanceNo")
    .generated("appOrderNo", ids::app_order_no),
    row("release_instances", "release", "Release instances")
        .positional("instances")
        .generated("orderNo", ids::app_order_no),
    row(
        "after_sale_release",
        "after-sale",
        "Release instances through after-sales",
    )
    .positional("instances")
    .generated("orderNo", ids::app_order_no),
    row(
        "reset_passwords",
        "reset-passwords",
        "Reset instances' passwords",
    )
    .positional("instanceNoList")
    .generated("resetNo", ids::reset_no),
    row("order", "order", "One order with its instances").positional("orderNo"),
    row("orders", "orders", "A page of orders"),
    row("instances", "instances", "Instances by number").positional("instances"),
    row("instance_list", "instance-list", "A page of instances"),
    row(
        "upsert_user",
        "upsert-user",
        "Create or update a main (dynamic proxy) user",
    )
    .defaults(&[("authType", "none"), ("status", "normal")]),
    row(
        "sync_user_auth",
        "sync-user-auth",
        "Sync a user's real-name authentication",
    ),
    row(
        "upsert_proxy_user",
        "upsert-proxy-user",
        "Create or update a proxy user under a main user",
    )
    .defaults(&[("limitFlow", "-1"), ("status", "normal")]),
    row(
        "proxy_user",
        "proxy-user",
        "A proxy user's limit, usage and status",
    ),
    row(
        "set_proxy_user_flow_limit",
        "set-flow-limit",
        "Set a proxy user's flow limit",
    ),
    row(
        "proxy_balance",
        "proxy-balance",
        "A dynamic account's flow and IP balance",
    ),
    row(
        "draw_with_password",
        "draw-pwd",
        "Draw dynamic proxies authenticated by password",
    ),
    row(
        "draw_api_url",
        "draw-api",
        "Get API URLs that draw dynamic proxies",
    ),
    row(
        "flow_usage_log",
        "flow-log",
        "A page of a dynamic account's flow usage",
    ),
    row(
        "add_ip_whitelist",
        "whitelist-add",
        "Add an IP to a dynamic account's whitelist",
    ),
    row(
        "remove_ip_whitelist",
        "whitelist-remove",
        "Remove an IP from a dynamic account's whitelist",
    )
    .defaults(&[("proxyType", "dynamic-abroad")]),
    row(
        "return_dynamic_proxy",
        "return-proxy",
        "Return unused dynamic flow or IPs for a refund",
    ),
];

/// Runs `$call` with `$ty` bound to the request type of endpoint `$name` (the one list
/// that ties the table's names to the types; a test holds it to the table).
macro_rules! with_request {
    ($name:expr, |$ty:ident| $call:expr) => {{
        with_request!(@table $name, $ty, $call;
            "app_info" => AppInfoRequest, "areas" => AreasRequest, "cities" => CitiesRequest,
            "products" => ProductsRequest, "product" => ProductRequest,
            "product_areas" => ProductAreasRequest, "projects" => ProjectsRequest,
            "open_instances" => OpenInstancesRequest, "open_assigned_ip" => OpenAssignedIpRequest,
            "assigned_ip_info" => AssignedIpInfoRequest, "renew_instances" => RenewInstancesRequest,
            "release_instances" => ReleaseInstancesRequest,
            "after_sale_release" => AfterSaleReleaseRequest,
            "reset_passwords" => ResetPasswordsRequest, "order" => OrderRequest,
            "orders" => OrdersRequest, "instances" => InstancesRequest,
            "instance_list" => InstanceListRequest, "upsert_user" => UpsertUserRequest,
            "sync_user_auth" => SyncUserAuthRequest, "upsert_proxy_user" => UpsertProxyUserRequest,
            "proxy_user" => ProxyUserRequest,
            "set_proxy_user_flow_limit" => SetProxyUserFlowLimitRequest,
            "proxy_balance" => ProxyBalanceRequest, "draw_with_password" => DrawWithPasswordRequest,
            "draw_api_url" => DrawApiUrlRequest, "flow_usage_log" => FlowUsageLogRequest,
            "add_ip_whitelist" => AddIpWhitelistRequest,
            "remove_ip_whitelist" => RemoveIpWhitelistRequest,
            "return_dynamic_proxy" => ReturnDynamicProxyRequest)
    }};
    (@table $name:expr, $ty:ident, $call:expr; $($n:literal => $req:ident),*) => {
        match $name {
            $( $n => { type $ty = t::$req; Some($call) } )*
            _ => None,
        }
    };
}

/// The flags of one row, from its request type.
pub(crate) fn flag_set(row: &Row) -> Result<FlagSet, String> {
    let (kind, required) = with_request!(row.endpoint, |R| traced::<R>())
        .ok_or_else(|| format!("no request type for endpoint `{}`", row.endpoint))??;
    // A generated identifier is never missing.
    let required = required
        .into_iter()
        .filter(|wire| {
            row.generated
                .is_none_or(|(generated, _)| generated != *wire)
        })
        .collect();
    Ok(FlagSet::new(&kind, required, row.positional))
}

/// The shape of `R` and the fields it cannot go without.
fn traced<R: DeserializeOwned>() -> Result<(Kind, Vec<&'static str>), String> {
    let kind = shape_of::<R>()?;
    let mut object = Map::new();
    let mut required = Vec::new();
    for _ in 0..=kind.fields().len() {
        let Err(err) = serde_json::from_value::<R>(Value::Object(object.clone())) else {
            break;
        };
        let text = err.to_string();
        let Some(field) =
            missing_field(&text).and_then(|name| kind.fields().iter().find(|f| f.wire == name))
        else {
            break;
        };
        required.push(field.wire);
        object.insert(field.wire.to_owned(), sample(&field.kind));
    }
    Ok((kind, required))
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn sample(kind: &Kind) -> Value {
    match kind {
        Kind::Text => json!("x"),
        Kind::Int | Kind::Dict(_) => json!(1),
        Kind::Float => json!(0.0),
        Kind::Bool => json!(false),
        Kind::Time => json!("2006-01-02 15:04:05"),
        Kind::List(_) => json!([]),
        Kind::Struct(_) => json!({}),
        Kind::Unit | Kind::Json => Value::Null,
    }
}

/// The generated subcommands.
pub(crate) fn commands() -> Vec<clap::Command> {
    ROWS.iter()
        .filter_map(|row| {
            let set = flag_set(row).ok()?;
            let info = row.info()?;
            let mut command = clap::Command::new(row.command)
                .about(format!("{} (endpoint `{}`)", row.about, info.middle))
                .args(set.args());
            let alias = names::kebab(row.endpoint);
            if alias != row.command {
                command = command.alias(alias);
            }
            if row.is_purchase() {
                command = command.args(purchase_args());
            }
            if row.endpoint == "renew_instances" {
                command = command.args(renew_expiring_args());
            }
            Some(command)
        })
        .collect()
}

/// `--wait`, `--wait-timeout` and `--dry-run`.
fn purchase_args() -> [Arg; 3] {
    [
        Arg::new("wait")
            .long("wait")
            .action(ArgAction::SetTrue)
            .help("Wait until the order finishes, showing progress on stderr")
            .help_heading("Purchase"),
        Arg::new("wait_timeout")
            .long("wait-timeout")
            .value_name("DURATION")
            .value_parser(parse_duration)
            .help("Wait, and give up waiting after this long (default 2m)")
            .help_heading("Purchase"),
        Arg::new("dry_run")
            .long("dry-run")
            .action(ArgAction::SetTrue)
            .conflicts_with_all(["wait", "wait_timeout"])
            .help("Print the estimated cost and the balance it would leave; buy nothing")
            .help_heading("Purchase"),
    ]
}

/// `renew --expiring-within WINDOW [--yes] [--now TIME]`.
fn renew_expiring_args() -> [Arg; 3] {
    [
        Arg::new("expiring_within")
            .long("expiring-within")
            .value_name("WINDOW")
            .value_parser(parse_window)
            .conflicts_with(crate::flags::POSITIONAL_ID)
            .help(
                "Renew every running instance that expires within this window (3d, 12h, 2w): \
                 shows them and the estimated total, asks before spending (--yes for scripts), \
                 renews each with an order number derived from the instance and its expiry \
                 (a rerun renews nothing twice), waits, and reports the charge",
            )
            .help_heading("Renewing what expires"),
        Arg::new("yes")
            .long("yes")
            .short('y')
            .action(ArgAction::SetTrue)
            .requires("expiring_within")
            .help("Renew without asking (for scripts)")
            .help_heading("Renewing what expires"),
        crate::cli::now_arg().help_heading("Renewing what expires"),
    ]
}

/// Whether `name` is a generated endpoint command (or one of its aliases).
pub(crate) fn row_for(name: &str) -> Option<&'static Row> {
    ROWS.iter()
        .find(|r| r.command == name || names::kebab(r.endpoint) == name)
}

/// A command's request, ready to send, and how to send it.
pub(crate) struct Prepared {
    row: &'static Row,
    json: Map<String, Value>,
    /// The identifier made up for the caller, to tell stderr.
    generated: Option<(&'static str, String)>,
    wait: bool,
    wait_timeout: Option<Duration>,
    dry_run: bool,
    expiring: Option<crate::commands::reseller::RenewExpiring>,
}

/// Builds the request's JSON from the command's flags: every usage error is found here,
/// before anything is sent.
pub(crate) fn prepare(row: &'static Row, matches: &ArgMatches) -> CmdResult<Prepared> {
    let set = flag_set(row).map_err(Failure::other)?;
    let flag = |id: &str| {
        matches
            .try_get_one::<bool>(id)
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false)
    };
    let duration = |id: &str| matches.try_get_one::<Duration>(id).ok().flatten().copied();
    let expiring = match duration("expiring_within") {
        Some(window) => Some(crate::commands::reseller::RenewExpiring::from_matches(
            window,
            flag("yes"),
            matches,
        )?),
        None => None,
    };
    let mut json = set.to_json(matches).map_err(Failure::usage)?;
    for (wire, text) in row.defaults {
        if !json.contains_key(*wire)
            && let Some(field) = set.fields.iter().find(|f| f.wire == *wire)
        {
            let value = crate::flags::default_value(&field.kind, text).map_err(Failure::other)?;
            json.insert((*wire).to_owned(), value);
        }
    }
    if let Some(prepare) = row.prepare {
        prepare(&mut json)?;
    }
    let mut generated = None;
    if let Some((wire, make)) = row.generated
        && !json.contains_key(wire)
    {
        let value = make();
        json.insert(wire.to_owned(), Value::String(value.clone()));
        generated = Some((wire, value));
    }
    Ok(Prepared {
        row,
        json,
        generated,
        wait: flag("wait"),
        wait_timeout: duration("wait_timeout"),
        dry_run: flag("dry_run"),
        expiring,
    })
}

impl Prepared {
    /// Sends the request (or, for `--dry-run`, only reads what the estimate needs).
    pub(crate) async fn run(self, session: &Session) -> CmdResult {
        if let Some(expiring) = &self.expiring {
            return crate::commands::reseller::renew_expiring(session, expiring).await;
        }
        if let Some((wire, value)) = &self.generated
            && !self.dry_run
        {
            eprintln!("{wire}: {value} (generated; pass it again to repeat this call safely)");
        }
        let endpoint = self.row.endpoint;
        with_request!(endpoint, |R| send_typed::<R>(session, &self).await)
            .unwrap_or_else(|| Err(Failure::other(format!("no request type for `{endpoint}`"))))
    }
}

/// Decodes the request from its JSON; a field that does not fit names its flag.
fn decode_request<R: DeserializeOwned>(json: &Map<String, Value>) -> CmdResult<R> {
    serde_path_to_error::deserialize(Value::Object(json.clone())).map_err(|err| {
        let inner = err.inner().to_string();
        if let Some(name) = missing_field(&inner) {
            return Failure::usage(format!("missing --{} (required)", names::kebab(name)));
        }
        let path = err.path().to_string();
        let last = path
            .rsplit('.')
            .find(|segment| segment.chars().any(char::is_alphabetic))
            .map(|s| s.split('[').next().unwrap_or(s).to_owned())
            .unwrap_or_default();
        Failure::usage(format!("--{}: {inner}", names::kebab(&last)))
    })
}

async fn send_typed<R>(session: &Session, prepared: &Prepared) -> CmdResult
where
    R: Endpoint + DeserializeOwned + Any,
    R::Response: Show + Any,
{
    let request: R = decode_request(&prepared.json)?;
    if prepared.dry_run {
        return crate::commands::dry_run::run(session, &request).await;
    }
    let response = session.send(&request).await?;
    if let Some(receipt) = (&response as &dyn Any).downcast_ref::<t::OrderReceipt>() {
        let intent = intent_of(&request)
            .ok_or_else(|| Failure::other("internal: a receipt for a request that buys nothing"))?;
        return follow(session, receipt, &intent, prepared).await;
    }
    response.show(session.json())
}

/// What a purchase request asked for.
pub(crate) fn intent_of(request: &dyn Any) -> Option<ipv_api::PurchaseIntent> {
    use ipv_api::PurchaseIntent as I;
    if let Some(r) = request.downcast_ref::<t::OpenInstancesRequest>() {
        return Some(I::from(r));
    }
    if let Some(r) = request.downcast_ref::<t::OpenAssignedIpRequest>() {
        return Some(I::from(r));
    }
    if let Some(r) = request.downcast_ref::<t::RenewInstancesRequest>() {
        return Some(I::from(r));
    }
    if let Some(r) = request.downcast_ref::<t::ReleaseInstancesRequest>() {
        return Some(I::from(r));
    }
    request
        .downcast_ref::<t::AfterSaleReleaseRequest>()
        .map(I::from)
}

/// Prints a receipt; with `--wait`, follows the order to its end, checks it is the
/// order that was sent, and prints `{"receipt": ..., "order": ...}`.
async fn follow(
    session: &Session,
    receipt: &t::OrderReceipt,
    intent: &ipv_api::PurchaseIntent,
    prepared: &Prepared,
) -> CmdResult {
    let receipt_value = to_wire_value(receipt)?;
    if !prepared.wait && prepared.wait_timeout.is_none() {
        return output::print_value(session.json(), &receipt_value, &[]);
    }
    if !session.json() {
        output::print_text(&output::render_text(&receipt_value, &[]))?;
    }
    let order = wait::follow_order(session, receipt, intent, prepared.wait_timeout).await?;
    if session.json() {
        output::print_value(
            true,
            &json!({ "receipt": receipt_value, "order": to_wire_value(&order)? }),
            &[],
        )?;
    } else {
        output::print_text("\n")?;
        order.show(false)?;
    }
    if order.status == t::OrderStatus::Succeeded {
        Ok(())
    } else {
        Err(Failure::order_failed(format!(
            "order {} finished as {}, not succeeded",
            receipt.order_no, order.status
        )))
    }
}

/// `products` without `--proxy-type` asks for every documented type.
fn every_proxy_type_by_default(json: &mut Map<String, Value>) -> CmdResult {
    if !json.contains_key("proxyType") {
        let all: Vec<Value> = t::ProxyType::ALL
            .iter()
            .map(|p| json!(p.as_i64()))
            .collect();
        json.insert("proxyType".to_owned(), Value::Array(all));
    }
    Ok(())
}

/// The wire fields that pick a product when an open item names none.
const OPEN_FILTERS: &[&str] = &[
    "proxyType",
    "countryCode",
    "cityCode",
    "supplierCode",
    "unit",
    "ispType",
    "duration",
];

/// An open buys only what was chosen: every item names a product or a filter.
fn something_chosen_to_buy(json: &mut Map<String, Value>) -> CmdResult {
    let items = json.get("params").and_then(Value::as_array);
    let chosen = |item: &Value| {
        let given = |key: &str| item.get(key).is_some_and(|v| !v.is_null() && v != "");
        given("productNo") || OPEN_FILTERS.iter().any(|f| given(f))
    };
    match items {
        Some(items) if !items.is_empty() && items.iter().all(chosen) => Ok(()),
        _ => Err(Failure::usage(format!(
            "nothing chosen to buy: give --product-no P (see `ipv products`), or at least one filter ({})",
            OPEN_FILTERS
                .iter()
                .map(|f| format!("--{}", names::kebab(f)))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Field;

    #[test]
    fn every_endpoint_has_a_row_a_type_and_a_command() {
        assert_eq!(ROWS.len(), ENDPOINTS.len());
        for (row, info) in ROWS.iter().zip(ENDPOINTS) {
            assert_eq!(row.endpoint, info.name);
            let type_name = with_request!(row.endpoint, |R| std::any::type_name::<R>()).unwrap();
            assert!(
                type_name.ends_with(info.request),
                "{type_name} is not {}",
                info.request
            );
            let path = with_request!(row.endpoint, |R| <R as Endpoint>::PATH).unwrap();
            assert_eq!(path, info.path);
        }
        assert_eq!(commands().len(), 30);
    }

    /// Every path of fields, at every depth, of a request shape.
    fn paths(kind: &Kind) -> Vec<Vec<Field>> {
        let mut all = Vec::new();
        for field in kind.fields() {
            all.push(vec![field.clone()]);
            let inner = match &field.kind {
                Kind::List(inner) => inner.as_ref(),
                other => other,
            };
            for mut rest in paths(inner) {
                rest.insert(0, field.clone());
                all.push(rest);
            }
        }
        all
    }

    fn sample_text(kind: &Kind) -> String {
        match kind {
            Kind::Int | Kind::Dict(_) => "1".to_owned(),
            Kind::Float => "1.5".to_owned(),
            Kind::Bool => "true".to_owned(),
            Kind::Time => "2006-01-02 15:04:05".to_owned(),
            Kind::List(inner) => sample_text(inner),
            _ => "x".to_owned(),
        }
    }

    fn sample_json(kind: &Kind) -> Value {
        match kind {
            Kind::Int | Kind::Dict(_) => json!(1),
            Kind::Float => json!(1.5),
            Kind::Bool => json!(true),
            Kind::List(inner) => json!([sample_json(inner)]),
            Kind::Struct(_) => json!({}),
            Kind::Json | Kind::Unit => json!(null),
            _ => json!(sample_text(kind)),
        }
    }

    /// `{"a": [{"b": sample}]}` for the path a.b (lists wrapped in arrays).
    fn object_for(path: &[Field]) -> Value {
        let (first, rest) = path.split_first().unwrap();
        let inner = if rest.is_empty() {
            return json!({ first.wire: sample_json(&first.kind) });
        } else {
            object_for(rest)
        };
        let wrapped = match first.kind {
            Kind::List(_) => json!([inner]),
            _ => inner,
        };
        json!({ first.wire: wrapped })
    }

    /// The JSON pointer of the path's last field in the request.
    fn pointer(path: &[Field]) -> String {
        let mut out = String::new();
        for (i, field) in path.iter().enumerate() {
            out.push('/');
            out.push_str(field.wire);
            if i + 1 < path.len() && matches!(field.kind, Kind::List(_)) {
                out.push_str("/0");
            }
        }
        out
    }

    /// The flag and value that reach `path`.
    fn args_for(set: &FlagSet, path: &[Field]) -> Vec<String> {
        let flags = set.flags();
        let own = |wire: &str, item: bool| flags.iter().find(|f| f.wire == wire && f.item == item);
        let first = &path[0];
        let flattened = set
            .items
            .as_ref()
            .is_some_and(|(list, _)| *list == first.wire);
        if path.len() == 1 {
            let long = &own(first.wire, false).expect("a flag").long;
            return vec![format!(
                "--{long}={}",
                match &first.kind {
                    Kind::List(inner) if matches!(**inner, Kind::Struct(_)) => "{}".to_owned(),
                    Kind::Struct(_) | Kind::Json => "{}".to_owned(),
                    other => sample_text(other),
                }
            )];
        }
        if flattened && let Some(item_flag) = own(path[1].wire, true) {
            if path.len() == 2 {
                let value = match &path[1].kind {
                    Kind::List(inner) if !inner.is_scalar() => "{}".to_owned(),
                    other => sample_text(other),
                };
                return vec![format!("--{}={value}", item_flag.long)];
            }
            return vec![format!("--{}={}", item_flag.long, object_for(&path[2..]))];
        }
        let long = &own(first.wire, false).expect("a flag").long;
        vec![format!("--{long}={}", object_for(&path[1..]))]
    }

    #[test]
    fn every_field_of_every_request_is_reached_by_a_flag() {
        let commands = commands();
        let mut walked = 0;
        for row in ROWS {
            let set = flag_set(row).unwrap();
            let kind = with_request!(row.endpoint, |R| shape_of::<R>())
                .unwrap()
                .unwrap();
            let command = commands
                .iter()
                .find(|c| c.get_name() == row.command)
                .unwrap();
            for path in paths(&kind) {
                let args = args_for(&set, &path);
                let matches = command
                    .clone()
                    .no_binary_name(true)
                    .try_get_matches_from(&args)
                    .unwrap_or_else(|err| panic!("{} {args:?}: {err}", row.command));
                let json = Value::Object(set.to_json(&matches).unwrap());
                let at = pointer(&path);
                assert!(
                    json.pointer(&at).is_some_and(|v| !v.is_null()),
                    "{} {args:?}: no {at} in {json}",
                    row.command
                );
                walked += 1;
            }
        }
        assert!(walked > 100, "only {walked} fields walked");
    }

    fn prepared(args: &[&str]) -> CmdResult<Map<String, Value>> {
        let matches = crate::cli::command()
            .try_get_matches_from(std::iter::once("ipv").chain(args.iter().copied()))
            .map_err(|err| Failure::usage(err.to_string()))?;
        let (name, sub) = matches.subcommand().unwrap();
        prepare(row_for(name).unwrap(), sub).map(|p| p.json)
    }

    #[test]
    fn products_ask_for_every_type_by_default_and_take_names_or_numbers() {
        let all = prepared(&["products"]).unwrap();
        assert_eq!(
            Value::Object(all),
            json!({"proxyType": [101, 102, 103, 104, 105, 201]})
        );
        let by_name = prepared(&[
            "products",
            "--proxy-type",
            "dynamic-abroad",
            "--unit",
            "month",
        ]);
        let by_number = prepared(&["products", "--proxy-type", "104", "--unit", "3"]);
        assert_eq!(by_name.unwrap(), by_number.unwrap());
    }

    #[test]
    fn after_sale_takes_instances_and_dingtalk_users() {
        let json = prepared(&[
            "after-sale",
            "I1",
            "I2",
            "--dingtalk-user",
            "uid=u1,phone=123",
            "--reason",
            "broken",
        ])
        .unwrap();
        let order_no = json["orderNo"].as_str().unwrap();
        assert!(order_no.starts_with("ipv"), "generated: {order_no}");
        assert_eq!(
            Value::Object(json.clone()),
            json!({"instances": ["I1", "I2"], "reason": "broken", "orderNo": order_no,
                   "dingTalkUserList": [{"uid": "u1", "phone": "123"}]})
        );
        let request: t::AfterSaleReleaseRequest = decode_request(&json).unwrap();
        assert_eq!(request.ding_talk_users[0].phone, "123");
    }

    #[test]
    fn values_that_do_not_fit_their_field_name_their_flag() {
        let json = prepared(&["open", "--product", "P", "--count", "-1"]).unwrap();
        let err = decode_request::<t::OpenInstancesRequest>(&json).unwrap_err();
        assert!(err.message.contains("--count"), "{}", err.message);
        let err = prepared(&["orders", "--start-time", "yesterday"])
            .and_then(|json| decode_request::<t::OrdersRequest>(&json).map(|_| ()))
            .unwrap_err();
        assert!(err.message.contains("--start-time"), "{}", err.message);
        let err = prepared(&[
            "upsert-user",
            "--phone",
            "1",
            "--email",
            "e",
            "--vsp",
            "300",
        ])
        .and_then(|json| decode_request::<t::UpsertUserRequest>(&json).map(|_| ()))
        .unwrap_err();
        assert!(err.message.contains("--vsp"), "{}", err.message);
        let err = prepared(&["open"]).unwrap_err();
        assert!(
            err.message.contains("nothing chosen to buy"),
            "{}",
            err.message
        );
    }

    #[test]
    fn positionals_and_defaults_name_fields_of_their_request() {
        for row in ROWS {
            let set = flag_set(row).unwrap();
            let flags = set.flags();
            for wire in row
                .positional
                .iter()
                .chain(row.defaults.iter().map(|(w, _)| w))
            {
                assert!(
                    flags.iter().any(|f| f.wire == *wire),
                    "{}: {wire}",
                    row.command
                );
            }
            if let Some((wire, _)) = row.generated {
                assert!(
                    set.fields.iter().any(|f| f.wire == wire),
                    "{}: {wire}",
                    row.command
                );
            }
        }
    }
}
