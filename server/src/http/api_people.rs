//! The people API under `/api`: first start, sign-in and out, the caller's
//! account and API tokens, members and invites (administrators).

use crate::http::auth::session_cookie;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::state::AppState;
use crate::store::{InviteInfo, TokenInfo, UserInfo};
use crate::workspace::people::{Account, SignedIn, signed_in};
use crate::workspace::Caller;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The people routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/setup", post(setup))
        .route("/session", post(sign_in).delete(sign_out))
        .route("/me", get(me))
        .route("/me/password", put(change_password))
        .route("/users", get(users).post(add_user))
        .route("/users/{username}", delete(delete_user))
        .route("/invites", get(invites).post(invite))
        .route("/invites/{id}", delete(delete_invite))
        .route("/join", post(join))
        .route("/tokens", get(tokens).post(add_token))
        .route("/tokens/{id}", delete(delete_token))
}

/// Body of `POST /api/setup`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Setup {
    token: String,
    username: String,
    password: String,
}

/// Body of `POST /api/session`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    username: String,
    password: String,
}

/// Body of `PUT /api/me/password`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    current: String,
    new: String,
}

/// Body of `POST /api/users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMember {
    username: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

/// Body of `POST /api/invites`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvite {
    #[serde(default)]
    admin: bool,
}

/// Answer of `POST /api/invites`: the link, shown once.
#[derive(Serialize)]
struct Invited {
    id: i64,
    url: String,
    expires_at: i64,
}

/// Body of `POST /api/join`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Join {
    invite: String,
    username: String,
    password: String,
}

/// Body of `POST /api/tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
}

/// Answer of `POST /api/tokens`: the token, shown once.
#[derive(Serialize)]
struct IssuedToken {
    id: i64,
    name: String,
    token: String,
}

/// `status` with the account and the session cookie that signs it in.
fn signed_in_response(app: &AppState, status: StatusCode, signed: SignedIn) -> Response {
    let cookie = session_cookie(&signed.token, app.public_url.as_ref());
    (status, [(header::SET_COOKIE, cookie)], Json(signed.account)).into_response()
}

/// Creates the first administrator with the one-time setup token; signs them in.
async fn setup(State(app): State<AppState>, JsonBody(body): JsonBody<Setup>) -> Result<Response, ApiError> {
    let signed = app.workspace.people().setup(&body.token, &body.username, body.password).await?;
    Ok(signed_in_response(&app, StatusCode::CREATED, signed))
}

/// Signs in with a name and password.
async fn sign_in(State(app): State<AppState>, JsonBody(body): JsonBody<SignIn>) -> Result<Response, ApiError> {
    let signed = app.workspace.people().sign_in(&body.username, body.password).await?;
    Ok(signed_in_response(&app, StatusCode::OK, signed))
}

/// Signs out: ends the session and closes its sockets.
async fn sign_out(State(app): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    app.workspace.people().sign_out(&caller).await?;
    let cookie = session_cookie("", app.public_url.as_ref());
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The signed-in account.
async fn me(caller: Caller) -> Result<Json<Account>, ApiError> {
    let me = signed_in(&caller)?;
    Ok(Json(Account { username: me.username.clone(), admin: me.admin }))
}

/// Changes the caller's password.
async fn change_password(State(app): State<AppState>, caller: Caller, JsonBody(body): JsonBody<NewPassword>) -> Result<StatusCode, ApiError> {
    app.workspace.people().change_password(&caller, body.current, body.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every account (administrators).
async fn users(State(app): State<AppState>, caller: Caller) -> Result<Json<Vec<UserInfo>>, ApiError> {
    Ok(Json(app.workspace.people().users(&caller).await?))
}

/// Creates an account (administrators).
async fn add_user(State(app): State<AppState>, caller: Caller, JsonBody(body): JsonBody<NewMember>) -> Result<impl IntoResponse, ApiError> {
    let account = app.workspace.people().add_user(&caller, &body.username, body.password, body.admin).await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// Deletes an account and closes its sockets (administrators).
async fn delete_user(State(app): State<AppState>, caller: Caller, Path(username): Path<String>) -> Result<StatusCode, ApiError> {
    app.workspace.people().delete_user(&caller, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes an invite link (administrators).
async fn invite(State(app): State<AppState>, caller: Caller, JsonBody(body): JsonBody<NewInvite>) -> Result<impl IntoResponse, ApiError> {
    let (issued, expires_at) = app.workspace.people().invite(&caller, body.admin).await?;
    Ok((StatusCode::CREATED, Json(Invited { id: issued.id, url: format!("/invite/{}", issued.token), expires_at })))
}

/// The open invites (administrators).
async fn invites(State(app): State<AppState>, caller: Caller) -> Result<Json<Vec<InviteInfo>>, ApiError> {
    Ok(Json(app.workspace.people().invites(&caller).await?))
}

/// Withdraws an invite (administrators).
async fn delete_invite(State(app): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    app.workspace.people().delete_invite(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates an account with an invite and signs it in.
async fn join(State(app): State<AppState>, JsonBody(body): JsonBody<Join>) -> Result<Response, ApiError> {
    let signed = app.workspace.people().join(&body.invite, &body.username, body.password).await?;
    Ok(signed_in_response(&app, StatusCode::CREATED, signed))
}

/// The caller's API tokens.
async fn tokens(State(app): State<AppState>, caller: Caller) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(app.workspace.people().tokens(&caller).await?))
}

/// Makes an API token for the caller, shown once.
async fn add_token(State(app): State<AppState>, caller: Caller, JsonBody(body): JsonBody<NewToken>) -> Result<impl IntoResponse, ApiError> {
    let issued = app.workspace.people().add_token(&caller, &body.name).await?;
    Ok((StatusCode::CREATED, Json(IssuedToken { id: issued.id, name: body.name.trim().to_owned(), token: issued.token })))
}

/// Revokes one of the caller's API tokens and closes its sockets.
async fn delete_token(State(app): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    app.workspace.people().delete_token(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
