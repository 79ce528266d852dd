//! A conformance suite for any [`CallbackStore`] (feature `conformance`).
//!
//! Each check is an async function that takes a *factory*: a closure returning a new
//! handle on the same backing store (for a database store, a new connection pool on the
//! same database; for [`MemoryStore`](crate::MemoryStore), a clone of one `Arc`). Several
//! handles stand for several receivers. Every check uses fresh random keys, so checks
//! can run one after the other (or at once) on one database. A check panics, like an
//! `assert!`, when the store breaks the contract.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::sync::Arc;
//! use ipv_callback_store::{CallbackStore, MemoryStore, conformance};
//!
//! let store: Arc<dyn CallbackStore> = Arc::new(MemoryStore::default());
//! let factory = move || {
//!     let store = Arc::clone(&store);
//!     async move { store }
//! };
//! conformance::run_all(&factory).await;
//! # }
//! ```
//!
//! [`outage_and_recovery`] also needs a way to stop and start the backing server: an
//! [`Outage`].

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{BoxFuture, CallbackStore, Claim, Completion, LeaseToken, MAX_KEY_LEN};

/// A lease long enough never to run out during a check, even on a loaded machine.
const LONG: Duration = Duration::from_secs(120);
/// A lease short enough to wait out.
const SHORT: Duration = Duration::from_millis(300);
/// How long a check waits for something that should happen soon (a lease to run out,
/// a server to come back).
const PATIENCE: Duration = Duration::from_secs(30);

/// A unique key prefix per call, so checks never see each other's keys.
fn fresh(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("conf:{name}:{}:{nanos:x}:{n}", std::process::id())
}

fn token(name: &str) -> LeaseToken {
    LeaseToken::new(fresh(name).replace(':', "-"))
}

