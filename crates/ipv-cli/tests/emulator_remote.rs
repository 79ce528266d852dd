//! `ipv emulator serve` only listens beyond loopback with `--allow-remote`, and then
//! warns: its control API is unauthenticated. (No test here listens on a non-loopback
//! address: the allowed case uses a documentation address this host does not have, so
//! the warning is printed and the bind then fails.)

use std::time::Duration;

mod common;

use common::{ipv, text};

fn serve(addr: &str, extra: &[&str]) -> std::process::Output {
    ipv()
        .args(["emulator", "serve", "--addr", addr])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs")
}

#[test]
fn a_non_loopback_address_is_refused_without_allow_remote() {
    for addr in ["0.0.0.0:0", "[::]:0", "192.0.2.1:0"] {
        let out = serve(addr, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{addr}: {stderr}");
        assert!(stderr.contains("refusing to listen"), "{addr}: {stderr}");
        assert!(stderr.contains("--allow-remote"), "{addr}: {stderr}");
        assert!(stderr.contains("unauthenticated"), "{addr}: {stderr}");
        assert!(
            !text(&out.stdout).contains("endpoint:"),
            "{addr}: nothing was served"
        );
    }
}

#[test]
fn allow_remote_warns_before_listening() {
    // 192.0.2.1 (TEST-NET-1) is not an address of this host: the check passes with the
    // flag, the warning is printed, and the bind fails without listening anywhere.
    let out = serve("192.0.2.1:0", &["--allow-remote"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: listening on 192.0.2.1:0"),
        "{stderr}"
    );
    assert!(stderr.contains("unauthenticated control API"), "{stderr}");
    assert!(!stderr.contains("refusing to listen"), "{stderr}");
    assert!(!out.status.success(), "the bind fails: {stderr}");
}
