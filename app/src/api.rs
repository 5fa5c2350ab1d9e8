//! The browser's calls to the server's JSON API (accounts, members, invites,
//! API tokens, a document's access and share links, its history, the trash
//! and imports), one small function per call, and the shapes they exchange.
//!
//! The shapes and calls compile on both sides, because the pages that show
//! them are rendered on the server too; only the transport is the browser's
//! (`fetch`, same origin, so the session cookie goes along). The pages call
//! these only from event handlers and effects, which never run on the server.

use crate::model::Me;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

/// A failed call: what the API said (`{"error":{"code","message"}}`), or why
/// it could not be asked. `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status; 0 if no answer came.
    pub status: u16,
    /// The API's error code (`invalid_credentials`, `name_taken`, …); empty if it gave none.
    pub code: String,
    /// What to show.
    pub message: String,
}

/// What a call returns.
pub type ApiResult<T> = Result<T, ApiError>;

/// An id the API gives as a string or a number; kept as text, for paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Id(text_or_number(d)?))
    }
}

/// A time the API gives as Unix milliseconds (or already as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp(StampValue);

#[derive(Debug, Clone, PartialEq, Eq)]
enum StampValue {
    Ms(i64),
    Text(String),
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(Stamp(match value.as_i64() {
            Some(ms) => StampValue::Ms(ms),
            None => StampValue::Text(value.as_str().unwrap_or_default().to_owned()),
        }))
    }
}

impl std::fmt::Display for Stamp {
    /// In the reader's time zone, in the browser.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            #[cfg(feature = "hydrate")]
            StampValue::Ms(ms) => f.write_str(&crate::local_time::exact(*ms)),
            #[cfg(not(feature = "hydrate"))]
            StampValue::Ms(ms) => write!(f, "{ms}"),
            StampValue::Text(text) => f.write_str(text),
        }
    }
}

fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("an id is a string or a number")),
    }
}

/// A member of the workspace, as an administrator sees them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Member {
    /// Sign-in name.
    pub username: String,
    /// Whether they administer the workspace.
    pub admin: bool,
    /// When the account was made.
    pub created_at: Stamp,
}

/// An invite link just made; its `url` is shown only now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewInvite {
    /// The invite's id.
    pub id: Id,
    /// `/invite/{token}`, relative to this site.
    pub url: String,
    /// When it stops working.
    pub expires_at: Stamp,
}

/// An invite not yet used.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Invite {
    /// The invite's id.
    pub id: Id,
    /// Whether it makes an administrator.
    pub admin: bool,
    /// When it was made.
    pub created_at: Stamp,
    /// When it stops working.
    pub expires_at: Stamp,
}

/// One of this person's API tokens (the secret itself is never listed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiToken {
    /// The token's id.
    pub id: Id,
    /// What its owner called it.
    pub name: String,
    /// When it was made.
    pub created_at: Stamp,
}

/// An API token just made; `token` is shown only now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewToken {
    /// The token's id.
    pub id: Id,
    /// What its owner called it.
    pub name: String,
    /// The secret.
    pub token: String,
}

/// Who may do what with a document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DocAccess {
    /// The owner's sign-in name.
    pub owner: String,
    /// What every member of the workspace may do: `none`, `viewer` or `editor`.
    pub workspace: String,
    /// People given a role of their own.
    pub members: Vec<DocMember>,
    /// Share links (without their tokens).
    pub links: Vec<ShareLink>,
}

/// A person given a role on a document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DocMember {
    /// Their sign-in name.
    pub username: String,
    /// `viewer`, `editor` or `owner`.
    pub role: String,
}

/// A share link of a document, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShareLink {
    /// The link's id.
    pub id: Id,
    /// `viewer` or `editor`.
    pub role: String,
    /// When it was made.
    pub created_at: Stamp,
}

/// A share link just made; `url` holds the token, shown only now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewLink {
    /// The link's id.
    pub id: Id,
    /// `viewer` or `editor`.
    pub role: String,
    /// `/s/{token}`, relative to this site.
    pub url: String,
}

/// A saved version of a document, as its history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Version {
    /// The version's id.
    pub id: Id,
    /// When it was saved.
    pub created_at: Stamp,
    /// The name someone gave it, if any.
    #[serde(default)]
    pub label: Option<String>,
    /// How it came about: `auto`, `named`, `restore` or `import`.
    pub kind: String,
    /// Who wrote the changes it holds.
    #[serde(default)]
    pub authors: Vec<String>,
}

