//! Accounts mode: credentials, roles, share links and live revocation, over
//! real sockets. Nothing is readable without the right to it; a document the
//! caller may not see is 404, never 403.

use crate::common::team::{As, accounts_server, call, cookie_of, sign_in, token_of, ws_with_token};
use crate::common::{Client, Ended, TestServer, doc_id};
use serde_json::json;
use std::time::{Duration, Instant};
use tandem_sync::close;

/// Creates a document as `who` with `title`; its id.
async fn create(server: &TestServer, who: &As, title: &str) -> String {
    let answer = call(server, who, "POST", "/api/docs", Some(json!({ "title": title }))).await;
    assert_eq!(answer.status, 201, "{:?}", answer.json());
    answer.json()["id"].as_str().unwrap().to_owned()
}

/// Sets the workspace access of `doc` as `who`.
async fn set_workspace(server: &TestServer, who: &As, doc: &str, role: &str) {
    let answer = call(server, who, "PUT", &format!("/api/docs/{doc}/access/workspace"), Some(json!({ "role": role }))).await;
    assert_eq!(answer.status, 204, "{:?}", answer.json());
}

/// Waits for the connection to end; how, and how long after `since`.
async fn closed_after(client: &mut Client, since: Instant) -> (Ended, Duration) {
    let ended = client.until_closed().await;
    (ended, since.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_readable_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let ada = sign_in(&server, "ada").await;
    let doc = create(&server, &ada, "Secret plans").await;
    for path in ["/api/docs".to_owned(), format!("/api/docs/{doc}"), format!("/api/docs/{doc}/text"), "/api/me".into(), "/api/events".into()] {
        let answer = call(&server, &As::Nobody, "GET", &path, None).await;
        assert_eq!(answer.status, 401, "{path}");
        assert_eq!(answer.json()["error"]["code"], "unauthorized", "{path}");
    }
    let write = call(&server, &As::Nobody, "POST", &format!("/api/docs/{doc}/update"), None).await;
    assert_eq!(write.status, 401);
    assert_eq!(Client::try_open(&server.ws_url(&doc), &[]).await.err().map(|e| e.0), Some(401));
    let bad_token = ws_with_token(&server, &doc, "not-a-token");
    assert_eq!(Client::try_open(&bad_token, &[]).await.err().map(|e| e.0), Some(401));
    // Pages send the person to sign in and back; sign-in pages and health checks stay open.
    let page = call(&server, &As::Nobody, "GET", &format!("/d/{doc}"), None).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some(format!("/signin?next=%2Fd%2F{doc}").as_str()));
    assert_eq!(call(&server, &As::Nobody, "GET", "/", None).await.status, 303);
    assert_eq!(call(&server, &As::Nobody, "GET", "/healthz", None).await.status, 200);
    assert_eq!(call(&server, &As::Nobody, "GET", "/metrics", None).await.status, 401);
    assert_eq!(call(&server, &sign_in(&server, "bob").await, "GET", "/metrics", None).await.status, 403);
    assert_eq!(call(&server, &ada, "GET", "/metrics", None).await.status, 200, "administrators scrape");
    assert_eq!(call(&server, &As::Nobody, "GET", "/signin", None).await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_answers_alike_for_wrong_names_and_passwords_and_slows_down_guessing() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let wrong = |name: &str, password: &str| json!({ "username": name, "password": password });
    let bad_password = call(&server, &As::Nobody, "POST", "/api/session", Some(wrong("bob", "not-his-password"))).await;
    let no_such_user = call(&server, &As::Nobody, "POST", "/api/session", Some(wrong("nobody", "not-his-password"))).await;
    assert_eq!((bad_password.status, no_such_user.status), (401, 401));
    assert_eq!(bad_password.json(), no_such_user.json(), "the answer does not tell which was wrong");
    assert_eq!(bad_password.json()["error"]["code"], "invalid_credentials");

    let ok = call(&server, &As::Nobody, "POST", "/api/session", Some(json!({ "username": "BOB", "password": "bob-long-password" }))).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), json!({ "username": "bob", "admin": false }));
    let set = ok.header("set-cookie").unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("Secure"), "{set}");
    let bob = As::Cookie(cookie_of(&ok));
    assert_eq!(call(&server, &bob, "GET", "/api/me", None).await.json(), json!({ "username": "bob", "admin": false }));

    // Nine more failures make ten: the eleventh attempt is refused, even with the right password.
    for _ in 0..9 {
        assert_eq!(call(&server, &As::Nobody, "POST", "/api/session", Some(wrong("bob", "guess-guess"))).await.status, 401);
    }
    let refused = call(&server, &As::Nobody, "POST", "/api/session", Some(wrong("bob", "bob-long-password"))).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.json()["error"]["code"], "too_many_attempts");
    assert_eq!(call(&server, &bob, "GET", "/api/me", None).await.status, 200, "a session already open keeps working");
    sign_in(&server, "cy").await;

    // Signing out ends the session.
    assert_eq!(call(&server, &bob, "DELETE", "/api/session", None).await.status, 204);
    assert_eq!(call(&server, &bob, "GET", "/api/me", None).await.status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_nobody_shared_is_404_and_roles_decide_reading_and_writing() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let (ada, bob) = (sign_in(&server, "ada").await, sign_in(&server, "bob").await);
    let doc = create(&server, &bob, "Bob's notes").await;
    set_workspace(&server, &bob, &doc, "none").await;
    let cy = sign_in(&server, "cy").await;
    for path in [format!("/api/docs/{doc}"), format!("/api/docs/{doc}/text"), format!("/api/docs/{doc}/access")] {
        assert_eq!(call(&server, &cy, "GET", &path, None).await.status, 404, "{path}");
    }
    let cy_token = token_of(&server, "cy").await;
    assert_eq!(Client::try_open(&ws_with_token(&server, &doc, &cy_token), &[]).await.err().map(|e| e.0), Some(404));
    let listed = call(&server, &cy, "GET", "/api/docs", None).await.json();
    assert!(listed.as_array().unwrap().iter().all(|d| d["id"] != doc.as_str()), "{listed}");
    // The owner and administrators see it, with their role.
    let listed = call(&server, &ada, "GET", "/api/docs", None).await.json();
    let entry = listed.as_array().unwrap().iter().find(|d| d["id"] == doc.as_str()).cloned().unwrap();
    assert_eq!((entry["role"].as_str(), entry["owner"].as_str()), (Some("owner"), Some("bob")));

    // A viewer reads but does not write, over HTTP and over a socket.
    let put = call(&server, &bob, "PUT", &format!("/api/docs/{doc}/access/members/cy"), Some(json!({ "role": "viewer" }))).await;
    assert_eq!(put.status, 204);
    assert_eq!(call(&server, &cy, "GET", &format!("/api/docs/{doc}/text"), None).await.status, 200);
    let write = call(&server, &cy, "POST", &format!("/api/docs/{doc}/update"), None).await;
    assert_eq!(write.status, 403);
    assert_eq!(call(&server, &cy, "GET", &format!("/api/docs/{doc}/access"), None).await.status, 403, "only the owner sees access");
    let mut viewer = Client::connect(&ws_with_token(&server, &doc, &cy_token)).await;
    viewer.pump_until(|c| c.permissions() == [false]).await;
    viewer.append("vandalism").await;
    viewer.pump_until(|c| c.permissions() == [false, false]).await;
    let mut writer = Client::connect(&ws_with_token(&server, &doc, &token_of(&server, "bob").await)).await;
    writer.append("by the owner").await;
    viewer.pump_until(|c| c.text().contains("by the owner")).await;
    let text = call(&server, &bob, "GET", &format!("/api/docs/{doc}/text"), None).await;
    assert_eq!(String::from_utf8(text.body).unwrap(), "by the owner", "the viewer's edit was neither applied nor stored");
    // Unknown ids: members create them (owned by them), nobody else does.
    let fresh = doc_id("fresh");
    let mut created = Client::connect(&ws_with_token(&server, &fresh, &cy_token)).await;
    created.append("mine").await;
    let access = call(&server, &cy, "GET", &format!("/api/docs/{fresh}/access"), None).await;
    assert_eq!(access.json()["owner"], "cy");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_opens_one_document_and_revoking_it_closes_the_socket_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let bob = sign_in(&server, "bob").await;
    let (doc, other) = (create(&server, &bob, "Shared").await, create(&server, &bob, "Not shared").await);
    let link = call(&server, &bob, "POST", &format!("/api/docs/{doc}/links"), Some(json!({ "role": "viewer" }))).await;
    assert_eq!(link.status, 201);
    let link = link.json();
    let token = link["token"].as_str().unwrap().to_owned();
    assert_eq!(link["url"].as_str(), Some(format!("/s/{token}").as_str()));
    assert!(token.len() >= 22, "at least 128 random bits");

    let guest = As::Bearer(token.clone());
    assert_eq!(call(&server, &guest, "GET", &format!("/api/docs/{doc}/text"), None).await.status, 200);
    assert_eq!(call(&server, &guest, "GET", &format!("/api/docs/{other}/text"), None).await.status, 404);
    assert_eq!(call(&server, &guest, "POST", "/api/docs", Some(json!({}))).await.status, 403, "guests create nothing");
    assert_eq!(Client::try_open(&ws_with_token(&server, &other, &token), &[]).await.err().map(|e| e.0), Some(404));
    assert_eq!(call(&server, &As::Nobody, "GET", &format!("/s/{token}"), None).await.status, 200);
    let access = call(&server, &bob, "GET", &format!("/api/docs/{doc}/access"), None).await.json();
    assert!(access["links"][0].get("token").is_none(), "a link's token is shown once: {access}");

    let mut reader = Client::connect(&ws_with_token(&server, &doc, &token)).await;
    let mut writer = Client::connect(&ws_with_token(&server, &doc, &token_of(&server, "bob").await)).await;
    writer.append("live").await;
    reader.pump_until(|c| c.text() == "live").await;

    let revoked_at = Instant::now();
    let id = link["id"].as_i64().unwrap();
    assert_eq!(call(&server, &bob, "DELETE", &format!("/api/docs/{doc}/links/{id}"), None).await.status, 204);
    let (ended, after) = closed_after(&mut reader, revoked_at).await;
    assert_eq!(ended, Ended::Closed(close::ACCESS_REMOVED));
    assert!(after < Duration::from_secs(1), "{after:?}");
    assert_eq!(call(&server, &guest, "GET", &format!("/api/docs/{doc}/text"), None).await.status, 401);
    writer.append(" still").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lowering_and_raising_a_role_turns_a_live_socket_read_only_and_back_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let bob = sign_in(&server, "bob").await;
    let doc = create(&server, &bob, "Together").await;
    let cy_token = token_of(&server, "cy").await;
    let mut cy = Client::connect(&ws_with_token(&server, &doc, &cy_token)).await;
    cy.append("a").await;
    let mut owner = Client::connect(&ws_with_token(&server, &doc, &token_of(&server, "bob").await)).await;
    owner.pump_until(|c| c.text() == "a").await;

    set_workspace(&server, &bob, &doc, "viewer").await;
    cy.pump_until(|c| c.permissions() == [false]).await;
    // While it is read-only, what cy's other window sends is refused.
    let mut other_window = Client::connect(&ws_with_token(&server, &doc, &cy_token)).await;
    other_window.append("b").await;
    other_window.pump_until(|c| c.permissions() == [false, false]).await;
    set_workspace(&server, &bob, &doc, "editor").await;
    cy.pump_until(|c| c.permissions() == [false, true]).await;
    cy.append("c").await;
    owner.pump_until(|c| c.text() == "ac").await;

    // Access lowered to none: the socket closes.
    let at = Instant::now();
    set_workspace(&server, &bob, &doc, "none").await;
    let (ended, after) = closed_after(&mut cy, at).await;
    assert_eq!(ended, Ended::Closed(close::ACCESS_REMOVED));
    assert!(after < Duration::from_secs(1), "{after:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_revoking_a_token_or_deleting_an_account_closes_its_sockets_with_4401() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let (ada, bob) = (sign_in(&server, "ada").await, sign_in(&server, "bob").await);
    let doc = create(&server, &bob, "Open doors").await;
    let As::Cookie(cookie) = &bob else { unreachable!() };

    // A session: its socket closes when it signs out; another session of the same person stays.
    let mut by_cookie = Client::try_open(&server.ws_url(&doc), &[("Cookie", cookie)]).await.ok().unwrap();
    by_cookie.sync().await;
    let mut by_token = Client::connect(&ws_with_token(&server, &doc, &token_of(&server, "bob").await)).await;
    let at = Instant::now();
    assert_eq!(call(&server, &bob, "DELETE", "/api/session", None).await.status, 204);
    assert_eq!(closed_after(&mut by_cookie, at).await.0, Ended::Closed(close::SIGNED_OUT));
    by_token.append("still here").await;

    // An API token: revoking it closes what it opened.
    let cy = sign_in(&server, "cy").await;
    let issued = call(&server, &cy, "POST", "/api/tokens", Some(json!({ "name": "script" }))).await.json();
    let listed = call(&server, &cy, "GET", "/api/tokens", None).await.json();
    assert_eq!(listed[0]["name"], "script");
    assert!(listed[0].get("token").is_none(), "a token is shown once: {listed}");
    let mut script = Client::connect(&ws_with_token(&server, &doc, issued["token"].as_str().unwrap())).await;
    let at = Instant::now();
    let id = issued["id"].as_i64().unwrap();
    assert_eq!(call(&server, &cy, "DELETE", &format!("/api/tokens/{id}"), None).await.status, 204);
    assert_eq!(closed_after(&mut script, at).await.0, Ended::Closed(close::SIGNED_OUT));

    // Deleting the account closes every socket of it.
    let at = Instant::now();
    assert_eq!(call(&server, &bob, "DELETE", "/api/users/bob", None).await.status, 401, "bob signed out already");
    assert_eq!(call(&server, &cy, "DELETE", "/api/users/bob", None).await.status, 403, "members do not delete accounts");
    assert_eq!(call(&server, &ada, "DELETE", "/api/users/bob", None).await.status, 204);
    let (ended, after) = closed_after(&mut by_token, at).await;
    assert_eq!(ended, Ended::Closed(close::SIGNED_OUT));
    assert!(after < Duration::from_secs(1), "{after:?}");
    // Bob's document now belongs to the first administrator.
    let access = call(&server, &ada, "GET", &format!("/api/docs/{doc}/access"), None).await.json();
    assert_eq!(access["owner"], "ada");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_add_members_and_invites_work_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let (ada, bob) = (sign_in(&server, "ada").await, sign_in(&server, "bob").await);
    let new = json!({ "username": "dee", "password": "dee-long-password", "admin": false });
    assert_eq!(call(&server, &bob, "POST", "/api/users", Some(new.clone())).await.status, 403);
    assert_eq!(call(&server, &ada, "POST", "/api/users", Some(new.clone())).await.status, 201);
    let again = call(&server, &ada, "POST", "/api/users", Some(new)).await;
    assert_eq!((again.status, again.json()["error"]["code"].as_str()), (409, Some("name_taken")));
    let weak = call(&server, &ada, "POST", "/api/users", Some(json!({ "username": "eve", "password": "short" }))).await;
    assert_eq!((weak.status, weak.json()["error"]["code"].as_str()), (400, Some("weak_password")));
    let names: Vec<String> = call(&server, &ada, "GET", "/api/users", None).await.json().as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["ada", "bob", "cy", "dee"]);

    let invite = call(&server, &ada, "POST", "/api/invites", Some(json!({ "admin": false }))).await.json();
    let secret = invite["url"].as_str().unwrap().strip_prefix("/invite/").unwrap().to_owned();
    let join = |name: &str| json!({ "invite": secret, "username": name, "password": "fresh-password" });
    let joined = call(&server, &As::Nobody, "POST", "/api/join", Some(join("eve"))).await;
    assert_eq!(joined.status, 201);
    let eve = As::Cookie(cookie_of(&joined));
    assert_eq!(call(&server, &eve, "GET", "/api/me", None).await.json(), json!({ "username": "eve", "admin": false }));
    let reused = call(&server, &As::Nobody, "POST", "/api/join", Some(join("fay"))).await;
    assert_eq!((reused.status, reused.json()["error"]["code"].as_str()), (404, Some("invite_invalid")));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_prints_a_setup_link_that_creates_the_first_administrator_once() {
    let dir = tempfile::tempdir().unwrap();
    let (process, link) = crate::common::process::Process::start_accounts(dir.path()).await;
    let link = link.expect("the setup link on stdout");
    let token = link.split("token=").nth(1).unwrap().to_owned();
    assert!(link.starts_with(&format!("http://{}/setup?token=", process.addr)), "{link}");
    let url = process.http("/api/setup");
    let url = url.as_str();
    let post = |body: serde_json::Value| async move {
        server::testing::send("POST", url, &[("Content-Type", "application/json")], body.to_string().as_bytes()).await
    };
    let wrong = post(json!({ "token": "x".repeat(43), "username": "root", "password": "root-password" })).await;
    assert_eq!(wrong.status, 403);
    let made = post(json!({ "token": token, "username": "root", "password": "root-password" })).await;
    assert_eq!(made.status, 201, "{:?}", made.json());
    assert_eq!(made.json(), json!({ "username": "root", "admin": true }));
    assert!(made.header("set-cookie").is_some_and(|c| c.starts_with("tandem_session=")));
    let again = post(json!({ "token": token, "username": "root2", "password": "root-password" })).await;
    assert_eq!(again.status, 404, "setup is over once an account exists");
    let raw = std::fs::read(dir.path().join("tandem.db")).unwrap();
    assert!(!raw.windows(13).any(|w| w == b"root-password"), "no password in plain text");
}
