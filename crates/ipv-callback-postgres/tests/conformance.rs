//! The store conformance suite against a real PostgreSQL server started for the test
//! (`bash .ci/services` installs it), plus an outage and the purge.

use std::sync::Arc;
use std::time::Duration;

use ipv_callback_postgres::{PostgresConfig, PostgresStore};
use ipv_callback_store::conformance::{self, Outage};
use ipv_callback_store::{BoxFuture, CallbackStore, Claim, Completion, LeaseToken};
use ipv_test_services::PostgresServer;

const OP_TIMEOUT: Duration = Duration::from_secs(3);

fn server() -> PostgresServer {
    PostgresServer::start().unwrap_or_else(|e| panic!("{e}"))
}

fn config(url: &str) -> PostgresConfig {
    PostgresConfig::new(url)
        .table("conformance_claims")
        .pool_size(8)
        .connect_timeout(Duration::from_secs(2))
        .op_timeout(OP_TIMEOUT)
}

fn factory(url: String) -> impl Fn() -> BoxFuture<'static, Arc<dyn CallbackStore>> {
    move || {
        let url = url.clone();
        Box::pin(async move {
            let store = PostgresStore::connect(config(&url))
                .await
                .unwrap_or_else(|e| panic!("connecting to the test database: {e}"));
            Arc::new(store) as Arc<dyn CallbackStore>
        })
    }
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_passes_the_conformance_suite() {
    let server = server();
    conformance::run_all(&factory(server.url())).await;
}

struct PostgresOutage(PostgresServer);

impl Outage for PostgresOutage {
    fn stop(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async { tokio::task::block_in_place(|| self.0.stop()) })
    }

    fn start(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            tokio::task::block_in_place(|| self.0.restart())
                .unwrap_or_else(|e| panic!("restarting PostgreSQL: {e}"));
        })
    }

    fn keeps_data(&self) -> bool {
        true
    }
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_fails_while_down_and_recovers() {
    let server = server();
    let url = server.url();
    let mut outage = PostgresOutage(server);
    conformance::outage_and_recovery(&factory(url), &mut outage, OP_TIMEOUT * 2).await;
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_purges_old_done_keys_and_dead_claims() {
    let server = server();
    let store = PostgresStore::connect(config(&server.url()).table("purge_claims"))
        .await
        .unwrap();
    let (a, b) = (LeaseToken::new("a"), LeaseToken::new("b"));
    store
        .claim("done", &a, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        store.complete("done", &a).await.unwrap(),
        Completion::Recorded
    );
    store
        .claim("dead", &a, Duration::from_millis(1))
        .await
        .unwrap();
    store
        .claim("live", &a, Duration::from_secs(60))
        .await
        .unwrap();
    // A long retention keeps everything.
    assert_eq!(store.purge(Duration::from_secs(3600)).await.unwrap(), 0);
    assert_eq!(
        store
            .claim("done", &b, Duration::from_secs(60))
            .await
            .unwrap(),
        Claim::Done
    );
    // A short one drops the done key and the dead claim once they are older than it (on
    // the database's clock, so polled with a deadline), never a live lease.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut purged = 0;
    while purged < 2 {
        purged += store.purge(Duration::from_millis(20)).await.unwrap();
        assert!(
            std::time::Instant::now() < deadline,
            "{purged} of 2 rows purged after 30 s"
        );
    }
    assert_eq!(purged, 2, "only the done key and the dead claim");
    assert_eq!(
        store
            .claim("done", &b, Duration::from_secs(60))
            .await
            .unwrap(),
        Claim::Claimed
    );
    assert!(matches!(
        store
            .claim("live", &b, Duration::from_secs(60))
            .await
            .unwrap(),
        Claim::Busy { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_refuses_a_table_name_that_is_not_an_identifier() {
    // Checked before any connection is tried.
    let error = PostgresStore::connect(
        PostgresConfig::new("postgres://127.0.0.1:1/x").table("a; drop table b"),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("plain identifier"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_connect_fails_quickly_when_nothing_listens() {
    let started = std::time::Instant::now();
    let error = PostgresStore::connect(config("postgres://postgres@127.0.0.1:1/postgres"))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(error.to_string().contains("PostgreSQL"), "{error}");
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_refuses_keys_over_the_limit() {
    let server = server();
    let store = PostgresStore::connect(config(&server.url())).await.unwrap();
    let key = "k".repeat(ipv_callback_store::MAX_KEY_LEN + 1);
    let error = store
        .claim(&key, &LeaseToken::new("a"), Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("over the"), "{error}");
}
