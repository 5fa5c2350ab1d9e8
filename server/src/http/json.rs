//! [`JsonBody`]: a JSON request body whose rejection is the API's JSON error.

use crate::http::error::ApiError;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// A JSON body of type `T`; anything else is a 400 with the API's error shape.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await.map_err(|e| ApiError::bad_json(e.body_text()))?;
        Ok(JsonBody(value))
    }
}
