//! `ipv emulator serve` prints the dashboard's URL and the control token; the page is
//! served there, and a state-changing control request needs the token
//! (`--control-token` / `IPV_EMULATOR_TOKEN` fixes it for scripts).

use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Stdio};

const TOKEN: &str = "script-token-0123456789";

fn line_starting(reader: &mut impl BufRead, prefix: &str) -> String {
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

/// One HTTP/1.1 exchange; returns the status and the body.
fn exchange(host_port: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(host_port).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn advance(host_port: &str, token: Option<&str>) -> u16 {
    let body = r#"{"seconds":60}"#;
    let token_line = token.map_or_else(String::new, |t| format!("x-emulator-token: {t}\r\n"));
    exchange(
        host_port,
        &format!(
            "POST /__emulator/clock/advance HTTP/1.1\r\nhost: {host_port}\r\ncontent-type: application/json\r\n{token_line}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .0
}

fn stop(child: &mut Child) {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn serve_prints_the_dashboard_and_its_token() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ipv"))
        .args(["emulator", "serve", "--addr", "127.0.0.1:0"])
        .env("IPV_EMULATOR_TOKEN", TOKEN)
        .env_remove("IPV_APP_SECRET")
        .env_remove("IPV_APP_KEY")
        .env_remove("IPV_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let endpoint = line_starting(&mut stdout, "endpoint: ");
    let dashboard = line_starting(&mut stdout, "dashboard: ");
    assert_eq!(dashboard, format!("{endpoint}/__emulator/ui/"));
    assert_eq!(line_starting(&mut stdout, "control token: "), TOKEN);
    let host_port = endpoint.trim_start_matches("http://").to_owned();

    let (status, page) = exchange(
        &host_port,
        &format!("GET /__emulator/ui/ HTTP/1.1\r\nhost: {host_port}\r\nconnection: close\r\n\r\n"),
    );
    assert_eq!(status, 200);
    assert!(page.contains(&format!(r#"content="{TOKEN}""#)));

    assert_eq!(advance(&host_port, None), 403, "no token");
    assert_eq!(advance(&host_port, Some("wrong-token-0123456789")), 403);
    assert_eq!(advance(&host_port, Some(TOKEN)), 200);
    stop(&mut child);
}

#[test]
fn a_random_token_is_printed_when_none_is_given() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ipv"))
        .args(["emulator", "serve", "--addr", "127.0.0.1:0"])
        .env_remove("IPV_EMULATOR_TOKEN")
        .env_remove("IPV_APP_SECRET")
        .env_remove("IPV_APP_KEY")
        .env_remove("IPV_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let endpoint = line_starting(&mut stdout, "endpoint: ");
    let token = line_starting(&mut stdout, "control token: ");
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let host_port = endpoint.trim_start_matches("http://").to_owned();
    assert_eq!(advance(&host_port, Some(&token)), 200);
    stop(&mut child);
}
