//! The command tree: global flags, one subcommand per endpoint, and the tools.
//!
//! The doc comments here are the `--help` text. Each endpoint's argument struct holds
//! its request's fields with the request's own types (dictionary values, `u32` counts,
//! `QueryTime`s), named after the wire field; `commands::endpoints` builds the typed
//! request from it directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use ipv_types as t;

use crate::names::DictParser;

/// `ipv`: drive the ipipv open API v2 (or its local emulator) from a shell.
///
/// Say where to send requests with `--endpoint` (or `IPV_ENDPOINT`), `--sandbox` or
/// `--production`. With no credentials configured at all, or with `--emulator`,
/// commands run against an emulator started inside the process instead; credentials
/// without a target are refused, so nothing that spends money guesses where it goes.
#[derive(Parser)]
#[command(
    name = "ipv",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = crate::failure::EXIT_CODES_HELP
)]
pub struct Cli {
    /// Flags every subcommand accepts, before or after its name.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Configuration and output flags, accepted anywhere on the command line.
#[derive(Args, Clone, Default)]
pub struct GlobalArgs {
    /// Base URL of the API, e.g. `https://sandbox.ipipv.com` (default: an embedded emulator).
    #[arg(long, global = true, env = "IPV_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// The app's public key (`appKey` in every request envelope).
    #[arg(long, global = true, env = "IPV_APP_KEY", value_name = "KEY")]
    pub app_key: Option<String>,
    /// The app secret (16, 24 or 32 bytes). Prefer the environment or a file: a flag
    /// shows up in the shell history and the process list.
    #[arg(
        long,
        global = true,
        env = "IPV_APP_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub app_secret: Option<String>,
    /// Read the app secret from this file (one trailing newline is ignored).
    #[arg(long, global = true, env = "IPV_APP_SECRET_FILE", value_name = "PATH")]
    pub app_secret_file: Option<PathBuf>,
    /// Use the sandbox platform, `https://sandbox.ipipv.com`.
    #[arg(long, global = true, conflicts_with = "production")]
    pub sandbox: bool,
    /// Use the production platform, `https://api.ipipv.com`.
    #[arg(long, global = true)]
    pub production: bool,
    /// Use an emulator started inside this process (with the configured app key and
    /// secret, or the demo app's), even when credentials are configured.
    #[arg(long, global = true, conflicts_with_all = ["sandbox", "production"])]
    pub emulator: bool,
    /// How to print results: a readable table or summary, or one JSON document with the
    /// wire's field names.
    #[arg(
        long,
        short = 'o',
        global = true,
        value_enum,
        default_value_t = OutputFormat::Table,
        value_name = "FORMAT"
    )]
    pub output: OutputFormat,
    /// Give up on one request after this long (`30`, `30s`, `500ms`, `2m`).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Log what happens to stderr (`-v` info, `-vv` debug, `-vvv` trace). Never logs the secret.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

impl std::fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("endpoint", &self.endpoint)
            .field("app_key", &self.app_key)
            .field(
                "app_secret",
                &self.app_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("app_secret_file", &self.app_secret_file)
            .field("sandbox", &self.sandbox)
            .field("production", &self.production)
            .field("emulator", &self.emulator)
            .field("output", &self.output)
            .field("timeout", &self.timeout)
            .field("verbose", &self.verbose)
            .finish()
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// A table or a `field: value` summary for people.
    #[default]
    Table,
    /// Exactly one JSON document on stdout, with the wire's field names.
    Json,
}

/// Parses `30`, `30s`, `500ms`, `2m` into a duration.
///
/// # Errors
/// A message naming the accepted forms when the text is none of them.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale_ms) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1u64)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000)
    } else {
        (text, 1_000)
    };
    let value: u64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30, 30s, 500ms or 2m"))?;
    let ms = value
        .checked_mul(scale_ms)
        .ok_or_else(|| format!("`{text}` is too long"))?;
    if ms == 0 {
        return Err("a timeout must be longer than zero".to_owned());
    }
    Ok(Duration::from_millis(ms))
}

/// Parses a request time, `YYYY-MM-DD hh:mm:ss`.
///
/// # Errors
/// A message naming the layout when the text is not in it.
pub fn parse_query_time(text: &str) -> Result<t::QueryTime, String> {
    text.parse::<t::QueryTime>().map_err(|err| err.to_string())
}

