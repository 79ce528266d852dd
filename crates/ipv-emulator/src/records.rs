//! The emulator's own records of what happened: orders, instances, accounts, the money
//! ledger, usage, resets and callbacks. They are what the state file holds; the wire
//! DTOs are built from them when an endpoint answers.

use std::collections::BTreeMap;

use ipv_types::{
    AccountStatus, AuthType, InstanceStatus, Money, OpenParam, OrderStatus, OrderType, ProxyType,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Decimal places of every amount of money in an answer (`coin`, `credit`, `amount`,
/// `returnAmount`): the platform's yuan with fen, `"10000.00"`. Charges may carry more
/// places internally (a per-MB price of `0.0040`); answers round them half away from
/// zero and pad, so one call never says `"10000.00"` and the next `"9984.7000"`.
pub(crate) const MONEY_SCALE: u32 = 2;

/// An amount as an answer shows it: [`MONEY_SCALE`] decimal places.
pub(crate) fn shown(amount: Money) -> Money {
    amount.with_scale(MONEY_SCALE)
}

/// One order, of any type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderRecord {
    pub(crate) order_no: String,
    pub(crate) app_order_no: String,
    pub(crate) order_type: OrderType,
    /// An after-sale release (type 3 on the wire, no refund, no release window).
    #[serde(default)]
    pub(crate) after_sale: bool,
    pub(crate) status: OrderStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
    /// When the order moves to processing.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) processing_at: OffsetDateTime,
    /// When the order is delivered.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) done_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) finished_at: Option<OffsetDateTime>,
    pub(crate) lines: Vec<OrderLine>,
    /// Charged (open, renew) or to be refunded (release), in total.
    pub(crate) amount: Money,
    /// Refunded so far because something could not be delivered.
    pub(crate) refunded: Money,
    /// Instances created or touched by the order, in order.
    pub(crate) instances: Vec<String>,
    /// Units ordered (instances, or one per dynamic line).
    pub(crate) count: u32,
    /// Units delivered.
    pub(crate) success_count: u32,
    /// Why the order failed or was partly done, if it was.
    #[serde(default)]
    pub(crate) note: String,
}

/// What one order asks for, line by line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(crate) enum OrderLine {
    /// Open `param.count` instances of `product_no` (or one flow package).
    #[serde(rename_all = "camelCase")]
    Open {
        product_no: String,
        param: Box<OpenParam>,
        /// A specific IP to open (assign-IP orders).
        #[serde(default)]
        assign_ip: Option<String>,
        /// Whether the bridge was charged (decided when the order was placed).
        #[serde(default)]
        bridge: bool,
        amount: Money,
        #[serde(default)]
        delivered: u32,
    },
    /// Extend one instance.
    #[serde(rename_all = "camelCase")]
    Renew {
        instance_no: String,
        cycle_times: u32,
        amount: Money,
        #[serde(default)]
        done: bool,
    },
    /// Release one instance, refunding `refund`.
    #[serde(rename_all = "camelCase")]
    Release {
        instance_no: String,
        refund: Money,
        #[serde(default)]
        done: bool,
    },
}

/// One proxy instance (a static IP, or a dynamic flow package).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstanceRecord {
    pub(crate) instance_no: String,
    pub(crate) product_no: String,
    pub(crate) proxy_type: ProxyType,
    pub(crate) protocol: String,
    pub(crate) use_type: String,
    pub(crate) ip: String,
    pub(crate) port: u16,
    pub(crate) region_id: String,
    pub(crate) country_code: String,
    pub(crate) city_code: String,
    pub(crate) username: String,
    pub(crate) pwd: String,
    pub(crate) order_no: String,
    /// `None` for products sold without a time limit.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) user_expired: Option<OffsetDateTime>,
    pub(crate) flow_total: f64,
    pub(crate) flow_balance: f64,
    pub(crate) status: InstanceStatus,
    pub(crate) renew: bool,
    pub(crate) bridges: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) open_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) renew_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(crate) release_at: Option<OffsetDateTime>,
    /// The CIDR block the IP came from, if any (its stock comes back on release).
    #[serde(default)]
    pub(crate) cidr: Option<String>,
    /// Everything charged for this instance (open share plus renewals), for refunds.
    pub(crate) charged: Money,
    /// A release order for it is in flight.
    #[serde(default)]
    pub(crate) releasing: bool,
    /// The cycle length of its product (for renewals).
    pub(crate) unit: ipv_types::Unit,
    pub(crate) duration: u32,
    /// The main account a dynamic package belongs to.
    #[serde(default)]
    pub(crate) app_username: Option<String>,
}

