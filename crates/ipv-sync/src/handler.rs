//! [`SyncHandler`]: callbacks to rows.

use ipv_api::Client;
use ipv_api::callback::{CallbackHandler, Delivery, Refetched};
use serde_json::json;
use time::OffsetDateTime;

use crate::mirror::{begin, commit};
use crate::{Mirror, SyncError};

/// A [`CallbackHandler`] that writes what a callback names into the mirror.
///
/// The receiver already verified the callback (its re-fetch found the thing). The
/// handler fetches it once more, stamped with the time just before that request, and
/// writes it in one transaction: an order with every instance it lists, an instance,
/// a product; the last callback handled is recorded in the same transaction. The stamp
/// is what keeps a late callback from moving a row back: the receiver's own fetch
/// happened at a time the handler does not know. Callbacks and revalidation are thus
/// the same code path: fetch, then write.
///
/// An error (the database is down, the API fails) makes the receiver answer "retry
/// later": nothing is acknowledged that was not written.
#[derive(Debug, Clone)]
pub struct SyncHandler {
    client: Client,
    mirror: Mirror,
}

impl SyncHandler {
    /// A handler writing through `mirror`, fetching through `client`.
    #[must_use]
    pub fn new(client: Client, mirror: Mirror) -> Self {
        Self { client, mirror }
    }

    /// Fetches what `delivery` names and writes it; returns the rows written (0 when
    /// the thing no longer exists, or the mirror already held newer data).
    ///
    /// # Errors
    /// An API or database error.
    pub async fn apply(&self, delivery: &Delivery) -> Result<u64, SyncError> {
        let fetched_at = OffsetDateTime::now_utc();
        let Some(fetched) = self.client.refetch(&delivery.callback).await? else {
            return Ok(0);
        };
        let mut db = self.mirror.client().await?;
        let tx = begin(&mut db).await?;
        let (written, key) = match &fetched {
            Refetched::Order(order) => (
                self.mirror.order_in(&tx, order, fetched_at).await?,
                fetched.key(),
            ),
            Refetched::Instance(instance) => (
                self.mirror
                    .instances_in(&tx, std::slice::from_ref(&**instance), fetched_at)
                    .await?,
                fetched.key(),
            ),
            Refetched::Product(product) => (
                self.mirror
                    .products_in(&tx, std::slice::from_ref(&**product), fetched_at)
                    .await?,
                fetched.key(),
            ),
            _ => (0, fetched.key()),
        };
        let note = json!({
            "type": delivery.callback.kind.to_string(),
            "no": delivery.callback.no,
            "key": key,
            "rows": written,
            "fetched_at": crate::rows::stamp(fetched_at),
        });
        self.mirror.note_callback(&tx, &note).await?;
        commit(tx).await?;
        Ok(written)
    }
}

impl CallbackHandler for SyncHandler {
    type Error = String;

    async fn handle(&self, delivery: Delivery) -> Result<(), String> {
        self.apply(&delivery).await.map(|_| ()).map_err(|err| {
            tracing::warn!(error = %err, "callback not written to the mirror");
            // The platform sees this text: a short reason, nothing from the database.
            match err {
                SyncError::Api(_) => "could not fetch; call again later".to_owned(),
                _ => "mirror unavailable; call again later".to_owned(),
            }
        })
    }
}
