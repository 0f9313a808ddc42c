//! Schema migrations: one explicit, numbered list applied in ascending order, each in its own
//! transaction, recorded in `schema_migrations`. A migration is never edited once committed;
//! change the schema by adding the next number.
//!
//! Number ranges, so helpers working in parallel never collide:
//! - 0001-0099: core (messages, contacts, identities, conversations, analyses) - this crate's core
//! - 0100-0199: server (accounts, sessions, tokens, audit log, notes)
//! - 0200-0299: workflow (routing, assignments, response-time targets)
//! - 0300-0399: cases and alerts
//!
//! Add one: put `NNNN_name.sql` next to this file and one line in [`MIGRATIONS`].

use rusqlite::Connection;

use crate::StoreError;

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in ascending version order (checked by a test).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sql: include_str!("migrations/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "deferred_indexes",
        sql: include_str!("migrations/0002_deferred_indexes.sql"),
    },
    Migration {
        version: 100,
        name: "accounts",
        sql: include_str!("migrations/0100_accounts.sql"),
    },
    Migration {
        version: 101,
        name: "server",
        sql: include_str!("migrations/0101_server.sql"),
    },
    Migration {
        version: 190,
        name: "web_views",
        sql: include_str!("migrations/0190_web_views.sql"),
    },
    Migration {
        version: 191,
        name: "web_identity_index",
        sql: include_str!("migrations/0191_web_identity_index.sql"),
    },
    Migration {
        version: 200,
        name: "workflow",
        sql: include_str!("migrations/0200_workflow.sql"),
    },
    Migration {
        version: 201,
        name: "webhooks",
        sql: include_str!("migrations/0201_webhooks.sql"),
    },
    Migration {
        version: 202,
        name: "facet_workflow",
        sql: include_str!("migrations/0202_facet_workflow.sql"),
    },
    Migration {
        version: 203,
        name: "clock_reopened",
        sql: include_str!("migrations/0203_clock_reopened.sql"),
    },
    Migration {
        version: 300,
        name: "cases_alerts",
        sql: include_str!("migrations/0300_cases_alerts.sql"),
    },
    Migration {
        version: 301,
        name: "case_days",
        sql: include_str!("migrations/0301_case_days.sql"),
    },
];

/// Applies every migration not yet recorded. Safe to run at every start.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )?;
    for m in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [m.version],
            |row| row.get(0),
        )?;
        if !done {
            tx.execute_batch(m.sql)
                .map_err(|source| StoreError::Migration {
                    version: m.version,
                    name: m.name,
                    source,
                })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![m.version, m.name, crate::time::to_sql(&chrono::Utc::now())],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_ascend_and_are_unique() {
        for pair in MIGRATIONS.windows(2) {
            assert!(
                pair[0].version < pair[1].version,
                "{} before {}",
                pair[0].version,
                pair[1].version
            );
        }
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n as usize, MIGRATIONS.len());
    }
}
