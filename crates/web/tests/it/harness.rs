//! Starts the real server in-process on port 0 with a fresh data dir, and offers clients
//! logged in as a given role or holding a token with given scopes.

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use web::{AppState, ServerConfig};

pub struct TestServer {
    pub base: String,
    pub state: AppState,
    dir: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(ServerConfig::default()).await
    }

    pub async fn start_with(config: ServerConfig) -> TestServer {
        Self::start_engine(config, engine::EngineConfig::default()).await
    }

    /// With pipeline settings, e.g. a simulated clock and a short tick.
    pub async fn start_engine(
        config: ServerConfig,
        engine_config: engine::EngineConfig,
    ) -> TestServer {
        Self::start_in(tempfile::tempdir().unwrap(), config, engine_config).await
    }

    /// Stops the server and starts a new one on the same data folder (a restart).
    pub async fn restart(
        mut self,
        config: ServerConfig,
        engine_config: engine::EngineConfig,
    ) -> TestServer {
        let dir = self.dir.take().unwrap();
        self.stop().await;
        Self::start_in(dir, config, engine_config).await
    }

    async fn start_in(
        dir: tempfile::TempDir,
        config: ServerConfig,
        engine_config: engine::EngineConfig,
    ) -> TestServer {
        let analyzer = std::sync::Arc::new(analysis::Analyzer::new());
        let state = web::server::start_with(dir.path(), config, engine_config, analyzer).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = web::app(state.clone());
        let task = tokio::spawn(async move {
            web::serve(
                listener,
                app,
                async move {
                    let _ = rx.await;
                },
                std::time::Duration::from_secs(5),
            )
            .await
            .unwrap();
        });
        TestServer {
            base,
            state,
            dir: Some(dir),
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Waits until the pipeline analysed and indexed everything ingested so far.
    pub async fn settle(&self) {
        assert!(
            self.state
                .engine()
                .settle(std::time::Duration::from_secs(30))
                .await,
            "pipeline did not catch up"
        );
    }

    /// Waits until the pipeline's stages have ticked (they saw what agents did so far).
    pub async fn tick(&self) {
        assert!(
            self.state
                .engine()
                .next_ticks(std::time::Duration::from_secs(30))
                .await,
            "the stages did not tick"
        );
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a user with this role directly in the store and logs in over HTTP.
    pub async fn login_as(&self, name: &str, role: &str) -> Client {
        let hash = web::auth::hash_password("correct horse battery").unwrap();
        let (n, r) = (name.to_owned(), role.to_owned());
        self.state
            .db(move |s| s.upsert_user(&n, &r, &hash))
            .await
            .unwrap();
        let http = reqwest::Client::builder().build().unwrap();
        let resp = http
            .post(self.url("/api/v1/session"))
            .json(&json!({"name": name, "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "login as {name}");
        let cookie = resp
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body: Value = resp.json().await.unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(&cookie).unwrap());
        headers.insert(
            "x-csrf-token",
            HeaderValue::from_str(body["csrf"].as_str().unwrap()).unwrap(),
        );
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    /// A client with a fresh API token holding `scopes` (e.g. "ingest,read").
    pub async fn token(&self, scopes: &str) -> Client {
        let secret = web::auth::new_api_token();
        let hash = web::auth::secret_hash(&secret);
        let scopes = scopes.to_owned();
        let name = format!("t{}", &secret[3..11]);
        self.state
            .db(move |s| s.create_token(&name, &hash, &scopes))
            .await
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {secret}")).unwrap(),
        );
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    pub fn anonymous(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        let engine = self.state.engine().clone();
        tokio::task::spawn_blocking(move || engine.shutdown())
            .await
            .unwrap();
    }
}

/// An HTTP client bound to the server, with credentials in its default headers.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        decode(resp).await
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        decode(req.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(body)).await
    }
}

async fn decode(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}
