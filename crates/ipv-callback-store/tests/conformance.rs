//! The store conformance suite run against [`MemoryStore`] (one process: every handle
//! is the same store). It cannot go down, so the outage check does not apply.

use std::sync::Arc;

use ipv_callback_store::{CallbackStore, MemoryStore, conformance};

fn factory() -> impl Fn() -> std::future::Ready<Arc<dyn CallbackStore>> {
    let store: Arc<dyn CallbackStore> = Arc::new(MemoryStore::default());
    move || std::future::ready(Arc::clone(&store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_claim_busy_done() {
    conformance::claim_busy_done(&factory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_same_token_renews() {
    conformance::same_token_renews(&factory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_lease_expiry_passes_the_key_on() {
    conformance::lease_expiry_passes_the_key_on(&factory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_token_fences_complete_and_abandon() {
    conformance::token_fences_complete_and_abandon(&factory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_concurrent_claims_have_one_winner() {
    conformance::concurrent_claims_have_one_winner(&factory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_key_lengths() {
    conformance::key_lengths(&factory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_passes_run_all() {
    conformance::run_all(&factory()).await;
}
