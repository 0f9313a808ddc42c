//! Accounts and what people do in the server: users with roles, login sessions, API tokens
//! (hashed at rest), the audit log, internal notes and label corrections (training data).
//! Tables in migration 0100 (`migrations/0100_accounts.sql`).
//!
//! Secrets never reach this module in the clear: sessions and tokens are looked up by the
//! SHA-256 hash of the random value the client holds; passwords arrive as argon2 PHC strings.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use crate::time;
use crate::{Store, StoreError};
use model::Timestamp;

fn now() -> String {
    time::to_sql(&chrono::Utc::now())
}

fn ts(row: &Row<'_>, idx: usize) -> rusqlite::Result<Timestamp> {
    let s: String = row.get(idx)?;
    time::from_sql(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn ts_opt(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| {
        time::from_sql(&s).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct User {
    pub id: i64,
    pub name: String,
    /// `agent`, `lead`, `executive` or `admin` (checked by the web crate's `Role::parse`).
    pub role: String,
    /// Interface language, `de` or `en`.
    pub language: String,
    pub created_at: Timestamp,
    pub disabled: bool,
}

/// A user with the password hash, for login only.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

/// A live session: who, and the CSRF token bound to it.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// Comma-separated scopes: `ingest`, `read`, `act`, `admin`.
    pub scopes: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Note {
    pub id: i64,
    pub conversation_id: i64,
    pub author: String,
    pub text: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LabelCorrection {
    pub id: i64,
    pub message_id: i64,
    pub task: String,
    pub label: String,
    pub previous: Option<String>,
    pub author: String,
    pub created_at: Timestamp,
}

const USER_COLS: &str = "u.id, u.name, u.role, u.language, u.created_at, u.disabled";

fn user_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        name: row.get(1)?,
        role: row.get(2)?,
        language: row.get(3)?,
        created_at: ts(row, 4)?,
        disabled: row.get(5)?,
    })
}

const TOKEN_COLS: &str = "id, name, scopes, created_at, last_used_at, revoked";

fn token_row(row: &Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: row.get(0)?,
        name: row.get(1)?,
        scopes: row.get(2)?,
        created_at: ts(row, 3)?,
        last_used_at: ts_opt(row, 4)?,
        revoked: row.get(5)?,
    })
}

fn note_row(row: &Row<'_>) -> rusqlite::Result<Note> {
    Ok(Note {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        author: row.get(2)?,
        text: row.get(3)?,
        created_at: ts(row, 4)?,
    })
}

fn correction_row(row: &Row<'_>) -> rusqlite::Result<LabelCorrection> {
    Ok(LabelCorrection {
        id: row.get(0)?,
        message_id: row.get(1)?,
        task: row.get(2)?,
        label: row.get(3)?,
        previous: row.get(4)?,
        author: row.get(5)?,
        created_at: ts(row, 6)?,
    })
}