/// Parses a window such as `3d`, `12h`, `90m`, `2w` or `3600s` (a bare number is days).
///
/// # Errors
/// A message naming the accepted forms when the text is none of them.
pub fn parse_window(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds: u64 = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" | "" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("`{text}` is not a window like 3d, 12h, 90m or 2w")),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a window like 3d, 12h, 90m or 2w"))?;
    value
        .checked_mul(seconds)
        .filter(|s| *s <= 100 * 366 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long a window"))
}

/// Every subcommand.
#[derive(Subcommand)]
pub enum Command {
    /// The app's name, balance, credit, callback URL and status (endpoint `info`).
    AppInfo,
    /// Regions, as a tree of continents and countries (endpoint `area`).
    Areas(CodesArgs),
    /// Cities with their state, country and region (endpoint `city/list`).
    Cities(CodesArgs),
    /// Search products (endpoint `product/query`).
    Products(ProductsArgs),
    /// One product by number (endpoint `product/info`).
    Product(ProductArgs),
    /// Where a product can be bought (endpoint `product/area`).
    ProductAreas(ProductAreasArgs),
    /// Projects (endpoint `project/list`).
    Projects(CodesArgs),
    /// Buy instances of a product (endpoint `instance/open`).
    Open(OpenArgs),
    /// Buy an instance with a chosen IP (endpoint `instance/open/assign/ip`).
    OpenAssignedIp(OpenAssignedIpArgs),
    /// Whether an IP can be bought with `open-assigned-ip` (endpoint `assign/ip/info`).
    AssignedIpInfo(AssignedIpInfoArgs),
    /// Renew instances (endpoint `instance/renew`).
    Renew(RenewArgs),
    /// Release instances (endpoint `instance/release`).
    Release(ReleaseArgs),
    /// Release instances through after-sales (endpoint `instance/aftersale`).
    AfterSale(AfterSaleArgs),
    /// Reset instances' passwords (endpoint `instance/reset/password`).
    ResetPasswords(ResetPasswordsArgs),
    /// One order with its instances (endpoint `order`).
    Order(OrderArgs),
    /// A page of orders (endpoint `order/list`).
    Orders(TimePageArgs),
    /// Instances by number (endpoint `instance`).
    Instances(InstancesArgs),
    /// A page of instances (endpoint `instance/list`).
    InstanceList(TimePageArgs),
    /// Create or update a main (dynamic proxy) user (endpoint `user`).
    UpsertUser(UpsertUserArgs),
    /// Sync a user's real-name authentication (endpoint `userAuth`).
    SyncUserAuth(SyncUserAuthArgs),
    /// Create or update a proxy user under a main user (endpoint `proxy/user`).
    UpsertProxyUser(UpsertProxyUserArgs),
    /// A proxy user's limit, usage and status (endpoint `proxy/user/info`).
    ProxyUser(ProxyUserArgs),
    /// Set a proxy user's flow limit (endpoint `proxy/user/flow/limit`).
    SetFlowLimit(SetFlowLimitArgs),
    /// A dynamic account's flow and IP balance (endpoint `proxy/info`).
    ProxyBalance(ProxyBalanceArgs),
    /// Draw dynamic proxies authenticated by password (endpoint `proxy/draw/pwd`).
    DrawPwd(DrawPwdArgs),
    /// Get API URLs that draw dynamic proxies (endpoint `proxy/draw/api`).
    DrawApi(DrawApiArgs),
    /// A page of a dynamic account's flow usage (endpoint `proxy/flow/use/log`).
    FlowLog(FlowLogArgs),
    /// Add an IP to a dynamic account's whitelist (endpoint `proxy/addIpWhiteList`).
    WhitelistAdd(WhitelistArgs),
    /// Remove an IP from a dynamic account's whitelist (endpoint `proxy/delIpWhiteList`).
    WhitelistRemove(WhitelistRemoveArgs),
    /// Return unused dynamic flow or IPs for a refund (endpoint `proxy/return`).
    ReturnProxy(ReturnProxyArgs),
    /// Every instance over every page, as `ip:port:user:pass`, proxy URLs, CSV or JSON
    /// lines (endpoint `instance/list`, all pages).
    Export(ExportArgs),
    /// Instances that run out within a window, when, and what renewing each for one
    /// more period would cost (a local estimate from its product's prices).
    Expiring(ExpiringArgs),
    /// Send any JSON to any path: for endpoints newer than this tool.
    Raw(RawArgs),
    /// Run the local emulator of the platform.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
    /// Receive the platform's callbacks.
    #[command(subcommand)]
    Callback(CallbackCommand),
    /// Encrypt, decrypt and open captured traffic with the app secret.
    #[command(subcommand)]
    Codec(CodecCommand),
    /// Walk a reseller's day end to end against an embedded emulator, checking each step.
    Demo(DemoArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// An optional list of codes to filter by.
#[derive(Args)]
pub struct CodesArgs {
    /// Only these codes (repeatable; default: all).
    #[arg(long = "code", value_name = "CODE")]
    pub codes: Vec<String>,
}

/// Product search filters; `--product-no` alone is the precise lookup.
#[derive(Args)]
pub struct ProductsArgs {
    /// Proxy type (repeatable), by name or number (default: all of them).
    #[arg(long = "proxy-type", value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: Vec<t::ProxyType>,
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: Option<String>,
    /// Country (ISO 3166 alpha-3).
    #[arg(long, value_name = "CODE")]
    pub country_code: Option<String>,
    /// City code.
    #[arg(long, value_name = "CODE")]
    pub city_code: Option<String>,
    /// Supplier code.
    #[arg(long, value_name = "CODE")]
    pub supplier_code: Option<String>,
    /// Time unit, by name or number.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::Unit>::new())]
    pub unit: Option<t::Unit>,
    /// ISP type, by name or number.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::IspType>::new())]
    pub isp_type: Option<t::IspType>,
    /// Network type, by name or number.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::NetType>::new())]
    pub net_type: Option<t::NetType>,
    /// Duration in units.
    #[arg(long, value_name = "N")]
    pub duration: Option<u32>,
}

/// One product.
#[derive(Args)]
pub struct ProductArgs {
    /// Product number.
    #[arg(value_name = "PRODUCT_NO")]
    pub product_no: String,
}

/// A product's areas.
#[derive(Args)]
pub struct ProductAreasArgs {
    /// Product number.
    #[arg(value_name = "PRODUCT_NO")]
    pub product_no: String,
    /// The product's proxy type.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: t::ProxyType,
}

/// How to follow an order that was just placed.
#[derive(Args, Clone, Copy, Debug, Default)]
pub struct WaitArgs {
    /// Wait until the order finishes, showing progress on stderr.
    #[arg(long)]
    pub wait: bool,
    /// Wait, and give up waiting after this long (default 2m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait_timeout: Option<Duration>,
}

/// `instance/open` with one parameter line built from flags.
#[derive(Args)]
pub struct OpenArgs {
    /// Product number (when given, the filters below it are ignored by the platform).
    #[arg(long = "product", value_name = "P")]
    pub product_no: Option<String>,
    /// How many instances (static products: 1..20).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub count: u32,
    /// How many purchase cycles (a cycle is the product's duration x unit).
    #[arg(long = "cycles", default_value_t = 1, value_name = "C")]
    pub cycle_times: u32,
    /// Your order number: the platform de-duplicates on it (generated when absent).
    #[arg(long, value_name = "X")]
    pub app_order_no: Option<String>,
    /// Proxy type filter (used without `--product`).
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: Option<t::ProxyType>,
    /// Country filter.
    #[arg(long, value_name = "CODE")]
    pub country_code: Option<String>,
    /// City filter.
    #[arg(long, value_name = "CODE")]
    pub city_code: Option<String>,
    /// Supplier filter.
    #[arg(long, value_name = "CODE")]
    pub supplier_code: Option<String>,
    /// Unit filter.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::Unit>::new())]
    pub unit: Option<t::Unit>,
    /// ISP type filter.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::IspType>::new())]
    pub isp_type: Option<t::IspType>,
    /// Duration filter.
    #[arg(long, value_name = "N")]
    pub duration: Option<u32>,
    /// Renew automatically.
    #[arg(long)]
    pub renew: bool,
    /// Extra bandwidth in Mbps.
    #[arg(long = "ext-bandwidth", value_name = "MBPS")]
    pub ext_band_width: Option<u32>,
    /// Main user the flow goes to (dynamic products).
    #[arg(long, value_name = "NAME")]
    pub app_username: Option<String>,
    /// Flow in MB (dynamic products).
    #[arg(long, value_name = "MB")]
    pub flow: Option<u64>,
    /// Bridge, by name or number.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::BridgeChoice>::new())]
    pub use_bridge: Option<t::BridgeChoice>,
    /// Project id.
    #[arg(long, value_name = "ID")]
    pub project_id: Option<String>,
    /// CIDR block and count, `CIDR:COUNT` (repeatable).
    #[arg(long = "cidr", value_name = "CIDR:COUNT", value_parser = parse_cidr)]
    pub cidr_blocks: Vec<CidrArg>,
    /// Waiting for the order.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// A `--cidr CIDR:COUNT` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrArg {
    /// The block, e.g. `10.1.0.0/24`.
    pub cidr: String,
    /// How many instances from it.
    pub count: u32,
}

fn parse_cidr(text: &str) -> Result<CidrArg, String> {
    let (cidr, count) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("`{text}` is not CIDR:COUNT"))?;
    let count = count
        .parse()
        .map_err(|_| format!("count `{count}` in `{text}` is not a number"))?;
    Ok(CidrArg {
        cidr: cidr.to_owned(),
        count,
    })
}

/// `instance/open/assign/ip`.
#[derive(Args)]
pub struct OpenAssignedIpArgs {
    /// Product number.
    #[arg(long = "product", value_name = "P")]
    pub product_no: String,
    /// The IP to buy.
    #[arg(long = "ip", value_name = "IP")]
    pub assign_ip: String,
    /// How many purchase cycles.
    #[arg(long = "cycles", default_value_t = 1, value_name = "C")]
    pub cycle_times: u32,
    /// Your order number (generated when absent).
    #[arg(long, value_name = "X")]
    pub app_order_no: Option<String>,
    /// Renew automatically.
    #[arg(long)]
    pub renew: bool,
    /// Extra bandwidth in Mbps.
    #[arg(long = "ext-bandwidth", value_name = "MBPS")]
    pub ext_band_width: Option<u32>,
    /// Bridge, by name or number.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::BridgeChoice>::new())]
    pub use_bridge: Option<t::BridgeChoice>,
    /// Waiting for the order.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `assign/ip/info`.
#[derive(Args)]
pub struct AssignedIpInfoArgs {
    /// The IP to ask about.
    #[arg(value_name = "IP")]
    pub ip: String,
}

/// `instance/renew`: every instance gets the same cycles (and duration, if given).
#[derive(Args)]
pub struct RenewArgs {
    /// Your order number for the renewal (generated when absent; with
    /// `--expiring-within`, derived from each instance and its expiry instead).
    #[arg(long, value_name = "X", conflicts_with = "expiring_within")]
    pub app_order_no: Option<String>,
    /// Instances to renew.
    #[arg(
        value_name = "INSTANCE_NO",
        required_unless_present = "expiring_within"
    )]
    pub instances: Vec<String>,
    /// Renew every running instance that expires within this window (`3d`, `12h`,
    /// `2w`): shows them and the estimated total, asks before spending (`--yes` for
    /// scripts), renews each with an order number derived from the instance and its
    /// current expiry (a rerun renews nothing twice), waits for the orders, and
    /// reports the charged total against the estimate.
    #[arg(long, value_name = "WINDOW", value_parser = parse_window, conflicts_with = "instances")]
    pub expiring_within: Option<Duration>,
    /// Renew without asking (for scripts).
    #[arg(long, short = 'y', requires = "expiring_within")]
    pub yes: bool,
    /// Cycles to add to each instance.
    #[arg(long = "cycles", value_name = "C")]
    pub cycle_times: Option<u32>,
    /// Duration to add to each instance (the older field; `--cycles` supersedes it).
    #[arg(long, value_name = "N")]
    pub duration: Option<u32>,
    /// Waiting for the order.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `instance/release`.
#[derive(Args)]
pub struct ReleaseArgs {
    /// Your order number for the release: the platform de-duplicates on it, so
    /// repeating a call with the same number is safe (generated and printed when absent).
    #[arg(long, value_name = "X")]
    pub order_no: Option<String>,
    /// Instances to release.
    #[arg(value_name = "INSTANCE_NO", required = true)]
    pub instances: Vec<String>,
    /// Waiting for the order.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `instance/aftersale`.
#[derive(Args)]
pub struct AfterSaleArgs {
    /// Your order number for the release: the platform de-duplicates on it, so
    /// repeating a call with the same number is safe (generated and printed when absent).
    #[arg(long, value_name = "X")]
    pub order_no: Option<String>,
    /// Instances to release.
    #[arg(value_name = "INSTANCE_NO", required = true)]
    pub instances: Vec<String>,
    /// Remark.
    #[arg(long, default_value = "")]
    pub remark: String,
    /// Reason.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// DingTalk user to notify, `UID:PHONE` (repeatable).
    #[arg(long = "dingtalk-user", value_name = "UID:PHONE", value_parser = parse_dingtalk)]
    pub ding_talk_user_list: Vec<DingTalkArg>,
    /// Waiting for the order.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// A `--dingtalk-user UID:PHONE` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DingTalkArg {
    /// DingTalk user id.
    pub uid: String,
    /// Phone number.
    pub phone: String,
}

fn parse_dingtalk(text: &str) -> Result<DingTalkArg, String> {
    let (uid, phone) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not UID:PHONE"))?;
    Ok(DingTalkArg {
        uid: uid.to_owned(),
        phone: phone.to_owned(),
    })
}

/// `instance/reset/password`.
#[derive(Args)]
pub struct ResetPasswordsArgs {
    /// Instances whose passwords to reset.
    #[arg(value_name = "INSTANCE_NO", required = true)]
    pub instances: Vec<String>,
    /// Idempotency key, up to 32 of A-Z a-z 0-9 _ (generated when absent).
    #[arg(long, value_name = "ID")]
    pub reset_no: Option<String>,
}

/// `order`.
#[derive(Args)]
pub struct OrderArgs {
    /// The platform's order number.
    #[arg(value_name = "ORDER_NO")]
    pub order_no: String,
    /// Your order number, to cross-check.
    #[arg(long, value_name = "X")]
    pub app_order_no: Option<String>,
    /// Page of the order's instances.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub page: u32,
    /// Instances per page (max 100).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub page_size: u32,
}

/// A page over a time window (`2006-01-02 15:04:05` times).
#[derive(Args)]
pub struct TimePageArgs {
    /// Page number, from 1.
    #[arg(long, value_name = "N")]
    pub page: Option<u32>,
    /// Items per page (max 100).
    #[arg(long, value_name = "N")]
    pub page_size: Option<u32>,
    /// From this time, `YYYY-MM-DD hh:mm:ss`.
    #[arg(long, value_name = "TIME", value_parser = parse_query_time)]
    pub start_time: Option<t::QueryTime>,
    /// Until this time, `YYYY-MM-DD hh:mm:ss`.
    #[arg(long, value_name = "TIME", value_parser = parse_query_time)]
    pub end_time: Option<t::QueryTime>,
}

/// `instance`.
#[derive(Args)]
pub struct InstancesArgs {
    /// Instance numbers.
    #[arg(value_name = "INSTANCE_NO", required = true)]
    pub instances: Vec<String>,
}

/// `user`.
#[derive(Args)]
pub struct UpsertUserArgs {
    /// Your name for the user (omit to let the platform choose).
    #[arg(long, value_name = "NAME")]
    pub app_username: Option<String>,
    /// The user's password.
    #[arg(long)]
    pub password: Option<String>,
    /// Phone number.
    #[arg(long)]
    pub phone: String,
    /// Email address.
    #[arg(long)]
    pub email: String,
    /// Real-name authentication, by name or number.
    #[arg(long, default_value = "none", value_name = "NAME", value_parser = DictParser::<t::AuthType>::new())]
    pub auth_type: t::AuthType,
    /// Authenticated name.
    #[arg(long)]
    pub auth_name: Option<String>,
    /// Identity document (or business licence) number; required by the document.
    #[arg(long)]
    pub no: String,
    /// VSP.
    #[arg(long, value_name = "N")]
    pub vsp: Option<u8>,
    /// Status, by name or number.
    #[arg(long, default_value = "normal", value_name = "NAME", value_parser = DictParser::<t::AccountStatus>::new())]
    pub status: t::AccountStatus,
}

/// `userAuth`.
#[derive(Args)]
pub struct SyncUserAuthArgs {
    /// The platform's user name.
    #[arg(long, required_unless_present = "app_username")]
    pub username: Option<String>,
    /// Your user name.
    #[arg(long, value_name = "NAME")]
    pub app_username: Option<String>,
    /// Real-name authentication, by name or number.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::AuthType>::new())]
    pub auth_type: t::AuthType,
    /// Authenticated name.
    #[arg(long)]
    pub auth_name: Option<String>,
    /// Identity document number.
    #[arg(long)]
    pub no: Option<String>,
    /// VSP.
    #[arg(long)]
    pub vsp: Option<String>,
}

/// `proxy/user`.
#[derive(Args)]
pub struct UpsertProxyUserArgs {
    /// Your name for the proxy user.
    #[arg(long, value_name = "NAME")]
    pub app_username: Option<String>,
    /// The proxy user's password.
    #[arg(long)]
    pub password: Option<String>,
    /// Flow limit in bytes (-1: none).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true, value_name = "BYTES")]
    pub limit_flow: i64,
    /// The main user's platform name.
    #[arg(
        long,
        required_unless_present = "app_main_username",
        value_name = "NAME"
    )]
    pub main_username: Option<String>,
    /// Your name for the main user.
    #[arg(long, value_name = "NAME")]
    pub app_main_username: Option<String>,
    /// Remark.
    #[arg(long)]
    pub remark: Option<String>,
    /// Status, by name or number.
    #[arg(long, default_value = "normal", value_name = "NAME", value_parser = DictParser::<t::AccountStatus>::new())]
    pub status: t::AccountStatus,
}

