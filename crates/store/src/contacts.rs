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

/// A contact as a lossless export carries it: its display name and its identities, the one it
/// was created with first.
pub type ContactIdentities = (Option<String>, Vec<(String, String)>);

impl Store {
    /// Every contact with more than one identity (merged), in id order.
    pub fn for_each_merged_contact(
        &self,
        mut sink: impl FnMut(ContactIdentities) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        // Each contact is created together with one identity, so ids go in step; that identity
        // comes first, and importing keeps its contact.
        let mut stmt = self.conn().prepare(
            "SELECT c.id, c.display_name, i.channel, i.handle FROM contacts c
             JOIN identities i ON i.contact_id = c.id
             WHERE c.merged_into IS NULL
               AND (SELECT COUNT(*) FROM identities j WHERE j.contact_id = c.id) > 1
             ORDER BY c.id, i.id != c.id, i.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut current: Option<(i64, ContactIdentities)> = None;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if current.as_ref().is_some_and(|(c, _)| *c != id) {
                let (_, contact) = current.take().expect("checked");
                sink(contact)?;
                n += 1;
            }
            let entry = current.get_or_insert_with(|| (id, (None, Vec::new())));
            entry.1.0 = row.get(1)?;
            entry.1.1.push((row.get(2)?, row.get(3)?));
        }
        if let Some((_, contact)) = current {
            sink(contact)?;
            n += 1;
        }
        Ok(n)
    }

    /// Joins the contacts of each item's identities into the first identity's contact and sets
    /// its display name, in one transaction: importing an export. `false` for an item naming an
    /// identity not in the store (nothing of that item is changed).
    pub fn restore_contacts(
        &mut self,
        items: &[ContactIdentities],
    ) -> Result<Vec<bool>, StoreError> {
        self.write(|tx| {
            let mut find = tx.prepare_cached(
                "SELECT contact_id FROM identities WHERE channel = ?1 AND handle = ?2",
            )?;
            let mut out = Vec::with_capacity(items.len());
            for (display_name, identities) in items {
                let mut contacts = Vec::with_capacity(identities.len());
                for (channel, handle) in identities {
                    let found: Option<i64> = find
                        .query_row(params![channel, handle], |r| r.get(0))
                        .optional()?;
                    contacts.extend(found);
                }
                if contacts.len() != identities.len() || contacts.is_empty() {
                    out.push(false);
                    continue;
                }
                let into = contacts[0];
                for &from in &contacts[1..] {
                    if from != into {
                        tx.execute(
                            "UPDATE identities SET contact_id = ?1 WHERE contact_id = ?2",
                            params![into, from],
                        )?;
                        tx.execute(
                            "UPDATE contacts SET merged_into = ?1 WHERE id = ?2",
                            params![into, from],
                        )?;
                    }
                }
                tx.execute(
                    "UPDATE contacts SET display_name = ?1 WHERE id = ?2",
                    params![display_name, into],
                )?;
                out.push(true);
            }
            Ok(out)
        })
    }
}
