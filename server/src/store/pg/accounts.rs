//! [`Accounts`] on the PostgreSQL store: one synchronous transaction each, on
//! the store's accounts connection. Usernames are compared as
//! `lower(username)`, the expression `users_by_name` is unique on (usernames
//! are ASCII, so this is the SQLite store's `COLLATE NOCASE`), and listed in
//! byte order of that (`COLLATE "C"`), as SQLite orders them.

use super::PgStore;
use crate::store::writer::now_ms;
use crate::store::{Accounts, InviteInfo, NewUser, StoreError, StoredUser, TokenHash, TokenInfo, UserInfo};
use postgres::{GenericClient, Row};

/// The columns [`user_row`] reads, in order.
const USER_COLUMNS: &str = "users.username, users.password_hash, users.admin";

/// An account from the first three columns of `r` ([`USER_COLUMNS`]).
fn user_row(r: &Row) -> Result<StoredUser, postgres::Error> {
    Ok(StoredUser { username: r.try_get(0)?, password_hash: r.try_get(1)?, admin: r.try_get(2)? })
}

/// An account as the members list shows it, from `username, admin, created_at`.
fn user_info_row(r: &Row) -> Result<UserInfo, postgres::Error> {
    Ok(UserInfo { username: r.try_get(0)?, admin: r.try_get(1)?, created_at: r.try_get(2)? })
}

/// An API token's listing, from `id, name, created_at`.
fn token_info_row(r: &Row) -> Result<TokenInfo, postgres::Error> {
    Ok(TokenInfo { id: r.try_get(0)?, name: r.try_get(1)?, created_at: r.try_get(2)? })
}

/// An open invite, from `id, admin, created_at, expires_at`.
fn invite_info_row(r: &Row) -> Result<InviteInfo, postgres::Error> {
    Ok(InviteInfo { id: r.try_get(0)?, admin: r.try_get(1)?, created_at: r.try_get(2)?, expires_at: r.try_get(3)? })
}

/// Inserts `user` unless the name is taken (in any case).
fn insert_user(client: &mut impl GenericClient, user: &NewUser) -> Result<(), StoreError> {
    let added = client.execute(
        "INSERT INTO users (username, password_hash, admin, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        &[&user.username, &user.password_hash, &user.admin, &now_ms()],
    )?;
    if added == 0 {
        return Err(StoreError::NameTaken(user.username.clone()));
    }
    Ok(())
}

impl Accounts for PgStore {
    fn add_user(&self, user: &NewUser) -> Result<(), StoreError> {
        self.accounts(|client| insert_user(client, user))
    }

    fn add_first_user(&self, user: &NewUser) -> Result<bool, StoreError> {
        self.accounts(|client| {
            let mut tx = client.transaction()?;
            // As SQLite's IMMEDIATE transaction: another process's first user
            // (or any insert) waits for this commit, then sees it.
            tx.batch_execute("LOCK TABLE users IN EXCLUSIVE MODE")?;
            if tx.query_one("SELECT count(*) FROM users", &[])?.try_get::<_, i64>(0)? > 0 {
                return Ok(false);
            }
            insert_user(&mut tx, user)?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn user(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        self.accounts(|client| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower($1)");
            Ok(client.query_opt(&sql, &[&username])?.as_ref().map(user_row).transpose()?)
        })
    }

    fn users(&self) -> Result<Vec<UserInfo>, StoreError> {
        self.accounts(|client| {
            let rows = client.query("SELECT username, admin, created_at FROM users ORDER BY lower(username) COLLATE \"C\"", &[])?;
            Ok(rows.iter().map(user_info_row).collect::<Result<_, _>>()?)
        })
    }

    fn user_count(&self) -> Result<u64, StoreError> {
        self.accounts(|client| Ok(client.query_one("SELECT count(*) FROM users", &[])?.try_get::<_, i64>(0)?.max(0) as u64))
    }

    fn first_admin(&self) -> Result<Option<String>, StoreError> {
        self.accounts(|client| {
            let sql = "SELECT username FROM users WHERE admin ORDER BY created_at, lower(username) COLLATE \"C\" LIMIT 1";
            Ok(client.query_opt(sql, &[])?.map(|r| r.try_get(0)).transpose()?)
        })
    }

    fn delete_user(&self, username: &str) -> Result<bool, StoreError> {
        self.accounts(|client| {
            let mut tx = client.transaction()?;
            let deleted = tx.execute("DELETE FROM users WHERE lower(username) = lower($1)", &[&username])? > 0;
            for sql in [
                "DELETE FROM sessions WHERE lower(username) = lower($1)",
                "DELETE FROM api_tokens WHERE lower(username) = lower($1)",
                "DELETE FROM members WHERE lower(username) = lower($1)",
                "UPDATE access SET owner = NULL WHERE lower(owner) = lower($1)",
            ] {
                tx.execute(sql, &[&username])?;
            }
            tx.commit()?;
            Ok(deleted)
        })
    }

    fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StoreError> {
        self.accounts(|client| {
            let sql = "UPDATE users SET password_hash = $2 WHERE lower(username) = lower($1)";
            Ok(client.execute(sql, &[&username, &password_hash])? > 0)
        })
    }

    fn add_session(&self, token: &TokenHash, username: &str, expires_at: i64) -> Result<(), StoreError> {
        self.accounts(|client| {
            // Expired sessions go when a new one comes: the table holds live ones only.
            client.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now_ms()])?;
            client.execute(
                "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                &[&token.as_slice(), &username, &now_ms(), &expires_at],
            )?;
            Ok(())
        })
    }