/// `proxy/user/info`.
#[derive(Args)]
pub struct ProxyUserArgs {
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
    /// Your name for the proxy user.
    #[arg(long, value_name = "NAME")]
    pub app_username: String,
}

/// `proxy/user/flow/limit`.
#[derive(Args)]
pub struct SetFlowLimitArgs {
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
    /// Your name for the proxy user.
    #[arg(long, value_name = "NAME")]
    pub app_username: String,
    /// Flow limit in bytes (-1: none).
    #[arg(long, allow_negative_numbers = true, value_name = "BYTES")]
    pub limit_flow: i64,
    /// Remark.
    #[arg(long)]
    pub remark: Option<String>,
}

/// `proxy/info`.
#[derive(Args)]
pub struct ProxyBalanceArgs {
    /// The platform's user name.
    #[arg(long, required_unless_present = "app_username")]
    pub username: Option<String>,
    /// Your user name.
    #[arg(long, value_name = "NAME")]
    pub app_username: Option<String>,
    /// Proxy type, by name or number (dynamic ones here).
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: t::ProxyType,
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
}

/// `proxy/draw/pwd`.
#[derive(Args)]
pub struct DrawPwdArgs {
    /// Your name for the (proxy) user.
    #[arg(long, value_name = "NAME")]
    pub app_username: String,
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
    /// Region code to draw from.
    #[arg(long, value_name = "CODE")]
    pub address_code: Option<String>,
    /// Sticky session minutes, 1..120 (default 5).
    #[arg(long, value_name = "MIN")]
    pub sess_time: Option<u32>,
    /// How many proxies.
    #[arg(long, value_name = "N")]
    pub num: Option<u32>,
    /// Proxy type.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: Option<t::ProxyType>,
    /// Flow cap per proxy.
    #[arg(long, value_name = "N")]
    pub max_flow_limit: Option<i64>,
}

