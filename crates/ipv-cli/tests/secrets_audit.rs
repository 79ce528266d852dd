//! Secrets audit of the `ipv` binary: at every verbosity (`-v`, `-vv`, `-vvv`, with
//! `RUST_LOG=trace` set too), on success and on error paths, against an emulator on a
//! free port, neither stdout nor stderr holds the app secret in any spelling (clear,
//! hex, base64, byte list). The Debug of the parsed global flags hides it as well.

use std::io::Write as _;
use std::process::Output;

mod common;

use clap::FromArgMatches as _;
use ipv_cli::cli::GlobalArgs;
use ipv_crypto::b64;
use ipv_emulator::OrderSchedule;

use common::Emu;

const APP_KEY: &str = "AKaudit000000001";
/// 16 bytes (AES-128), distinctive enough that any leak is found by substring search.
const SECRET: &str = "ZZsecretZZsecret";

/// Every spelling of the secret a careless format could produce.
fn forms() -> Vec<String> {
    let bytes = SECRET.as_bytes();
    vec![
        SECRET.to_owned(),
        "ZZsecret".to_owned(),
        bytes.iter().map(|b| format!("{b:02x}")).collect(),
        bytes.iter().map(|b| format!("{b:02X}")).collect(),
        b64::encode(bytes),
        format!("{bytes:?}"),
    ]
}

fn assert_clean(what: &str, out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        for form in forms() {
            assert!(
                !text.contains(&form),
                "{what}: {stream} shows the secret as {form:?}:\n{text}"
            );
        }
    }
}

/// `ipv` with a clean environment and trace logging asked for by `RUST_LOG` too.
fn ipv() -> assert_cmd::Command {
    let mut cmd = common::ipv();
    cmd.env("RUST_LOG", "trace");
    cmd
}

const VERBOSITY: [&[&str]; 4] = [&[], &["-v"], &["-vv"], &["-vvv"]];

#[test]
fn no_output_at_any_verbosity_shows_the_secret() {
    let emu = Emu::start(
        APP_KEY,
        SECRET,
        "audit app",
        "1000.00",
        OrderSchedule::IMMEDIATE,
    );
    let mut secret_file = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(secret_file, "{SECRET}").expect("write secret file");
    let secret_path = secret_file.path().to_str().expect("UTF-8 path").to_owned();
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let unreachable = format!("http://127.0.0.1:{closed_port}");

    let mut runs = 0;
    for verbosity in VERBOSITY {
        // Successes: the secret from the environment, from the flag, from a file.
        for args in [
            &["app-info"][..],
            &["-o", "json", "products", "--proxy-type", "103"],
            &["raw", "info"],
        ] {
            let out = ipv()
                .args(verbosity)
                .args(["--endpoint", &emu.url, "--app-key", APP_KEY])
                .args(args)
                .env("IPV_APP_SECRET", SECRET)
                .output()
                .expect("runs");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_clean(&format!("{verbosity:?} {args:?}"), &out);
            if verbosity == ["-vvv"] {
                // The audit is only worth something if trace logging really ran.
                assert!(
                    String::from_utf8_lossy(&out.stderr).contains("TRACE"),
                    "-vvv logs at trace level"
                );
            }
            runs += 1;
        }
        let out = ipv()
            .args(verbosity)
            .args([
                "--endpoint",
                &emu.url,
                "--app-key",
                APP_KEY,
                "--app-secret",
                SECRET,
                "app-info",
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        assert_clean(&format!("{verbosity:?} --app-secret"), &out);
        let out = ipv()
            .args(verbosity)
            .args([
                "--endpoint",
                &emu.url,
                "--app-key",
                APP_KEY,
                "--app-secret-file",
                &secret_path,
                "app-info",
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        assert_clean(&format!("{verbosity:?} --app-secret-file"), &out);
        runs += 2;

        // Errors: an unknown order (API error), the wrong secret (the emulator cannot
        // decrypt), an unreachable endpoint, a secret of the wrong length.
        for (what, endpoint, secret, args) in [
            (
                "unknown order",
                emu.url.as_str(),
                SECRET,
                &["order", "NO-SUCH-ORDER"][..],
            ),
            (
                "wrong secret",
                emu.url.as_str(),
                "0123456789abcdef",
                &["app-info"][..],
            ),
            (
                "unreachable",
                unreachable.as_str(),
                SECRET,
                &["--timeout", "2s", "app-info"][..],
            ),
            (
                "bad length",
                emu.url.as_str(),
                "ZZsecretZZsecretZZ",
                &["app-info"][..],
            ),
        ] {
            let out = ipv()
                .args(verbosity)
                .args(["--endpoint", endpoint, "--app-key", APP_KEY])
                .args(args)
                .env("IPV_APP_SECRET", secret)
                .output()
                .expect("runs");
            assert_ne!(out.status.code(), Some(0), "{what} should fail");
            assert!(!out.stderr.is_empty(), "{what}: an error message on stderr");
            assert_clean(&format!("{verbosity:?} {what}"), &out);
            runs += 1;
        }
    }
    assert_eq!(runs, 4 * 9);
}

#[test]
fn the_parsed_command_line_hides_the_secret() {
    let matches = ipv_cli::cli::command()
        .try_get_matches_from([
            "ipv",
            "--endpoint",
            "http://127.0.0.1:9",
            "--app-key",
            APP_KEY,
            "--app-secret",
            SECRET,
            "-vvv",
            "app-info",
        ])
        .expect("parses");
    // The global flags (where the secret lives) have a Debug that hides it.
    let global = &GlobalArgs::from_arg_matches(&matches).expect("global flags");
    let debug = format!("{global:?} {global:#?}");
    assert!(debug.contains(APP_KEY), "{debug}");
    for form in forms() {
        assert!(
            !debug.contains(&form),
            "Debug of GlobalArgs shows {form:?}: {debug}"
        );
    }
}