/// A version with its title and text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VersionText {
    /// The version itself.
    #[serde(flatten)]
    pub version: Version,
    /// The document's title then.
    #[serde(default)]
    pub title: String,
    /// The document's text then.
    pub text: String,
}

/// What restoring a version made: a new version holding the old text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Restored {
    /// The new version's id.
    pub version: Id,
}

/// A deleted document, as the trash lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Trashed {
    /// The document's id.
    pub id: Id,
    /// Its title; empty if it had none.
    #[serde(default)]
    pub title: String,
    /// When it was deleted.
    pub deleted_at: Stamp,
    /// Who deleted it, if known.
    #[serde(default)]
    pub deleted_by: Option<String>,
}

/// A document made by an import.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Imported {
    /// The new document's id.
    pub id: Id,
}

/// Makes the first administrator with the token the server printed, and signs them in.
pub async fn setup(token: String, username: String, password: String) -> ApiResult<Me> {
    call("POST", "/api/setup", Some(json!({ "token": token, "username": username, "password": password }))).await
}

/// Signs in.
pub async fn sign_in(username: String, password: String) -> ApiResult<Me> {
    call("POST", "/api/session", Some(json!({ "username": username, "password": password }))).await
}

/// Signs out.
pub async fn sign_out() -> ApiResult<()> {
    call_empty("DELETE", "/api/session", None).await
}

/// Changes the signed-in person's password.
pub async fn change_password(current: String, new: String) -> ApiResult<()> {
    call_empty("PUT", "/api/me/password", Some(json!({ "current": current, "new": new }))).await
}

/// Every member of the workspace (administrators only).
pub async fn members() -> ApiResult<Vec<Member>> {
    call("GET", "/api/users", None).await
}

/// Adds a member (administrators only).
pub async fn add_member(username: String, password: String, admin: bool) -> ApiResult<()> {
    call_empty("POST", "/api/users", Some(json!({ "username": username, "password": password, "admin": admin }))).await
}

/// Removes a member (administrators only).
pub async fn remove_member(username: String) -> ApiResult<()> {
    call_empty("DELETE", &format!("/api/users/{}", segment(&username)), None).await
}

/// Makes an invite link (administrators only).
pub async fn create_invite(admin: bool) -> ApiResult<NewInvite> {
    call("POST", "/api/invites", Some(json!({ "admin": admin }))).await
}

/// The invites not yet used (administrators only).
pub async fn invites() -> ApiResult<Vec<Invite>> {
    call("GET", "/api/invites", None).await
}

/// Revokes an invite (administrators only).
pub async fn revoke_invite(id: Id) -> ApiResult<()> {
    call_empty("DELETE", &format!("/api/invites/{}", segment(&id.0)), None).await
}

/// Accepts an invite: makes the account and signs it in.
pub async fn join(invite: String, username: String, password: String) -> ApiResult<Me> {
    call("POST", "/api/join", Some(json!({ "invite": invite, "username": username, "password": password }))).await
}

/// The signed-in person's API tokens.
pub async fn tokens() -> ApiResult<Vec<ApiToken>> {
    call("GET", "/api/tokens", None).await
}

/// Makes an API token called `name`.
pub async fn create_token(name: String) -> ApiResult<NewToken> {
    call("POST", "/api/tokens", Some(json!({ "name": name }))).await
}

/// Deletes an API token.
pub async fn delete_token(id: Id) -> ApiResult<()> {
    call_empty("DELETE", &format!("/api/tokens/{}", segment(&id.0)), None).await
}

/// Who may do what with document `doc` (its owner and administrators only).
pub async fn access(doc: String) -> ApiResult<DocAccess> {
    call("GET", &format!("/api/docs/{}/access", segment(&doc)), None).await
}

/// Sets what every member of the workspace may do with `doc` (`none`, `viewer`, `editor`).
pub async fn set_workspace_role(doc: String, role: String) -> ApiResult<()> {
    call_empty("PUT", &format!("/api/docs/{}/access/workspace", segment(&doc)), Some(json!({ "role": role }))).await
}

/// Gives `username` `role` on `doc`.
pub async fn set_member_role(doc: String, username: String, role: String) -> ApiResult<()> {
    let path = format!("/api/docs/{}/access/members/{}", segment(&doc), segment(&username));
    call_empty("PUT", &path, Some(json!({ "role": role }))).await
}

