//! [`Access`] on the PostgreSQL store: one synchronous transaction each, on
//! the store's accounts connection. Member and owner names are compared as
//! `lower(...)` (the SQLite store's `COLLATE NOCASE`); names and document ids
//! are listed in byte order (`COLLATE "C"`), as SQLite orders them.

use super::PgStore;
use crate::store::writer::now_ms;
use crate::store::accounts::{stored_doc_id as doc_id, stored_role as role, workspace_name};
use crate::store::{Access, AccessRow, LinkInfo, StoreError, TokenHash, Trashed};
use postgres::Row;
use tandem_sync::{DocId, Role};

/// A document's access from `owner, workspace` at column `at` and the next.
fn access_row(r: &Row, at: usize) -> Result<AccessRow, postgres::Error> {
    Ok(AccessRow { owner: r.try_get(at)?, workspace: role(r.try_get(at + 1)?) })
}

/// A share link from `id, role, created_at`.
fn link_row(r: &Row) -> Result<LinkInfo, postgres::Error> {
    // An unknown stored role is read as the least one.
    let role = role(r.try_get(1)?).unwrap_or(Role::Viewer);
    Ok(LinkInfo { id: r.try_get(0)?, role, created_at: r.try_get(2)? })
}

/// The `(name, role)` pairs of `rows` (a text column, then a role), without
/// those whose stored role is unknown (they grant nothing).
fn known_roles(rows: &[Row]) -> Result<Vec<(String, Role)>, postgres::Error> {
    let mut known = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(role) = role(r.try_get(1)?) {
            known.push((r.try_get(0)?, role));
        }
    }
    Ok(known)
}

/// A trashed document from `doc, deleted_at, deleted_by`.
fn trashed_row(r: &Row) -> Result<Trashed, StoreError> {
    Ok(Trashed { doc: doc_id(r.try_get(0)?)?, deleted_at: r.try_get(1)?, deleted_by: r.try_get(2)? })
}

impl Access for PgStore {
    fn trash(&self, doc: &DocId, by: &str, at: i64) -> Result<bool, StoreError> {
        self.accounts(|client| {
            let sql = "INSERT INTO trash (doc, deleted_at, deleted_by) VALUES ($1, $2, $3) ON CONFLICT (doc) DO NOTHING";
            Ok(client.execute(sql, &[&doc.as_str(), &at, &by])? > 0)
        })
    }

    fn untrash(&self, doc: &DocId) -> Result<bool, StoreError> {
        self.accounts(|client| Ok(client.execute("DELETE FROM trash WHERE doc = $1", &[&doc.as_str()])? > 0))
    }

    fn is_trashed(&self, doc: &DocId) -> Result<bool, StoreError> {
        self.accounts(|client| Ok(client.query_opt("SELECT 1 FROM trash WHERE doc = $1", &[&doc.as_str()])?.is_some()))
    }

    fn trashed(&self) -> Result<Vec<Trashed>, StoreError> {
        self.accounts(|client| {
            let sql = "SELECT doc, deleted_at, deleted_by FROM trash ORDER BY deleted_at DESC, doc COLLATE \"C\"";
            client.query(sql, &[])?.iter().map(trashed_row).collect()
        })
    }

    fn access(&self, doc: &DocId) -> Result<Option<AccessRow>, StoreError> {
        self.accounts(|client| {
            let row = client.query_opt("SELECT owner, workspace FROM access WHERE doc = $1", &[&doc.as_str()])?;
            Ok(row.map(|r| access_row(&r, 0)).transpose()?)
        })
    }

    fn all_access(&self) -> Result<Vec<(DocId, AccessRow)>, StoreError> {
        self.accounts(|client| {
            let rows = client.query("SELECT doc, owner, workspace FROM access", &[])?;
            rows.iter().map(|r| Ok((doc_id(r.try_get(0)?)?, access_row(r, 1)?))).collect()
        })
    }

