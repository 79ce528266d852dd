//! `ipv sync ...`: migrate, backfill, listen, revalidate, status (feature `sync`).

use std::time::Duration;

use ipv_api::callback::{CallbackReceiver, CallbackServer, ServerConfig};
use ipv_sync::{
    BackfillOptions, BackfillProgress, Mirror, RevalidateOptions, RevalidationReport, Status,
    SyncConfig, SyncError, SyncHandler,
};
use serde_json::json;

use crate::cli::OutputFormat;
use crate::cli::sync::{
    SyncBackfillArgs, SyncCommand, SyncDbArgs, SyncListenArgs, SyncRevalidateArgs,
};
use crate::config::{Settings, Target};
use crate::failure::{CmdResult, Failure};
use crate::output::print_json;
use crate::session::build_client;
use ipv_types::text::for_terminal;

/// Runs one `ipv sync` subcommand.
pub(crate) async fn run(settings: &Settings, command: SyncCommand) -> CmdResult {
    match command {
        SyncCommand::Migrate(db) => migrate(settings, &db).await,
        SyncCommand::Backfill(args) => backfill(settings, &args).await,
        SyncCommand::Listen(args) => listen(settings, &args).await,
        SyncCommand::Revalidate(args) => revalidate_once(settings, &args).await,
        SyncCommand::Status(db) => status(settings, &db).await,
    }
}

fn config(db: &SyncDbArgs) -> SyncConfig {
    SyncConfig::new(db.database.clone())
        .schema(db.schema.clone())
        .secrets(!db.no_secrets)
}

/// A sync error as a failure: the API's codes exit 1, bad settings 2, the rest 3.
fn failure(err: SyncError) -> Failure {
    match err {
        SyncError::Api(api) => crate::session::api_failure(api),
        SyncError::Config(text) => Failure::usage(text),
        other => Failure::other(other.to_string()),
    }
}

async fn connect(db: &SyncDbArgs) -> CmdResult<Mirror> {
    Mirror::connect(config(db)).await.map_err(failure)
}

/// The API client: sync works against a platform (or an emulator) given by
/// `--endpoint`, never an emulator inside this process (it would vanish with it).
fn client(settings: &Settings) -> CmdResult<ipv_api::Client> {
    let needs = "ipv sync needs the API: pass --endpoint (or --sandbox/--production), \
                 --app-key and an app secret";
    let Target::Remote(url) = &settings.target else {
        return Err(Failure::usage(needs));
    };
    let (Some(app_key), Some((secret, _))) = (&settings.app_key, &settings.secret) else {
        return Err(Failure::usage(needs));
    };
    build_client(settings, url, app_key, secret)
}

fn json_out(settings: &Settings) -> bool {
    settings.output == OutputFormat::Json
}

async fn migrate(settings: &Settings, db: &SyncDbArgs) -> CmdResult {
    let mirror = Mirror::open(config(db)).await.map_err(failure)?;
    let report = mirror.migrate().await.map_err(failure)?;
    if json_out(settings) {
        return print_json(&json!({
            "schema": mirror.schema(),
            "version": report.version,
            "applied": report.applied,
        }));
    }
    if report.applied.is_empty() {
        println!(
            "schema {} is up to date (version {})",
            mirror.schema(),
            report.version
        );
    } else {
        println!(
            "schema {}: applied {:?}, now at version {}",
            mirror.schema(),
            report.applied,
            report.version
        );
    }
    Ok(())
}

fn backfill_options(args: &SyncBackfillArgs) -> CmdResult<BackfillOptions> {
    let mut proxy_users = Vec::new();
    for spec in &args.proxy_users {
        let Some((product, user)) = spec
            .split_once(':')
            .filter(|(p, u)| !p.is_empty() && !u.is_empty())
        else {
            return Err(Failure::usage(format!(
                "--proxy-user: expected PRODUCT_NO:APP_USERNAME (got {:?})",
                for_terminal(spec)
            )));
        };
        proxy_users.push((product.to_owned(), user.to_owned()));
    }
    Ok(BackfillOptions::default()
        .window(args.window)
        .lease(args.lease)
        .workers(usize::from(args.workers))
        .pages_per_write(usize::from(args.pages_per_write))
        .since(args.since.map(ipv_types::QueryTime::instant))
        .accounts(args.accounts.clone())
        .proxy_users(proxy_users))
}