/// Takes `username`'s own role on `doc` away.
pub async fn remove_doc_member(doc: String, username: String) -> ApiResult<()> {
    call_empty("DELETE", &format!("/api/docs/{}/access/members/{}", segment(&doc), segment(&username)), None).await
}

/// Makes a share link to `doc` with `role` (`viewer` or `editor`).
pub async fn create_link(doc: String, role: String) -> ApiResult<NewLink> {
    call("POST", &format!("/api/docs/{}/links", segment(&doc)), Some(json!({ "role": role }))).await
}

/// Revokes a share link of `doc`.
pub async fn revoke_link(doc: String, link: Id) -> ApiResult<()> {
    call_empty("DELETE", &format!("/api/docs/{}/links/{}", segment(&doc), segment(&link.0)), None).await
}

/// The saved versions of `doc`, newest first (editors, owners and administrators).
pub async fn versions(doc: String) -> ApiResult<Vec<Version>> {
    call("GET", &format!("/api/docs/{}/versions", segment(&doc)), None).await
}

/// Saves the current text of `doc` as a version called `label`.
pub async fn name_version(doc: String, label: String) -> ApiResult<Version> {
    call("POST", &format!("/api/docs/{}/versions", segment(&doc)), Some(json!({ "label": label }))).await
}

/// Version `version` of `doc`, with its text.
pub async fn version(doc: String, version: Id) -> ApiResult<VersionText> {
    call("GET", &format!("/api/docs/{}/versions/{}", segment(&doc), segment(&version.0)), None).await
}

/// The unified diff from version `version` of `doc` to its current text.
pub async fn diff_to_current(doc: String, version: Id) -> ApiResult<String> {
    send("GET", &format!("/api/docs/{}/versions/{}/diff?to=current", segment(&doc), segment(&version.0)), None).await
}

/// Makes version `version` of `doc` its current text again (as a new edit).
pub async fn restore_version(doc: String, version: Id) -> ApiResult<Restored> {
    call("POST", &format!("/api/docs/{}/versions/{}/restore", segment(&doc), segment(&version.0)), None).await
}

/// Moves `doc` to the trash (its owner and administrators).
pub async fn delete_doc(doc: String) -> ApiResult<()> {
    call_empty("DELETE", &format!("/api/docs/{}", segment(&doc)), None).await
}

/// The deleted documents this person may bring back.
pub async fn trash() -> ApiResult<Vec<Trashed>> {
    call("GET", "/api/trash", None).await
}

/// Brings a deleted document back.
pub async fn restore_trashed(doc: Id) -> ApiResult<()> {
    call_empty("POST", &format!("/api/trash/{}/restore", segment(&doc.0)), None).await
}

/// Deletes a document in the trash for good.
pub async fn delete_forever(doc: Id) -> ApiResult<()> {
    call_empty("DELETE", &format!("/api/trash/{}", segment(&doc.0)), None).await
}

/// Makes a document of a Markdown `file`, sent as it is (the server checks it is UTF-8).
#[cfg(feature = "hydrate")]
pub async fn import_markdown(file: web_sys::File) -> ApiResult<Imported> {
    let path = format!("/api/docs/import?name={}", segment(&file.name()));
    let text = send_raw("POST", &path, Some(("text/markdown", file.into())), None).await?;
    serde_json::from_str(&text).map_err(|_| ApiError { status: 0, code: String::new(), message: UNREADABLE.into() })
}

/// An image stored as an attachment of a document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Uploaded {
    /// Where it is served, under this site (without the site's prefix).
    pub url: String,
}

/// Uploads an image `file` as an attachment of `doc`, sent as it is (the
/// server tells its type from its bytes); as the share link `link`'s guest
/// if it holds its token (a guest has no session cookie).
#[cfg(feature = "hydrate")]
pub async fn upload_attachment(doc: String, file: web_sys::File, link: Option<String>) -> ApiResult<Uploaded> {
    let path = format!("/api/docs/{}/attachments", segment(&doc));
    let media_type = file.type_();
    let text = send_raw("POST", &path, Some((media_type.as_str(), file.into())), link.as_deref()).await?;
    serde_json::from_str(&text).map_err(|_| ApiError { status: 0, code: String::new(), message: UNREADABLE.into() })
}