/// Runs every check that needs no control over the server: claim/busy/done, renewal,
/// lease expiry, token fencing, concurrent claims and key lengths.
pub async fn run_all<F, Fut>(factory: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CallbackStore>>,
{
    claim_busy_done(factory).await;
    same_token_renews(factory).await;
    lease_expiry_passes_the_key_on(factory).await;
    token_fences_complete_and_abandon(factory).await;
    concurrent_claims_have_one_winner(factory).await;
    key_lengths(factory).await;
}

/// A free key is claimed; a second receiver is told Busy with the lease left; only the
/// holder completes it; after that every claim says Done, a second complete says
/// AlreadyDone, and [`is_done`](CallbackStore::is_done) reads it as done (and not
/// before).
pub async fn claim_busy_done<F, Fut>(factory: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CallbackStore>>,
{
    let (a, b) = (factory().await, factory().await);
    let key = fresh("busy");
    let (ta, tb) = (token("a"), token("b"));
    assert!(!b.is_done(&key).await.unwrap(), "a fresh key is not done");
    assert_eq!(a.claim(&key, &ta, LONG).await.unwrap(), Claim::Claimed);
    assert!(!b.is_done(&key).await.unwrap(), "a held key is not done");
    match b.claim(&key, &tb, LONG).await.unwrap() {
        Claim::Busy { lease_left } => {
            if let Some(left) = lease_left {
                assert!(left <= LONG, "lease_left {left:?} over the lease");
            }
        }
        other => panic!("second claim of a held key answered {other:?}"),
    }
    assert_eq!(
        b.complete(&key, &tb).await.unwrap(),
        Completion::LeaseLost,
        "a token that never held the key completed it"
    );
    assert_eq!(a.complete(&key, &ta).await.unwrap(), Completion::Recorded);
    assert!(
        b.is_done(&key).await.unwrap(),
        "a completed key reads as done"
    );
    assert_eq!(b.claim(&key, &tb, LONG).await.unwrap(), Claim::Done);
    assert_eq!(a.claim(&key, &ta, LONG).await.unwrap(), Claim::Done);
    assert_eq!(
        b.complete(&key, &tb).await.unwrap(),
        Completion::AlreadyDone
    );
    // Abandoning a done key changes nothing.
    a.abandon(&key, &ta).await.unwrap();
    assert_eq!(b.claim(&key, &tb, LONG).await.unwrap(), Claim::Done);
}

/// A claim by the token that already holds the key renews it (Claimed), and the
/// key stays Busy for others.
pub async fn same_token_renews<F, Fut>(factory: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CallbackStore>>,
{
    let (a, b) = (factory().await, factory().await);
    let key = fresh("renew");
    let (ta, tb) = (token("a"), token("b"));
    assert_eq!(a.claim(&key, &ta, SHORT).await.unwrap(), Claim::Claimed);
    assert_eq!(a.claim(&key, &ta, LONG).await.unwrap(), Claim::Claimed);
    // The renewed lease is long: still Busy well after the short one would have ended.
    tokio::time::sleep(SHORT * 2).await;
    assert!(
        matches!(b.claim(&key, &tb, LONG).await.unwrap(), Claim::Busy { .. }),
        "a renewed lease ran out at the first lease's end"
    );
    assert_eq!(a.complete(&key, &ta).await.unwrap(), Completion::Recorded);
}

/// A lease that runs out passes the key to the next claim, by any receiver; the old
/// holder can then neither complete nor abandon the new holder's claim.
pub async fn lease_expiry_passes_the_key_on<F, Fut>(factory: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CallbackStore>>,
{
    let (a, b, c) = (factory().await, factory().await, factory().await);
    let key = fresh("expiry");
    let (ta, tb, tc) = (token("a"), token("b"), token("c"));
    assert_eq!(a.claim(&key, &ta, SHORT).await.unwrap(), Claim::Claimed);
    let started = Instant::now();
    loop {
        match b.claim(&key, &tb, LONG).await.unwrap() {
            Claim::Claimed => break,
            Claim::Busy { lease_left } => {
                if let Some(left) = lease_left {
                    assert!(left <= SHORT, "lease_left {left:?} over a {SHORT:?} lease");
                }
            }
            Claim::Done => panic!("a key never completed reads as done"),
        }
        assert!(
            started.elapsed() < PATIENCE,
            "a {SHORT:?} lease still held after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The dead holder's late complete and abandon do not touch b's claim.
    assert_eq!(a.complete(&key, &ta).await.unwrap(), Completion::LeaseLost);
    a.abandon(&key, &ta).await.unwrap();
    assert!(
        matches!(c.claim(&key, &tc, LONG).await.unwrap(), Claim::Busy { .. }),
        "a stale token's abandon freed another holder's claim"
    );
    assert_eq!(b.complete(&key, &tb).await.unwrap(), Completion::Recorded);
    assert_eq!(c.claim(&key, &tc, LONG).await.unwrap(), Claim::Done);
    // Done keys never expire with a lease.
    assert_eq!(a.claim(&key, &ta, SHORT).await.unwrap(), Claim::Done);
}

/// Only the holder's token abandons a claim; an abandoned key is claimed at once by
/// the next receiver; a holder whose lease ran out unclaimed may still complete it
/// (Recorded, then Done) or is told LeaseLost (then the key is free), never anything
/// in between.
pub async fn token_fences_complete_and_abandon<F, Fut>(factory: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CallbackStore>>,
{
    let (a, b) = (factory().await, factory().await);
    let key = fresh("fence");
    let (ta, tb) = (token("a"), token("b"));
    assert_eq!(a.claim(&key, &ta, LONG).await.unwrap(), Claim::Claimed);
    b.abandon(&key, &tb).await.unwrap();
    assert!(
        matches!(b.claim(&key, &tb, LONG).await.unwrap(), Claim::Busy { .. }),
        "another token's abandon freed the claim"
    );
    a.abandon(&key, &ta).await.unwrap();
    assert_eq!(b.claim(&key, &tb, LONG).await.unwrap(), Claim::Claimed);
    assert_eq!(a.complete(&key, &ta).await.unwrap(), Completion::LeaseLost);
    b.abandon(&key, &tb).await.unwrap();

    // A lease that ran out with nobody claiming since: completing it either records
    // the key or reports the lease lost, and the store agrees with its answer.
    let key = fresh("late");
    assert_eq!(a.claim(&key, &ta, SHORT).await.unwrap(), Claim::Claimed);
    tokio::time::sleep(SHORT * 2).await;
    match a.complete(&key, &ta).await.unwrap() {
        Completion::Recorded => {
            assert_eq!(b.claim(&key, &tb, LONG).await.unwrap(), Claim::Done);
        }
        Completion::LeaseLost => {
            assert_eq!(b.claim(&key, &tb, LONG).await.unwrap(), Claim::Claimed);
        }
        Completion::AlreadyDone => panic!("a key nobody completed reads as done"),
    }
}

/// Many receivers race for the same free key: exactly one is told Claimed, the
/// others Busy; repeated over several keys.
pub async fn concurrent_claims_have_one_winner<F, Fut>(factory: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CallbackStore>>,
{
    const HANDLES: usize = 4;
    const RACERS: usize = 16;
    const KEYS: usize = 20;
    let mut handles = Vec::with_capacity(HANDLES);
    for _ in 0..HANDLES {
        handles.push(factory().await);
    }
    for round in 0..KEYS {
        let key: Arc<str> = fresh(&format!("race{round}")).into();
        let mut tasks = Vec::with_capacity(RACERS);
        for racer in 0..RACERS {
            let store = Arc::clone(&handles[racer % HANDLES]);
            let key = Arc::clone(&key);
            tasks.push(tokio::spawn(async move {
                let token = token(&format!("r{racer}"));
                let claim = store.claim(&key, &token, LONG).await.unwrap();
                (claim, token)
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            let (claim, token) = task.await.expect("a racing claim panicked");
            match claim {
                Claim::Claimed => winners.push(token),
                Claim::Busy { .. } => {}
                Claim::Done => panic!("a free key read as done in a race"),
            }
        }
        assert_eq!(winners.len(), 1, "{} winners for one key", winners.len());
        assert_eq!(
            handles[0].complete(&key, &winners[0]).await.unwrap(),
            Completion::Recorded
        );
    }
}

/// A key of [`MAX_KEY_LEN`] bytes works end to end.
pub async fn key_lengths<F, Fut>(factory: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CallbackStore>>,
{
    let a = factory().await;
    let prefix = fresh("long");
    let key = format!("{prefix}{}", "x".repeat(MAX_KEY_LEN - prefix.len()));
    assert_eq!(key.len(), MAX_KEY_LEN);
    let ta = token("a");
    assert_eq!(a.claim(&key, &ta, LONG).await.unwrap(), Claim::Claimed);
    assert_eq!(a.complete(&key, &ta).await.unwrap(), Completion::Recorded);
    assert_eq!(a.claim(&key, &ta, LONG).await.unwrap(), Claim::Done);
}

/// Stops and starts the server behind a store, for [`outage_and_recovery`].
pub trait Outage: Send {
    /// Stops the server (the store's next operations fail).
    fn stop(&mut self) -> BoxFuture<'_, ()>;
    /// Starts it again at the same address (with the same data, if it keeps any).
    fn start(&mut self) -> BoxFuture<'_, ()>;
    /// Whether completed keys survive a stop and start (a database on disk does; a
    /// Redis without persistence does not).
    fn keeps_data(&self) -> bool;
}

/// The store's server goes down: every operation returns an error (never Done, never
/// Claimed) within `bound`; when it comes back, operations work again through the same
/// store handle, without restarting anything.
pub async fn outage_and_recovery<F, Fut>(factory: &F, outage: &mut dyn Outage, bound: Duration)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn CallbackStore>>,
{
    let store = factory().await;
    let done = fresh("outage-done");
    let held = fresh("outage-held");
    let t = token("a");
    assert_eq!(store.claim(&done, &t, LONG).await.unwrap(), Claim::Claimed);
    assert_eq!(
        store.complete(&done, &t).await.unwrap(),
        Completion::Recorded
    );
    assert_eq!(store.claim(&held, &t, LONG).await.unwrap(), Claim::Claimed);

    outage.stop().await;
    let other = token("b");
    for _ in 0..3 {
        let started = Instant::now();
        let claim = store.claim(&done, &other, LONG).await;
        assert!(
            claim.is_err(),
            "claim with the store down answered {claim:?}"
        );
        let claim = store.claim(&fresh("outage-new"), &other, LONG).await;
        assert!(
            claim.is_err(),
            "claim with the store down answered {claim:?}"
        );
        let completion = store.complete(&held, &t).await;
        assert!(
            completion.is_err(),
            "complete with the store down answered {completion:?}"
        );
        let abandoned = store.abandon(&held, &t).await;
        assert!(
            abandoned.is_err(),
            "abandon with the store down answered Ok"
        );
        let took = started.elapsed();
        assert!(
            took < bound * 4,
            "four operations on a store that is down took {took:?}"
        );
    }

    outage.start().await;
    let started = Instant::now();
    let fresh_key = fresh("outage-after");
    loop {
        match store.claim(&fresh_key, &other, LONG).await {
            Ok(claim) => {
                assert_eq!(claim, Claim::Claimed);
                break;
            }
            Err(error) => assert!(
                started.elapsed() < PATIENCE,
                "the store still fails {PATIENCE:?} after its server came back: {error}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        store.complete(&fresh_key, &other).await.unwrap(),
        Completion::Recorded
    );
    assert_eq!(
        store.claim(&fresh_key, &t, LONG).await.unwrap(),
        Claim::Done
    );
    if outage.keeps_data() {
        assert_eq!(store.claim(&done, &other, LONG).await.unwrap(), Claim::Done);
        assert!(
            matches!(
                store.claim(&held, &other, LONG).await.unwrap(),
                Claim::Busy { .. }
            ),
            "a live lease was lost across the restart"
        );
    }
}
