//! A small WebDriver client (the W3C protocol, JSON over HTTP) for driving headless
//! Chromium through chromedriver: just the commands the dashboard test needs.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use ipv_transport::{HttpTransport as _, HyperTransport};
use serde_json::{Value, json};

/// The key W3C WebDriver puts an element reference under.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The browser and its driver, found the way the build script decided the test runs
/// (`ipv_test_probe::chromium`: `IPV_CHROMIUM` / `IPV_CHROMEDRIVER`, else on PATH).
fn programs() -> (PathBuf, PathBuf) {
    ipv_test_probe::chromium().unwrap_or_else(|| {
        panic!(
            "chromium and chromedriver are not installed: {}",
            ipv_test_probe::Service::Chromium.install_hint()
        )
    })
}

pub fn chromium_path() -> PathBuf {
    programs().0
}

pub fn chromedriver_path() -> PathBuf {
    programs().1
}

/// A chromedriver process we started, killed (by its own handle) when dropped.
pub struct Driver {
    child: Child,
    base: String,
    http: HyperTransport,
    _profile: tempfile::TempDir,
    session: Option<String>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver error answer.
#[derive(Debug)]
pub struct WdError(pub String);

impl Driver {
    /// Starts chromedriver on a free loopback port and opens a headless Chromium
    /// session with a fresh profile.
    pub async fn start() -> Self {
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = HyperTransport::builder()
            .request_timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .expect("transport");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut driver = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http,
            _profile: profile,
            session: None,
        };
        super::wait_for("chromedriver to listen", Duration::from_secs(20), || {
            let d = &driver;
            async move {
                d.call("GET", "/status", None)
                    .await
                    .ok()
                    .filter(|v| v["ready"].as_bool() == Some(true))
            }
        })
        .await;
        driver.open_session().await;
        driver
    }

    async fn open_session(&mut self) {
        let profile = self._profile.path().display().to_string();
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1440,1000".to_owned(),
            format!("--user-data-dir={profile}"),
        ];
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium_path().display().to_string(),
                        "args": args,
                    }
                }
            }
        });
        let value = self
            .call("POST", "/session", Some(caps))
            .await
            .expect("a browser session");
        self.session = Some(
            value["sessionId"]
                .as_str()
                .expect("a session id")
                .to_owned(),
        );
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
        let req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|e| WdError(e.to_string()))?;
        let resp = self
            .http
            .send(req)
            .await
            .map_err(|e| WdError(e.to_string()))?;
        let value: Value =
            serde_json::from_slice(resp.body()).map_err(|e| WdError(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(WdError(format!(
                "{} {}",
                value["value"]["error"], value["value"]["message"]
            )));
        }
        Ok(value["value"].clone())
    }

    async fn session_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        let id = self.session.as_deref().expect("a session");
        self.call(method, &format!("/session/{id}{path}"), body)
            .await
    }

    pub async fn goto(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })))
            .await
            .expect("navigates");
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
        .unwrap_or_else(|e| panic!("script failed: {e:?}\n{script}"))
    }

    /// Polls `script` until it returns something other than `null`/`false`, or panics
    /// after `within` naming `what`.
    pub async fn wait_js(
        &self,
        what: &str,
        within: Duration,
        script: &str,
        args: Vec<Value>,
    ) -> Value {
        super::wait_for(what, within, || {
            let args = args.clone();
            async move {
                let v = self.eval(script, args).await;
                (!v.is_null() && v != Value::Bool(false)).then_some(v)
            }
        })
        .await
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .session_call(
                "POST",
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e:?}"));
        found[ELEMENT_KEY]
            .as_str()
            .expect("an element id")
            .to_owned()
    }

    /// Clicks the element `css` selects (a real WebDriver click: scrolled into view,
    /// pointer events). The page re-renders a table when its rows change, so an element
    /// found just before may be replaced: it is looked up again then, until a deadline.
    pub async fn click(&self, css: &str) {
        super::wait_for(
            &format!("a click on {css}"),
            Duration::from_secs(20),
            || async {
                let id = self.element(css).await;
                match self
                    .session_call("POST", &format!("/element/{id}/click"), Some(json!({})))
                    .await
                {
                    Ok(_) => Some(()),
                    Err(WdError(e)) if e.contains("stale element") => None,
                    Err(e) => panic!("click on {css}: {e:?}"),
                }
            },
        )
        .await;
    }

    /// Replaces the text of the input `css` selects by typing `text`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.session_call("POST", &format!("/element/{id}/clear"), Some(json!({})))
            .await
            .expect("clears");
        self.session_call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await
        .expect("types");
    }

    /// Takes a screenshot of the viewport and returns the PNG.
    pub async fn screenshot(&self) -> Vec<u8> {
        let data = self
            .session_call("GET", "/screenshot", None)
            .await
            .expect("a screenshot");
        base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 text"))
            .expect("base64")
    }

    /// Saves a screenshot as `name` under `dir`.
    pub async fn save_screenshot(&self, dir: &Path, name: &str) {
        let png = self.screenshot().await;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        std::fs::write(dir.join(name), png).expect("screenshot written");
    }

    /// Ends the session (the browser exits); the driver process is killed on drop.
    pub async fn quit(mut self) {
        if self.session.is_some() {
            let _ = self.session_call("DELETE", "", None).await;
            self.session = None;
        }
    }
}
