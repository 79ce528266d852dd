//! One page of a paged list.

use serde::{Deserialize, Serialize};

/// One page of a paged list (`order/list`, `instance/list`, `proxy/flow/use/log`).
///
/// Every number decodes tolerantly (a number or a numeric string; missing or `null` is 0)
/// and a `null` list is an empty one. Not every endpoint fills every number: the flow-usage
/// log sends only `total` and `curPage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
#[non_exhaustive]
pub struct Page<T> {
    /// The page number asked for (echoed, or the server's default).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub page: i64,
    /// The page size asked for (echoed, or the server's default).
    #[serde(default, deserialize_with = "crate::de::int")]
    pub page_size: i64,
    /// The number of items on all pages.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub total: i64,
    /// The page these items are on.
    #[serde(default, deserialize_with = "crate::de::int")]
    pub cur_page: i64,
    /// The items.
    #[serde(default, deserialize_with = "crate::de::vec")]
    pub list: Vec<T>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            page: 0,
            page_size: 0,
            total: 0,
            cur_page: 0,
            list: Vec::new(),
        }
    }
}

impl<T> Page<T> {
    /// Whether more pages follow this one, judged from `total`, the page number and size.
    ///
    /// Uses `cur_page` (or `page` when `cur_page` is 0) and `page_size` (or the number of
    /// items on this page when `page_size` is 0). An empty page never has more after it.
    #[must_use]
    pub fn has_more(&self) -> bool {
        if self.list.is_empty() {
            return false;
        }
        let page = if self.cur_page > 0 {
            self.cur_page
        } else {
            self.page.max(1)
        };
        let size = if self.page_size > 0 {
            self.page_size
        } else {
            i64::try_from(self.list.len()).unwrap_or(i64::MAX)
        };
        page.saturating_mul(size) < self.total
    }
}
