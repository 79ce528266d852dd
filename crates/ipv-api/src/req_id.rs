//! Where reqIds come from.
//!
//! A reqId names one logical call: it is made once per call and sent unchanged on
//! every retry, so the platform can de-duplicate. The default is 128 random bits in
//! hex; tests can fix it or seed it.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// Makes a reqId for each call.
///
/// ```
/// use ipv_api::ReqIdProvider;
///
/// let fixed = ReqIdProvider::fixed("req-1");
/// assert_eq!(fixed.next_id(), "req-1");
///
/// let a = ReqIdProvider::seeded(7);
/// let b = ReqIdProvider::seeded(7);
/// assert_eq!(a.next_id(), b.next_id());
///
/// let random = ReqIdProvider::random();
/// assert_eq!(random.next_id().len(), 32);
/// assert_ne!(random.next_id(), random.next_id());
///
/// let counter = std::sync::atomic::AtomicU32::new(0);
/// let numbered = ReqIdProvider::from_fn(move || {
///     format!("n{}", counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
/// });
/// assert_eq!(numbered.next_id(), "n0");
/// assert_eq!(numbered.next_id(), "n1");
/// ```
#[derive(Clone)]
pub struct ReqIdProvider {
    make: Arc<dyn Fn() -> String + Send + Sync>,
    kind: &'static str,
}

impl ReqIdProvider {
    /// 32 hex digits from the thread's cryptographically secure generator (the default).
    #[must_use]
    pub fn random() -> Self {
        Self {
            make: Arc::new(|| format!("{:032x}", rand::rng().random::<u128>())),
            kind: "random",
        }
    }

    /// The same id for every call (tests; or a caller that builds one client per call).
    #[must_use]
    pub fn fixed(id: impl Into<String>) -> Self {
        let id: String = id.into();
        Self {
            make: Arc::new(move || id.clone()),
            kind: "fixed",
        }
    }

    /// A reproducible sequence of 32-hex-digit ids from `seed` (tests).
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        let rng = Mutex::new(StdRng::seed_from_u64(seed));
        Self {
            make: Arc::new(move || {
                let mut rng = rng.lock().unwrap_or_else(PoisonError::into_inner);
                format!("{:032x}", rng.random::<u128>())
            }),
            kind: "seeded",
        }
    }

    /// Ids from a closure.
    pub fn from_fn(make: impl Fn() -> String + Send + Sync + 'static) -> Self {
        Self {
            make: Arc::new(make),
            kind: "custom",
        }
    }

    /// The next id.
    #[must_use]
    pub fn next_id(&self) -> String {
        (self.make)()
    }
}

impl Default for ReqIdProvider {
    fn default() -> Self {
        Self::random()
    }
}

impl fmt::Debug for ReqIdProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReqIdProvider({})", self.kind)
    }
}
