//! `tandem user add`: accounts created in a store no server is using, with
//! only a hash of the password kept.

use crate::common::process::Process;
use server::accounts::password;
use server::store::{Accounts, SqliteStore, Store};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// Runs `tandem user add ARGS --data-dir DIR` with `stdin`; whether it succeeded and what it printed.
pub async fn add_user(dir: &Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["user", "add"])
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run tandem");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("write the password");
    drop(input);
    let out = child.wait_with_output().await.expect("wait for tandem");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_stores_an_account_with_a_hash_of_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = add_user(dir.path(), &["ada", "--admin", "--password-stdin"], "correct horse\n").await;
    assert!(ok, "{out}");
    assert!(out.contains("added administrator ada"), "{out}");
    let (ok, out) = add_user(dir.path(), &["grace", "--password-stdin"], "battery staple").await;
    assert!(ok && out.contains("added member grace"), "{out}");

    let store = SqliteStore::open(dir.path()).unwrap();
    let ada = store.user("ADA").unwrap().expect("names match without regard to case");
    assert_eq!((ada.username.as_str(), ada.admin), ("ada", true));
    assert!(password::verify("correct horse", &ada.password_hash));
    assert!(!store.user("grace").unwrap().unwrap().admin);
    assert_eq!(store.user_count().unwrap(), 2);
    store.close();
    let raw = std::fs::read(dir.path().join("tandem.db")).unwrap();
    assert!(!raw.windows(13).any(|w| w == b"correct horse"), "the password is stored in plain text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_refuses_bad_input_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    assert!(add_user(dir.path(), &["ada", "--password-stdin"], "correct horse\n").await.0);
    let cases: [(&[&str], &str, &str); 4] = [
        (&["Ada", "--password-stdin"], "another one\n", "already exists"),
        (&["bob", "--password-stdin"], "short\n", "at least 8 characters"),
        (&["bob smith", "--password-stdin"], "long enough\n", "user names are 1 to 40 characters"),
        (&["bob"], "long enough\n", "--password-stdin"),
    ];
    for (args, stdin, expected) in cases {
        let (ok, out) = add_user(dir.path(), args, stdin).await;
        assert!(!ok && out.contains(expected), "{args:?}: {out}");
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.user_count().unwrap(), 1, "a refused command stored something");
    store.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_refuses_a_store_a_server_is_using() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(dir.path()).await;
    let (ok, out) = add_user(dir.path(), &["ada", "--password-stdin"], "correct horse\n").await;
    assert!(!ok && out.contains("in use by another Tandem server"), "{out}");
    assert_eq!(server.signal("TERM").await, Some(0));
}
