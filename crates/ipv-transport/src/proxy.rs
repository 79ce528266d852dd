//! Proxy settings for [`HyperTransport`](crate::HyperTransport).
//!
//! A [`ProxyConfig`] says which HTTP proxy, if any, carries requests to a destination. It
//! is read from the usual environment variables by [`ProxyConfig::from_env`] (what
//! [`HyperTransportBuilder::proxy_from_env`](crate::HyperTransportBuilder::proxy_from_env)
//! does by default) or set in code.
//!
//! # What is supported
//!
//! | variable (first set, non-empty one wins) | used for |
//! |---|---|
//! | `HTTPS_PROXY`, `https_proxy` | `https://` destinations, through an HTTP `CONNECT` tunnel; TLS runs end to end inside it |
//! | `HTTP_PROXY`, `http_proxy` | `http://` destinations, sent to the proxy in absolute form (`GET http://host/path`) |
//! | `ALL_PROXY`, `all_proxy` | either scheme, when its own variable is not set |
//! | `NO_PROXY`, `no_proxy` | destinations that bypass the proxy (see below) |
//!
//! - The proxy URL is `http://[user:password@]host[:port]` (the scheme may be left out; the
//!   port defaults to 80). User and password (percent-decoded) are sent as
//!   `Proxy-Authorization: Basic ...` on the `CONNECT` request or on each absolute-form
//!   request.
//! - `NO_PROXY` is a comma-separated list: `*` (no proxy at all), host names
//!   (`example.com` and `.example.com` both match the domain and its subdomains), IP
//!   addresses and CIDR networks (`10.0.0.0/8`, `::1`). Entries match hosts only; a
//!   `host:port` entry matches nothing.
//! - When the process runs as a CGI script (`REQUEST_METHOD` is set), the upper-case
//!   `HTTP_PROXY` is ignored, because a client can set it through a `Proxy:` request
//!   header ("httpoxy"); `http_proxy` still applies.
//!
//! Not supported, rejected by `build()` with an error naming the variable: `https://`
//! proxy URLs (TLS to the proxy itself) and SOCKS proxies (`socks4://`, `socks5://`, ...).
//! Operating-system proxy settings (macOS, Windows) and PAC files are not read.

use std::borrow::Cow;
use std::fmt;

use http::Uri;
use hyper_util::client::proxy::matcher::{Intercept, Matcher};

use crate::TransportError;

/// Which proxy carries requests to which destination.
///
/// An empty config (the [`Default`]) sends every request directly.
///
/// ```
/// use ipv_transport::ProxyConfig;
///
/// let proxies = ProxyConfig::new()
///     .https("http://proxy.internal:3128")
///     .no_proxy("localhost, 127.0.0.1, .corp.example");
/// let uri: http::Uri = "https://api.example.com/v2".parse().unwrap();
/// let proxy = proxies.proxy_for(&uri)?.expect("proxied");
/// assert_eq!(proxy.host(), Some("proxy.internal"));
/// assert_eq!(proxy.port_u16(), Some(3128));
///
/// let internal: http::Uri = "https://build.corp.example/".parse().unwrap();
/// assert_eq!(proxies.proxy_for(&internal)?, None);
/// # Ok::<(), ipv_transport::TransportError>(())
/// ```
#[derive(Clone, Default)]
pub struct ProxyConfig {
    http: Option<Setting>,
    https: Option<Setting>,
    all: Option<Setting>,
    no_proxy: Option<Setting>,
}

/// One configured value and where it came from (an environment variable or a setter), so
/// errors can name it.
#[derive(Clone)]
struct Setting {
    value: String,
    origin: Cow<'static, str>,
}

impl Setting {
    fn from_code(value: impl Into<String>, setter: &'static str) -> Option<Self> {
        let value = value.into();
        (!value.trim().is_empty()).then(|| Self {
            value: value.trim().to_owned(),
            origin: Cow::Borrowed(setter),
        })
    }
}

