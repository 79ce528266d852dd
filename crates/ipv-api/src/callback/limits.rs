//! What a verifying receiver may spend on callbacks it cannot yet tell from forgeries:
//! re-fetch budgets (token buckets, per source and in all), a back-off after the
//! platform says "too many", and a bounded memory of numbers that named nothing.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Limits on a verifying receiver's re-fetches; see
/// [`ReceiverBuilder::refetch_limits`](super::ReceiverBuilder::refetch_limits).
///
/// A callback is unsigned, so every re-fetch may be spent on a forgery. Three budgets
/// bound what forgeries cost the platform (and the app's quota there):
///
/// - **lookups that may find nothing**, per source address (IPv6: per /64) and in
///   all. Each re-fetch takes one token from both before its first call (an order
///   looked up again by `appOrderNo` takes another); the tokens come back when the
///   lookup found what the callback named, so genuine callbacks do not wear the budget
///   down, and random numbers from one source run out of it quickly;
/// - **calls in all**: every re-fetch takes a token, found or not, so replaying a
///   real instance's number cannot make unbounded calls either;
/// - after the platform answers HTTP 429 or 503, **no call at all** for a back-off that
///   starts at [`backoff_start`](Self::backoff_start) and doubles up to
///   [`backoff_max`](Self::backoff_max) while the platform keeps refusing.
///
/// A callback that finds a budget empty is answered "retry later" without a call;
/// the platform calls again later.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RefetchLimits {
    /// Lookups that may find nothing, per source: tokens a second (default 5).
    pub per_source_rate: f64,
    /// ... and the bucket's size (default 50).
    pub per_source_burst: u32,
    /// Lookups that may find nothing, all sources together: tokens a second
    /// (default 20).
    pub total_rate: f64,
    /// ... and the bucket's size (default 200).
    pub total_burst: u32,
    /// Re-fetches in all, found or not: tokens a second (default 100).
    pub calls_rate: f64,
    /// ... and the bucket's size (default 1,000).
    pub calls_burst: u32,
    /// The first back-off after a 429 or 503 (default 1 s).
    pub backoff_start: Duration,
    /// The longest back-off (default 30 s).
    pub backoff_max: Duration,
    /// How many sources have a bucket of their own at once (default 4,096; the
    /// fullest are forgotten first, which costs nothing: a new bucket starts full).
    pub max_sources: usize,
}

impl Default for RefetchLimits {
    fn default() -> Self {
        Self {
            per_source_rate: 5.0,
            per_source_burst: 50,
            total_rate: 20.0,
            total_burst: 200,
            calls_rate: 100.0,
            calls_burst: 1000,
            backoff_start: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            max_sources: 4096,
        }
    }
}

impl RefetchLimits {
    /// Sets the per-source budget of lookups that may find nothing.
    #[must_use]
    pub fn per_source(mut self, per_second: f64, burst: u32) -> Self {
        self.per_source_rate = per_second;
        self.per_source_burst = burst;
        self
    }

    /// Sets the all-sources budget of lookups that may find nothing.
    #[must_use]
    pub fn total(mut self, per_second: f64, burst: u32) -> Self {
        self.total_rate = per_second;
        self.total_burst = burst;
        self
    }

    /// Sets the budget of re-fetches in all.
    #[must_use]
    pub fn calls(mut self, per_second: f64, burst: u32) -> Self {
        self.calls_rate = per_second;
        self.calls_burst = burst;
        self
    }

    /// Sets the back-off after a 429 or 503.
    #[must_use]
    pub fn backoff(mut self, start: Duration, max: Duration) -> Self {
        self.backoff_start = start;
        self.backoff_max = max.max(start);
        self
    }

    /// No limits at all (for tests and trusted networks): every bucket is endless and
    /// there is no back-off.
    #[must_use]
    pub fn unlimited() -> Self {
        Self {
            per_source_rate: f64::INFINITY,
            per_source_burst: u32::MAX,
            total_rate: f64::INFINITY,
            total_burst: u32::MAX,
            calls_rate: f64::INFINITY,
            calls_burst: u32::MAX,
            backoff_start: Duration::ZERO,
            backoff_max: Duration::ZERO,
            max_sources: 1,
        }
    }
}

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: u32, now: Instant) -> Self {
        Self {
            tokens: f64::from(burst),
            at: now,
        }
    }

    fn refill(&mut self, rate: f64, burst: u32, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        let added = if rate.is_finite() {
            elapsed * rate
        } else {
            f64::INFINITY
        };
        self.tokens = (self.tokens + added).min(f64::from(burst));
        self.at = now;
    }

    fn has(&self) -> bool {
        self.tokens >= 1.0
    }

    fn give_back(&mut self, burst: u32) {
        self.tokens = (self.tokens + 1.0).min(f64::from(burst));
    }
}

