//! The real server for the browser test: a temp data folder, users of every role, the first
//! 5,000 rows of the real TWCS data imported, `web::app` served on a loopback port.

use model::{Direction, Labels, Message, Visibility};
use std::path::Path;
use web::{AppState, ServerConfig};

pub const PASSWORD: &str = "geheim-und-lang-genug";

const TWCS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/twcs/twcs_head5000.csv"
);

pub struct Server {
    pub base: String,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Stores messages as the intake would.
    pub async fn ingest(&self, messages: Vec<Message>) {
        ingest_all(&self.state, messages).await;
    }

    /// Posts messages to `POST /api/v1/messages` with a fresh ingest token, as an outside
    /// system would; returns the response body (`inserted`, `duplicates`).
    pub async fn post_messages(&self, messages: serde_json::Value) -> serde_json::Value {
        let secret = web::auth::new_api_token();
        let hash = web::auth::secret_hash(&secret);
        let name = format!("browser-{}", &secret[3..11]);
        self.state
            .db(move |s| s.create_token(&name, &hash, "ingest"))
            .await
            .expect("create an ingest token");
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v1/messages", self.base))
            .bearer_auth(secret)
            .json(&messages)
            .send()
            .await
            .expect("POST /api/v1/messages");
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.expect("JSON answer");
        assert!(status.is_success(), "ingest refused: {status} {body}");
        body
    }

    /// The conversation a stored message belongs to.
    pub async fn conversation_of(&self, channel: &str, external_id: &str) -> i64 {
        let (c, e) = (channel.to_owned(), external_id.to_owned());
        self.state
            .read(move |st| st.message(&c, &e))
            .await
            .expect("read message")
            .expect("message stored")
            .conversation_id
    }
}

/// A public inbound message on `channel`.
pub fn customer_message(
    channel: &str,
    id: &str,
    author: &str,
    text: &str,
    at: model::Timestamp,
    labels: &[(&str, &str)],
) -> Message {
    Message {
        channel: channel.into(),
        external_id: id.into(),
        author: author.into(),
        author_name: None,
        text: text.into(),
        created_at: at,
        in_reply_to: None,
        direction: Direction::Inbound,
        visibility: Visibility::Public,
        language: None,
        brand: None,
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Labels>(),
        raw: None,
    }
}

/// Ingests through the live pipeline (stored, analysed, indexed) and waits until it caught up.
async fn ingest_all(state: &AppState, messages: Vec<Message>) {
    for chunk in messages.chunks(1000) {
        state
            .engine()
            .ingest(chunk.to_vec())
            .await
            .expect("ingest messages");
    }
    assert!(
        state
            .engine()
            .settle(std::time::Duration::from_secs(120))
            .await,
        "pipeline did not catch up"
    );
}

pub async fn start() -> Server {
    let dir = tempfile::tempdir().expect("temp data dir");
    let state =
        web::server::start(dir.path(), ServerConfig::default()).expect("start the server state");
    let hash = web::auth::hash_password(PASSWORD).expect("hash password");
    state
        .db(move |st| {
            for (name, role) in [
                ("anna", "agent"),
                ("lars", "lead"),
                ("eva", "executive"),
                ("adam", "admin"),
            ] {
                st.upsert_user(name, role, &hash)?;
            }
            Ok::<_, store::StoreError>(())
        })
        .await
        .expect("create users");

    assert!(Path::new(TWCS).exists(), "real data missing: {TWCS}");
    let messages: Vec<Message> = ingest::read(
        ingest::Format::Twcs,
        ingest::Source::open(Path::new(TWCS)).expect("open TWCS"),
    )
    .flatten()
    .map(|r| r.message)
    .collect();
    assert!(messages.len() > 4000, "TWCS rows read: {}", messages.len());
    ingest_all(&state, messages).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let app = web::app(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Server {
        base: format!("http://{addr}"),
        state,
        _dir: dir,
    }
}
