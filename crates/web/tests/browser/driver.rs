//! A real headless Chromium (Debian's `chromium` + `chromium-driver`) driven over WebDriver
//! with fantoccini: start, visit, screenshot to `target/screenshots/`, read the console, run
//! axe-core (from `tests/browser/node_modules`, injected by the test, never served by the app).
//! A missing browser, driver or axe-core fails the test with the command that installs it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

fn axe_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing at {} ({e}); install it with `npm ci --prefix crates/web/tests/browser`",
            path.display()
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The driver process; killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
    driver_url: String,
    session: String,
    axe: String,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start(base: &str) -> Browser {
        for (bin, pkg) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: the browser tests need Debian's `{pkg}` (apt-get install -y chromium chromium-driver; .ci/run does this)"
            );
        }
        let axe = axe_source();
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver(child);
        let driver_url = format!("http://127.0.0.1:{port}");
        // Wait until the driver listens (bounded: 20 s).
        let mut ready = false;
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            ready,
            "chromedriver did not listen on port {port} within 20 s"
        );

        let profile = tempfile::tempdir().expect("browser profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    "--lang=de-DE",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver_url)
            .await
            .expect("open a chromium session through chromedriver");
        let session = client
            .session_id()
            .await
            .expect("session id")
            .expect("session id present");
        Browser {
            client,
            base: base.trim_end_matches('/').to_owned(),
            driver_url,
            session,
            axe,
            _driver: driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.expect("element text"),
            Err(e) => panic!("find `{css}` on {}: {e}", self.path_now().await),
        }
    }

    /// The current URL and the start of the page text, for failure messages.
    async fn path_now(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let body = match self.client.find(Locator::Css("body")).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let start: String = body.chars().take(400).collect();
        format!("{url}; page text: {start:?}")
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find `{css}`: {e}"));
        el.clear().await.expect("clear field");
        el.send_keys(value).await.expect("type into field");
    }

    pub async fn click(&self, css: &str) {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el
                .click()
                .await
                .unwrap_or_else(|e| panic!("click `{css}`: {e}")),
            Err(e) => panic!("find `{css}` on {}: {e}", self.path_now().await),
        }
    }

    /// Clicks something that loads a new page and waits (at most 20 s) until the new page
    /// has loaded: the old document carries a marker the new one does not have.
    pub async fn click_and_load(&self, css: &str) {
        self.js("window.__kvOldPage = true; return null;").await;
        self.click(css).await;
        for _ in 0..200 {
            let done = self
                .client
                .execute(
                    "return !window.__kvOldPage && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "clicking `{css}` loaded no new page within 20 s: {}",
            self.path_now().await
        );
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find `{css}`: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in `{css}`: {e}"));
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("run script in page: {e}"))
    }

    /// Is a JavaScript dialog (alert/confirm/prompt) open?
    pub async fn dialog_open(&self) -> bool {
        self.client.get_alert_text().await.is_ok()
    }

    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Browser console entries at level SEVERE since the last call (the driver drains them).
    pub async fn console_errors(&self) -> Vec<String> {
        let url = format!("{}/session/{}/se/log", self.driver_url, self.session);
        let resp: Value = reqwest::Client::new()
            .post(&url)
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .expect("read browser log from chromedriver")
            .json()
            .await
            .expect("browser log is JSON");
        resp["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs axe-core in the page; returns the serious and critical violations as
    /// `id: help (n nodes: first target)`.
    pub async fn axe_violations(&self) -> Vec<String> {
        let script = format!(
            "{}\nconst done = arguments[arguments.length - 1];\n\
             axe.run(document, {{ resultTypes: ['violations'] }})\n\
               .then(r => done(r.violations.map(v => ({{ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) }}))))\n\
               .catch(e => done([{{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }}]));",
            self.axe
        );
        let result = self
            .client
            .execute_async(&script, vec![])
            .await
            .expect("run axe-core");
        result
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious") | Some("critical")))
            .map(|v| {
                let nodes = v["nodes"].as_array().cloned().unwrap_or_default();
                format!(
                    "{}: {} ({} nodes, e.g. {})",
                    v["id"].as_str().unwrap_or_default(),
                    v["help"].as_str().unwrap_or_default(),
                    nodes.len(),
                    nodes.first().and_then(|n| n.as_str()).unwrap_or_default()
                )
            })
            .collect()
    }

    /// A main page: screenshot, no console errors, no serious axe violations.
    pub async fn check_page(&self, name: &str) {
        self.screenshot(name).await;
        let errors = self.console_errors().await;
        assert!(
            errors.is_empty(),
            "console errors on {name} ({}): {errors:#?}",
            self.path_now().await
        );
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "axe-core found serious/critical violations on {name} ({}): {violations:#?}",
            self.path_now().await
        );
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