impl ProxyConfig {
    /// No proxy for any destination.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (each also in lower
    /// case) from the process environment. See the [module docs](self) for the rules.
    #[must_use]
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), but asks `lookup` for each variable instead of
    /// the process environment (useful in tests and for configuration files).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use ipv_transport::ProxyConfig;
    ///
    /// let vars = HashMap::from([("https_proxy", "http://10.1.2.3:8080")]);
    /// let proxies = ProxyConfig::from_lookup(|name| vars.get(name).map(|v| v.to_string()));
    /// let uri: http::Uri = "https://api.example.com/".parse().unwrap();
    /// assert_eq!(proxies.proxy_for(&uri)?.unwrap().port_u16(), Some(8080));
    /// # Ok::<(), ipv_transport::TransportError>(())
    /// ```
    #[must_use]
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let first_set = |names: &[&'static str]| {
            names.iter().find_map(|&name| {
                lookup(name)
                    .filter(|value| !value.trim().is_empty())
                    .map(|value| Setting {
                        value: value.trim().to_owned(),
                        origin: Cow::Borrowed(name),
                    })
            })
        };
        // Under CGI, request headers become HTTP_* variables: `Proxy: evil` would arrive
        // as HTTP_PROXY. Only the lower-case name is trustworthy there.
        let running_as_cgi = lookup("REQUEST_METHOD").is_some();
        let http_names: &[&'static str] = if running_as_cgi {
            &["http_proxy"]
        } else {
            &["HTTP_PROXY", "http_proxy"]
        };
        Self {
            http: first_set(http_names),
            https: first_set(&["HTTPS_PROXY", "https_proxy"]),
            all: first_set(&["ALL_PROXY", "all_proxy"]),
            no_proxy: first_set(&["NO_PROXY", "no_proxy"]),
        }
    }

    /// The proxy for `http://` destinations. An empty string clears it.
    #[must_use]
    pub fn http(mut self, proxy_url: impl Into<String>) -> Self {
        self.http = Setting::from_code(proxy_url, "ProxyConfig::http");
        self
    }

    /// The proxy for `https://` destinations (reached through a `CONNECT` tunnel). An
    /// empty string clears it.
    #[must_use]
    pub fn https(mut self, proxy_url: impl Into<String>) -> Self {
        self.https = Setting::from_code(proxy_url, "ProxyConfig::https");
        self
    }

    /// The proxy for both schemes, where [`http`](Self::http) or [`https`](Self::https)
    /// is not set. An empty string clears it.
    #[must_use]
    pub fn all(mut self, proxy_url: impl Into<String>) -> Self {
        self.all = Setting::from_code(proxy_url, "ProxyConfig::all");
        self
    }

    /// Destinations that bypass the proxy, in `NO_PROXY` syntax (a comma-separated list of
    /// `*`, domains, IP addresses and CIDR networks).
    #[must_use]
    pub fn no_proxy(mut self, list: impl Into<String>) -> Self {
        self.no_proxy = Setting::from_code(list, "ProxyConfig::no_proxy");
        self
    }

    /// Whether no proxy is configured for any scheme.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none() && self.all.is_none()
    }

    /// The proxy a request to `destination` would go through (without credentials), or
    /// `None` for a direct connection.
    ///
    /// # Errors
    ///
    /// An error of kind [`Other`](crate::TransportErrorKind::Other) naming the variable or
    /// setter when a proxy URL is invalid or unsupported.
    pub fn proxy_for(&self, destination: &Uri) -> Result<Option<Uri>, TransportError> {
        Ok(self
            .compile()?
            .and_then(|rules| rules.intercept(destination))
            .map(|intercept| intercept.uri().clone()))
    }

    /// Checks every proxy URL and builds the matcher, or `None` when nothing is proxied.
    pub(crate) fn compile(&self) -> Result<Option<ProxyRules>, TransportError> {
        if self.is_empty() {
            return Ok(None);
        }
        for setting in [&self.http, &self.https, &self.all].into_iter().flatten() {
            check_proxy_url(setting)?;
        }
        let no_proxy = self.no_proxy.as_ref().map_or("", |s| s.value.as_str());
        // hyper-util's matcher applies `*` to host names only, not to IP destinations;
        // curl's meaning is "no proxy for anything", so handle it here.
        if no_proxy.split(',').any(|entry| entry.trim() == "*") {
            return Ok(None);
        }
        let mut builder = Matcher::builder().no(no_proxy);
        if let Some(setting) = &self.http {
            builder = builder.http(setting.value.as_str());
        }
        if let Some(setting) = &self.https {
            builder = builder.https(setting.value.as_str());
        }
        if let Some(setting) = &self.all {
            builder = builder.all(setting.value.as_str());
        }
        Ok(Some(ProxyRules {
            matcher: builder.build(),
        }))
    }
}

