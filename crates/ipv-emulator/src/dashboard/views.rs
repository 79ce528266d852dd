//! What the dashboard reads: paged, filtered lists built on the server, so a state with
//! 100,000 instances answers with one page, not the whole state. Each view is a
//! [`Control`] method (for Rust callers) and a `GET /__emulator/...` route.

use std::collections::BTreeMap;

use ipv_types::{InstanceStatus, Money, OrderStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::control::{Control, ControlError};
use crate::outbox::{DeliveryAttempt, OUTBOX_LIMIT, OutgoingCallback};
use crate::records::{InstanceRecord, LedgerKind, OrderRecord, shown};
use crate::shared::lock;

/// The most rows one page holds.
pub const MAX_PAGE_SIZE: usize = 500;
/// The most points a balance history returns (the newest).
pub const MAX_BALANCE_POINTS: usize = 1_000;
/// The most instance numbers listed with one order row.
const ORDER_INSTANCES_SHOWN: usize = 20;

/// Which page of a list: 1-based `page`, `per_page` rows (1 to [`MAX_PAGE_SIZE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRequest {
    /// The page, from 1.
    pub page: usize,
    /// Rows per page.
    pub per_page: usize,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: 50,
        }
    }
}

impl PageRequest {
    fn window(self) -> Result<(usize, usize), ControlError> {
        if self.page == 0 {
            return Err(ControlError("page: starts at 1".to_owned()));
        }
        if self.per_page == 0 || self.per_page > MAX_PAGE_SIZE {
            return Err(ControlError(format!("perPage: 1 to {MAX_PAGE_SIZE}")));
        }
        let skip = (self.page - 1).saturating_mul(self.per_page);
        Ok((skip, self.per_page))
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// Rows matching the filter, over all pages.
    pub total: usize,
    /// This page (from 1).
    pub page: usize,
    /// Rows per page.
    pub per_page: usize,
    /// This page's rows.
    pub rows: Vec<T>,
}

/// Filters for [`Control::instances_page`]; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceFilter {
    /// Only this app's instances.
    pub app_key: Option<String>,
    /// Only instances with this status label (`running`, `released`, `closed`, ...).
    pub status: Option<String>,
    /// Only this product.
    pub product_no: Option<String>,
    /// Only live instances that run out within this many days of the emulator clock.
    pub expires_within_days: Option<u32>,
}

/// One instance as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRow {
    /// The app.
    pub app_key: String,
    /// The instance.
    pub instance_no: String,
    /// Its product.
    pub product_no: String,
    /// Status label (`running`, `released`, ...).
    pub status: String,
    /// Address.
    pub ip: String,
    /// Port.
    pub port: u16,
    /// When it runs out, if it does.
    #[serde(with = "time::serde::rfc3339::option")]
    pub user_expired: Option<OffsetDateTime>,
    /// The order that opened it.
    pub order_no: String,
}

/// Filters for [`Control::orders_page`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderFilter {
    /// Only this app's orders.
    pub app_key: Option<String>,
    /// Only orders with this status label (`pending`, `processing`, `succeeded`,
    /// `failed`, `partly done`).
    pub status: Option<String>,
}

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderMove {
    /// The status it moved to.
    pub status: String,
    /// When (emulator time).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One order as the dashboard lists it, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRow {
    /// The app.
    pub app_key: String,
    /// The platform's order number.
    pub order_no: String,
    /// The app's own order number.
    pub app_order_no: String,
    /// `new`, `renew` or `release`.
    pub order_type: String,
    /// Status label now.
    pub status: String,
    /// The moves so far, oldest first (pending, processing, then the final status).
    pub moves: Vec<OrderMove>,
    /// What it charged (or, for a release, what it refunds), in total.
    pub amount: Money,
    /// Refunded because something could not be delivered.
    pub refunded: Money,
    /// Units ordered.
    pub count: u32,
    /// Units delivered.
    pub success_count: u32,
    /// The first instances it created or touched.
    pub instances: Vec<String>,
    /// How many instances it created or touched in all.
    pub instance_count: usize,
    /// Why it failed or was partly done.
    pub note: String,
}

/// One point of an app's balance over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancePoint {
    /// When (emulator time).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The balance after this movement.
    pub balance: Money,
    /// `start`, `charge`, `refund` or `topUp`.
    pub kind: String,
    /// The movement (0 for the start).
    pub amount: Money,
    /// The order, or `topup`, or `return:<user>`.
    pub reference: String,
}