    fn session_user(&self, token: &TokenHash, now: i64) -> Result<Option<StoredUser>, StoreError> {
        self.accounts(|client| {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM sessions JOIN users ON lower(users.username) = lower(sessions.username)
                 WHERE sessions.token_hash = $1 AND sessions.expires_at > $2"
            );
            Ok(client.query_opt(&sql, &[&token.as_slice(), &now])?.as_ref().map(user_row).transpose()?)
        })
    }

    fn delete_session(&self, token: &TokenHash) -> Result<(), StoreError> {
        self.accounts(|client| {
            client.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token.as_slice()])?;
            Ok(())
        })
    }

    fn add_token(&self, token: &TokenHash, username: &str, name: &str) -> Result<i64, StoreError> {
        self.accounts(|client| {
            let row = client.query_one(
                "INSERT INTO api_tokens (token_hash, username, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&token.as_slice(), &username, &name, &now_ms()],
            )?;
            Ok(row.try_get(0)?)
        })
    }

    fn tokens(&self, username: &str) -> Result<Vec<TokenInfo>, StoreError> {
        self.accounts(|client| {
            let sql = "SELECT id, name, created_at FROM api_tokens WHERE lower(username) = lower($1) ORDER BY id";
            Ok(client.query(sql, &[&username])?.iter().map(token_info_row).collect::<Result<_, _>>()?)
        })
    }

    fn token_user(&self, token: &TokenHash) -> Result<Option<(i64, StoredUser)>, StoreError> {
        self.accounts(|client| {
            let sql = format!(
                "SELECT {USER_COLUMNS}, api_tokens.id FROM api_tokens JOIN users ON lower(users.username) = lower(api_tokens.username)
                 WHERE api_tokens.token_hash = $1"
            );
            let row = client.query_opt(&sql, &[&token.as_slice()])?;
            Ok(row.map(|r| Ok::<_, postgres::Error>((r.try_get(3)?, user_row(&r)?))).transpose()?)
        })
    }

    fn delete_token(&self, username: &str, id: i64) -> Result<bool, StoreError> {
        self.accounts(|client| {
            let sql = "DELETE FROM api_tokens WHERE id = $1 AND lower(username) = lower($2)";
            Ok(client.execute(sql, &[&id, &username])? > 0)
        })
    }

    fn add_invite(&self, token: &TokenHash, admin: bool, created_by: &str, expires_at: i64) -> Result<i64, StoreError> {
        self.accounts(|client| {
            client.execute("DELETE FROM invites WHERE expires_at <= $1", &[&now_ms()])?;
            let row = client.query_one(
                "INSERT INTO invites (token_hash, admin, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id",
                &[&token.as_slice(), &admin, &created_by, &now_ms(), &expires_at],
            )?;
            Ok(row.try_get(0)?)
        })
    }

    fn invites(&self, now: i64) -> Result<Vec<InviteInfo>, StoreError> {
        self.accounts(|client| {
            let sql = "SELECT id, admin, created_at, expires_at FROM invites WHERE expires_at > $1 ORDER BY id";
            Ok(client.query(sql, &[&now])?.iter().map(invite_info_row).collect::<Result<_, _>>()?)
        })
    }

    fn delete_invite(&self, id: i64) -> Result<bool, StoreError> {
        self.accounts(|client| Ok(client.execute("DELETE FROM invites WHERE id = $1", &[&id])? > 0))
    }

    fn redeem_invite(&self, token: &TokenHash, now: i64, user: &NewUser) -> Result<Option<StoredUser>, StoreError> {
        self.accounts(|client| {
            let mut tx = client.transaction()?;
            // Taking the invite first locks its row: a second redemption of it
            // waits for this one, then finds it gone. Any early return drops
            // `tx`, which rolls back, so a taken name keeps the invite.
            let sql = "DELETE FROM invites WHERE token_hash = $1 AND expires_at > $2 RETURNING admin";
            let Some(row) = tx.query_opt(sql, &[&token.as_slice(), &now])? else {
                return Ok(None);
            };
            let admin: bool = row.try_get(0)?;
            let user = NewUser { admin, ..user.clone() };
            insert_user(&mut tx, &user)?;
            tx.commit()?;
            Ok(Some(StoredUser { username: user.username, password_hash: user.password_hash, admin }))
        })
    }
}
