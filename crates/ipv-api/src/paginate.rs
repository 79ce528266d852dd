//! Paged lists as streams of items, with a guard against endless loops.
//!
//! Each stream fetches page after page until a page comes back empty or short, or
//! the reported total is reached. The server's numbers are not taken on trust: a server
//! that ignores the page number (answering page 1 again and again), reports another
//! page than the one asked for, sends a page that adds nothing new (every item on it was
//! on an earlier page), or lists more items than the record can hold (an order's
//! instances beyond its `count`) ends the stream with [`Error::Pagination`] instead of
//! looping or growing; so does going past [`MAX_PAGES`].
//!
//! ```no_run
//! use futures_util::TryStreamExt as _;
//! # async fn run(client: ipv_api::Client) -> Result<(), ipv_api::Error> {
//! let instances: Vec<_> = client.order_instances("ORD-1").try_collect().await?;
//! println!("{} instances", instances.len());
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher as _;

use futures_core::Stream;
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use ipv_types::{
    FlowUsage, FlowUsageLogRequest, Instance, InstanceListRequest, OrderItem, OrderRequest,
    OrdersRequest, Page,
};

use crate::client::Client;
use crate::error::Error;
use crate::validate::MAX_PAGE_SIZE;

/// Most pages one stream fetches before it gives up with [`Error::Pagination`].
pub const MAX_PAGES: u32 = 10_000;

/// Most instances an order's listing may hold when the order does not say how many it
/// was for (its `count` is 0): far more than any order the platform takes.
pub const MAX_ORDER_INSTANCES: u64 = 10_000;

/// One fetched page, reduced to what the guard needs.
pub(crate) struct Fetched<T> {
    pub(crate) items: Vec<T>,
    /// The total number of items the server reports (`None` or 0: unknown).
    pub(crate) total: Option<u64>,
    /// The page number the server says it answered (`None` or 0: not reported).
    pub(crate) page: Option<u64>,
    /// An identity for each item (empty when the items have none), to notice a
    /// repeated page and a page that adds nothing new.
    pub(crate) keys: Vec<String>,
    /// The most items the whole listing can hold, when the record says (an order's
    /// `count`).
    pub(crate) capacity: Option<u64>,
}

impl<T> Fetched<T> {
    fn from_page(page: Page<T>, key: impl Fn(&T) -> Option<String>) -> Self {
        let echoed = if page.cur_page > 0 {
            page.cur_page
        } else {
            page.page
        };
        Self {
            keys: page.list.iter().map_while(key).collect(),
            total: u64::try_from(page.total).ok(),
            page: u64::try_from(echoed).ok(),
            items: page.list,
            capacity: None,
        }
    }
}

/// What an order's listing can hold: its `count`, or [`MAX_ORDER_INSTANCES`] when the
/// count is not given (or larger than that).
pub(crate) fn order_capacity(count: i64) -> u64 {
    u64::try_from(count)
        .ok()
        .filter(|c| *c > 0)
        .map_or(MAX_ORDER_INSTANCES, |c| c.min(MAX_ORDER_INSTANCES))
}

struct Pager<F> {
    fetch: F,
    endpoint: &'static str,
    next_page: u32,
    page_size: u32,
    pages_fetched: u32,
    items_seen: u64,
    previous_first_key: Option<String>,
    /// Hashes of the keys of every item so far (8 bytes each, bounded by the item
    /// limit), to notice a page that adds nothing new.
    seen: HashSet<u64>,
    hasher: RandomState,
    /// The most items the listing can hold, once a page said so.
    capacity: Option<u64>,
    finished: bool,
}

