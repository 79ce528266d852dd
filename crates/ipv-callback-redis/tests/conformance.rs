//! The store conformance suite against a real Redis server started for the test
//! (`bash .ci/services` installs it), plus an outage and the retention of done keys.

use std::sync::Arc;
use std::time::Duration;

use ipv_callback_redis::{RedisConfig, RedisStore};
use ipv_callback_store::conformance::{self, Outage};
use ipv_callback_store::{BoxFuture, CallbackStore, Claim, Completion, LeaseToken};
use ipv_test_services::RedisServer;

const OP_TIMEOUT: Duration = Duration::from_secs(3);

fn server() -> RedisServer {
    RedisServer::start().unwrap_or_else(|e| panic!("{e}"))
}

fn config(url: &str) -> RedisConfig {
    RedisConfig::new(url)
        .prefix("conformance:")
        .connect_timeout(Duration::from_secs(2))
        .op_timeout(OP_TIMEOUT)
}

fn factory(url: String) -> impl Fn() -> BoxFuture<'static, Arc<dyn CallbackStore>> {
    move || {
        let url = url.clone();
        Box::pin(async move {
            let store = RedisStore::connect(config(&url))
                .await
                .unwrap_or_else(|e| panic!("connecting to the test Redis: {e}"));
            Arc::new(store) as Arc<dyn CallbackStore>
        })
    }
}

// needs: redis
#[cfg_attr(
    not(ipv_redis),
    ignore = "needs Redis (redis-server): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_conformance_suite() {
    let server = server();
    conformance::run_all(&factory(server.url())).await;
}

struct RedisOutage(RedisServer);

impl Outage for RedisOutage {
    fn stop(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async { tokio::task::block_in_place(|| self.0.stop()) })
    }

    fn start(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            tokio::task::block_in_place(|| self.0.restart())
                .unwrap_or_else(|e| panic!("restarting Redis: {e}"));
        })
    }

    fn keeps_data(&self) -> bool {
        // The test server runs without persistence.
        false
    }
}

// needs: redis
#[cfg_attr(
    not(ipv_redis),
    ignore = "needs Redis (redis-server): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_fails_while_down_and_recovers() {
    let server = server();
    let url = server.url();
    let mut outage = RedisOutage(server);
    conformance::outage_and_recovery(&factory(url), &mut outage, OP_TIMEOUT * 2).await;
}

// needs: redis
#[cfg_attr(
    not(ipv_redis),
    ignore = "needs Redis (redis-server): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_forgets_done_keys_after_the_retention() {
    let server = server();
    let store = RedisStore::connect(config(&server.url()).retention(Duration::from_millis(300)))
        .await
        .unwrap();
    let (a, b) = (LeaseToken::new("a"), LeaseToken::new("b"));
    assert_eq!(
        store.claim("k", &a, Duration::from_secs(60)).await.unwrap(),
        Claim::Claimed
    );
    assert_eq!(store.complete("k", &a).await.unwrap(), Completion::Recorded);
    assert_eq!(
        store.claim("k", &b, Duration::from_secs(60)).await.unwrap(),
        Claim::Done
    );
    // The done marker expires with the retention; then the key is free again.
    let started = std::time::Instant::now();
    loop {
        match store.claim("k", &b, Duration::from_secs(60)).await.unwrap() {
            Claim::Claimed => break,
            Claim::Done => assert!(
                started.elapsed() < Duration::from_secs(30),
                "a done key outlived a 300 ms retention by 30 s"
            ),
            Claim::Busy { .. } => panic!("a done key read as busy"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_connect_fails_quickly_when_nothing_listens() {
    let started = std::time::Instant::now();
    let error = RedisStore::connect(config("redis://127.0.0.1:1/"))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(error.to_string().contains("Redis"), "{error}");
}

// needs: redis
#[cfg_attr(
    not(ipv_redis),
    ignore = "needs Redis (redis-server): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_refuses_keys_over_the_limit_and_long_prefixes() {
    let server = server();
    let store = RedisStore::connect(config(&server.url())).await.unwrap();
    let key = "k".repeat(ipv_callback_store::MAX_KEY_LEN + 1);
    let error = store
        .claim(&key, &LeaseToken::new("a"), Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("over the"), "{error}");
    let error = RedisStore::connect(config(&server.url()).prefix("p".repeat(65)))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("prefix"), "{error}");
}
