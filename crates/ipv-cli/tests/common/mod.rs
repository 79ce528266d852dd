//! The harness every test that drives `ipv` as a child process shares: the binary with
//! a clean environment, an emulator on a free port, and output helpers.
//!
//! Each test file uses part of it.
#![allow(dead_code)]

use std::io::BufRead;
use std::process::Output;

use assert_cmd::Command;
use ipv_emulator::{AppConfig, Emulator, EmulatorConfig, EmulatorHandle, OrderSchedule};
use serde_json::Value;

/// The variables that configure `ipv`: a developer's environment must not leak in.
const CONFIG_VARS: &[&str] = &[
    "IPV_ENDPOINT",
    "IPV_APP_KEY",
    "IPV_APP_SECRET",
    "IPV_APP_SECRET_FILE",
    "IPV_CALLBACK_PATH_TOKEN",
    "IPV_CALLBACK_STORE",
    "IPV_DATABASE_URL",
];

/// The `ipv` binary, to run to completion, with none of its variables set.
pub(crate) fn ipv() -> Command {
    let mut cmd = Command::cargo_bin("ipv").expect("the ipv binary is built");
    for var in CONFIG_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The `ipv` binary as a process to spawn and talk to, with none of its variables set.
pub(crate) fn ipv_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ipv"));
    for var in CONFIG_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// Bytes as text, lossily.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses stdout as exactly one JSON document (trailing whitespace allowed).
pub(crate) fn one_document(stdout: &[u8]) -> Value {
    let mut stream = serde_json::Deserializer::from_slice(stdout).into_iter::<Value>();
    let first = stream
        .next()
        .expect("a JSON document on stdout")
        .expect("valid JSON");
    assert!(stream.next().is_none(), "more than one JSON document");
    first
}

/// Reads lines from a child's output until one starts with `prefix`; returns the rest.
pub(crate) fn line_starting(reader: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "no `{prefix}` line"
        );
        if let Some(rest) = line.trim_end().strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
}

/// The callback URL an `ipv callback listen` child announces on its stderr, and the
/// `host:port` in it.
pub(crate) fn callback_listen_url(stderr: &mut impl BufRead) -> (String, String) {
    let line = line_starting(stderr, "listening for callbacks at ");
    let url = line.split_whitespace().next().unwrap().to_owned();
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    (url, addr)
}

/// An emulator on a free loopback port with one app, and `ipv` pointed at it.
pub(crate) struct Emu {
    runtime: tokio::runtime::Runtime,
    handle: Option<EmulatorHandle>,
    /// The emulator's base URL.
    pub(crate) url: String,
    app_key: &'static str,
    secret: &'static str,
}

impl Emu {
    /// Starts an emulator whose one app is `app_key` / `secret` with `balance`, finishing
    /// orders on `schedule`.
    pub(crate) fn start(
        app_key: &'static str,
        secret: &'static str,
        name: &str,
        balance: &str,
        schedule: OrderSchedule,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let app = AppConfig::new(app_key, secret, name, balance);
        let config = EmulatorConfig::default()
            .with_apps(vec![app])
            .with_order_schedule(schedule);
        let handle = runtime
            .block_on(Emulator::start(config, "127.0.0.1:0".parse().unwrap()))
            .unwrap();
        let url = handle.base_url();
        Self {
            runtime,
            handle: Some(handle),
            url,
            app_key,
            secret,
        }
    }

    /// The running emulator.
    pub(crate) fn handle(&self) -> &EmulatorHandle {
        self.handle.as_ref().unwrap()
    }

    /// `ipv --endpoint URL --app-key K` with the secret from the environment, then
    /// `args`; checks that the secret appears on neither stdout nor stderr.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let out = ipv()
            .args(["--endpoint", &self.url, "--app-key", self.app_key])
            .args(args)
            .env("IPV_APP_SECRET", self.secret)
            .output()
            .unwrap();
        assert!(!text(&out.stdout).contains(self.secret), "secret on stdout");
        assert!(!text(&out.stderr).contains(self.secret), "secret on stderr");
        out
    }

    /// [`Emu::run`], which must exit 0.
    pub(crate) fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        out
    }

    /// [`Emu::ok`] with `-o json`: the one JSON document printed.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        one_document(&self.ok(&all).stdout)
    }

    /// The app's balance now, as the emulator keeps it.
    pub(crate) fn balance(&self) -> String {
        self.handle().control().summary().apps[0]
            .balance
            .to_string()
    }

    /// How many times the app has been charged.
    pub(crate) fn charges(&self) -> usize {
        self.handle().control().summary().apps[0].charges
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}
