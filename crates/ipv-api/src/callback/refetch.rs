//! Fetching what a callback names: the platform's current truth, since callbacks are
//! unsigned.

use ipv_types::{
    ApiCode, Callback, CallbackKind, Instance, InstancesRequest, Order, OrderRequest, Product,
    ProductRequest,
};

use serde::Serialize;

use crate::client::Client;
use crate::error::Error;
use crate::validate::MAX_PAGE_SIZE;

/// The most instances [`Client::refetch`] collects for one order, whatever the order
/// says: the platform's largest orders are far smaller, and a bound keeps one callback
/// from costing unbounded memory and calls.
pub const MAX_REFETCHED_INSTANCES: usize = 10_000;

/// What [`Client::refetch`] found for a callback. Serialises as the thing itself, in
/// the platform's wire JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Refetched {
    /// The order, with its instances (every page, up to the order's `total`, its
    /// `count` when that is smaller, and [`MAX_REFETCHED_INSTANCES`]).
    Order(Box<Order>),
    /// The instance.
    Instance(Box<Instance>),
    /// The product.
    Product(Box<Product>),
}

impl Refetched {
    /// The key a receiver claims for this thing in its store: `order:<orderNo>:<type>`
    /// (the platform's order number and the order's own type, whatever the callback's
    /// `no` and `op` said), `instance:<instanceNo>` or `product:<productNo>`.
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            Refetched::Order(order) => order_key(order),
            Refetched::Instance(instance) => {
                format!("{}:{}", CallbackKind::Instance, instance.instance_no)
            }
            Refetched::Product(product) => {
                format!("{}:{}", CallbackKind::Product, product.product_no)
            }
        }
    }

    /// Whether the thing will not change any more as far as this callback is concerned:
    /// an order in a final status (succeeded, failed, partly done). Instances and
    /// products are always "final": each callback announces a change that is already
    /// visible.
    #[must_use]
    pub fn is_final(&self) -> bool {
        match self {
            Refetched::Order(order) => order.status.is_final(),
            Refetched::Instance(_) | Refetched::Product(_) => true,
        }
    }
}

/// Whether an API error says "the thing you named does not exist" (rather than "try
/// again"): the callback names nothing.
fn names_nothing(err: &Error, kind: CallbackKind) -> bool {
    if matches!(err, Error::InvalidInput(_)) {
        // The number cannot even be sent (the platform never issues such numbers).
        return true;
    }
    match (kind, err.api_code()) {
        (CallbackKind::Order, Some(ApiCode::OrderNotFound))
        | (CallbackKind::Instance, Some(ApiCode::InstanceNotFound)) => true,
        // The platform has no "no such product" code: it refuses the productNo as a
        // bad parameter.
        (_, Some(ApiCode::InvalidParams)) => true,
        _ => false,
    }
}

/// The store key of an order: `order:<orderNo>:<type>`.
pub(crate) fn order_key(order: &Order) -> String {
    format!(
        "{}:{}:{}",
        CallbackKind::Order,
        order.order_no,
        order.order_type.as_i64()
    )
}

/// What one order lookup found.
#[derive(Debug, PartialEq)]
pub(crate) enum OrderLookup {
    /// The order, with its first page of instances.
    Found(Box<Order>),
    /// The platform knows no order by that number (worth a lookup by the other kind
    /// of number).
    NoSuchOrder,
    /// The number cannot name an order (refused as a bad parameter).
    NamesNothing,
}

