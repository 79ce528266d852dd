//! How an emulator is set up: its apps, its order schedule, its callback policy and
//! where (if anywhere) it keeps its state.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The appKey of the app every emulator starts with (unless the config says otherwise).
pub const DEFAULT_APP_KEY: &str = "AK20240708150154";
/// The secret of the default app (16 bytes: AES-128). Public on purpose: it is a test key.
pub const DEFAULT_APP_SECRET: &str = "qwertyuiop123456";
/// The starting balance of the default app.
pub const DEFAULT_BALANCE: &str = "10000.00";
/// The largest request body the emulator reads (1 MiB); larger bodies get HTTP 413.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// How many callback deliveries run at once unless configured otherwise.
pub const DEFAULT_CALLBACK_CONCURRENCY: usize = 16;
/// The most addresses [`EmulatorConfig::addresses_per_product`] may ask for: with every
/// static product at this size, their blocks still fit 10.0.0.0/8 with room to spare.
pub const MAX_ADDRESSES_PER_PRODUCT: u32 = 500_000;

/// One app (a reseller account) the emulator knows.
///
/// `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppConfig {
    /// The app's public id, sent as `appKey` in every envelope.
    pub app_key: String,
    /// The shared secret: 16, 24 or 32 bytes (AES-128/192/256).
    pub secret: String,
    /// The app's display name (`appName` in `app_info`).
    pub name: String,
    /// The starting balance, a decimal string such as `"10000.00"`.
    pub balance: String,
    /// Where callbacks go (`http://` only), or `None` for no callbacks.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Whether the app uses the bridge by default (`useBridge` 2) or not (1).
    #[serde(default)]
    pub use_bridge: bool,
    /// The app's credit line, shown by `app_info` (decimal string).
    #[serde(default = "zero_string")]
    pub credit: String,
    /// Whether the app is enabled (`status` 1) or disabled (-1).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn zero_string() -> String {
    "0.00".to_owned()
}

fn yes() -> bool {
    true
}

impl AppConfig {
    /// A new app with `balance`, no callback URL, no bridge, no credit.
    pub fn new(
        app_key: impl Into<String>,
        secret: impl Into<String>,
        name: impl Into<String>,
        balance: impl Into<String>,
    ) -> Self {
        Self {
            app_key: app_key.into(),
            secret: secret.into(),
            name: name.into(),
            balance: balance.into(),
            callback_url: None,
            use_bridge: false,
            credit: zero_string(),
            enabled: true,
        }
    }

    /// The default app: [`DEFAULT_APP_KEY`], [`DEFAULT_APP_SECRET`], balance
    /// [`DEFAULT_BALANCE`].
    #[must_use]
    pub fn default_app() -> Self {
        Self::new(
            DEFAULT_APP_KEY,
            DEFAULT_APP_SECRET,
            "ipv emulator app",
            DEFAULT_BALANCE,
        )
    }

    /// Sets the callback URL.
    #[must_use]
    pub fn with_callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Sets whether the app uses the bridge by default.
    #[must_use]
    pub fn with_use_bridge(mut self, use_bridge: bool) -> Self {
        self.use_bridge = use_bridge;
        self
    }

    /// Checks the secret length, the balance and the callback URL.
    ///
    /// # Errors
    /// A message naming the bad field (never its secret value).
    pub fn validate(&self) -> Result<(), String> {
        if self.app_key.is_empty() || self.app_key.len() > 64 {
            return Err("appKey: must be 1 to 64 characters".to_owned());
        }
        if !matches!(self.secret.len(), 16 | 24 | 32) {
            return Err(format!(
                "secret: must be 16, 24 or 32 bytes (got {} bytes)",
                self.secret.len()
            ));
        }
        parse_amount(&self.balance).map_err(|e| format!("balance: {e}"))?;
        parse_amount(&self.credit).map_err(|e| format!("credit: {e}"))?;
        if let Some(url) = &self.callback_url {
            if !url.starts_with("http://") {
                return Err("callbackUrl: only http:// URLs are supported".to_owned());
            }
            url.parse::<http::Uri>()
                .map_err(|_| "callbackUrl: not a valid URL".to_owned())?;
        }
        Ok(())
    }
}

/// Parses a non-negative decimal amount such as `"10000.00"`.
pub(crate) fn parse_amount(text: &str) -> Result<Decimal, String> {
    let value: Decimal = text
        .trim()
        .parse()
        .map_err(|_| "not a decimal number".to_owned())?;
    if value.is_sign_negative() {
        return Err("must not be negative".to_owned());
    }
    Ok(value)
}

impl fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppConfig")
            .field("app_key", &self.app_key)
            .field("secret", &"[redacted]")
            .field("name", &self.name)
            .field("balance", &self.balance)
            .field("callback_url", &self.callback_url)
            .field("use_bridge", &self.use_bridge)
            .field("credit", &self.credit)
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// How long an order waits in each state before moving on.
///
/// An order is `pending` for `to_processing`, then `processing` for `to_done`, then it is
/// delivered (succeeded, partly done or failed). With both at [`Duration::ZERO`] the
/// order is delivered before the purchase call answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderSchedule {
    /// Time from creation to `processing`.
    pub to_processing: Duration,
    /// Time from `processing` to done.
    pub to_done: Duration,
}

impl OrderSchedule {
    /// Orders are delivered before the purchase call answers.
    pub const IMMEDIATE: Self = Self {
        to_processing: Duration::ZERO,
        to_done: Duration::ZERO,
    };

