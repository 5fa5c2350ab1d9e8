//! A server in accounts mode with people in it, and HTTP calls made as one of them.

use server::config::Settings;
use server::store::NewUser;
use server::testing::{Answer, TestServer, send};
use server::workspace::AccessSettings;
use std::path::Path;

/// How a request proves who makes it.
#[derive(Debug, Clone)]
pub enum As {
    /// No credentials.
    Nobody,
    /// A session cookie (`tandem_session=…`).
    Cookie(String),
    /// An API or share-link token.
    Bearer(String),
}

/// Passwords of the people [`accounts_server`] creates (name + this).
pub const PASSWORD_SUFFIX: &str = "-long-password";

/// Starts a server in accounts mode over `dir`, with the administrator `ada`
/// and the members `bob` and `cy` created as `tandem user add` would.
pub async fn accounts_server(dir: &Path) -> TestServer {
    accounts_server_with(dir, Settings { access: AccessSettings::accounts(), ..Settings::default() }).await
}

/// Like [`accounts_server`], with `settings` (which should be in accounts mode).
pub async fn accounts_server_with(dir: &Path, settings: Settings) -> TestServer {
    let (store, directory) = server::testing::open_store(dir);
    for (name, admin) in [("ada", true), ("bob", false), ("cy", false)] {
        let hash = server::accounts::Password::new(format!("{name}{PASSWORD_SUFFIX}")).unwrap().hash();
        directory.add_user(&NewUser { username: name.into(), password_hash: hash, admin }).expect("add user");
    }
    store.close();
    drop((store, directory));
    TestServer::start_with(dir, settings).await
}

/// Sends `method path` as `who`, with a JSON `body` if given.
pub async fn call(server: &TestServer, who: &As, method: &str, path: &str, body: Option<serde_json::Value>) -> Answer {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send_as(&server.http(path), who, method, "application/json", body.as_bytes()).await
}

/// Sends `method url` as `who` with a `body` of `content_type`.
pub async fn send_as(url: &str, who: &As, method: &str, content_type: &str, body: &[u8]) -> Answer {
    let auth;
    let mut headers: Vec<(&str, &str)> = vec![("Content-Type", content_type)];
    match who {
        As::Nobody => {}
        As::Cookie(cookie) => headers.push(("Cookie", cookie)),
        As::Bearer(token) => {
            auth = format!("Bearer {token}");
            headers.push(("Authorization", &auth));
        }
    }
    send(method, url, &headers, body).await
}

/// Signs `name` in with their password; their session cookie.
pub async fn sign_in(server: &TestServer, name: &str) -> As {
    let body = serde_json::json!({ "username": name, "password": format!("{name}{PASSWORD_SUFFIX}") });
    let answer = call(server, &As::Nobody, "POST", "/api/session", Some(body)).await;
    assert_eq!(answer.status, 200, "sign in {name}: {:?}", answer.json());
    As::Cookie(cookie_of(&answer))
}

/// The `name=value` of the session cookie an answer sets.
pub fn cookie_of(answer: &Answer) -> String {
    let set = answer.header("set-cookie").expect("a Set-Cookie header");
    set.split(';').next().expect("name=value").to_owned()
}

/// An API token of `name` (signed in for it).
pub async fn token_of(server: &TestServer, name: &str) -> String {
    let who = sign_in(server, name).await;
    let answer = call(server, &who, "POST", "/api/tokens", Some(serde_json::json!({ "name": "tests" }))).await;
    assert_eq!(answer.status, 201, "{:?}", answer.json());
    answer.json()["token"].as_str().expect("token").to_owned()
}

/// The WebSocket URL of `doc` with `token` in its query, as stock clients send it.
pub fn ws_with_token(server: &TestServer, doc: &str, token: &str) -> String {
    format!("{}?token={token}", server.ws_url(doc))
}