async fn backfill(settings: &Settings, args: &SyncBackfillArgs) -> CmdResult {
    let options = backfill_options(args)?;
    let client = client(settings)?;
    let mirror = connect(&args.db).await?;
    let bar = crate::progress::spinner("backfilling");
    let shown = bar.clone();
    let on_progress = move |p: &BackfillProgress| {
        shown.set_message(format!(
            "run {}, window {}: {} instances, {} orders, {} API calls",
            p.run_id, p.window, p.instances, p.orders, p.api_calls
        ));
    };
    let result = ipv_sync::backfill(&client, &mirror, &options, &on_progress).await;
    bar.finish_and_clear();
    let report = result.map_err(failure)?;
    if json_out(settings) {
        return print_json(&json!({
            "runId": report.run_id,
            "windows": report.windows,
            "instances": report.instances,
            "orders": report.orders,
            "copied": report.copied,
            "products": report.products,
            "accounts": report.accounts,
            "apiCalls": report.api_calls,
        }));
    }
    println!(
        "backfill run {}: {} windows, {} instances, {} orders ({} rows copied, the rest upserted), {} products, {} accounts, {} API calls",
        report.run_id,
        report.windows,
        report.instances,
        report.orders,
        report.copied,
        report.products,
        report.accounts,
        report.api_calls
    );
    Ok(())
}

fn revalidation_line(report: &RevalidationReport) -> String {
    format!(
        "revalidation {}: {} instances and {} orders checked; drift: {} instances, {} orders, balance {}",
        report.id,
        report.instances_checked,
        report.orders_checked,
        report.drift_instances,
        report.drift_orders,
        if report.drift_balance {
            "changed"
        } else {
            "unchanged"
        }
    )
}

async fn revalidate_once(settings: &Settings, args: &SyncRevalidateArgs) -> CmdResult {
    let client = client(settings)?;
    let mirror = connect(&args.db).await?;
    let options = RevalidateOptions::default().horizon(args.horizon);
    let report = ipv_sync::revalidate(&client, &mirror, &options)
        .await
        .map_err(failure)?;
    if json_out(settings) {
        return print_json(&json!({
            "id": report.id,
            "instancesChecked": report.instances_checked,
            "ordersChecked": report.orders_checked,
            "driftInstances": report.drift_instances,
            "driftOrders": report.drift_orders,
            "driftBalance": report.drift_balance,
            "apiCalls": report.api_calls,
        }));
    }
    println!("{}", revalidation_line(&report));
    Ok(())
}

