//! [`Accounts`] on the SQLite store: one synchronous transaction each, on the
//! store's accounts connection.

use super::{SqliteStore, now_ms};
use crate::store::{Accounts, InviteInfo, NewUser, StoreError, StoredUser, TokenHash, TokenInfo, UserInfo};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// The columns [`user_row`] reads, in order.
const USER_COLUMNS: &str = "users.username, users.password_hash, users.admin";

fn user_row(r: &Row<'_>) -> rusqlite::Result<StoredUser> {
    Ok(StoredUser { username: r.get(0)?, password_hash: r.get(1)?, admin: r.get(2)? })
}

impl SqliteStore {
    /// Runs `f` on the accounts connection.
    pub(super) fn accounts<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }
}

/// Inserts `user` unless the name is taken.
fn insert_user(conn: &Connection, user: &NewUser) -> Result<(), StoreError> {
    let added = conn.execute(
        "INSERT INTO users (username, password_hash, admin, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (username) DO NOTHING",
        params![user.username, user.password_hash, user.admin, now_ms()],
    )?;
    if added == 0 {
        return Err(StoreError::NameTaken(user.username.clone()));
    }
    Ok(())
}

impl Accounts for SqliteStore {
    fn add_user(&self, user: &NewUser) -> Result<(), StoreError> {
        self.accounts(|conn| insert_user(conn, user))
    }

