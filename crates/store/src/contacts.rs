//! Contacts and their identities (channel + handle). Every new handle gets its own contact;
//! [`Store::merge_contacts`] joins two contacts (the same person on twitter and by email).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub display_name: Option<String>,
    /// (channel, handle) pairs.
    pub identities: Vec<(String, String)>,
}

impl Store {
    /// The contact behind a handle, with all its identities.
    pub fn contact_of(&self, channel: &str, handle: &str) -> Result<Option<Contact>, StoreError> {
        let id: Option<i64> = self
            .conn()
            .prepare_cached("SELECT contact_id FROM identities WHERE channel = ?1 AND handle = ?2")?
            .query_row(params![channel, handle], |r| r.get(0))
            .optional()?;
        match id {
            Some(id) => self.contact(id),
            None => Ok(None),
        }
    }

    pub fn contact(&self, id: i64) -> Result<Option<Contact>, StoreError> {
        let name: Option<Option<String>> = self
            .conn()
            .prepare_cached("SELECT display_name FROM contacts WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let Some(display_name) = name else {
            return Ok(None);
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT channel, handle FROM identities WHERE contact_id = ?1 ORDER BY id",
        )?;
        let identities = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(Contact {
            id,
            display_name,
            identities,
        }))
    }

    /// Moves every identity of `from` to `into`; `from` stays as a tombstone (`merged_into`).
    pub fn merge_contacts(&mut self, from: i64, into: i64) -> Result<(), StoreError> {
        if from == into {
            return Ok(());
        }
        self.write(|tx| {
            for id in [from, into] {
                let live: Option<bool> = tx
                    .query_row(
                        "SELECT merged_into IS NULL FROM contacts WHERE id = ?1",
                        [id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if live != Some(true) {
                    return Err(StoreError::NotFound(format!("contact {id}")));
                }
            }
            tx.execute(
                "UPDATE identities SET contact_id = ?1 WHERE contact_id = ?2",
                params![into, from],
            )?;
            tx.execute(
                "UPDATE contacts SET merged_into = ?1 WHERE id = ?2",
                params![into, from],
            )?;
            Ok(())
        })
    }
}