impl InstanceRecord {
    /// Whether the instance is live (not released or closed).
    pub(crate) fn is_live(&self) -> bool {
        !matches!(
            self.status,
            InstanceStatus::Released | InstanceStatus::Closed
        )
    }
}

/// A main account (the owner of dynamic flow).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MainAccount {
    pub(crate) app_username: String,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) phone: String,
    pub(crate) email: String,
    pub(crate) auth_type: AuthType,
    pub(crate) auth_name: String,
    pub(crate) no: String,
    pub(crate) status: AccountStatus,
    /// Flow and IP allotments per productNo.
    #[serde(default)]
    pub(crate) allotments: BTreeMap<String, Allotment>,
}

/// A main account's dynamic allowance for one product.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Allotment {
    /// Bought, in MB (flow products) .
    pub(crate) flow_total_mb: u64,
    /// Used, in MB.
    pub(crate) flow_used_mb: u64,
    /// Returned, in MB.
    pub(crate) flow_returned_mb: u64,
    /// IPs bought (IP-count products).
    pub(crate) ip_total: u64,
    pub(crate) ip_used: u64,
    pub(crate) ip_returned: u64,
    pub(crate) whitelist: Vec<String>,
    /// What was paid per MB (or per IP), for returns.
    pub(crate) unit_price: Money,
}

impl Allotment {
    pub(crate) fn flow_balance_mb(&self) -> u64 {
        self.flow_total_mb
            .saturating_sub(self.flow_used_mb)
            .saturating_sub(self.flow_returned_mb)
    }

    pub(crate) fn ip_balance(&self) -> u64 {
        self.ip_total
            .saturating_sub(self.ip_used)
            .saturating_sub(self.ip_returned)
    }
}

/// A proxy (sub) account under a main account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProxyUserRecord {
    pub(crate) app_username: String,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) main_app_username: String,
    pub(crate) remark: String,
    pub(crate) status: AccountStatus,
    /// Account-wide limit from `proxy/user`, in MB (-1 none).
    pub(crate) limit_flow_mb: i64,
    /// Per-product limits from `proxy/user/flow/limit`, in bytes (-1 none).
    #[serde(default)]
    pub(crate) product_limits: BTreeMap<String, i64>,
    /// Used flow per product, in bytes.
    #[serde(default)]
    pub(crate) used_bytes: BTreeMap<String, i64>,
}

/// One flow-usage record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageRecord {
    pub(crate) app_username: String,
    pub(crate) product_no: String,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) at: OffsetDateTime,
    pub(crate) used_bytes: i64,
    pub(crate) total_bytes: i64,
    pub(crate) balance_bytes: i64,
    pub(crate) used_seconds: u64,
}

/// A password reset, kept for resetNo idempotency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResetRecord {
    pub(crate) reset_no: String,
    pub(crate) fingerprint: u64,
    /// (instanceNo, newPassword) in request order.
    pub(crate) results: Vec<(String, String)>,
}

/// Money movements: every charge and every refund, so the balance can be audited.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LedgerEntry {
    pub(crate) kind: LedgerKind,
    pub(crate) amount: Money,
    /// The order (or `return:<user>` for flow returns, `topup` for top-ups).
    pub(crate) reference: String,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) at: OffsetDateTime,
}

/// A ledger entry's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum LedgerKind {
    Charge,
    Refund,
    TopUp,
}

/// A cached answer for reqId replay.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CachedReply {
    pub(crate) fingerprint: u64,
    pub(crate) body: String,
}

/// FNV-1a, 64 bits: a stable fingerprint of a request (path + sealed params), the same
/// across runs and builds, so it can be persisted.
pub(crate) fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.iter().copied() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        // Separate the parts so ("ab","c") and ("a","bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