    fn add_first_user(&self, user: &NewUser) -> Result<bool, StoreError> {
        self.accounts(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if tx.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))? > 0 {
                return Ok(false);
            }
            insert_user(&tx, user)?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn user(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        self.accounts(|conn| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1");
            Ok(conn.query_row(&sql, params![username], user_row).optional()?)
        })
    }

    fn users(&self) -> Result<Vec<UserInfo>, StoreError> {
        self.accounts(|conn| {
            let mut stmt = conn.prepare("SELECT username, admin, created_at FROM users ORDER BY username")?;
            let rows = stmt.query_map([], |r| Ok(UserInfo { username: r.get(0)?, admin: r.get(1)?, created_at: r.get(2)? }))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn user_count(&self) -> Result<u64, StoreError> {
        self.accounts(|conn| Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))?.max(0) as u64))
    }

    fn first_admin(&self) -> Result<Option<String>, StoreError> {
        self.accounts(|conn| {
            let sql = "SELECT username FROM users WHERE admin ORDER BY created_at, username LIMIT 1";
            Ok(conn.query_row(sql, [], |r| r.get(0)).optional()?)
        })
    }

    fn delete_user(&self, username: &str) -> Result<bool, StoreError> {
        self.accounts(|conn| {
            let tx = conn.transaction()?;
            let deleted = tx.execute("DELETE FROM users WHERE username = ?1", params![username])? > 0;
            for sql in [
                "DELETE FROM sessions WHERE username = ?1",
                "DELETE FROM api_tokens WHERE username = ?1",
                "DELETE FROM members WHERE username = ?1",
                "UPDATE access SET owner = NULL WHERE owner = ?1",
            ] {
                tx.execute(sql, params![username])?;
            }
            tx.commit()?;
            Ok(deleted)
        })
    }

    fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StoreError> {
        self.accounts(|conn| {
            let sql = "UPDATE users SET password_hash = ?2 WHERE username = ?1";
            Ok(conn.execute(sql, params![username, password_hash])? > 0)
        })
    }

    fn add_session(&self, token: &TokenHash, username: &str, expires_at: i64) -> Result<(), StoreError> {
        self.accounts(|conn| {
            // Expired sessions go when a new one comes: the table holds live ones only.
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", params![now_ms()])?;
            conn.execute(
                "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token, username, now_ms(), expires_at],
            )?;
            Ok(())
        })
    }

    fn session_user(&self, token: &TokenHash, now: i64) -> Result<Option<StoredUser>, StoreError> {
        self.accounts(|conn| {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM sessions JOIN users ON users.username = sessions.username
                 WHERE sessions.token_hash = ?1 AND sessions.expires_at > ?2"
            );
            Ok(conn.query_row(&sql, params![token, now], user_row).optional()?)
        })
    }

    fn delete_session(&self, token: &TokenHash) -> Result<(), StoreError> {
        self.accounts(|conn| {
            conn.execute("DELETE FROM sessions WHERE token_hash = ?1", params![token])?;
            Ok(())
        })
    }

    fn add_token(&self, token: &TokenHash, username: &str, name: &str) -> Result<i64, StoreError> {
        self.accounts(|conn| {
            conn.execute(
                "INSERT INTO api_tokens (token_hash, username, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![token, username, name, now_ms()],
            )?;
            Ok(conn.last_insert_rowid())
        })
    }

    fn tokens(&self, username: &str) -> Result<Vec<TokenInfo>, StoreError> {
        self.accounts(|conn| {
            let mut stmt = conn.prepare("SELECT id, name, created_at FROM api_tokens WHERE username = ?1 ORDER BY id")?;
            let rows = stmt.query_map(params![username], |r| Ok(TokenInfo { id: r.get(0)?, name: r.get(1)?, created_at: r.get(2)? }))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn token_user(&self, token: &TokenHash) -> Result<Option<(i64, StoredUser)>, StoreError> {
        self.accounts(|conn| {
            let sql = format!(
                "SELECT {USER_COLUMNS}, api_tokens.id FROM api_tokens JOIN users ON users.username = api_tokens.username
                 WHERE api_tokens.token_hash = ?1"
            );
            Ok(conn.query_row(&sql, params![token], |r| Ok((r.get(3)?, user_row(r)?))).optional()?)
        })
    }

    fn delete_token(&self, username: &str, id: i64) -> Result<bool, StoreError> {
        self.accounts(|conn| Ok(conn.execute("DELETE FROM api_tokens WHERE id = ?1 AND username = ?2", params![id, username])? > 0))
    }

    fn add_invite(&self, token: &TokenHash, admin: bool, created_by: &str, expires_at: i64) -> Result<i64, StoreError> {
        self.accounts(|conn| {
            conn.execute("DELETE FROM invites WHERE expires_at <= ?1", params![now_ms()])?;
            conn.execute(
                "INSERT INTO invites (token_hash, admin, created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token, admin, created_by, now_ms(), expires_at],
            )?;
            Ok(conn.last_insert_rowid())
        })
    }

    fn invites(&self, now: i64) -> Result<Vec<InviteInfo>, StoreError> {
        self.accounts(|conn| {
            let mut stmt =
                conn.prepare("SELECT id, admin, created_at, expires_at FROM invites WHERE expires_at > ?1 ORDER BY id")?;
            let rows = stmt.query_map(params![now], |r| {
                Ok(InviteInfo { id: r.get(0)?, admin: r.get(1)?, created_at: r.get(2)?, expires_at: r.get(3)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn delete_invite(&self, id: i64) -> Result<bool, StoreError> {
        self.accounts(|conn| Ok(conn.execute("DELETE FROM invites WHERE id = ?1", params![id])? > 0))
    }

    fn redeem_invite(&self, token: &TokenHash, now: i64, user: &NewUser) -> Result<Option<StoredUser>, StoreError> {
        self.accounts(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let sql = "SELECT id, admin FROM invites WHERE token_hash = ?1 AND expires_at > ?2";
            let Some((id, admin)) = tx.query_row(sql, params![token, now], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?))).optional()? else {
                return Ok(None);
            };
            let user = NewUser { admin, ..user.clone() };
            insert_user(&tx, &user)?;
            tx.execute("DELETE FROM invites WHERE id = ?1", params![id])?;
            tx.commit()?;
            Ok(Some(StoredUser { username: user.username, password_hash: user.password_hash, admin }))
        })
    }
}