    /// Orders that take `total` from creation to done: half of it `pending`, the rest
    /// `processing` (what `ipv emulator serve --order-delay` sets). Zero is
    /// [`IMMEDIATE`](Self::IMMEDIATE).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipv_emulator::OrderSchedule;
    ///
    /// let slow = OrderSchedule::lasting(Duration::from_secs(5));
    /// assert_eq!(slow.to_processing + slow.to_done, Duration::from_secs(5));
    /// assert!(OrderSchedule::lasting(Duration::ZERO).is_immediate());
    /// ```
    #[must_use]
    pub fn lasting(total: Duration) -> Self {
        let to_processing = total / 2;
        Self {
            to_processing,
            to_done: total - to_processing,
        }
    }

    /// Whether orders complete inside the call that creates them.
    #[must_use]
    pub fn is_immediate(&self) -> bool {
        self.to_processing.is_zero() && self.to_done.is_zero()
    }
}

impl Default for OrderSchedule {
    fn default() -> Self {
        Self {
            to_processing: Duration::from_millis(20),
            to_done: Duration::from_millis(30),
        }
    }
}

/// How callbacks are retried until the receiver answers `{"code":"success"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackPolicy {
    /// Attempts per callback, the first included (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled after each failure.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Deadline for one delivery attempt.
    pub timeout: Duration,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Everything an [`Emulator`](crate::Emulator) needs to start.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The apps; the first is the "default" app. Defaults to [`AppConfig::default_app`].
    pub apps: Vec<AppConfig>,
    /// The order state machine's timing.
    pub order_schedule: OrderSchedule,
    /// Callback retries.
    pub callback_policy: CallbackPolicy,
    /// Where state is persisted (written atomically after every change), if anywhere.
    pub state_file: Option<PathBuf>,
    /// The emulator clock's starting time; `None` = the wall clock at start.
    pub start_time: Option<OffsetDateTime>,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How many answers per app are kept for reqId replay.
    pub reply_cache_per_app: usize,
    /// How many callback deliveries run at once (at least 1; default
    /// [`DEFAULT_CALLBACK_CONCURRENCY`](crate::DEFAULT_CALLBACK_CONCURRENCY)). The other
    /// queued callbacks wait in the outbox.
    pub callback_concurrency: usize,
    /// The per-run token every state-changing control request must carry in the
    /// `X-Emulator-Token` header (and that the dashboard page holds). `None` = a fresh
    /// random token at start ([`EmulatorHandle::control_token`](crate::EmulatorHandle::control_token)).
    /// 16 to 256 characters from `A-Z a-z 0-9 - . _ ~`.
    pub control_token: Option<String>,
    /// Accept control requests whatever their `Host` header says (for an emulator
    /// reached from other machines, `ipv emulator serve --allow-remote`). Off by default:
    /// only loopback names and addresses with the bound port are served, which stops
    /// DNS-rebinding pages.
    pub allow_remote: bool,
    /// The stock of every static product: with `Some(n)`, each sells at least `n`
    /// distinct addresses (its seeded `/24` blocks, then blocks of its own from
    /// 10.0.0.0/8), so an account can hold many instances of one product. At most
    /// [`MAX_ADDRESSES_PER_PRODUCT`]. `None` (the default) keeps the seeded stock (40 to
    /// 500 addresses a product). Applies to a fresh state and to a reset; a state loaded
    /// from a file keeps its catalogue.
    pub addresses_per_product: Option<u32>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            apps: vec![AppConfig::default_app()],
            order_schedule: OrderSchedule::default(),
            callback_policy: CallbackPolicy::default(),
            state_file: None,
            start_time: None,
            body_limit: DEFAULT_BODY_LIMIT,
            reply_cache_per_app: 10_000,
            callback_concurrency: DEFAULT_CALLBACK_CONCURRENCY,
            addresses_per_product: None,
            control_token: None,
            allow_remote: false,
        }
    }
}

impl EmulatorConfig {
    /// Replaces the apps with `apps`.
    #[must_use]
    pub fn with_apps(mut self, apps: Vec<AppConfig>) -> Self {
        self.apps = apps;
        self
    }

    /// Sets the order schedule.
    #[must_use]
    pub fn with_order_schedule(mut self, schedule: OrderSchedule) -> Self {
        self.order_schedule = schedule;
        self
    }

    /// Sets the callback policy.
    #[must_use]
    pub fn with_callback_policy(mut self, policy: CallbackPolicy) -> Self {
        self.callback_policy = policy;
        self
    }

    /// Sets how many callback deliveries run at once (0 counts as 1).
    #[must_use]
    pub fn with_callback_concurrency(mut self, deliveries: usize) -> Self {
        self.callback_concurrency = deliveries;
        self
    }

    /// Persists state to `path`.
    #[must_use]
    pub fn with_state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Uses `token` as the control token instead of a random one (see
    /// [`EmulatorConfig::control_token`]).
    #[must_use]
    pub fn with_control_token(mut self, token: impl Into<String>) -> Self {
        self.control_token = Some(token.into());
        self
    }

    /// Serves control requests addressed to any host name (see
    /// [`EmulatorConfig::allow_remote`]).
    #[must_use]
    pub fn with_allow_remote(mut self, allow: bool) -> Self {
        self.allow_remote = allow;
        self
    }

    /// Starts the clock at `start`.
    #[must_use]
    pub fn with_start_time(mut self, start: OffsetDateTime) -> Self {
        self.start_time = Some(start);
        self
    }

    /// Gives every static product at least `addresses` distinct addresses in stock
    /// (see [`EmulatorConfig::addresses_per_product`]).
    #[must_use]
    pub fn with_addresses_per_product(mut self, addresses: u32) -> Self {
        self.addresses_per_product = Some(addresses);
        self
    }
}
