//! Named leases in `engine_leases`: one holder at a time across processes, taken over
//! once it runs out (a holder that died does not block the others for long).

use std::time::Duration;

use crate::{Mirror, SyncError};

/// A fresh random lease token.
pub(crate) fn token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis())
        .unwrap_or(i64::MAX)
        .clamp(1, 86_400_000)
}

/// Takes the lease `name` for `lease` if it is free or ran out; `true` when taken.
pub(crate) async fn take(
    mirror: &Mirror,
    name: &str,
    token: &str,
    lease: Duration,
) -> Result<bool, SyncError> {
    let sql = format!(
        "INSERT INTO {s}.engine_leases AS l (name, token, lease_until) \
         VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond') \
         ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token, lease_until = EXCLUDED.lease_until \
         WHERE l.lease_until <= now() OR l.token = EXCLUDED.token RETURNING 1",
        s = mirror.quoted_schema()
    );
    let client = mirror.client().await?;
    let taken = client
        .query_opt(&sql, &[&name, &token, &millis(lease)])
        .await
        .map_err(|e| SyncError::db("taking a lease", &e))?;
    Ok(taken.is_some())
}

/// Gives the lease back (if still ours).
pub(crate) async fn release(mirror: &Mirror, name: &str, token: &str) -> Result<(), SyncError> {
    let sql = format!(
        "DELETE FROM {s}.engine_leases WHERE name = $1 AND token = $2",
        s = mirror.quoted_schema()
    );
    let client = mirror.client().await?;
    client
        .execute(&sql, &[&name, &token])
        .await
        .map_err(|e| SyncError::db("releasing a lease", &e))?;
    Ok(())
}