    fn claim(&self, doc: &DocId, row: &AccessRow) -> Result<bool, StoreError> {
        self.accounts(|client| {
            let sql = "INSERT INTO access (doc, owner, workspace) VALUES ($1, $2, $3) ON CONFLICT (doc) DO NOTHING";
            Ok(client.execute(sql, &[&doc.as_str(), &row.owner, &workspace_name(row.workspace)])? > 0)
        })
    }

    fn set_workspace(&self, doc: &DocId, row: &AccessRow) -> Result<(), StoreError> {
        self.accounts(|client| {
            client.execute(
                "INSERT INTO access (doc, owner, workspace) VALUES ($1, $2, $3)
                 ON CONFLICT (doc) DO UPDATE SET workspace = excluded.workspace",
                &[&doc.as_str(), &row.owner, &workspace_name(row.workspace)],
            )?;
            Ok(())
        })
    }

    fn members(&self, doc: &DocId) -> Result<Vec<(String, Role)>, StoreError> {
        self.accounts(|client| {
            let sql = "SELECT username, role FROM members WHERE doc = $1 ORDER BY lower(username) COLLATE \"C\"";
            Ok(known_roles(&client.query(sql, &[&doc.as_str()])?)?)
        })
    }

    fn roles_of(&self, username: &str) -> Result<Vec<(DocId, Role)>, StoreError> {
        self.accounts(|client| {
            let rows = client.query("SELECT doc, role FROM members WHERE lower(username) = lower($1)", &[&username])?;
            known_roles(&rows)?.into_iter().map(|(doc, r)| Ok((doc_id(doc)?, r))).collect()
        })
    }

    fn set_member(&self, doc: &DocId, username: &str, role: Role) -> Result<(), StoreError> {
        self.accounts(|client| {
            client.execute(
                "INSERT INTO members (doc, username, role) VALUES ($1, $2, $3)
                 ON CONFLICT (doc, lower(username)) DO UPDATE SET role = excluded.role",
                &[&doc.as_str(), &username, &role.as_str()],
            )?;
            Ok(())
        })
    }

    fn remove_member(&self, doc: &DocId, username: &str) -> Result<bool, StoreError> {
        self.accounts(|client| {
            let sql = "DELETE FROM members WHERE doc = $1 AND lower(username) = lower($2)";
            Ok(client.execute(sql, &[&doc.as_str(), &username])? > 0)
        })
    }

    fn add_link(&self, token: &TokenHash, doc: &DocId, role: Role) -> Result<LinkInfo, StoreError> {
        self.accounts(|client| {
            let created_at = now_ms();
            let row = client.query_one(
                "INSERT INTO links (token_hash, doc, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&token.as_slice(), &doc.as_str(), &role.as_str(), &created_at],
            )?;
            Ok(LinkInfo { id: row.try_get(0)?, role, created_at })
        })
    }

    fn links(&self, doc: &DocId) -> Result<Vec<LinkInfo>, StoreError> {
        self.accounts(|client| {
            let rows = client.query("SELECT id, role, created_at FROM links WHERE doc = $1 ORDER BY id", &[&doc.as_str()])?;
            Ok(rows.iter().map(link_row).collect::<Result<_, _>>()?)
        })
    }

    fn link(&self, token: &TokenHash) -> Result<Option<(LinkInfo, DocId)>, StoreError> {
        self.accounts(|client| {
            let sql = "SELECT id, role, created_at, doc FROM links WHERE token_hash = $1";
            let row = client.query_opt(sql, &[&token.as_slice()])?;
            row.map(|r| Ok((link_row(&r)?, doc_id(r.try_get(3)?)?))).transpose()
        })
    }

    fn delete_link(&self, doc: &DocId, id: i64) -> Result<bool, StoreError> {
        self.accounts(|client| Ok(client.execute("DELETE FROM links WHERE id = $1 AND doc = $2", &[&id, &doc.as_str()])? > 0))
    }
}
