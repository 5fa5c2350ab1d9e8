//! Accounts in the SQLite store: one synchronous transaction each, on the
//! store's accounts connection.

use super::SqliteStore;
use crate::store::{Accounts, NewUser, StoreError, StoredUser};
use rusqlite::{OptionalExtension, params};

impl Accounts for SqliteStore {
    fn add_user(&self, user: &NewUser) -> Result<(), StoreError> {
        let conn = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let at = super::now_ms();
        let added = conn.execute(
            "INSERT INTO users (username, password_hash, admin, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (username) DO NOTHING",
            params![user.username, user.password_hash, user.admin, at],
        )?;
        if added == 0 {
            return Err(StoreError::NameTaken(user.username.clone()));
        }
        Ok(())
    }

    fn user(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        let conn = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let row = conn
            .query_row(
                "SELECT username, password_hash, admin FROM users WHERE username = ?1",
                params![username],
                |r| Ok(StoredUser { username: r.get(0)?, password_hash: r.get(1)?, admin: r.get(2)? }),
            )
            .optional()?;
        Ok(row)
    }

    fn user_count(&self) -> Result<u64, StoreError> {
        let conn = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let n: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }
}