/// An app's money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceHistory {
    /// The app.
    pub app_key: String,
    /// Balance now.
    pub balance: Money,
    /// The app's credit line.
    pub credit: String,
    /// Charges minus refunds so far.
    pub spent: Money,
    /// The newest [`MAX_BALANCE_POINTS`] points, oldest first.
    pub points: Vec<BalancePoint>,
}

/// One product allotment of a main account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllotmentView {
    /// The product.
    pub product_no: String,
    /// Flow bought, MB.
    pub flow_total_mb: u64,
    /// Flow used, MB.
    pub flow_used_mb: u64,
    /// Flow left, MB.
    pub flow_balance_mb: u64,
    /// IPs bought.
    pub ip_total: u64,
    /// IPs used.
    pub ip_used: u64,
}

/// A main account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MainAccountView {
    /// The app.
    pub app_key: String,
    /// The app's name for it.
    pub app_username: String,
    /// The platform's username.
    pub username: String,
    /// Status label.
    pub status: String,
    /// Allotments per product.
    pub allotments: Vec<AllotmentView>,
}

/// A proxy user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyUserView {
    /// The app.
    pub app_key: String,
    /// The app's name for it.
    pub app_username: String,
    /// Its main account.
    pub main_app_username: String,
    /// Status label.
    pub status: String,
    /// Account-wide limit, MB (-1 none).
    pub limit_flow_mb: i64,
    /// Flow used over all products, bytes.
    pub used_bytes: i64,
    /// Per-product limits, bytes (-1 none).
    pub product_limits: BTreeMap<String, i64>,
}

/// The dynamic accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountsView {
    /// Main accounts.
    pub main_accounts: Vec<MainAccountView>,
    /// Proxy users.
    pub proxy_users: Vec<ProxyUserView>,
}

/// A product's stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductStock {
    /// The product.
    pub product_no: String,
    /// Its name.
    pub product_name: String,
    /// Units on sale.
    pub inventory: i64,
}

/// The delivery log, newest first, with what is still queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveriesView {
    /// Attempts logged in all.
    pub total: usize,
    /// The newest attempts (at most the limit asked for).
    pub attempts: Vec<DeliveryAttempt>,
    /// Ids of callbacks still queued for another attempt.
    pub queued: Vec<u64>,
}

fn instance_matches(
    app_key: &str,
    inst: &InstanceRecord,
    filter: &InstanceFilter,
    horizon: Option<OffsetDateTime>,
) -> bool {
    filter.app_key.as_deref().is_none_or(|k| k == app_key)
        && filter
            .status
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(inst.status.label()))
        && filter
            .product_no
            .as_deref()
            .is_none_or(|p| p == inst.product_no)
        && horizon.is_none_or(|h| inst.is_live() && inst.user_expired.is_some_and(|e| e <= h))
}

fn order_moves(order: &OrderRecord) -> Vec<OrderMove> {
    let mut moves = vec![OrderMove {
        status: OrderStatus::Pending.label().to_owned(),
        at: order.created_at,
    }];
    if order.status != OrderStatus::Pending {
        let processing_at = order
            .finished_at
            .map_or(order.processing_at, |f| order.processing_at.min(f));
        moves.push(OrderMove {
            status: OrderStatus::Processing.label().to_owned(),
            at: processing_at,
        });
    }
    if order.status.is_final() {
        moves.push(OrderMove {
            status: order.status.label().to_owned(),
            at: order.finished_at.unwrap_or(order.done_at),
        });
    }
    moves
}

fn order_row(app_key: &str, order: &OrderRecord) -> OrderRow {
    OrderRow {
        app_key: app_key.to_owned(),
        order_no: order.order_no.clone(),
        app_order_no: order.app_order_no.clone(),
        order_type: if order.after_sale {
            "after-sale release".to_owned()
        } else {
            order.order_type.label().to_owned()
        },
        status: order.status.label().to_owned(),
        moves: order_moves(order),
        amount: shown(order.amount),
        refunded: shown(order.refunded),
        count: order.count,
        success_count: order.success_count,
        instances: order
            .instances
            .iter()
            .take(ORDER_INSTANCES_SHOWN)
            .cloned()
            .collect(),
        instance_count: order.instances.len(),
        note: order.note.clone(),
    }
}

fn label_known<T: Copy>(
    all: &[T],
    label: impl Fn(T) -> &'static str,
    given: &str,
    field: &str,
) -> Result<(), ControlError> {
    if all.iter().any(|v| label(*v).eq_ignore_ascii_case(given)) {
        Ok(())
    } else {
        let names: Vec<&str> = all.iter().map(|v| label(*v)).collect();
        Err(ControlError(format!(
            "{field}: one of {}",
            names.join(", ")
        )))
    }
}

