//! [`Access`] on the SQLite store: one synchronous transaction each, on the
//! store's accounts connection.

use super::{SqliteStore, now_ms};
use crate::store::accounts::{stored_doc_id as doc_id, stored_role as role, workspace_name};
use crate::store::{Access, AccessRow, LinkInfo, StoreError, TokenHash, Trashed};
use rusqlite::{OptionalExtension, Row, params};
use tandem_sync::{DocId, Role};

fn access_row(r: &Row<'_>) -> rusqlite::Result<AccessRow> {
    Ok(AccessRow { owner: r.get(0)?, workspace: role(&r.get::<_, String>(1)?) })
}

fn link_row(r: &Row<'_>) -> rusqlite::Result<LinkInfo> {
    // An unknown stored role is read as the least one.
    let role = role(&r.get::<_, String>(1)?).unwrap_or(Role::Viewer);
    Ok(LinkInfo { id: r.get(0)?, role, created_at: r.get(2)? })
}

impl Access for SqliteStore {
    fn trash(&self, doc: &DocId, by: &str, at: i64) -> Result<bool, StoreError> {
        self.accounts(|conn| {
            let sql = "INSERT INTO trash (doc, deleted_at, deleted_by) VALUES (?1, ?2, ?3) ON CONFLICT (doc) DO NOTHING";
            Ok(conn.execute(sql, params![doc.as_str(), at, by])? > 0)
        })
    }

    fn untrash(&self, doc: &DocId) -> Result<bool, StoreError> {
        self.accounts(|conn| Ok(conn.execute("DELETE FROM trash WHERE doc = ?1", params![doc.as_str()])? > 0))
    }

    fn is_trashed(&self, doc: &DocId) -> Result<bool, StoreError> {
        self.accounts(|conn| {
            let found = conn.query_row("SELECT 1 FROM trash WHERE doc = ?1", params![doc.as_str()], |_| Ok(())).optional()?;
            Ok(found.is_some())
        })
    }

    fn trashed(&self) -> Result<Vec<Trashed>, StoreError> {
        let rows: Vec<(String, i64, String)> = self.accounts(|conn| {
            let mut stmt = conn.prepare("SELECT doc, deleted_at, deleted_by FROM trash ORDER BY deleted_at DESC, doc")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        rows.into_iter().map(|(doc, deleted_at, deleted_by)| Ok(Trashed { doc: doc_id(doc)?, deleted_at, deleted_by })).collect()
    }

    fn access(&self, doc: &DocId) -> Result<Option<AccessRow>, StoreError> {
        self.accounts(|conn| {
            let sql = "SELECT owner, workspace FROM access WHERE doc = ?1";
            Ok(conn.query_row(sql, params![doc.as_str()], access_row).optional()?)
        })
    }

    fn all_access(&self) -> Result<Vec<(DocId, AccessRow)>, StoreError> {
        let rows: Vec<(String, AccessRow)> = self.accounts(|conn| {
            let mut stmt = conn.prepare("SELECT doc, owner, workspace FROM access")?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, AccessRow { owner: r.get(1)?, workspace: role(&r.get::<_, String>(2)?) }))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        rows.into_iter().map(|(doc, row)| Ok((doc_id(doc)?, row))).collect()
    }

    fn claim(&self, doc: &DocId, row: &AccessRow) -> Result<bool, StoreError> {
        self.accounts(|conn| {
            let sql = "INSERT INTO access (doc, owner, workspace) VALUES (?1, ?2, ?3) ON CONFLICT (doc) DO NOTHING";
            Ok(conn.execute(sql, params![doc.as_str(), row.owner, workspace_name(row.workspace)])? > 0)
        })
    }

    fn set_workspace(&self, doc: &DocId, row: &AccessRow) -> Result<(), StoreError> {
        self.accounts(|conn| {
            conn.execute(
                "INSERT INTO access (doc, owner, workspace) VALUES (?1, ?2, ?3)
                 ON CONFLICT (doc) DO UPDATE SET workspace = excluded.workspace",
                params![doc.as_str(), row.owner, workspace_name(row.workspace)],
            )?;
            Ok(())
        })
    }

    fn members(&self, doc: &DocId) -> Result<Vec<(String, Role)>, StoreError> {
        self.accounts(|conn| {
            let mut stmt = conn.prepare("SELECT username, role FROM members WHERE doc = ?1 ORDER BY username")?;
            let rows = stmt.query_map(params![doc.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let rows: Vec<(String, String)> = rows.collect::<rusqlite::Result<_>>()?;
            Ok(rows.into_iter().filter_map(|(name, r)| Some((name, role(&r)?))).collect())
        })
    }

    fn roles_of(&self, username: &str) -> Result<Vec<(DocId, Role)>, StoreError> {
        let rows: Vec<(String, String)> = self.accounts(|conn| {
            let mut stmt = conn.prepare("SELECT doc, role FROM members WHERE username = ?1")?;
            let rows = stmt.query_map(params![username], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let known = rows.into_iter().filter_map(|(doc, r)| Some((doc, role(&r)?)));
        known.map(|(doc, r)| Ok((doc_id(doc)?, r))).collect()
    }

    fn set_member(&self, doc: &DocId, username: &str, role: Role) -> Result<(), StoreError> {
        self.accounts(|conn| {
            conn.execute(
                "INSERT INTO members (doc, username, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (doc, username) DO UPDATE SET role = excluded.role",
                params![doc.as_str(), username, role.as_str()],
            )?;
            Ok(())
        })
    }

    fn remove_member(&self, doc: &DocId, username: &str) -> Result<bool, StoreError> {
        self.accounts(|conn| {
            Ok(conn.execute("DELETE FROM members WHERE doc = ?1 AND username = ?2", params![doc.as_str(), username])? > 0)
        })
    }

    fn add_link(&self, token: &TokenHash, doc: &DocId, role: Role) -> Result<LinkInfo, StoreError> {
        self.accounts(|conn| {
            let created_at = now_ms();
            conn.execute(
                "INSERT INTO links (token_hash, doc, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![token, doc.as_str(), role.as_str(), created_at],
            )?;
            Ok(LinkInfo { id: conn.last_insert_rowid(), role, created_at })
        })
    }

    fn links(&self, doc: &DocId) -> Result<Vec<LinkInfo>, StoreError> {
        self.accounts(|conn| {
            let mut stmt = conn.prepare("SELECT id, role, created_at FROM links WHERE doc = ?1 ORDER BY id")?;
            let rows = stmt.query_map(params![doc.as_str()], link_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn link(&self, token: &TokenHash) -> Result<Option<(LinkInfo, DocId)>, StoreError> {
        let row: Option<(LinkInfo, String)> = self.accounts(|conn| {
            let sql = "SELECT id, role, created_at, doc FROM links WHERE token_hash = ?1";
            Ok(conn.query_row(sql, params![token], |r| Ok((link_row(r)?, r.get(3)?))).optional()?)
        })?;
        row.map(|(link, doc)| Ok((link, doc_id(doc)?))).transpose()
    }

    fn delete_link(&self, doc: &DocId, id: i64) -> Result<bool, StoreError> {
        self.accounts(|conn| Ok(conn.execute("DELETE FROM links WHERE id = ?1 AND doc = ?2", params![id, doc.as_str()])? > 0))
    }
}
