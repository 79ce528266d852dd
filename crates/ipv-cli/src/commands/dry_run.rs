//! `--dry-run` on a purchase: the local estimate of what it costs and the balance it
//! would leave. Only reads are sent (the products, the instances renewed, the app's
//! balance); the purchase itself is not.
//!
//! The estimate is `ipv_api::estimate_cost` over the products' published prices. It
//! leaves out what the API does not publish (a bridge fee), says so, and cannot price
//! an open chosen by filters (the platform picks the product): such items are listed
//! without an estimate.

use std::any::Any;
use std::collections::HashMap;

use serde_json::{Value, json};

use ipv_api::estimate_cost;
use ipv_types as t;

use crate::failure::CmdResult;
use crate::output::{Table, print_json, print_text};
use crate::session::Session;

/// One thing the purchase buys, and its estimate (or why there is none).
struct Line {
    what: String,
    estimate: Result<t::Money, String>,
}

/// Prints the estimate for `request` (any purchase request) and the balance after it.
pub(crate) async fn run<R: Any>(session: &Session, request: &R) -> CmdResult {
    let request: &dyn Any = request;
    let mut products = Products::default();
    let lines = if let Some(open) = request.downcast_ref::<t::OpenInstancesRequest>() {
        open_lines(session, &mut products, open).await?
    } else if let Some(open) = request.downcast_ref::<t::OpenAssignedIpRequest>() {
        let mut param = t::OpenParam::by_product(open.product_no.clone(), 1, open.cycle_times);
        param.ext_band_width = open.ext_band_width;
        param.use_bridge = open.use_bridge;
        let product = products.get(session, &open.product_no).await;
        vec![Line {
            what: format!(
                "{} ({}) x {} cycle(s)",
                open.product_no, open.assign_ip, open.cycle_times
            ),
            estimate: product
                .and_then(|p| estimate_cost(&p, &param, None).map_err(|e| e.to_string())),
        }]
    } else if let Some(renew) = request.downcast_ref::<t::RenewInstancesRequest>() {
        renew_lines(session, &mut products, renew).await?
    } else {
        let instances = request
            .downcast_ref::<t::ReleaseInstancesRequest>()
            .map(|r| r.instances.len())
            .or_else(|| {
                request
                    .downcast_ref::<t::AfterSaleReleaseRequest>()
                    .map(|r| r.instances.len())
            })
            .unwrap_or(0);
        vec![Line {
            what: format!("release of {instances} instance(s) (a release spends nothing)"),
            estimate: Ok(t::Money::ZERO),
        }]
    };
    let balance = session.send(&t::AppInfoRequest).await?.coin;
    print(session.json(), &lines, balance)
}

/// The products fetched so far, by number.
#[derive(Default)]
struct Products(HashMap<String, Result<t::Product, String>>);

impl Products {
    async fn get(&mut self, session: &Session, product_no: &str) -> Result<t::Product, String> {
        if !self.0.contains_key(product_no) {
            let fetched = session
                .send(&t::ProductRequest::new(product_no.to_owned()))
                .await
                .map_err(|f| format!("product {product_no}: {}", f.message));
            self.0.insert(product_no.to_owned(), fetched);
        }
        self.0[product_no].clone()
    }
}

async fn open_lines(
    session: &Session,
    products: &mut Products,
    open: &t::OpenInstancesRequest,
) -> CmdResult<Vec<Line>> {
    let mut lines = Vec::with_capacity(open.params.len());
    for param in &open.params {
        let Some(product_no) = param
            .product_no
            .as_deref()
            .filter(|_| param.is_by_product())
        else {
            lines.push(Line {
                what: format!("{} instance(s) chosen by filters", param.count),
                estimate: Err(
                    "the platform picks the product; give --product-no for an estimate".to_owned(),
                ),
            });
            continue;
        };
        let product = products.get(session, product_no).await;
        let bridge = if param.use_bridge.map(|b| b.normalized()) == Some(t::BridgeChoice::No) {
            ""
        } else {
            " + bridge fee, if any (not published)"
        };
        let what = match &product {
            Ok(p) if ipv_api::pricing::is_flow_product(p) => {
                format!("{product_no}: {} MB of flow", param.flow.unwrap_or(0))
            }
            _ => format!(
                "{product_no}: {} instance(s) x {} cycle(s){bridge}",
                param.count, param.cycle_times
            ),
        };
        lines.push(Line {
            what,
            estimate: product
                .and_then(|p| estimate_cost(&p, param, None).map_err(|e| e.to_string())),
        });
    }
    Ok(lines)
}

async fn renew_lines(
    session: &Session,
    products: &mut Products,
    renew: &t::RenewInstancesRequest,
) -> CmdResult<Vec<Line>> {
    let numbers: Vec<String> = renew
        .instances
        .iter()
        .map(|i| i.instance_no.clone())
        .collect();
    let found = session.send(&t::InstancesRequest::new(numbers)).await?;
    let mut lines = Vec::with_capacity(renew.instances.len());
    for item in &renew.instances {
        let cycles = item.cycle_times.or(item.duration).unwrap_or(1);
        let what = format!("renew {} x {cycles} cycle(s)", item.instance_no);
        let Some(instance) = found.iter().find(|i| i.instance_no == item.instance_no) else {
            lines.push(Line {
                what,
                estimate: Err("no such instance".to_owned()),
            });
            continue;
        };
        let estimate = match products.get(session, &instance.product_no).await {
            Ok(product) => crate::commands::reseller::renewal_estimate(&product, instance, cycles),
            Err(why) => Err(why),
        };
        lines.push(Line { what, estimate });
    }
    Ok(lines)
}

fn print(json: bool, lines: &[Line], balance: t::Money) -> CmdResult {
    let total: t::Money = lines.iter().filter_map(|l| l.estimate.as_ref().ok()).sum();
    let unpriced = lines.iter().filter(|l| l.estimate.is_err()).count();
    let after = balance.checked_sub(total);
    if json {
        let items: Vec<Value> = lines
            .iter()
            .map(|l| match &l.estimate {
                Ok(money) => json!({"item": l.what, "estimate": money}),
                Err(why) => json!({"item": l.what, "error": why}),
            })
            .collect();
        return print_json(&json!({
            "dryRun": true,
            "items": items,
            "estimatedTotal": total,
            "unpriced": unpriced,
            "balance": balance,
            "balanceAfter": after,
        }));
    }
    let mut table = Table::new(["item", "estimate"]);
    for line in lines {
        table.push(vec![
            line.what.clone(),
            match &line.estimate {
                Ok(money) => money.to_string(),
                Err(why) => format!("no estimate: {why}"),
            },
        ]);
    }
    let mut text = format!("dry run: nothing was bought\n{table}\n");
    text.push_str(&format!("estimated cost   {total}\n"));
    if unpriced > 0 {
        text.push_str(&format!(
            "                 (plus {unpriced} item(s) without an estimate)\n"
        ));
    }
    text.push_str(&format!("balance now      {balance}\n"));
    match after {
        Some(after) if after.is_negative() => {
            text.push_str(&format!("balance after    {after} (not enough balance)\n"));
        }
        Some(after) => text.push_str(&format!("balance after    {after}\n")),
        None => text.push_str("balance after    (out of range)\n"),
    }
    print_text(&text)
}
