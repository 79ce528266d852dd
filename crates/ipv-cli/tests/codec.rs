//! `ipv codec` and other commands that need no server, driven as a process.

mod common;

use common::{ipv, text};

const DOC_SECRET: &str = "qwertyuiop123456";

/// A wire fixture (the `ipv-fixtures` crate).
fn fixture(name: &str) -> Vec<u8> {
    ipv_fixtures::by_name(name)
        .unwrap_or_else(|| panic!("no fixture named {name}"))
        .as_bytes()
        .to_vec()
}

#[test]
fn encrypt_gives_the_document_vector() {
    let out = ipv()
        .args(["codec", "encrypt", "--app-secret", DOC_SECRET])
        .write_stdin("TestMessage")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "5cfJMwX0w65sEQVBxu9zHw==\n");
    assert!(!text(&out.stderr).contains(DOC_SECRET));
}

#[test]
fn decrypt_takes_the_secret_from_the_environment_and_trims_the_newline() {
    let out = ipv()
        .args(["codec", "decrypt"])
        .env("IPV_APP_SECRET", DOC_SECRET)
        .write_stdin("5cfJMwX0w65sEQVBxu9zHw==\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"TestMessage");
}

#[test]
fn decrypt_takes_the_secret_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, format!("{DOC_SECRET}\n")).unwrap();
    let out = ipv()
        .args(["codec", "decrypt", "--app-secret-file"])
        .arg(&path)
        .write_stdin("  5cfJMwX0w65sEQVBxu9zHw==  \r\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"TestMessage");
}

#[test]
fn encrypt_then_decrypt_round_trips_binary_bytes() {
    let secret = "0123456789abcdef01234567"; // 24 bytes: AES-192
    let plain: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    let sealed = ipv()
        .args(["codec", "encrypt", "--app-secret", secret])
        .write_stdin(plain.clone())
        .output()
        .unwrap();
    assert_eq!(sealed.status.code(), Some(0));
    let opened = ipv()
        .args(["codec", "decrypt", "--app-secret", secret])
        .write_stdin(sealed.stdout)
        .output()
        .unwrap();
    assert_eq!(opened.status.code(), Some(0));
    assert_eq!(opened.stdout, plain);
}

#[test]
fn open_request_envelope_prints_the_params_and_the_envelope_on_stderr() {
    let out = ipv()
        .args(["--app-secret", DOC_SECRET, "codec", "open"])
        .write_stdin(fixture("request-open-2-params.aes128.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let params: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&fixture("open-request-2-params.json")).unwrap();
    assert_eq!(params, expected);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("\"appKey\":\"AK20240708150154\""),
        "{stderr}"
    );
    assert!(stderr.contains("\"kind\":\"request\""), "{stderr}");
    assert!(!stderr.contains(DOC_SECRET));
}

#[test]
fn open_response_envelope_with_wrapper() {
    // A response of 100 products sealed under a 32-byte key (AES-256).
    let secret = "xx1vsogzzvqvrgml7f6sc233p8vdqev2";
    let products: Vec<serde_json::Value> = (0..100)
        .map(|n| serde_json::json!({"productNo": format!("p{n}"), "costPrice": "1.50", "proxyType": 103}))
        .collect();
    let payload = serde_json::Value::Array(products);
    let key = ipv_crypto::Key::new(secret.as_bytes()).unwrap();
    let sealed = ipv_api::codec::seal_response(
        &key,
        "req-100",
        ipv_types::ApiCode::Ok,
        "success",
        Some(&payload),
    )
    .unwrap();
    let out = ipv()
        .args(["codec", "open", "--with-envelope", "--app-secret", secret])
        .write_stdin(sealed.to_vec())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["envelope"]["kind"], "response");
    assert_eq!(doc["envelope"]["code"], 200);
    assert_eq!(doc["envelope"]["reqId"], "req-100");
    assert_eq!(doc["payload"], payload);
    assert_eq!(doc["payload"].as_array().map(Vec::len), Some(100));
}

#[test]
fn open_with_the_wrong_secret_fails_without_echoing_anything_secret() {
    let wrong = "WRONGwrongWRONG1";
    let out = ipv()
        .args(["codec", "open", "--app-secret", wrong])
        .write_stdin(fixture("request-open-2-params.aes128.json"))
        .output()
        .unwrap();
    // A wrong secret is exit 6 here as on every command.
    assert_eq!(out.status.code(), Some(6));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("did not decrypt"), "{stderr}");
    assert!(!stderr.contains(wrong));
    assert!(out.stdout.is_empty());
}

#[test]
fn codec_without_a_secret_is_a_usage_error() {
    let out = ipv()
        .args(["codec", "encrypt"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no app secret"));
}

#[test]
fn secret_of_a_bad_length_is_named_by_length_only() {
    let secret = "short-secret";
    let out = ipv()
        .args(["codec", "encrypt", "--app-secret", secret])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("12 bytes"), "{stderr}");
    assert!(!stderr.contains(secret));
}

#[test]
fn decrypting_garbage_is_exit_3() {
    let out = ipv()
        .args(["codec", "decrypt", "--app-secret", DOC_SECRET])
        .write_stdin("not base64 at all!")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("not valid base64"));
}

#[test]
fn completions_bash_names_the_commands() {
    let out = ipv().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = text(&out.stdout);
    assert!(script.contains("_ipv()"), "no bash function");
    for command in ["app-info", "open", "renew", "release", "demo", "codec"] {
        assert!(script.contains(command), "{command} missing");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["no-such-command"],
        vec!["order"],
        vec!["open", "--count", "many"],
        vec!["--output", "yaml", "app-info"],
        vec!["--timeout", "soon", "app-info"],
    ] {
        let out = ipv().args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_and_version_exit_0() {
    let out = ipv().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("app-info"));
    let out = ipv().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("ipv "));
}

#[test]
fn help_never_shows_the_secret_from_the_environment() {
    let secret = "env-secret-value";
    let out = ipv()
        .args(["order", "--help"])
        .env("IPV_APP_SECRET", secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("IPV_APP_SECRET"));
    assert!(!all.contains(secret));
}

#[test]
fn conflicting_sources_are_usage_errors() {
    let out = ipv()
        .args(["app-info", "--endpoint", "http://127.0.0.1:1", "--sandbox"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--endpoint cannot be combined"));
    let out = ipv()
        .args([
            "codec",
            "encrypt",
            "--app-secret",
            DOC_SECRET,
            "--app-secret-file",
            "/x",
        ])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains(DOC_SECRET));
}
