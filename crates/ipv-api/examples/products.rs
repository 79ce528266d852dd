//! Lists products, estimates the cost of one, and (only with `IPV_BUY=1`) buys it and
//! waits for the order.
//!
//! ```text
//! IPV_APP_KEY=AK... IPV_APP_SECRET=... cargo run -p ipv-api --example products
//! IPV_ENDPOINT=http://127.0.0.1:8080 ...   # e.g. against `ipv emulator serve`
//! ```
//!
//! `IPV_ENDPOINT` is the variable the `ipv` command reads too (default here: the sandbox).

use std::time::Duration;

use ipv_api::{Client, Environment, PurchaseIntent, WaitOptions, estimate_cost};
use ipv_types::{OpenInstancesRequest, OpenParam, ProductsRequest, ProxyType};

fn env(name: &str) -> Result<String, Box<dyn std::error::Error>> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

#[tokio::main]
async fn main() {
    // Errors print with Display, one readable line.
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("IPV_ENDPOINT")
        .unwrap_or_else(|_| Environment::Sandbox.base_url().to_owned());
    let client = Client::builder()
        .base_url(base_url)
        .app_key(env("IPV_APP_KEY")?)
        .app_secret(env("IPV_APP_SECRET")?)
        .build()?;

    let info = client.app_info().await?;
    println!("app {:?}: balance {}", info.app_name, info.coin);

    let products = client
        .products(&ProductsRequest::of_types([
            ProxyType::StaticResidentialAbroad,
            ProxyType::StaticCloud,
        ]))
        .await?;
    for product in &products {
        println!(
            "{:<20} {:<40} {:>8} x {} {} (stock {})",
            product.product_no,
            product.product_name,
            product.cost_price,
            product.duration,
            product.unit,
            product.inventory
        );
    }
    let Some(product) = products.iter().find(|p| p.is_purchasable()) else {
        println!("nothing purchasable");
        return Ok(());
    };

    let param = OpenParam::by_product(&product.product_no, 1, 1);
    let cost = estimate_cost(product, &param, None)?;
    println!("one {} for one period costs {cost}", product.product_no);

    if std::env::var("IPV_BUY").as_deref() != Ok("1") {
        println!("set IPV_BUY=1 to buy it");
        return Ok(());
    }
    // The app's own order number makes the purchase safe to retry.
    let app_order_no = format!("EX{}", client.next_req_id().get(..16).unwrap_or("0"));
    let request = OpenInstancesRequest::new(app_order_no, vec![param]);
    let receipt = client.open_instances(&request).await?;
    println!("order {} charged {}", receipt.order_no, receipt.amount);
    let options = WaitOptions::default()
        .with_deadline(Duration::from_secs(120))
        .on_progress(|order| println!("  order is {}", order.status));
    // Checks the order is this purchase's, not an earlier one under the same number.
    let order = client
        .wait_for_purchase(&receipt, &PurchaseIntent::from(&request), options)
        .await?;
    for instance in &order.instances {
        println!(
            "  {} {}:{}",
            instance.instance_no, instance.ip, instance.port
        );
    }
    Ok(())
}