impl Client {
    /// Fetches what a callback is about, since callbacks are unsigned and only the
    /// API's answer can be trusted: the order (with every page of its instances), the
    /// instance or the product by its number. `Ok(None)` when the platform says the
    /// thing does not exist.
    ///
    /// An order callback's `no` is looked up as the platform's `orderNo` first and, if
    /// the platform knows no such order, as the caller's `appOrderNo` (the vendor's
    /// document and its SDK disagree on which one the callback carries). Any other
    /// failure of the first lookup (a 429, say) ends the call: no second lookup.
    ///
    /// # Errors
    /// See [`Error`]; a "not found" answer is `Ok(None)`, not an error.
    pub async fn refetch(&self, callback: &Callback) -> Result<Option<Refetched>, Error> {
        match callback.kind {
            CallbackKind::Order => {
                let mut found = self.order_first_page(&callback.no, false).await?;
                if found == OrderLookup::NoSuchOrder {
                    found = self.order_first_page(&callback.no, true).await?;
                }
                match found {
                    OrderLookup::Found(order) => Ok(Some(Refetched::Order(Box::new(
                        self.rest_of_order(*order).await?,
                    )))),
                    OrderLookup::NoSuchOrder | OrderLookup::NamesNothing => Ok(None),
                }
            }
            CallbackKind::Instance | CallbackKind::Product => self.refetch_other(callback).await,
        }
    }

    /// The first page of an order (instances included), by the platform's `orderNo` or
    /// the caller's `appOrderNo`. One call, whatever the answer.
    pub(crate) async fn order_first_page(
        &self,
        no: &str,
        by_app_no: bool,
    ) -> Result<OrderLookup, Error> {
        let mut request = OrderRequest::new(no).with_page(1, MAX_PAGE_SIZE);
        if by_app_no {
            request = request.with_app_order_no(no);
        }
        match self.order(&request).await {
            Ok(order) => Ok(OrderLookup::Found(Box::new(order))),
            Err(err) if err.api_code() == Some(ApiCode::OrderNotFound) => {
                Ok(OrderLookup::NoSuchOrder)
            }
            Err(err) if names_nothing(&err, CallbackKind::Order) => Ok(OrderLookup::NamesNothing),
            Err(err) => Err(err),
        }
    }

    /// An instance or product callback's thing, in one call.
    pub(crate) async fn refetch_other(
        &self,
        callback: &Callback,
    ) -> Result<Option<Refetched>, Error> {
        let found = match callback.kind {
            CallbackKind::Instance => {
                let request = InstancesRequest::new([callback.no.clone()]);
                self.instances(&request).await.map(|found| {
                    found
                        .into_iter()
                        .find(|i| i.instance_no == callback.no)
                        .map(|i| Refetched::Instance(Box::new(i)))
                })
            }
            CallbackKind::Product | CallbackKind::Order => {
                let request = ProductRequest::new(callback.no.clone());
                self.product(&request)
                    .await
                    .map(|p| Some(Refetched::Product(Box::new(p))))
            }
        };
        match found {
            Err(err) if names_nothing(&err, callback.kind) => Ok(None),
            other => other,
        }
    }

    /// Fetches the order's further pages of instances, up to its bound.
    pub(crate) async fn rest_of_order(&self, mut order: Order) -> Result<Order, Error> {
        let total = usize::try_from(order.total).unwrap_or(0);
        let count = usize::try_from(order.count).unwrap_or(0);
        let mut bound = total.min(MAX_REFETCHED_INSTANCES);
        if count > 0 {
            bound = bound.min(count);
        }
        // What the first page already holds is kept (a page is at most 100).
        bound = bound.max(order.instances.len());
        if total > bound {
            tracing::warn!(
                order_no = %order.order_no,
                total,
                count,
                "order lists more instances than it may have; fetching the first {bound}"
            );
        }
        let page_size = usize::try_from(MAX_PAGE_SIZE).unwrap_or(100);
        let mut page: u32 = 1;
        while order.instances.len() < bound {
            page += 1;
            let request = OrderRequest::new(order.order_no.clone()).with_page(page, MAX_PAGE_SIZE);
            let next = self.order(&request).await?;
            if next.instances.is_empty() {
                break;
            }
            let more = next.instances.len();
            order.instances.extend(next.instances);
            if more < page_size {
                break;
            }
        }
        order.instances.truncate(bound);
        Ok(order)
    }
}