/// The source key of a peer: its IPv4 address, or its IPv6 /64 (one host usually holds
/// a whole /64). IPv4-mapped IPv6 addresses count as IPv4.
#[must_use]
pub(crate) fn source_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

#[derive(Debug)]
struct BudgetState {
    sources: HashMap<IpAddr, Bucket>,
    total: Bucket,
    calls: Bucket,
    backoff_until: Option<Instant>,
    next_backoff: Duration,
}

/// Why a re-fetch may not happen now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A budget is empty.
    Budget,
    /// The platform said "too many" a moment ago.
    BackingOff,
}

/// The re-fetch budgets of one receiver.
#[derive(Debug)]
pub(crate) struct Budget {
    limits: RefetchLimits,
    state: Mutex<BudgetState>,
}

/// Tokens one re-fetch took, to give back if it found what it looked for.
#[derive(Debug, Default)]
pub(crate) struct Spent {
    lookups: u32,
}

impl Budget {
    pub(crate) fn new(limits: RefetchLimits) -> Self {
        let now = Instant::now();
        let state = BudgetState {
            sources: HashMap::new(),
            total: Bucket::full(limits.total_burst, now),
            calls: Bucket::full(limits.calls_burst, now),
            backoff_until: None,
            next_backoff: limits.backoff_start,
        };
        Self {
            limits,
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the tokens for one lookup that may find nothing (`first`: also a call
    /// token), or says why not.
    pub(crate) fn take_lookup(
        &self,
        source: Option<IpAddr>,
        first: bool,
        spent: &mut Spent,
    ) -> Result<(), Refused> {
        self.take_lookup_at(Instant::now(), source, first, spent)
    }

    fn take_lookup_at(
        &self,
        now: Instant,
        source: Option<IpAddr>,
        first: bool,
        spent: &mut Spent,
    ) -> Result<(), Refused> {
        let limits = &self.limits;
        let mut guard = self.lock();
        let state = &mut *guard;
        if let Some(until) = state.backoff_until {
            if now < until {
                return Err(Refused::BackingOff);
            }
            state.backoff_until = None;
        }
        state
            .total
            .refill(limits.total_rate, limits.total_burst, now);
        state
            .calls
            .refill(limits.calls_rate, limits.calls_burst, now);
        if !state.total.has() || (first && !state.calls.has()) {
            return Err(Refused::Budget);
        }
        if let Some(source) = source.map(source_of) {
            if !state.sources.contains_key(&source) && state.sources.len() >= limits.max_sources {
                forget_fullest(&mut state.sources, limits, now);
            }
            let bucket = state
                .sources
                .entry(source)
                .or_insert_with(|| Bucket::full(limits.per_source_burst, now));
            bucket.refill(limits.per_source_rate, limits.per_source_burst, now);
            if !bucket.has() {
                return Err(Refused::Budget);
            }
            bucket.tokens -= 1.0;
        }
        state.total.tokens -= 1.0;
        if first {
            state.calls.tokens -= 1.0;
        }
        spent.lookups += 1;
        Ok(())
    }

    /// The lookup found what it looked for: its lookup tokens come back, and the
    /// platform is answering again.
    pub(crate) fn found(&self, source: Option<IpAddr>, spent: Spent) {
        let limits = &self.limits;
        let mut guard = self.lock();
        let state = &mut *guard;
        state.next_backoff = limits.backoff_start;
        for _ in 0..spent.lookups {
            state.total.give_back(limits.total_burst);
            if let Some(bucket) = source.and_then(|s| state.sources.get_mut(&source_of(s))) {
                bucket.give_back(limits.per_source_burst);
            }
        }
    }

    /// The platform answered 429 or 503: no call until the back-off has passed.
    pub(crate) fn back_off(&self) -> Duration {
        self.back_off_at(Instant::now())
    }

    fn back_off_at(&self, now: Instant) -> Duration {
        let mut state = self.lock();
        let wait = state.next_backoff;
        let until = now + wait;
        if state.backoff_until.is_none_or(|u| u < until) {
            state.backoff_until = Some(until);
        }
        state.next_backoff = (wait * 2).min(self.limits.backoff_max);
        wait
    }
}

/// Forgets the buckets that are full (or nearly): forgetting them costs nothing.
fn forget_fullest(sources: &mut HashMap<IpAddr, Bucket>, limits: &RefetchLimits, now: Instant) {
    let mut fullness: Vec<(f64, IpAddr)> = sources
        .iter_mut()
        .map(|(ip, bucket)| {
            bucket.refill(limits.per_source_rate, limits.per_source_burst, now);
            (bucket.tokens, *ip)
        })
        .collect();
    // Forget a quarter at a time, so this runs rarely.
    fullness.sort_by(|a, b| b.0.total_cmp(&a.0));
    let forget = (sources.len() / 4).max(1);
    for (_, ip) in fullness.into_iter().take(forget) {
        sources.remove(&ip);
    }
}

/// Numbers that named nothing a moment ago, remembered for a while so a repeat costs
/// no call. Bounded in entries and in bytes; the oldest go first.
#[derive(Debug)]
pub(crate) struct NegativeCache {
    ttl: Duration,
    max_entries: usize,
    max_bytes: usize,
    state: Mutex<NegativeState>,
}

#[derive(Debug, Default)]
struct NegativeState {
    until: HashMap<String, Instant>,
    order: VecDeque<(String, Instant)>,
    bytes: usize,
}

/// What one remembered number costs: its text twice (map and queue) and overhead.
fn entry_cost(key: &str) -> usize {
    2 * key.len() + 64
}

impl NegativeCache {
    pub(crate) fn new(ttl: Duration, max_entries: usize, max_bytes: usize) -> Self {
        Self {
            ttl,
            max_entries,
            max_bytes,
            state: Mutex::new(NegativeState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NegativeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `key` named nothing less than the TTL ago.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.contains_at(key, Instant::now())
    }

    fn contains_at(&self, key: &str, now: Instant) -> bool {
        self.lock().until.get(key).is_some_and(|until| *until > now)
    }

    /// Remembers that `key` named nothing.
    pub(crate) fn insert(&self, key: &str) {
        if self.ttl.is_zero() || self.max_entries == 0 {
            return;
        }
        let now = Instant::now();
        let until = now + self.ttl;
        let cost = entry_cost(key);
        let mut guard = self.lock();
        let state = &mut *guard;
        if let Some(old) = state.until.get_mut(key) {
            *old = until;
            // The queue keeps the first time; the entry lives on until `until` anyway
            // once the queue reaches it (see `pop_oldest`).
            return;
        }
        while !state.order.is_empty()
            && (state.until.len() >= self.max_entries
                || state.bytes + cost > self.max_bytes
                || state.order.front().is_some_and(|(_, u)| *u <= now))
        {
            pop_oldest(state, now);
        }
        if state.until.len() >= self.max_entries || state.bytes + cost > self.max_bytes {
            return;
        }
        state.until.insert(key.to_owned(), until);
        state.order.push_back((key.to_owned(), until));
        state.bytes += cost;
    }

    /// How many numbers are remembered, and their cost in bytes.
    #[cfg(test)]
    fn size(&self) -> (usize, usize) {
        let state = self.lock();
        (state.until.len(), state.bytes)
    }
}

fn pop_oldest(state: &mut NegativeState, now: Instant) {
    let Some((key, queued_until)) = state.order.pop_front() else {
        return;
    };
    match state.until.get(&key) {
        // Renewed since it was queued and still live: queue it again at the back.
        Some(until) if *until != queued_until && *until > now && state.order.len() > 1 => {
            let until = *until;
            state.order.push_back((key, until));
        }
        Some(_) => {
            state.until.remove(&key);
            state.bytes = state.bytes.saturating_sub(entry_cost(&key));
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_sources_are_grouped_by_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source_of(a), source_of(b));
        assert_ne!(source_of(a), source_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(source_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn one_source_runs_out_and_others_do_not() {
        let now = Instant::now();
        let budget = Budget::new(
            RefetchLimits::default()
                .per_source(1.0, 3)
                .total(100.0, 100),
        );
        let attacker: IpAddr = "192.0.2.1".parse().unwrap();
        let platform: IpAddr = "198.51.100.1".parse().unwrap();
        for _ in 0..3 {
            budget
                .take_lookup_at(now, Some(attacker), true, &mut Spent::default())
                .unwrap();
        }
        assert_eq!(
            budget.take_lookup_at(now, Some(attacker), true, &mut Spent::default()),
            Err(Refused::Budget)
        );
        // Another source still has its own tokens; a found lookup gives them back.
        for _ in 0..10 {
            let mut spent = Spent::default();
            budget
                .take_lookup_at(now, Some(platform), true, &mut spent)
                .unwrap();
            budget.found(Some(platform), spent);
        }
        // A second later the attacker has one token again, and only one.
        let later = now + Duration::from_millis(1001);
        budget
            .take_lookup_at(later, Some(attacker), true, &mut Spent::default())
            .unwrap();
        assert_eq!(
            budget.take_lookup_at(later, Some(attacker), true, &mut Spent::default()),
            Err(Refused::Budget)
        );
    }

    #[test]
    fn found_lookups_still_spend_call_tokens() {
        let now = Instant::now();
        let budget = Budget::new(RefetchLimits::default().calls(1.0, 5));
        let platform: IpAddr = "198.51.100.1".parse().unwrap();
        for _ in 0..5 {
            let mut spent = Spent::default();
            budget
                .take_lookup_at(now, Some(platform), true, &mut spent)
                .unwrap();
            budget.found(Some(platform), spent);
        }
        assert_eq!(
            budget.take_lookup_at(now, Some(platform), true, &mut Spent::default()),
            Err(Refused::Budget)
        );
    }

    #[test]
    fn backoff_doubles_and_ends() {
        let now = Instant::now();
        let budget = Budget::new(
            RefetchLimits::default().backoff(Duration::from_secs(1), Duration::from_secs(3)),
        );
        assert_eq!(budget.back_off_at(now), Duration::from_secs(1));
        assert_eq!(
            budget.take_lookup_at(now, None, true, &mut Spent::default()),
            Err(Refused::BackingOff)
        );
        assert_eq!(budget.back_off_at(now), Duration::from_secs(2));
        assert_eq!(budget.back_off_at(now), Duration::from_secs(3));
        let later = now + Duration::from_secs(4);
        budget
            .take_lookup_at(later, None, true, &mut Spent::default())
            .unwrap();
        // A found lookup resets the back-off to its start.
        budget.found(None, Spent::default());
        assert_eq!(budget.back_off_at(later), Duration::from_secs(1));
    }

    #[test]
    fn many_sources_stay_bounded() {
        let limits = RefetchLimits {
            max_sources: 100,
            ..RefetchLimits::default()
        };
        let budget = Budget::new(limits);
        for i in 0..10_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            let _ = budget.take_lookup(Some(ip), false, &mut Spent::default());
        }
        assert!(budget.lock().sources.len() <= 100);
    }

    #[test]
    fn the_negative_cache_is_bounded_in_entries_and_bytes() {
        let cache = NegativeCache::new(Duration::from_secs(60), 1000, 1 << 20);
        for i in 0..50_000 {
            cache.insert(&format!("order:FORGED-{i:08}"));
            let (entries, bytes) = cache.size();
            assert!(entries <= 1000 && bytes <= 1 << 20, "{entries} {bytes}");
        }
        assert!(cache.contains("order:FORGED-00049999"));
        assert!(!cache.contains("order:FORGED-00000001"));

        let small = NegativeCache::new(Duration::from_secs(60), 1_000_000, 10_000);
        for i in 0..5_000 {
            small.insert(&format!("instance:{}", "x".repeat(i % 200)));
            assert!(small.size().1 <= 10_000);
        }
    }

    #[test]
    fn negative_entries_expire() {
        let cache = NegativeCache::new(Duration::from_secs(60), 10, 10_000);
        cache.insert("order:X");
        assert!(cache.contains("order:X"));
        assert!(!cache.contains_at("order:X", Instant::now() + Duration::from_secs(61)));
    }
}