/// `proxy/draw/api`.
#[derive(Args)]
pub struct DrawApiArgs {
    /// Your name for the (proxy) user.
    #[arg(long, value_name = "NAME")]
    pub app_username: String,
    /// Proxy type.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: t::ProxyType,
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
    /// How many proxies per call.
    #[arg(long, value_name = "N")]
    pub num: Option<u32>,
    /// Region code to draw from.
    #[arg(long, value_name = "CODE")]
    pub address_code: Option<String>,
    /// `socks5` or `http`.
    #[arg(long)]
    pub protocol: Option<String>,
    /// `txt` or `json`.
    #[arg(long)]
    pub return_type: Option<String>,
    /// Line delimiter for txt, 1..5.
    #[arg(long, value_name = "N")]
    pub delimiter: Option<u8>,
    /// Flow cap per proxy.
    #[arg(long, value_name = "N")]
    pub max_flow_limit: Option<i64>,
}

/// `proxy/flow/use/log`.
#[derive(Args)]
pub struct FlowLogArgs {
    /// Your name for the (proxy) user.
    #[arg(long, value_name = "NAME")]
    pub app_username: String,
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
    /// From this time, `YYYY-MM-DD hh:mm:ss`.
    #[arg(long, value_name = "TIME", value_parser = parse_query_time)]
    pub start_time: Option<t::QueryTime>,
    /// Until this time, `YYYY-MM-DD hh:mm:ss`.
    #[arg(long, value_name = "TIME", value_parser = parse_query_time)]
    pub end_time: Option<t::QueryTime>,
    /// Page number, from 1.
    #[arg(long, value_name = "N")]
    pub page: Option<u32>,
    /// Items per page (max 100).
    #[arg(long, value_name = "N")]
    pub page_size: Option<u32>,
}