impl Control {
    /// One page of instances matching `filter`, in app then instance-number order.
    ///
    /// # Errors
    /// A page of 0, a page size outside 1 to [`MAX_PAGE_SIZE`], an unknown status.
    pub fn instances_page(
        &self,
        filter: &InstanceFilter,
        page: PageRequest,
    ) -> Result<Page<InstanceRow>, ControlError> {
        let (skip, take) = page.window()?;
        if let Some(status) = &filter.status {
            label_known(InstanceStatus::ALL, InstanceStatus::label, status, "status")?;
        }
        let horizon = match filter.expires_within_days {
            Some(days) => Some(
                self.shared
                    .now()
                    .checked_add(time::Duration::days(i64::from(days)))
                    .ok_or_else(|| ControlError("expiresWithinDays: too far ahead".to_owned()))?,
            ),
            None => None,
        };
        let state = lock(&self.shared.state);
        let mut total = 0usize;
        let mut rows = Vec::with_capacity(take);
        for (app_key, app) in &state.apps {
            if filter.app_key.as_deref().is_some_and(|k| k != app_key) {
                continue;
            }
            for inst in app.instances.values() {
                if !instance_matches(app_key, inst, filter, horizon) {
                    continue;
                }
                if total >= skip && rows.len() < take {
                    rows.push(InstanceRow {
                        app_key: app_key.to_string(),
                        instance_no: inst.instance_no.clone(),
                        product_no: inst.product_no.clone(),
                        status: inst.status.label().to_owned(),
                        ip: inst.ip.clone(),
                        port: inst.port,
                        user_expired: inst.user_expired,
                        order_no: inst.order_no.clone(),
                    });
                }
                total += 1;
            }
        }
        Ok(Page {
            total,
            page: page.page,
            per_page: page.per_page,
            rows,
        })
    }

    /// One page of orders matching `filter`, newest first.
    ///
    /// # Errors
    /// As [`Control::instances_page`].
    pub fn orders_page(
        &self,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<OrderRow>, ControlError> {
        let (skip, take) = page.window()?;
        if let Some(status) = &filter.status {
            label_known(OrderStatus::ALL, OrderStatus::label, status, "status")?;
        }
        let state = lock(&self.shared.state);
        let mut matching: Vec<(&str, &OrderRecord)> = state
            .apps
            .iter()
            .filter(|(key, _)| filter.app_key.as_deref().is_none_or(|k| k == key.as_str()))
            .flat_map(|(key, app)| app.orders.values().map(move |o| (key.as_str(), o)))
            .filter(|(_, o)| {
                filter
                    .status
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(o.status.label()))
            })
            .collect();
        matching
            .sort_by(|a, b| (b.1.created_at, &b.1.order_no).cmp(&(a.1.created_at, &a.1.order_no)));
        let rows = matching
            .iter()
            .skip(skip)
            .take(take)
            .map(|(key, order)| order_row(key, order))
            .collect();
        Ok(Page {
            total: matching.len(),
            page: page.page,
            per_page: page.per_page,
            rows,
        })
    }

    /// An app's balance over time, from its ledger.
    ///
    /// # Errors
    /// Unknown app.
    pub fn balance_history(&self, app_key: &str) -> Result<BalanceHistory, ControlError> {
        let now = self.shared.now();
        let state = lock(&self.shared.state);
        let app = state
            .apps
            .get(app_key)
            .ok_or_else(|| ControlError(format!("appKey: no app {app_key}")))?;
        let mut balance = app.starting_balance;
        let mut spent = Money::ZERO;
        let first_at = app.ledger.first().map_or(now, |e| e.at);
        let mut points = vec![BalancePoint {
            at: first_at,
            balance: shown(balance),
            kind: "start".to_owned(),
            amount: Money::ZERO,
            reference: String::new(),
        }];
        for entry in &app.ledger {
            let kind = match entry.kind {
                LedgerKind::Charge => {
                    balance -= entry.amount;
                    spent += entry.amount;
                    "charge"
                }
                LedgerKind::Refund => {
                    balance += entry.amount;
                    spent -= entry.amount;
                    "refund"
                }
                LedgerKind::TopUp => {
                    balance += entry.amount;
                    "topUp"
                }
            };
            points.push(BalancePoint {
                at: entry.at,
                balance: shown(balance),
                kind: kind.to_owned(),
                amount: shown(entry.amount),
                reference: entry.reference.clone(),
            });
        }
        let keep_from = points.len().saturating_sub(MAX_BALANCE_POINTS);
        Ok(BalanceHistory {
            app_key: app_key.to_owned(),
            balance: shown(app.balance),
            credit: app.config.credit.clone(),
            spent: shown(spent),
            points: points.split_off(keep_from),
        })
    }

