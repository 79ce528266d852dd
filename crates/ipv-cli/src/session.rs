//! A configured client, and the emulator it talks to when no endpoint was given.

use std::net::SocketAddr;

use ipv_api::endpoint::Endpoint;
use ipv_api::{Client, Error};
use ipv_emulator::{AppConfig, Emulator, EmulatorConfig, EmulatorHandle};
use serde_json::Value;
use time::OffsetDateTime;

use crate::config::{Secret, Settings, Target};
use crate::failure::{CmdResult, Failure};

/// Where the embedded emulator listens: loopback, a free port.
pub(crate) const EMBEDDED_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// A client ready to call, plus the embedded emulator it may be talking to (kept alive
/// as long as the session).
pub(crate) struct Session {
    client: Client,
    /// The base URL of a remote platform (or emulator).
    remote: Option<String>,
    json: bool,
    embedded: Option<EmulatorHandle>,
}

impl Session {
    /// Connects as `settings` say; with no endpoint configured, starts an embedded
    /// emulator first and tells stderr.
    pub(crate) async fn open(settings: &Settings) -> CmdResult<Self> {
        match &settings.target {
            Target::Remote(url) => {
                let app_key = settings.app_key.clone().ok_or_else(|| {
                    Failure::usage("no app key: pass --app-key or set IPV_APP_KEY")
                })?;
                let Some((secret, _)) = &settings.secret else {
                    return Err(Failure::usage(
                        "no app secret: pass --app-secret or --app-secret-file, or set IPV_APP_SECRET",
                    ));
                };
                let client = build_client(settings, url, &app_key, secret)?;
                Ok(Self {
                    client,
                    remote: Some(url.clone()),
                    json: settings.json(),
                    embedded: None,
                })
            }
            Target::Missing => Err(Failure::usage(crate::config::NO_TARGET)),
            Target::Embedded { asked } => {
                let app = embedded_app(settings);
                let config = EmulatorConfig::default().with_apps(vec![app.clone()]);
                let handle = start_emulator(config, EMBEDDED_ADDR).await?;
                let url = handle.base_url();
                let why = if *asked {
                    "--emulator"
                } else {
                    "no credentials and no endpoint configured"
                };
                eprintln!(
                    "note: {why}: using an emulator embedded in this process at {url} (app {}); nothing is bought for real",
                    crate::output::neutralise(&app.app_key)
                );
                let secret = Secret::new(app.secret.clone().into_bytes());
                let client = build_client(settings, &url, &app.app_key, &secret)?;
                Ok(Self {
                    client,
                    remote: None,
                    json: settings.json(),
                    embedded: Some(handle),
                })
            }
        }
    }

    /// The client, for streams over paged lists.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Whether output is JSON.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// Sends a typed request.
    pub(crate) async fn send<E: Endpoint>(&self, request: &E) -> CmdResult<E::Response> {
        self.client.send(request).await.map_err(api_failure)
    }

    /// Sends untyped JSON to a path (or path middle); `None` sends no params.
    pub(crate) async fn send_raw(&self, path: &str, params: Option<&Value>) -> CmdResult<Value> {
        self.client
            .send_raw(path, params.unwrap_or(&Value::Null))
            .await
            .map_err(api_failure)
    }

    /// The time expiry is measured from: `explicit` (`--now`) when given; else the
    /// emulator's clock when talking to an emulator (the embedded one, or one on this
    /// machine that answers `GET /__emulator/clock`); else this machine's clock.
    pub(crate) async fn now(&self, explicit: Option<OffsetDateTime>) -> OffsetDateTime {
        if let Some(now) = explicit {
            return now;
        }
        if let Some(handle) = &self.embedded {
            return handle.control().clock().now;
        }
        if let Some(url) = &self.remote
            && let Some(now) = crate::clock::emulator_clock(url).await
        {
            return now;
        }
        OffsetDateTime::now_utc()
    }

    /// Stops the embedded emulator, if any, waiting for it to finish.
    pub(crate) async fn close(self) {
        if let Some(handle) = self.embedded {
            handle.shutdown().await;
        }
    }
}

/// The embedded emulator's app: the configured key and secret when both are given,
/// otherwise the emulator's demo app.
fn embedded_app(settings: &Settings) -> AppConfig {
    let default = AppConfig::default_app();
    match (&settings.app_key, &settings.secret) {
        (Some(key), Some((secret, _))) => match std::str::from_utf8(secret.expose()) {
            Ok(text) => AppConfig {
                app_key: key.clone(),
                secret: text.to_owned(),
                ..default
            },
            Err(_) => default,
        },
        _ => default,
    }
}

/// Starts an emulator; failures (a bad config, a busy port) are "other" failures.
pub(crate) async fn start_emulator(
    config: EmulatorConfig,
    addr: SocketAddr,
) -> CmdResult<EmulatorHandle> {
    Emulator::start(config, addr)
        .await
        .map_err(|err| Failure::other(format!("cannot start the emulator: {err}")))
}

/// Builds a client for `url` with the global timeout.
pub(crate) fn build_client(
    settings: &Settings,
    url: &str,
    app_key: &str,
    secret: &Secret,
) -> CmdResult<Client> {
    let mut builder = Client::builder()
        .base_url(url)
        .app_key(app_key)
        .app_secret(secret.expose());
    if let Some(timeout) = settings.timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().map_err(|err| {
        // BuildError's messages name settings and lengths, never the secret.
        Failure::usage(format!("cannot configure the client: {err}"))
    })
}

/// Maps a client error to an exit class: a refused secret is 6 wherever it shows (the
/// platform's code 10001 on a request with params; an answer that does not decrypt on
/// one without); other API codes are 1; errors caught before sending are usage (2); an
/// answer for another order than the one sent or asked for is 4; everything else
/// (transport, HTTP status, decoding) is 3.
pub(crate) fn api_failure(err: Error) -> Failure {
    match &err {
        Error::Api(api) if api.code == ipv_types::ApiCode::DecryptFailed => {
            Failure::credentials(format!(
                "the platform could not decrypt the request: check the app key and secret (code {}, reqId {})",
                api.code.as_i64(),
                api.req_id
            ))
        }
        Error::Decode { source, .. } if *source.stage() == ipv_api::codec::DecodeStage::Decrypt => {
            Failure::credentials(format!("{err}: check the app key and secret"))
        }
        Error::Api(api) => Failure::api(format!(
            "the API answered code {}: {} (reqId {})",
            api.code.as_i64(),
            if api.msg.is_empty() {
                "(no message)"
            } else {
                &api.msg
            },
            api.req_id
        )),
        Error::InvalidInput(_) => Failure::usage(err.to_string()),
        Error::OrderMismatch { .. } | Error::WrongOrder { .. } | Error::OrderReused { .. } => {
            Failure::order_failed(err.to_string())
        }
        _ => Failure::other(err.to_string()),
    }
}