async fn listen(settings: &Settings, args: &SyncListenArgs) -> CmdResult {
    // Secure by default: a callback URL anyone can guess invites forged callbacks
    // (harmless to the mirror, but each costs API calls).
    if args.path_token.is_none() && !args.insecure_no_path_token {
        return Err(Failure::usage(
            "ipv sync listen needs a secret path token: pass --path-token TOKEN (or set \
             IPV_CALLBACK_PATH_TOKEN), or --insecure-no-path-token to serve every path",
        ));
    }
    let client = client(settings)?;
    let mirror = connect(&args.db).await?;
    let mut signals = crate::commands::emulator::Shutdown::install()?;
    let handler = SyncHandler::new(client.clone(), mirror.clone());
    let receiver = CallbackReceiver::builder(handler)
        .shared_store(mirror.callback_store())
        .build(client.clone());
    let mut server_config = ServerConfig::default();
    if let Some(token) = &args.path_token {
        server_config = server_config.with_path_token(token.clone());
    }
    let server = CallbackServer::bind_with(args.addr, receiver, server_config)
        .await
        .map_err(|err| {
            Failure::other(format!(
                "cannot listen for callbacks on {}: {err}",
                args.addr
            ))
        })?;
    let prefix = if args.path_token.is_some() {
        "/<token>"
    } else {
        ""
    };
    eprintln!(
        "mirroring callbacks at http://{}{prefix}/callback into schema {} (Ctrl-C to stop)",
        server.local_addr(),
        mirror.schema()
    );
    let revalidation = (!args.revalidate_every.is_zero()).then(|| {
        tokio::spawn(revalidate_every(
            client,
            mirror.clone(),
            args.revalidate_every,
            RevalidateOptions::default().horizon(args.horizon),
        ))
    });
    // Handled callback keys are kept a week (longer than the platform retries), then
    // purged hourly, so the claims table stays bounded.
    let store = mirror.callback_store();
    let purge = tokio::spawn(async move {
        let mut hourly = tokio::time::interval(Duration::from_secs(3_600));
        loop {
            hourly.tick().await;
            if let Err(err) = store.purge(Duration::from_secs(7 * 86_400)).await {
                eprintln!(
                    "purging callback keys failed: {}",
                    for_terminal(&err.to_string())
                );
            }
        }
    });
    let stopped = signals.wait().await;
    eprintln!("stopping: finishing callbacks in progress");
    purge.abort();
    if let Some(task) = revalidation {
        task.abort();
    }
    server.shutdown().await;
    stopped
}

/// One revalidation pass every `every`, the first at once; a pass another process
/// runs is skipped.
async fn revalidate_every(
    client: ipv_api::Client,
    mirror: Mirror,
    every: Duration,
    options: RevalidateOptions,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match ipv_sync::revalidate(&client, &mirror, &options).await {
            Ok(report) => eprintln!("{}", revalidation_line(&report)),
            Err(SyncError::Busy(_)) => {}
            Err(err) => eprintln!("revalidation failed: {}", for_terminal(&err.to_string())),
        }
    }
}

async fn status(settings: &Settings, db: &SyncDbArgs) -> CmdResult {
    let mirror = Mirror::open(config(db)).await.map_err(failure)?;
    let status = ipv_sync::status(&mirror).await.map_err(failure)?;
    if json_out(settings) {
        let value = serde_json::to_value(&status)
            .map_err(|e| Failure::other(format!("cannot print JSON: {e}")))?;
        return print_json(&value);
    }
    print_status(&status);
    Ok(())
}

fn print_status(status: &Status) {
    println!("schema: {} (version {})", status.schema, status.version);
    for (table, rows) in &status.rows {
        println!("  {table:<20} {rows:>10} rows");
    }
    match &status.backfill {
        Some(b) => println!(
            "backfill: run {} anchored at {}, {}/{} windows done, back to {}{}",
            b.run_id,
            b.anchor,
            b.windows_done,
            b.windows,
            b.oldest_window_start.as_deref().unwrap_or("-"),
            if b.finished {
                ", finished"
            } else {
                ", in progress"
            }
        ),
        None => println!("backfill: never run"),
    }
    match (&status.last_callback, &status.last_callback_at) {
        (Some(cb), Some(at)) => {
            println!("last callback: {} at {at}", for_terminal(&cb.to_string()))
        }
        _ => println!("last callback: none"),
    }
    match &status.last_revalidation {
        Some(r) => println!(
            "last revalidation: {} ({}): {} instances, {} orders checked; drift {} instances, {} orders, balance {}{}",
            r.started_at,
            r.finished_at.as_deref().unwrap_or("unfinished"),
            r.instances_checked,
            r.orders_checked,
            r.drift_instances,
            r.drift_orders,
            if r.drift_balance {
                "changed"
            } else {
                "unchanged"
            },
            r.error
                .as_deref()
                .map(|e| format!("; error: {}", for_terminal(e)))
                .unwrap_or_default()
        ),
        None => println!("last revalidation: none"),
    }
}
