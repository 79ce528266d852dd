//! `ipv emulator serve`: the emulator in the foreground until Ctrl-C or SIGTERM.

use std::io::Write as _;

use ipv_emulator::{AppConfig, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, EmulatorConfig, OrderSchedule};

use crate::cli::EmulatorServeArgs;
use crate::config::Settings;
use crate::failure::{CmdResult, Failure};
use crate::session::start_emulator;

/// Where the served app's secret came from, as printed at startup.
fn secret_origin(settings: &Settings) -> String {
    match &settings.secret {
        Some((_, source)) => format!("app secret: from {source}"),
        None => format!(
            "app secret: {DEFAULT_APP_SECRET} (the emulator's well-known demo default; it is public, never use it for anything real)"
        ),
    }
}

/// The app the emulator serves: the global `--app-key` / `--app-secret` over the
/// emulator's demo app, with `--callback-url`.
fn served_app(settings: &Settings, args: &EmulatorServeArgs) -> CmdResult<AppConfig> {
    let mut app = AppConfig::default_app();
    if let Some(key) = &settings.app_key {
        app.app_key.clone_from(key);
    }
    if let Some((secret, source)) = &settings.secret {
        app.secret = String::from_utf8(secret.expose().to_vec()).map_err(|_| {
            Failure::usage(format!("the app secret from {source} is not UTF-8 text"))
        })?;
    }
    if let Some(url) = &args.callback_url {
        app = app.with_callback_url(url.clone());
    }
    app.validate()
        .map_err(|why| Failure::usage(format!("emulator app: {why}")))?;
    Ok(app)
}

/// Refuses a non-loopback address unless `--allow-remote`, and warns when it is given.
fn check_reach(args: &EmulatorServeArgs) -> CmdResult {
    if args.addr.ip().is_loopback() {
        return Ok(());
    }
    if !args.allow_remote {
        return Err(Failure::usage(format!(
            "refusing to listen on {}: the emulator's control API (/__emulator/) answers reads unauthenticated (changes need the control token); listen on a loopback address such as 127.0.0.1, or pass --allow-remote",
            args.addr
        )));
    }
    eprintln!(
        "warning: listening on {} (--allow-remote): anyone who can reach it can read the emulator's state through the unauthenticated control API (/__emulator/), and anyone who sees the control token (sent in clear over plain HTTP) can reset it and move its clock",
        args.addr
    );
    Ok(())
}

/// Runs the emulator until a signal; prints its endpoint and app key first.
pub(crate) async fn serve(settings: &Settings, args: &EmulatorServeArgs) -> CmdResult {
    check_reach(args)?;
    let app = served_app(settings, args)?;
    let mut config = EmulatorConfig::default()
        .with_apps(vec![app.clone()])
        .with_allow_remote(args.allow_remote);
    if let Some(token) = &args.control_token {
        config = config.with_control_token(token.clone());
    }
    if let Some(path) = &args.state_file {
        config = config.with_state_file(path.clone());
    }
    if let Some(delay) = args.order_delay {
        config = config.with_order_schedule(OrderSchedule::lasting(delay));
    }
    if let Some(addresses) = args.addresses_per_product {
        config = config.with_addresses_per_product(addresses);
    }
    let mut shutdown = Shutdown::install()?;
    let handle = start_emulator(config, args.addr).await?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "endpoint: {}", handle.base_url())?;
        writeln!(stdout, "app key: {}", app.app_key)?;
        writeln!(stdout, "{}", secret_origin(settings))?;
        if let Some(url) = &app.callback_url {
            writeln!(stdout, "callbacks to: {url}")?;
        }
        if let Some(path) = &args.state_file {
            writeln!(stdout, "state file: {}", path.display())?;
        }
        if let Some(delay) = args.order_delay {
            writeln!(stdout, "orders complete after: {delay:?}")?;
        }
        if let Some(addresses) = args.addresses_per_product {
            writeln!(stdout, "addresses per static product: {addresses}")?;
        }
        writeln!(stdout, "dashboard: {}", handle.dashboard_url())?;
        writeln!(stdout, "control token: {}", handle.control_token())?;
        stdout.flush()?;
    }
    if app.app_key != DEFAULT_APP_KEY || settings.secret.is_some() {
        eprintln!(
            "note: the served app is yours; point commands at it with --endpoint {}",
            handle.base_url()
        );
    }
    eprintln!("serving until Ctrl-C or SIGTERM");
    shutdown.wait().await?;
    eprintln!("stopping the emulator");
    handle.shutdown().await;
    Ok(())
}

/// Ctrl-C and (on Unix) SIGTERM, listened for from the moment it is installed, so a
/// signal that arrives before the first wait is not lost (or fatal).
pub(crate) struct Shutdown {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    /// Installs the handlers now.
    pub(crate) fn install() -> CmdResult<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind: SignalKind, name: &str| {
                signal(kind)
                    .map_err(|err| Failure::other(format!("cannot listen for {name}: {err}")))
            };
            Ok(Self {
                interrupt: listen(SignalKind::interrupt(), "Ctrl-C")?,
                terminate: listen(SignalKind::terminate(), "SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Completes on the first Ctrl-C or SIGTERM.
    pub(crate) async fn wait(&mut self) -> CmdResult {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
            Ok(())
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c()
                .await
                .map_err(|err| Failure::other(format!("cannot listen for Ctrl-C: {err}")))
        }
    }
}
