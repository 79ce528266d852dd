//! Paged lists as streams of items, with a guard against endless loops.
//!
//! Each stream fetches page after page until a page comes back empty or short, or
//! the reported total is reached. A server that ignores the page number (answering
//! page 1 again and again) or reports another page than the one asked for ends the
//! stream with [`Error::Pagination`] instead of looping; so does going past
//! [`MAX_PAGES`].
//!
//! ```no_run
//! use futures_util::TryStreamExt as _;
//! # async fn run(client: ipv_api::Client) -> Result<(), ipv_api::Error> {
//! let instances: Vec<_> = client.order_instances("ORD-1").try_collect().await?;
//! println!("{} instances", instances.len());
//! # Ok(()) }
//! ```

use std::future::Future;

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

/// One fetched page, reduced to what the guard needs.
pub(crate) struct Fetched<T> {
    pub(crate) items: Vec<T>,
    /// The total number of items the server reports (`None` or 0: unknown).
    pub(crate) total: Option<u64>,
    /// The page number the server says it answered (`None` or 0: not reported).
    pub(crate) page: Option<u64>,
    /// An identity for the page's first item, to notice a repeated page.
    pub(crate) first_key: Option<String>,
}

impl<T> Fetched<T> {
    fn from_page(page: Page<T>, key: impl Fn(&T) -> Option<String>) -> Self {
        let echoed = if page.cur_page > 0 {
            page.cur_page
        } else {
            page.page
        };
        Self {
            first_key: page.list.first().and_then(key),
            total: u64::try_from(page.total).ok(),
            page: u64::try_from(echoed).ok(),
            items: page.list,
        }
    }
}

struct Pager<F> {
    fetch: F,
    endpoint: &'static str,
    next_page: u32,
    page_size: u32,
    pages_fetched: u32,
    items_seen: u64,
    previous_first_key: Option<String>,
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
        if fetched.first_key.is_some() && fetched.first_key == pager.previous_first_key {
            return Err(pager.fail(format!(
                "page {asked} starts with the same item as the page before it"
            )));
        }
        let count = fetched.items.len() as u64;
        pager.items_seen += count;
        let total_reached = fetched
            .total
            .is_some_and(|total| total > 0 && pager.items_seen >= total);
        pager.finished = count == 0 || count < u64::from(pager.page_size) || total_reached;
        pager.previous_first_key = fetched.first_key;
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
                    first_key: order.instances.first().map(|i| i.instance_no.clone()),
                    total: u64::try_from(order.total).ok(),
                    page: u64::try_from(order.page).ok(),
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
            first_key: items.first().map(u32::to_string),
            items,
            total: Some(total),
            page: Some(page),
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
                first_key: Some("1".to_owned()),
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
                    first_key: None,
                })
            }
        });
        let (items, err) = collect(stream).await;
        assert_eq!(items.len() as u32, MAX_PAGES);
        assert!(err.unwrap().to_string().contains("gave up after"));
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), MAX_PAGES);
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