/// Rejects what the transport cannot use, naming the setting but never echoing the URL
/// (it may hold a password).
fn check_proxy_url(setting: &Setting) -> Result<(), TransportError> {
    let origin = &setting.origin;
    let uri: Uri = setting.value.parse().map_err(|_| {
        TransportError::other(format!(
            "{origin}: not a valid proxy URL (expected http://host:port)"
        ))
    })?;
    match uri.scheme_str() {
        None | Some("http") => {}
        Some("https") => {
            return Err(TransportError::other(format!(
                "{origin}: https:// proxy URLs (TLS to the proxy itself) are not supported; \
                 use http://host:port (https destinations still get end-to-end TLS)"
            )));
        }
        Some(scheme) if scheme.starts_with("socks") => {
            return Err(TransportError::other(format!(
                "{origin}: SOCKS proxies ({scheme}://) are not supported; use an HTTP proxy"
            )));
        }
        Some(scheme) => {
            return Err(TransportError::other(format!(
                "{origin}: unsupported proxy scheme `{scheme}` (expected http)"
            )));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(TransportError::other(format!(
            "{origin}: the proxy URL has no host"
        )));
    }
    Ok(())
}

/// Hides `user:password@` in a proxy URL.
fn redact_credentials(url: &str) -> Cow<'_, str> {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}[redacted]@{}",
            &url[..authority_start],
            &rest[at + 1..]
        )),
        None => Cow::Borrowed(url),
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'a>(&'a Option<Setting>);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    Some(s) => write!(f, "{} ({})", redact_credentials(&s.value), s.origin),
                    None => f.write_str("None"),
                }
            }
        }
        f.debug_struct("ProxyConfig")
            .field("http", &Shown(&self.http))
            .field("https", &Shown(&self.https))
            .field("all", &Shown(&self.all))
            .field("no_proxy", &Shown(&self.no_proxy))
            .finish()
    }
}

/// The checked, ready-to-match form of a [`ProxyConfig`].
#[derive(Debug)]
pub(crate) struct ProxyRules {
    matcher: Matcher,
}

impl ProxyRules {
    /// The proxy for `destination`, with its credentials, or `None` to connect directly.
    pub(crate) fn intercept(&self, destination: &Uri) -> Option<Intercept> {
        self.matcher.intercept(destination)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportErrorKind;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> ProxyConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ProxyConfig::from_lookup(|name| map.get(name).cloned())
    }

    fn proxy_for(config: &ProxyConfig, destination: &str) -> Option<String> {
        let uri: Uri = destination.parse().unwrap();
        config
            .proxy_for(&uri)
            .unwrap()
            .map(|proxy| proxy.authority().unwrap().to_string())
    }

    #[test]
    fn no_variables_means_no_proxy() {
        let config = env(&[]);
        assert!(config.is_empty());
        assert_eq!(proxy_for(&config, "https://api.example.com/"), None);
        assert!(config.compile().unwrap().is_none());
    }

    #[test]
    fn https_proxy_applies_to_https_destinations_only() {
        let config = env(&[("HTTPS_PROXY", "http://secure-proxy:3128")]);
        assert_eq!(
            proxy_for(&config, "https://api.example.com/x").as_deref(),
            Some("secure-proxy:3128")
        );
        assert_eq!(proxy_for(&config, "http://api.example.com/x"), None);
    }

    #[test]
    fn http_proxy_applies_to_http_destinations_only() {
        let config = env(&[("HTTP_PROXY", "http://plain-proxy:8080")]);
        assert_eq!(
            proxy_for(&config, "http://api.example.com/").as_deref(),
            Some("plain-proxy:8080")
        );
        assert_eq!(proxy_for(&config, "https://api.example.com/"), None);
    }

    #[test]
    fn upper_case_wins_and_lower_case_is_the_fallback() {
        let both = env(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
        ]);
        assert_eq!(
            proxy_for(&both, "https://a.example/").as_deref(),
            Some("upper:1")
        );
        let lower = env(&[("https_proxy", "http://lower:2")]);
        assert_eq!(
            proxy_for(&lower, "https://a.example/").as_deref(),
            Some("lower:2")
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = env(&[("HTTPS_PROXY", "  "), ("https_proxy", "http://lower:2")]);
        assert_eq!(
            proxy_for(&config, "https://a.example/").as_deref(),
            Some("lower:2")
        );
    }

    #[test]
    fn all_proxy_fills_in_for_a_missing_scheme() {
        let config = env(&[
            ("ALL_PROXY", "http://everything:9000"),
            ("HTTPS_PROXY", "http://secure:3128"),
        ]);
        assert_eq!(
            proxy_for(&config, "https://a.example/").as_deref(),
            Some("secure:3128")
        );
        assert_eq!(
            proxy_for(&config, "http://a.example/").as_deref(),
            Some("everything:9000")
        );
    }

    #[test]
    fn scheme_less_proxy_urls_mean_http() {
        let config = env(&[("https_proxy", "proxy.internal:3128")]);
        let uri: Uri = "https://a.example/".parse().unwrap();
        let proxy = config.proxy_for(&uri).unwrap().unwrap();
        assert_eq!(proxy.scheme_str(), Some("http"));
        assert_eq!(proxy.host(), Some("proxy.internal"));
        assert_eq!(proxy.port_u16(), Some(3128));
    }

