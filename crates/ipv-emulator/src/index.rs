//! Indexes over the state that keep the list endpoints and the order processor fast in a
//! large account: orders and instances sorted by time (newest-first pages of
//! `order/list` and `instance/list` in O(log n + page) instead of a scan, a sort and a
//! copy of the whole account per request), and running instances sorted by expiry (the
//! next expiry, and what is due, without visiting every instance).
//!
//! The indexes are derived data: they are not persisted (a loaded state rebuilds them)
//! and [`crate::state::check_invariants`] checks them against the records.

use std::collections::BTreeSet;

use time::OffsetDateTime;

/// Numbers (order or instance numbers) sorted by (time, number), ascending.
///
/// Emulator time never goes back and numbers grow, so new entries arrive in order and
/// an insert is a push; an entry out of order (a state loaded from a file written by an
/// older emulator, say) is inserted in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TimeIndex {
    entries: Vec<(OffsetDateTime, String)>,
}

impl TimeIndex {
    /// Adds `no` at `at` (nothing changes if it is already there).
    pub(crate) fn insert(&mut self, at: OffsetDateTime, no: &str) {
        let in_order = self
            .entries
            .last()
            .is_none_or(|(t, n)| (*t, n.as_str()) < (at, no));
        if in_order {
            self.entries.push((at, no.to_owned()));
            return;
        }
        if let Err(i) = self
            .entries
            .binary_search_by(|(t, n)| (*t, n.as_str()).cmp(&(at, no)))
        {
            self.entries.insert(i, (at, no.to_owned()));
        }
    }

    /// One page, newest first, of the entries whose time is within `start ..= end`
    /// (either bound may be open): the number of entries in the range, and the numbers on
    /// page `page` (from 1) of `size`. Two binary searches and the page itself.
    pub(crate) fn page_newest_first(
        &self,
        start: Option<OffsetDateTime>,
        end: Option<OffsetDateTime>,
        page: u32,
        size: u32,
    ) -> (usize, Vec<&str>) {
        let lo = start.map_or(0, |s| self.entries.partition_point(|(t, _)| *t < s));
        let hi = end.map_or(self.entries.len(), |e| {
            self.entries.partition_point(|(t, _)| *t <= e)
        });
        let in_range = &self.entries[lo..hi.max(lo)];
        let skip = (page.max(1) as usize - 1).saturating_mul(size as usize);
        let numbers = in_range
            .iter()
            .rev()
            .skip(skip)
            .take(size as usize)
            .map(|(_, n)| n.as_str())
            .collect();
        (in_range.len(), numbers)
    }
}

/// Running instances with an expiry, sorted by (expiry, app key, instance number).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ExpiryIndex {
    entries: BTreeSet<(OffsetDateTime, String, String)>,
}

impl ExpiryIndex {
    /// Moves an instance from `old` to `new` (either may be `None`: not indexed).
    pub(crate) fn update(
        &mut self,
        app_key: &str,
        instance_no: &str,
        old: Option<OffsetDateTime>,
        new: Option<OffsetDateTime>,
    ) {
        if old == new {
            return;
        }
        if let Some(t) = old {
            self.entries
                .remove(&(t, app_key.to_owned(), instance_no.to_owned()));
        }
        if let Some(t) = new {
            self.entries
                .insert((t, app_key.to_owned(), instance_no.to_owned()));
        }
    }

    /// The earliest expiry.
    pub(crate) fn first(&self) -> Option<OffsetDateTime> {
        self.entries.first().map(|(t, _, _)| *t)
    }

    /// Takes out every entry due at `now` (expiry at or before it), earliest first.
    pub(crate) fn take_due(&mut self, now: OffsetDateTime) -> Vec<(String, String)> {
        let mut due = Vec::new();
        while self.entries.first().is_some_and(|(t, _, _)| *t <= now) {
            if let Some((_, app_key, no)) = self.entries.pop_first() {
                due.push((app_key, no));
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s)
    }

    #[test]
    fn pages_are_newest_first_and_ranges_inclusive() {
        let mut index = TimeIndex::default();
        for i in 0..10 {
            index.insert(at(i), &format!("n{i}"));
        }
        // Out of order, and a repeat.
        index.insert(at(3), "n3b");
        index.insert(at(3), "n3b");
        let (total, first) = index.page_newest_first(None, None, 1, 4);
        assert_eq!(total, 11);
        assert_eq!(first, ["n9", "n8", "n7", "n6"]);
        let (_, third) = index.page_newest_first(None, None, 3, 4);
        assert_eq!(third, ["n2", "n1", "n0"]);
        let (total, window) = index.page_newest_first(Some(at(3)), Some(at(5)), 1, 10);
        assert_eq!(total, 4);
        assert_eq!(window, ["n5", "n4", "n3b", "n3"]);
        let (total, empty) = index.page_newest_first(Some(at(6)), Some(at(5)), 1, 10);
        assert_eq!((total, empty.len()), (0, 0));
        let (_, past) = index.page_newest_first(None, None, 9, 4);
        assert!(past.is_empty());
    }

    #[test]
    fn expiries_come_out_in_order() {
        let mut index = ExpiryIndex::default();
        index.update("a", "i1", None, Some(at(5)));
        index.update("a", "i2", None, Some(at(2)));
        index.update("a", "i1", Some(at(5)), Some(at(9)));
        assert_eq!(index.first(), Some(at(2)));
        assert_eq!(index.take_due(at(4)), [("a".to_owned(), "i2".to_owned())]);
        assert_eq!(index.first(), Some(at(9)));
        index.update("a", "i1", Some(at(9)), None);
        assert_eq!(index.first(), None);
    }
}