/// `proxy/addIpWhiteList`.
#[derive(Args)]
pub struct WhitelistArgs {
    /// Your name for the (proxy) user.
    #[arg(long, value_name = "NAME")]
    pub app_username: String,
    /// The IP.
    #[arg(long)]
    pub ip: String,
    /// Proxy type.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: t::ProxyType,
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
}

/// `proxy/delIpWhiteList`.
#[derive(Args)]
pub struct WhitelistRemoveArgs {
    /// Your name for the (proxy) user.
    #[arg(long, value_name = "NAME")]
    pub app_username: String,
    /// The IP.
    #[arg(long)]
    pub ip: String,
    /// Proxy type.
    #[arg(long, default_value = "dynamic-abroad", value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: t::ProxyType,
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
}

/// `proxy/return`.
#[derive(Args)]
pub struct ReturnProxyArgs {
    /// Your name for the (proxy) user.
    #[arg(long, value_name = "NAME")]
    pub app_username: String,
    /// Proxy type.
    #[arg(long, value_name = "NAME", value_parser = DictParser::<t::ProxyType>::new())]
    pub proxy_type: t::ProxyType,
    /// Product number.
    #[arg(long, value_name = "P")]
    pub product_no: String,
    /// IPs to return.
    #[arg(long, value_name = "N")]
    pub ip_num: Option<u64>,
    /// Flow to return, in MB.
    #[arg(long, value_name = "MB")]
    pub flow_num: Option<u64>,
    /// Remark (up to 250 characters).
    #[arg(long)]
    pub remark: Option<String>,
}