/// A stream of the items of consecutive pages, starting at `first_page`.
pub(crate) fn paginate<T, F, Fut>(
    endpoint: &'static str,
    first_page: u32,
    page_size: u32,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Send + 'static,
    F: FnMut(u32, u32) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Fetched<T>, Error>> + Send + 'static,
{
    let pager = Pager {
        fetch,
        endpoint,
        next_page: first_page.max(1),
        page_size: page_size.clamp(1, MAX_PAGE_SIZE),
        pages_fetched: 0,
        items_seen: 0,
        previous_first_key: None,
        seen: HashSet::new(),
        hasher: RandomState::new(),
        capacity: None,
        finished: false,
    };
    stream::try_unfold(pager, |mut pager| async move {
        if pager.finished {
            return Ok(None);
        }
        if pager.pages_fetched >= MAX_PAGES {
            return Err(pager.fail(format!("gave up after {MAX_PAGES} pages")));
        }
        let asked = pager.next_page;
        let fetched = (pager.fetch)(asked, pager.page_size).await?;
        pager.pages_fetched += 1;
        if let Some(echoed) = fetched.page.filter(|p| *p > 0)
            && echoed != u64::from(asked)
        {
            return Err(pager.fail(format!(
                "asked for page {asked}, the server answered page {echoed}"
            )));
        }
        let first_key = fetched.keys.first().cloned();
        if first_key.is_some() && first_key == pager.previous_first_key {
            return Err(pager.fail(format!(
                "page {asked} starts with the same item as the page before it"
            )));
        }
        if let Some(capacity) = fetched.capacity {
            pager.capacity = Some(pager.capacity.map_or(capacity, |c| c.min(capacity)));
        }
        let count = fetched.items.len() as u64;
        if let Some(capacity) = pager.capacity {
            if let Some(total) = fetched.total.filter(|t| *t > capacity) {
                return Err(pager.fail(format!(
                    "the server reports {total} items, more than the {capacity} the listing can hold; not believed"
                )));
            }
            if pager.items_seen + count > capacity {
                return Err(pager.fail(format!(
                    "the server listed more than the {capacity} items the listing can hold"
                )));
            }
        }
        if count > 0 && fetched.keys.len() as u64 == count {
            let mut new = 0u64;
            for key in &fetched.keys {
                if pager.seen.insert(pager.hasher.hash_one(key)) {
                    new += 1;
                }
            }
            if new == 0 {
                return Err(pager.fail(format!(
                    "page {asked} adds nothing new: every item on it was on an earlier page"
                )));
            }
        }
        pager.items_seen += count;
        let total_reached = fetched
            .total
            .is_some_and(|total| total > 0 && pager.items_seen >= total);
        let capacity_reached = pager.capacity.is_some_and(|c| pager.items_seen >= c);
        pager.finished = count == 0
            || count < u64::from(pager.page_size)
            || total_reached
            || capacity_reached;
        pager.previous_first_key = first_key;
        pager.next_page = asked.saturating_add(1);
        Ok(Some((fetched.items, pager)))
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

impl<F> Pager<F> {
    fn fail(&mut self, reason: String) -> Error {
        self.finished = true;
        Error::Pagination {
            endpoint: self.endpoint,
            reason,
        }
    }
}

fn page_size_or_max(size: Option<u32>) -> u32 {
    size.unwrap_or(MAX_PAGE_SIZE)
}

impl Client {
    /// All instances of an order, page by page (endpoint 15, `order`).
    ///
    /// The listing holds at most what the order was for (its `count`, or
    /// [`MAX_ORDER_INSTANCES`] when it gives none): a server reporting or listing more
    /// ends the stream with [`Error::Pagination`].
    ///
    /// # Errors
    /// Each item is a `Result`: a failed page ends the stream with its error.
    pub fn order_instances(
        &self,
        order_no: impl Into<String>,
    ) -> impl Stream<Item = Result<Instance, Error>> + Send + 'static {
        let client = self.clone();
        let order_no = order_no.into();
        paginate("order", 1, MAX_PAGE_SIZE, move |page, size| {
            let client = client.clone();
            let request = OrderRequest::new(order_no.clone()).with_page(page, size);
            async move {
                let order = client.order(&request).await?;
                Ok(Fetched {
                    keys: order
                        .instances
                        .iter()
                        .map(|i| i.instance_no.clone())
                        .collect(),
                    total: u64::try_from(order.total).ok(),
                    page: u64::try_from(order.page).ok(),
                    capacity: Some(order_capacity(order.count)),
                    items: order.instances,
                })
            }
        })
    }

    /// All orders matching `request`, page by page (endpoint 16, `order/list`), from
    /// `request.page` (default 1) with `request.page_size` (default 100).
    ///
    /// # Errors
    /// Each item is a `Result`: a failed page ends the stream with its error.
    pub fn orders_stream(
        &self,
        request: OrdersRequest,
    ) -> impl Stream<Item = Result<OrderItem, Error>> + Send + 'static {
        let client = self.clone();
        let first = request.page.unwrap_or(1);
        let size = page_size_or_max(request.page_size);
        paginate("orders", first, size, move |page, size| {
            let client = client.clone();
            let mut request = request.clone();
            request.page = Some(page);
            request.page_size = Some(size);
            async move {
                let page = client.orders(&request).await?;
                Ok(Fetched::from_page(page, |o: &OrderItem| {
                    Some(o.order_no.clone()).filter(|s| !s.is_empty())
                }))
            }
        })
    }

    /// All instances matching `request`, page by page (endpoint 18, `instance/list`).
    ///
    /// # Errors
    /// Each item is a `Result`: a failed page ends the stream with its error.
    pub fn instance_list_stream(
        &self,
        request: InstanceListRequest,
    ) -> impl Stream<Item = Result<Instance, Error>> + Send + 'static {
        let client = self.clone();
        let first = request.page.unwrap_or(1);
        let size = page_size_or_max(request.page_size);
        paginate("instance_list", first, size, move |page, size| {
            let client = client.clone();
            let mut request = request.clone();
            request.page = Some(page);
            request.page_size = Some(size);
            async move {
                let page = client.instance_list(&request).await?;
                Ok(Fetched::from_page(page, |i: &Instance| {
                    Some(i.instance_no.clone()).filter(|s| !s.is_empty())
                }))
            }
        })
    }

    /// All usage records matching `request`, page by page (endpoint 27,
    /// `proxy/flow/use/log`).
    ///
    /// # Errors
    /// Each item is a `Result`: a failed page ends the stream with its error.
    pub fn flow_usage_log_stream(
        &self,
        request: FlowUsageLogRequest,
    ) -> impl Stream<Item = Result<FlowUsage, Error>> + Send + 'static {
        let client = self.clone();
        let first = request.page.unwrap_or(1);
        let size = page_size_or_max(request.page_size);
        paginate("flow_usage_log", first, size, move |page, size| {
            let client = client.clone();
            let mut request = request.clone();
            request.page = Some(page);
            request.page_size = Some(size);
            async move {
                let page = client.flow_usage_log(&request).await?;
                // Usage records have no id; the page echo and the total guard them.
                Ok(Fetched::from_page(page, |_: &FlowUsage| None))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_of(items: Vec<u32>, total: u64, page: u64) -> Fetched<u32> {
        Fetched {
            keys: items.iter().map(u32::to_string).collect(),
            items,
            total: Some(total),
            page: Some(page),
            capacity: None,
        }
    }

    async fn collect(stream: impl Stream<Item = Result<u32, Error>>) -> (Vec<u32>, Option<Error>) {
        let mut items = Vec::new();
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match item {
                Ok(v) => items.push(v),
                Err(e) => return (items, Some(e)),
            }
        }
        (items, None)
    }

    #[tokio::test]
    async fn pages_until_the_total() {
        let stream = paginate("t", 1, 2, |page, size| async move {
            let start = (page - 1) * size;
            let items: Vec<u32> = (start..(start + size).min(5)).collect();
            Ok(page_of(items, 5, u64::from(page)))
        });
        let (items, err) = collect(stream).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items, [0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_server_ignoring_the_page_number_is_caught() {
        // Always page 1 with a full page and no useful total: loops without a guard.
        let stream = paginate("t", 1, 2, |_page, _size| async move {
            Ok(Fetched {
                items: vec![1, 2],
                total: None,
                page: None,
                keys: vec!["1".to_owned(), "2".to_owned()],
                capacity: None,
            })
        });
        let (items, err) = collect(stream).await;
        assert_eq!(items, [1, 2]);
        let err = err.expect("the guard fires");
        assert!(
            matches!(err, Error::Pagination { endpoint: "t", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("same item"), "{err}");
    }

    #[tokio::test]
    async fn a_wrong_page_echo_is_caught() {
        let stream = paginate("t", 1, 2, |_page, _size| async move {
            Ok(page_of(vec![7, 8], 100, 1))
        });
        let (items, err) = collect(stream).await;
        assert_eq!(items, [7, 8]);
        assert!(err.unwrap().to_string().contains("asked for page 2"));
    }

    #[tokio::test]
    async fn an_endless_server_without_ids_stops_at_the_page_limit() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = calls.clone();
        let stream = paginate("t", 1, 1, move |page, _size| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move {
                Ok(Fetched {
                    items: vec![page],
                    total: None,
                    page: None,
                    keys: Vec::new(),
                    capacity: None,
                })
            }
        });
        let (items, err) = collect(stream).await;
        assert_eq!(items.len() as u32, MAX_PAGES);
        assert!(err.unwrap().to_string().contains("gave up after"));
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), MAX_PAGES);
    }

    #[tokio::test]
    async fn a_page_of_items_seen_before_is_caught() {
        // Pages 1, 2, then page 1's items again under a new first item order.
        let stream = paginate("t", 1, 2, |page, _size| async move {
            let items = match page {
                1 => vec![1, 2],
                2 => vec![3, 4],
                _ => vec![2, 1],
            };
            Ok(page_of(items, 1_000_000_000, u64::from(page)))
        });
        let (items, err) = collect(stream).await;
        assert_eq!(items, [1, 2, 3, 4]);
        assert!(err.unwrap().to_string().contains("adds nothing new"));
    }

    #[tokio::test]
    async fn a_listing_larger_than_its_record_can_hold_is_caught() {
        // The record says 3; the server claims a billion and keeps sending new items.
        let stream = paginate("t", 1, 2, |page, _size| async move {
            let mut fetched = page_of(vec![page * 10, page * 10 + 1], 3, u64::from(page));
            fetched.capacity = Some(3);
            Ok(fetched)
        });
        let (items, err) = collect(stream).await;
        assert_eq!(items, [10, 11]);
        assert!(err.unwrap().to_string().contains("more than the 3"));

        let stream = paginate("t", 1, 2, |page, _size| async move {
            let mut fetched = page_of(vec![page], 1_000_000_000, u64::from(page));
            fetched.capacity = Some(1);
            Ok(fetched)
        });
        let (items, err) = collect(stream).await;
        assert!(items.is_empty());
        assert!(
            err.unwrap()
                .to_string()
                .contains("reports 1000000000 items")
        );
    }

    #[test]
    fn an_order_holds_its_count() {
        assert_eq!(order_capacity(3), 3);
        assert_eq!(order_capacity(0), MAX_ORDER_INSTANCES);
        assert_eq!(order_capacity(-1), MAX_ORDER_INSTANCES);
        assert_eq!(order_capacity(i64::MAX), MAX_ORDER_INSTANCES);
    }

    #[tokio::test]
    async fn an_empty_first_page_ends_at_once() {
        let stream = paginate("t", 1, 10, |_page, _size| async move {
            Ok(page_of(vec![], 0, 1))
        });
        let (items, err) = collect(stream).await;
        assert!(items.is_empty());
        assert!(err.is_none());
    }
}