    /// Main accounts with their flow, and proxy users with their use against the limits.
    #[must_use]
    pub fn accounts(&self) -> AccountsView {
        let state = lock(&self.shared.state);
        let mut view = AccountsView {
            main_accounts: Vec::new(),
            proxy_users: Vec::new(),
        };
        for (app_key, app) in &state.apps {
            for user in app.users.values() {
                view.main_accounts.push(MainAccountView {
                    app_key: app_key.clone(),
                    app_username: user.app_username.clone(),
                    username: user.username.clone(),
                    status: user.status.label().to_owned(),
                    allotments: user
                        .allotments
                        .iter()
                        .map(|(product_no, a)| AllotmentView {
                            product_no: product_no.clone(),
                            flow_total_mb: a.flow_total_mb,
                            flow_used_mb: a.flow_used_mb,
                            flow_balance_mb: a.flow_balance_mb(),
                            ip_total: a.ip_total,
                            ip_used: a.ip_used,
                        })
                        .collect(),
                });
            }
            for user in app.proxy_users.values() {
                view.proxy_users.push(ProxyUserView {
                    app_key: app_key.clone(),
                    app_username: user.app_username.clone(),
                    main_app_username: user.main_app_username.clone(),
                    status: user.status.label().to_owned(),
                    limit_flow_mb: user.limit_flow_mb,
                    used_bytes: user
                        .used_bytes
                        .values()
                        .fold(0i64, |a, b| a.saturating_add(*b)),
                    product_limits: user.product_limits.clone(),
                });
            }
        }
        view
    }

    /// Every product with its stock.
    #[must_use]
    pub fn products(&self) -> Vec<ProductStock> {
        lock(&self.shared.state)
            .catalogue
            .products
            .iter()
            .map(|p| ProductStock {
                product_no: p.product_no.clone(),
                product_name: p.product_name.clone(),
                inventory: p.inventory,
            })
            .collect()
    }

    /// The newest `limit` delivery attempts (at most [`MAX_PAGE_SIZE`]), newest first.
    #[must_use]
    pub fn deliveries(&self, limit: usize) -> DeliveriesView {
        let state = lock(&self.shared.state);
        DeliveriesView {
            total: state.deliveries.len(),
            attempts: state
                .deliveries
                .iter()
                .rev()
                .take(limit.min(MAX_PAGE_SIZE))
                .cloned()
                .collect(),
            queued: state.outbox.iter().map(|c| c.id).collect(),
        }
    }

    /// Sends a logged callback again: it is queued under its id, its attempts count on
    /// from the last one (so it is retried while the policy's attempts remain, and tried
    /// once when they are used up), to the app's callback URL as it is now.
    ///
    /// # Errors
    /// Unknown callback, one still queued, an app without a callback URL, a full outbox.
    pub fn resend_callback(&self, id: u64) -> Result<(), ControlError> {
        let mut state = lock(&self.shared.state);
        if state.outbox.iter().any(|c| c.id == id) {
            return Err(ControlError(format!(
                "id: callback {id} is still queued; it is retried on its own"
            )));
        }
        if state.outbox.len() >= OUTBOX_LIMIT {
            return Err(ControlError("the callback outbox is full".to_owned()));
        }
        let last = state
            .deliveries
            .iter()
            .rev()
            .find(|d| d.id == id)
            .cloned()
            .ok_or_else(|| ControlError(format!("id: no logged callback {id}")))?;
        let url = state
            .apps
            .get(&last.app_key)
            .and_then(|a| a.config.callback_url.clone())
            .ok_or_else(|| ControlError("the app has no callback URL".to_owned()))?;
        let attempts = state
            .deliveries
            .iter()
            .filter(|d| d.id == id)
            .map(|d| d.attempt)
            .max()
            .unwrap_or(0);
        state.outbox.push_back(OutgoingCallback {
            id,
            app_key: last.app_key,
            url,
            kind: last.kind,
            no: last.no,
            op: last.op,
            attempts,
        });
        self.shared.persist(&mut state);
        self.shared.kick();
        Ok(())
    }
}
