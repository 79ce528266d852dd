//! Who may use the control API: the request must name this emulator as its `Host`
//! (a loopback name or address with the bound port, unless remote use is allowed), come
//! from no `Origin` or the emulator's own, and, when it changes state, carry the per-run
//! token in `X-Emulator-Token`.
//!
//! Why each check: a web page the developer visits can make the browser send requests
//! to `http://127.0.0.1:{port}`. A cross-site request carries the page's `Origin`
//! (refused); a request made after DNS rebinding carries the attacker's name in `Host`
//! (refused); and a browser adds a custom header such as `X-Emulator-Token` only after a
//! CORS preflight, which the emulator never grants, so a page cannot send the token even
//! if it could guess it.

use std::net::{Ipv4Addr, Ipv6Addr};

use http::{HeaderMap, Method, Uri, header};

use crate::config::EmulatorConfig;

/// The header that carries the control token.
pub(crate) const TOKEN_HEADER: &str = "x-emulator-token";

/// The shortest and longest control token accepted in the configuration.
const TOKEN_LEN: std::ops::RangeInclusive<usize> = 16..=256;

/// The access rules of one running emulator.
pub(crate) struct Access {
    token: String,
    port: u16,
    allow_remote: bool,
}

impl Access {
    /// The rules for an emulator bound to `port`: the configured token or a fresh random
    /// one (128 bits from the thread's CSPRNG, as 32 hex digits).
    pub(crate) fn new(config: &EmulatorConfig, port: u16) -> Result<Self, String> {
        let token = match &config.control_token {
            Some(token) => {
                let allowed =
                    |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
                if !TOKEN_LEN.contains(&token.len()) || !token.chars().all(allowed) {
                    return Err(
                        "controlToken: 16 to 256 characters from A-Z a-z 0-9 - . _ ~".to_owned(),
                    );
                }
                token.clone()
            }
            None => format!("{:032x}", rand::random::<u128>()),
        };
        Ok(Self {
            token,
            port,
            allow_remote: config.allow_remote,
        })
    }

    /// The token.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Checks one control request; `Err` carries the reason (a fixed text that never
    /// quotes the request).
    pub(crate) fn check(
        &self,
        method: &Method,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Result<(), &'static str> {
        let host = single(headers, header::HOST)?
            .map(str::to_owned)
            .or_else(|| uri.authority().map(|a| a.as_str().to_owned()))
            .ok_or("the request names no Host")?;
        if !self.allow_remote && !is_loopback_host(&host, self.port) {
            return Err("Host is not this emulator's loopback address and port");
        }
        if let Some(origin) = single(headers, header::ORIGIN)? {
            let own = format!("http://{host}");
            if !origin.eq_ignore_ascii_case(&own) {
                return Err("cross-origin requests are refused");
            }
        }
        if let Some(site) = single(headers, "sec-fetch-site")?
            && site.eq_ignore_ascii_case("cross-site")
        {
            return Err("cross-site requests are refused");
        }
        if method == Method::GET || method == Method::HEAD {
            return Ok(());
        }
        let given = single(headers, TOKEN_HEADER)?.ok_or(
            "a state-changing control request needs the X-Emulator-Token header (printed by `ipv emulator serve`)",
        )?;
        if !same_bytes(given.as_bytes(), self.token.as_bytes()) {
            return Err("wrong X-Emulator-Token");
        }
        Ok(())
    }
}

/// The value of a header that must appear at most once, as text.
fn single(
    headers: &HeaderMap,
    name: impl header::AsHeaderName + Clone,
) -> Result<Option<&str>, &'static str> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("a header that must appear once appears more than once");
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| "a header is not visible ASCII")
}

/// Compares without stopping at the first difference, so timing tells nothing of the
/// token.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `host` (a Host header: `name[:port]`, `[v6][:port]`) is a loopback name or
/// address with `port` (a missing port means 80).
pub(crate) fn is_loopback_host(host: &str, port: u16) -> bool {
    let (name, given_port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        let Ok(ip) = inside.parse::<Ipv6Addr>() else {
            return false;
        };
        if !ip.is_loopback() {
            return false;
        }
        ("", after)
    } else {
        match host.split_once(':') {
            Some((name, _)) => (name, &host[name.len()..]),
            None => (host, ""),
        }
    };
    let port_ok = match given_port.strip_prefix(':') {
        Some(text) => {
            !text.is_empty()
                && text.bytes().all(|b| b.is_ascii_digit())
                && text.parse::<u16>() == Ok(port)
        }
        None => given_port.is_empty() && port == 80,
    };
    if !port_ok {
        return false;
    }
    name.is_empty()
        || name.eq_ignore_ascii_case("localhost")
        || name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_with_the_bound_port_only() {
        for good in [
            "127.0.0.1:8088",
            "localhost:8088",
            "LOCALHOST:8088",
            "[::1]:8088",
            "127.3.4.5:8088",
        ] {
            assert!(is_loopback_host(good, 8088), "{good}");
        }
        for bad in [
            "127.0.0.1:8089",
            "127.0.0.1",
            "evil.example:8088",
            "localhost.evil.example:8088",
            "10.0.0.1:8088",
            "[::2]:8088",
            "[::1]",
            "127.0.0.1:8088:1",
            "127.0.0.1:",
            "127.0.0.1:+8088",
            "",
        ] {
            assert!(!is_loopback_host(bad, 8088), "{bad}");
        }
        assert!(is_loopback_host("localhost", 80));
    }

    #[test]
    fn token_comparison() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"abcd"));
    }

    #[test]
    fn configured_tokens_are_checked() {
        let config = EmulatorConfig::default().with_control_token("short");
        assert!(Access::new(&config, 1).is_err());
        let config = EmulatorConfig::default().with_control_token("x".repeat(20) + "\n");
        assert!(Access::new(&config, 1).is_err());
        let config = EmulatorConfig::default().with_control_token("fixed-token-for-scripts");
        assert_eq!(
            Access::new(&config, 1).expect("valid").token(),
            "fixed-token-for-scripts"
        );
        let random = Access::new(&EmulatorConfig::default(), 1).expect("random");
        assert_eq!(random.token().len(), 32);
        assert_ne!(
            random.token(),
            Access::new(&EmulatorConfig::default(), 1)
                .expect("random")
                .token()
        );
    }
}