/// The instance window and filters shared by `export` and `expiring`.
#[derive(Args, Clone, Debug)]
pub struct InstanceFilter {
    /// Only instances opened from this time, `YYYY-MM-DD hh:mm:ss` (UTC+8, the
    /// platform's zone; default: the platform's own window, a year back).
    #[arg(long, value_name = "TIME", value_parser = parse_query_time)]
    pub opened_from: Option<t::QueryTime>,
    /// Only instances opened until this time, `YYYY-MM-DD hh:mm:ss` (default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_query_time)]
    pub opened_until: Option<t::QueryTime>,
    /// Instances fetched a page, 1..100.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub page_size: u32,
}

/// How `export` writes instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ExportFormat {
    /// `ip:port:user:pass`, one a line.
    #[default]
    Plain,
    /// `socks5://user:pass@ip:port` or `http://...` by the instance's protocol, with
    /// the user and password percent-encoded.
    Url,
    /// CSV with a header: instance, status, protocol, address, credentials, expiry.
    Csv,
    /// One JSON object a line, with the wire's field names.
    Json,
}

/// `export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The output form.
    #[arg(long, value_enum, default_value_t = ExportFormat::Plain)]
    pub format: ExportFormat,
    /// Only instances in this status (repeatable), by name or number.
    #[arg(long, value_name = "STATUS", value_parser = DictParser::<t::InstanceStatus>::new())]
    pub status: Vec<t::InstanceStatus>,
    /// Only instances that expire within this window from now (`3d`, `12h`).
    #[arg(long, value_name = "WINDOW", value_parser = parse_window)]
    pub expiring_within: Option<Duration>,
    /// Which instances to list.
    #[command(flatten)]
    pub filter: InstanceFilter,
}