impl Store {
    /// Creates a user, or replaces role and password of an existing one with that name
    /// (and enables it again).
    pub fn upsert_user(
        &self,
        name: &str,
        role: &str,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        self.conn().execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET role = excluded.role,
                 password_hash = excluded.password_hash, disabled = 0",
            params![name, role, password_hash, now()],
        )?;
        Ok(self.conn().query_row(
            &format!("SELECT {USER_COLS} FROM users u WHERE u.name = ?1"),
            [name],
            user_row,
        )?)
    }

    pub fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {USER_COLS} FROM users u ORDER BY u.name"))?;
        let users = stmt.query_map([], user_row)?.collect::<Result<_, _>>()?;
        Ok(users)
    }

    pub fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {USER_COLS} FROM users u WHERE u.id = ?1"),
                [id],
                user_row,
            )
            .optional()?)
    }

    pub fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {USER_COLS} FROM users u WHERE u.name = ?1"),
                [name],
                user_row,
            )
            .optional()?)
    }

    pub fn user_credentials(&self, name: &str) -> Result<Option<UserCredentials>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.name = ?1"),
                [name],
                |row| {
                    Ok(UserCredentials {
                        user: user_row(row)?,
                        password_hash: row.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// Disabling a user also ends their sessions.
    pub fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE users SET disabled = ?2 WHERE id = ?1",
            params![id, disabled],
        )?;
        if disabled {
            self.conn()
                .execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
        }
        Ok(n > 0)
    }

    pub fn set_user_language(&self, id: i64, language: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE users SET language = ?2 WHERE id = ?1",
            params![id, language],
        )? > 0)
    }

    pub fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, user_id, csrf, now(), time::to_sql(&expires_at)],
        )?;
        Ok(())
    }

    /// The session for a token hash, if it exists, has not expired and its user is enabled.
    pub fn find_session(&self, token_hash: &[u8]) -> Result<Option<Session>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {USER_COLS}, s.csrf, s.expires_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
            ))?
            .query_row(params![token_hash, now()], |row| {
                Ok(Session {
                    user: user_row(row)?,
                    csrf: row.get(6)?,
                    expires_at: ts(row, 7)?,
                })
            })
            .optional()?)
    }

    pub fn delete_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// Stores a token by hash. A name that exists already is a `rusqlite` constraint error;
    /// check with [`Store::list_tokens`] first for a friendly message.
    pub fn create_token(
        &self,
        name: &str,
        token_hash: &[u8],
        scopes: &str,
    ) -> Result<ApiToken, StoreError> {
        self.conn().execute(
            "INSERT INTO api_tokens (name, token_hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, token_hash, scopes, now()],
        )?;
        let id = self.conn().last_insert_rowid();
        Ok(self.conn().query_row(
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = ?1"),
            [id],
            token_row,
        )?)
    }

    /// The live (not revoked) token with this hash.
    pub fn find_token(&self, token_hash: &[u8]) -> Result<Option<ApiToken>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = ?1 AND revoked = 0"
            ))?
            .query_row([token_hash], token_row)
            .optional()?)
    }

    /// Records that the token was used now.
    pub fn touch_token(&self, id: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    pub fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens ORDER BY name"
        ))?;
        let tokens = stmt.query_map([], token_row)?.collect::<Result<_, _>>()?;
        Ok(tokens)
    }

    pub fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id])?
            > 0)
    }

    /// Appends to the audit log; returns the entry id.
    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        self.conn().execute(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![now(), actor, action, target, detail.to_string()],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// The newest audit entries first, at most `limit`.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
        )?;
        let entries = stmt
            .query_map([limit], |row| {
                let detail: String = row.get(5)?;
                Ok(AuditEntry {
                    id: row.get(0)?,
                    at: ts(row, 1)?,
                    actor: row.get(2)?,
                    action: row.get(3)?,
                    target: row.get(4)?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(entries)
    }

    pub fn add_note(
        &self,
        conversation_id: i64,
        author: &str,
        text: &str,
    ) -> Result<Note, StoreError> {
        let created_at = chrono::Utc::now();
        self.conn().execute(
            "INSERT INTO notes (conversation_id, author, text, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![conversation_id, author, text, time::to_sql(&created_at)],
        )?;
        Ok(Note {
            id: self.conn().last_insert_rowid(),
            conversation_id,
            author: author.to_owned(),
            text: text.to_owned(),
            created_at,
        })
    }

    pub fn notes(&self, conversation_id: i64) -> Result<Vec<Note>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, conversation_id, author, text, created_at FROM notes
             WHERE conversation_id = ?1 ORDER BY id",
        )?;
        let notes = stmt
            .query_map([conversation_id], note_row)?
            .collect::<Result<_, _>>()?;
        Ok(notes)
    }

    pub fn add_label_correction(
        &self,
        message_id: i64,
        task: &str,
        label: &str,
        previous: Option<&str>,
        author: &str,
    ) -> Result<LabelCorrection, StoreError> {
        let created_at = chrono::Utc::now();
        self.conn().execute(
            "INSERT INTO label_corrections (message_id, task, label, previous, author, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                message_id,
                task,
                label,
                previous,
                author,
                time::to_sql(&created_at)
            ],
        )?;
        Ok(LabelCorrection {
            id: self.conn().last_insert_rowid(),
            message_id,
            task: task.to_owned(),
            label: label.to_owned(),
            previous: previous.map(str::to_owned),
            author: author.to_owned(),
            created_at,
        })
    }

    /// Corrections of one message, oldest first.
    pub fn label_corrections_of(
        &self,
        message_id: i64,
    ) -> Result<Vec<LabelCorrection>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, message_id, task, label, previous, author, created_at
             FROM label_corrections WHERE message_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([message_id], correction_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// All corrections, oldest first; the latest correction of a (message, task) wins in
    /// training.
    pub fn label_corrections(&self) -> Result<Vec<LabelCorrection>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, message_id, task, label, previous, author, created_at
             FROM label_corrections ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], correction_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_lookup_needs_enabled_user_and_future_expiry() {
        let store = Store::open_in_memory().unwrap();
        let u = store.upsert_user("anna", "agent", "$argon2id$x").unwrap();
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        let earlier = chrono::Utc::now() - chrono::Duration::hours(1);
        store.create_session(b"h1", u.id, "csrf", later).unwrap();
        store.create_session(b"h2", u.id, "csrf", earlier).unwrap();
        assert_eq!(
            store.find_session(b"h1").unwrap().unwrap().user.name,
            "anna"
        );
        assert!(store.find_session(b"h2").unwrap().is_none());
        store.set_user_disabled(u.id, true).unwrap();
        assert!(store.find_session(b"h1").unwrap().is_none());
    }

    #[test]
    fn revoked_token_is_not_found() {
        let store = Store::open_in_memory().unwrap();
        let t = store.create_token("ci", b"hash", "ingest,read").unwrap();
        assert_eq!(
            store.find_token(b"hash").unwrap().unwrap().scopes,
            "ingest,read"
        );
        store.revoke_token(t.id).unwrap();
        assert!(store.find_token(b"hash").unwrap().is_none());
    }

    #[test]
    fn audit_newest_first() {
        let store = Store::open_in_memory().unwrap();
        store
            .audit("admin", "a", "x", &serde_json::json!({}))
            .unwrap();
        store
            .audit("admin", "b", "y", &serde_json::json!({"k": 1}))
            .unwrap();
        let log = store.audit_log(10).unwrap();
        assert_eq!(log[0].action, "b");
        assert_eq!(log[0].detail["k"], 1);
    }
}