/// `s` as one path segment.
fn segment(s: &str) -> String {
    crate::pages::encode_component(s)
}

/// A call whose answer is JSON.
async fn call<T: DeserializeOwned>(method: &str, path: &str, body: Option<serde_json::Value>) -> ApiResult<T> {
    let text = send(method, path, body).await?;
    serde_json::from_str(&text).map_err(|_| ApiError { status: 0, code: String::new(), message: UNREADABLE.into() })
}

/// A call whose answer has no body (204).
async fn call_empty(method: &str, path: &str, body: Option<serde_json::Value>) -> ApiResult<()> {
    send(method, path, body).await.map(drop)
}

const UNREADABLE: &str = "The server's answer could not be read.";

/// The error a failed answer with `status` and `body` means.
#[cfg(any(feature = "hydrate", test))]
fn error_of(status: u16, body: &str) -> ApiError {
    #[derive(Deserialize)]
    struct Wrapper {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default)]
        code: String,
        message: String,
    }
    match serde_json::from_str::<Wrapper>(body) {
        Ok(Wrapper { error }) => ApiError { status, code: error.code, message: error.message },
        Err(_) => ApiError { status, code: String::new(), message: format!("Something went wrong (HTTP {status}).") },
    }
}

/// Sends one request with a JSON `body`; the answer's text if it succeeded.
#[cfg(feature = "hydrate")]
async fn send(method: &str, path: &str, body: Option<serde_json::Value>) -> ApiResult<String> {
    send_raw(method, path, body.map(|body| ("application/json", body.to_string().into())), None).await
}

/// Sends one request with a body of the given media type (text, or a file
/// as it is), with `bearer` as its token if given; the answer's text if it succeeded.
#[cfg(feature = "hydrate")]
async fn send_raw(method: &str, path: &str, body: Option<(&str, wasm_bindgen::JsValue)>, bearer: Option<&str>) -> ApiResult<String> {
    use gloo_net::http::{Method, RequestBuilder};
    let unreachable = |_| ApiError { status: 0, code: String::new(), message: "The server could not be reached.".into() };
    let method: Method = method.parse().unwrap_or(Method::GET);
    let mut builder = RequestBuilder::new(&crate::base::url(path)).method(method).header("Accept", "application/json");
    if let Some(token) = bearer {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some((media_type, body)) => builder.header("Content-Type", media_type).body(body),
        None => builder.build(),
    };
    let response = request.map_err(unreachable)?.send().await.map_err(unreachable)?;
    let text = response.text().await.unwrap_or_default();
    if response.ok() { Ok(text) } else { Err(error_of(response.status(), &text)) }
}

/// Outside the browser there is no one to ask.
#[cfg(not(feature = "hydrate"))]
async fn send(_: &str, _: &str, _: Option<serde_json::Value>) -> ApiResult<String> {
    Err(ApiError { status: 0, code: String::new(), message: "Only the browser calls the API.".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_api_message_or_a_generic_one() {
        let e = error_of(401, r#"{"error":{"code":"invalid_credentials","message":"Wrong name or password."}}"#);
        assert_eq!((e.status, e.code.as_str(), e.to_string().as_str()), (401, "invalid_credentials", "Wrong name or password."));
        assert_eq!(error_of(502, "<html>").message, "Something went wrong (HTTP 502).");
    }

    #[test]
    fn ids_and_times_come_as_text_or_numbers() {
        let link: ShareLink = serde_json::from_str(r#"{"id":7,"role":"viewer","created_at":1700000000000}"#).unwrap();
        assert_eq!(link.id, Id("7".into()));
        let token: ApiToken = serde_json::from_str(r#"{"id":"t1","name":"ci","created_at":"yesterday"}"#).unwrap();
        assert_eq!((token.id.0.as_str(), token.created_at.to_string().as_str()), ("t1", "yesterday"));
    }

    #[test]
    fn a_version_with_its_text_reads_as_one_object() {
        let json = r#"{"id":3,"created_at":1700000000000,"label":null,"kind":"auto","authors":["ann"],"title":"T","text":"a\nb"}"#;
        let v: VersionText = serde_json::from_str(json).unwrap();
        assert_eq!((v.version.id.0.as_str(), v.version.label, v.version.authors.len(), v.text.as_str()), ("3", None, 1, "a\nb"));
    }
}