/// `expiring`.
#[derive(Args)]
pub struct ExpiringArgs {
    /// The window from now (`3d`, `12h`, `2w`).
    #[arg(long, value_name = "WINDOW", value_parser = parse_window, default_value = "3d")]
    pub within: Duration,
    /// Which instances to list.
    #[command(flatten)]
    pub filter: InstanceFilter,
}

/// `raw`.
#[derive(Args)]
pub struct RawArgs {
    /// The path, e.g. `/api/open/app/info/v2`, or just its middle, e.g. `info`.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// The request's JSON params (`-` reads stdin; absent: no params).
    #[arg(value_name = "JSON")]
    pub json: Option<String>,
}

/// `emulator ...`.
#[derive(Subcommand)]
pub enum EmulatorCommand {
    /// Run the emulator in the foreground until Ctrl-C or SIGTERM. Its app key and
    /// secret are the global `--app-key` / `--app-secret` (default: the demo app's).
    Serve(EmulatorServeArgs),
}

/// `emulator serve`.
#[derive(Args)]
pub struct EmulatorServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Where the emulator sends callbacks (overrides the app's default).
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Load state from this file at start and save it there on exit.
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// Allow a non-loopback `--addr`: the emulator's control API is unauthenticated,
    /// so anyone who can reach the address can reset it, move its clock and read its
    /// state.
    #[arg(long)]
    pub allow_remote: bool,
    /// How long each new order stays pending, then processing, before it completes
    /// (`5s`, `250ms`, `2m`; half pending, half processing; default 50ms, `0` completes
    /// orders inside the call that creates them).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub order_delay: Option<Duration>,
    /// Give every static product at least N distinct addresses in stock (default: the
    /// seeded 40 to 500 each), so one account can hold up to N instances of a product;
    /// at most 500000. Applies to a fresh state, not to one loaded from --state-file.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=500_000))]
    pub addresses_per_product: Option<u32>,
}

