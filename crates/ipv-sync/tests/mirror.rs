//! Migrations, and "older never overwrites newer", against a real PostgreSQL.

mod common;

use std::time::Duration;

use ipv_sync::{Mirror, SyncConfig};
use ipv_types::{Instance, InstanceStatus};
use time::OffsetDateTime;

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_twice_and_from_two_processes_at_once() {
    let pg = common::postgres().await;
    // Two "processes" (separate pools) start together on an empty database.
    let (a, b) = tokio::join!(
        Mirror::open(SyncConfig::new(pg.url()).pool_size(2)),
        Mirror::open(SyncConfig::new(pg.url()).pool_size(2)),
    );
    let (a, b) = (a.expect("a"), b.expect("b"));
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    let (ra, rb) = (ra.expect("migrate a"), rb.expect("migrate b"));
    let mut applied = ra.applied.clone();
    applied.extend(rb.applied.iter().copied());
    applied.sort_unstable();
    let all: Vec<i32> = ipv_sync::migrate::MIGRATIONS
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(
        applied, all,
        "each migration applied exactly once between the two"
    );
    assert_eq!(ra.version, rb.version);
    // Twice more: nothing to do.
    let again = a.migrate().await.expect("again");
    assert!(again.applied.is_empty());
    assert_eq!(again.version, ra.version);
    let db = a.pool().get().await.expect("db");
    let recorded: i64 = db
        .query_one("SELECT count(*) FROM ipipv.schema_migrations", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(recorded, all.len() as i64);
    // A second schema in the same database is independent.
    let other = Mirror::connect(SyncConfig::new(pg.url()).schema("shop2"))
        .await
        .expect("other schema");
    let status = ipv_sync::status(&other).await.expect("status");
    assert_eq!(status.version, ra.version);
    assert!(status.rows.values().all(|n| *n == 0));
    assert_eq!(status.rows.len(), 7);
    assert!(
        Mirror::open(SyncConfig::new(pg.url()).schema("bad\"name"))
            .await
            .is_err()
    );
}

fn instance(status: InstanceStatus, ip: &str) -> Instance {
    let mut instance = Instance::default();
    instance.instance_no = "INS-1".to_owned();
    instance.ip = ip.to_owned();
    instance.port = 8000;
    instance.pwd = "secret-1".to_owned();
    instance.status = status;
    instance
}

async fn row(mirror: &Mirror) -> (i32, String) {
    let db = mirror.pool().get().await.expect("db");
    let row = db
        .query_one(
            "SELECT status, ip FROM ipipv.instances WHERE instance_no = 'INS-1'",
            &[],
        )
        .await
        .expect("row");
    (row.get(0), row.get(1))
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_write_after_a_fresh_one_leaves_the_fresh_one() {
    let pg = common::postgres().await;
    let mirror = common::mirror(&pg, true).await;
    let older = OffsetDateTime::now_utc();
    let newer = older + Duration::from_millis(5);
    // The fresh write lands first.
    mirror
        .write_instances(&[instance(InstanceStatus::Released, "10.0.0.2")], newer)
        .await
        .expect("fresh");
    // The stale one (fetched earlier, delayed) arrives after: it changes nothing.
    mirror
        .write_instances(&[instance(InstanceStatus::Running, "10.0.0.1")], older)
        .await
        .expect("stale");
    assert_eq!(row(&mirror).await, (11, "10.0.0.2".to_owned()));
    // A delayed write forced: a fresher write is in progress (its transaction holds
    // the row) when a stale one arrives; the stale statement waits for the row, then
    // PostgreSQL re-checks its WHERE against the committed fresh row: no change.
    let newest = newer + Duration::from_millis(5);
    let mut fresh_db = mirror.pool().get().await.expect("db");
    let fresh_tx = fresh_db.transaction().await.expect("tx");
    let newest_text = newest
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    fresh_tx
        .execute(
            "UPDATE ipipv.instances SET status = 6, ip = '10.0.0.3', \
             fetched_at = $1::text::timestamptz WHERE instance_no = 'INS-1'",
            &[&newest_text],
        )
        .await
        .expect("fresh in progress");
    let stale = mirror.clone();
    let before = older - Duration::from_secs(1);
    let racer = tokio::spawn(async move {
        stale
            .write_instances(&[instance(InstanceStatus::Running, "10.0.0.1")], before)
            .await
    });
    let watcher = mirror.pool().get().await.expect("db");
    let waiting = common::eventually(Duration::from_secs(20), || async {
        watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                 AND query LIKE 'INSERT INTO \"ipipv\".instances%'",
                &[],
            )
            .await
            .map(|r| r.get::<_, i64>(0) > 0)
            .unwrap_or(false)
    })
    .await;
    assert!(waiting, "the stale write never waited for the row");
    fresh_tx.commit().await.expect("commit fresh");
    racer.await.expect("join").expect("stale write");
    assert_eq!(row(&mirror).await, (6, "10.0.0.3".to_owned()));
    // A newer write still goes through.
    mirror
        .write_instances(
            &[instance(InstanceStatus::Running, "10.0.0.4")],
            newest + Duration::from_millis(1),
        )
        .await
        .expect("newer");
    assert_eq!(row(&mirror).await, (3, "10.0.0.4".to_owned()));
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secrets_leaves_passwords_out() {
    let pg = common::postgres().await;
    let mirror = common::mirror(&pg, false).await;
    mirror
        .write_instances(
            &[instance(InstanceStatus::Running, "10.0.0.1")],
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("write");
    let db = mirror.pool().get().await.expect("db");
    let row = db
        .query_one(
            "SELECT pwd, raw::text FROM ipipv.instances WHERE instance_no = 'INS-1'",
            &[],
        )
        .await
        .expect("row");
    assert_eq!(row.get::<_, Option<&str>>(0), None);
    assert!(!row.get::<_, &str>(1).contains("secret-1"));
}