    #[test]
    fn no_proxy_matches_domains_subdomains_ips_and_networks() {
        let config = env(&[
            ("ALL_PROXY", "http://proxy:1"),
            (
                "NO_PROXY",
                "example.com, .corp.test,192.168.1.7, 10.0.0.0/8, ::1",
            ),
        ]);
        for direct in [
            "https://example.com/",
            "https://api.example.com/",
            "https://corp.test/",
            "https://build.corp.test/",
            "http://192.168.1.7:8080/",
            "http://10.20.30.40/",
            "http://[::1]:8080/",
        ] {
            assert_eq!(proxy_for(&config, direct), None, "{direct} should bypass");
        }
        for proxied in [
            "https://notexample.com/",
            "https://example.com.evil.test/",
            "http://192.168.1.8/",
            "http://11.0.0.1/",
        ] {
            assert_eq!(
                proxy_for(&config, proxied).as_deref(),
                Some("proxy:1"),
                "{proxied} should be proxied"
            );
        }
    }

    #[test]
    fn no_proxy_star_disables_the_proxy_for_names_and_ips() {
        let config = env(&[("ALL_PROXY", "http://proxy:1"), ("no_proxy", "*")]);
        assert_eq!(proxy_for(&config, "https://api.example.com/"), None);
        assert_eq!(proxy_for(&config, "http://127.0.0.1:9/"), None);
    }

    #[test]
    fn under_cgi_upper_case_http_proxy_is_ignored() {
        let injected = env(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")]);
        assert_eq!(proxy_for(&injected, "http://a.example/"), None);
        let lower = env(&[
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://evil:1"),
            ("http_proxy", "http://good:2"),
        ]);
        assert_eq!(
            proxy_for(&lower, "http://a.example/").as_deref(),
            Some("good:2")
        );
    }

    #[test]
    fn credentials_become_basic_auth_and_leave_the_uri() {
        let config = env(&[("HTTPS_PROXY", "http://Aladdin:open%20sesame@proxy:3128")]);
        let rules = config.compile().unwrap().unwrap();
        let uri: Uri = "https://a.example/".parse().unwrap();
        let intercept = rules.intercept(&uri).unwrap();
        assert_eq!(intercept.uri().authority().unwrap().as_str(), "proxy:3128");
        // base64("Aladdin:open sesame")
        assert_eq!(
            intercept.basic_auth().unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn unsupported_schemes_are_rejected_naming_the_variable() {
        let socks = env(&[("ALL_PROXY", "socks5://user:hunter2@proxy:1080")]);
        let err = socks.compile().unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.message().contains("ALL_PROXY"), "{err}");
        assert!(err.message().contains("SOCKS"), "{err}");
        assert!(!err.message().contains("hunter2"), "{err}");

        let tls = env(&[("https_proxy", "https://proxy:443")]);
        let err = tls.compile().unwrap_err();
        assert!(err.message().contains("https_proxy"), "{err}");
        assert!(err.message().contains("not supported"), "{err}");

        let ftp = ProxyConfig::new().http("ftp://proxy:21");
        let err = ftp.compile().unwrap_err();
        assert!(err.message().contains("ProxyConfig::http"), "{err}");
        assert!(err.message().contains("`ftp`"), "{err}");
    }

    #[test]
    fn malformed_proxy_urls_are_rejected() {
        let err = env(&[("HTTP_PROXY", "http://bad host:80")])
            .compile()
            .unwrap_err();
        assert!(
            err.message()
                .starts_with("HTTP_PROXY: not a valid proxy URL")
        );
        let err = ProxyConfig::new()
            .https("http:///path-only")
            .compile()
            .unwrap_err();
        assert!(err.message().contains("ProxyConfig::https"), "{err}");
    }

    #[test]
    fn builder_setters_clear_with_empty_strings() {
        let config = ProxyConfig::new().https("http://p:1").https("");
        assert!(config.is_empty());
        let config = ProxyConfig::new().all("http://p:1");
        assert!(!config.is_empty());
    }

    #[test]
    fn debug_redacts_credentials() {
        let config = env(&[
            ("HTTPS_PROXY", "http://user:hunter2@proxy:3128/"),
            ("NO_PROXY", "localhost"),
        ]);
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("user"), "{shown}");
        assert!(
            shown.contains("http://[redacted]@proxy:3128/ (HTTPS_PROXY)"),
            "{shown}"
        );
        assert!(shown.contains("localhost (NO_PROXY)"), "{shown}");
    }

    #[test]
    fn redaction_handles_urls_without_scheme_or_credentials() {
        assert_eq!(redact_credentials("proxy:3128"), "proxy:3128");
        assert_eq!(
            redact_credentials("u:p@proxy:3128"),
            "[redacted]@proxy:3128"
        );
        assert_eq!(
            redact_credentials("http://proxy:3128/a@b"),
            "http://proxy:3128/a@b"
        );
    }
}