/// `callback ...`.
#[derive(Subcommand)]
pub enum CallbackCommand {
    /// Receive callbacks, fetch what each names, and print it as one JSON line; a
    /// callback is acknowledged only once printed.
    Listen(CallbackListenArgs),
}

/// `callback listen`.
#[derive(Args)]
pub struct CallbackListenArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub addr: SocketAddr,
    /// Believe callbacks as sent instead of fetching what they name (needs no
    /// credentials; a forged callback is printed like a genuine one).
    #[arg(long, alias = "no-fetch")]
    pub trust_query: bool,
    /// Serve only under `/<TOKEN>/...` (404 elsewhere); register the callback URL with
    /// the token in it. 16 to 128 characters of A-Z a-z 0-9 - _.
    #[arg(
        long,
        env = "IPV_CALLBACK_PATH_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub path_token: Option<String>,
    /// Where claims and handled callbacks are recorded: `memory` (the default; one
    /// listener), or `postgres://user:pw@host/db` / `redis://host:6379` shared by
    /// several listeners behind one callback URL.
    #[arg(
        long,
        env = "IPV_CALLBACK_STORE",
        value_name = "STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// Callbacks waiting to be printed before new ones wait (each is acknowledged only
    /// once printed).
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub queue: usize,
}

/// `codec ...`.
#[derive(Subcommand)]
pub enum CodecCommand {
    /// Raw bytes on stdin -> base64 ciphertext on stdout.
    Encrypt,
    /// Base64 ciphertext on stdin -> raw bytes on stdout.
    Decrypt,
    /// A captured request or response envelope (JSON) on stdin -> its decrypted
    /// params / data as JSON on stdout; the envelope's other fields go to stderr.
    Open(CodecOpenArgs),
}

/// `codec open`.
#[derive(Args)]
pub struct CodecOpenArgs {
    /// Print `{"envelope": {...}, "payload": ...}` on stdout instead of the payload alone.
    #[arg(long)]
    pub with_envelope: bool,
}

/// `demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Days to advance the emulator clock between renewing and releasing.
    #[arg(long, default_value_t = 20, value_name = "DAYS")]
    pub advance_days: u32,
    /// Mark steps `[ok]` / `[FAILED]` instead of ✓ / ✗ (the default without a UTF-8 locale).
    #[arg(long)]
    pub ascii: bool,
}

/// `completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}
