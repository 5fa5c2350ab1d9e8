//! Pages of the document list (`GET /api/docs?limit=&cursor=`).
//!
//! The list is ordered most recently edited first, ties by id; a cursor is
//! the opaque position (edit time and id) of the last document of a page,
//! and the next page starts after it. A walk therefore never shows a
//! document twice; one edited during the walk moves to the front, so a walk
//! that has not reached it yet misses it (start again to see it).

use crate::http::error::ApiError;
use crate::workspace::Listed;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use tandem_sync::DocId;

/// Documents on a page when the request names no `limit`.
pub const DEFAULT_PAGE: usize = 100;
/// Most documents on one page; a larger `limit` is lowered to it, so one
/// answer stays small whatever the workspace holds.
pub const MAX_PAGE: usize = 1000;

/// The query of `GET /api/docs`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// Documents on the page (1 to [`MAX_PAGE`]; default [`DEFAULT_PAGE`]).
    pub limit: Option<usize>,
    /// Where the page starts: the `cursor` of the previous page's `next` link.
    pub cursor: Option<String>,
}

/// Where a page starts: after the document edited at `updated_at` with `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    updated_at: i64,
    id: DocId,
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.updated_at, self.id))
    }

    fn decode(raw: &str) -> Option<Cursor> {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
        let (at, id) = text.split_once(':')?;
        Some(Cursor { updated_at: at.parse().ok()?, id: DocId::parse(id).ok()? })
    }

    /// Whether `doc` comes after this position in the list's order.
    fn precedes(&self, doc: &Listed) -> bool {
        let at = doc.meta.updated_at;
        at < self.updated_at || (at == self.updated_at && doc.meta.id.as_str() > self.id.as_str())
    }
}

/// One page of `docs` (in list order) and the cursor of the next, if any.
pub fn page(docs: Vec<Listed>, query: &PageQuery) -> Result<(Vec<Listed>, Option<String>), ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let after = match query.cursor.as_deref() {
        Some(raw) => Some(Cursor::decode(raw).ok_or_else(bad_cursor)?),
        None => None,
    };
    let mut rest = docs.into_iter().filter(|doc| after.as_ref().is_none_or(|c| c.precedes(doc))).peekable();
    let page: Vec<Listed> = rest.by_ref().take(limit).collect();
    let more = rest.peek().is_some();
    let next = page.last().filter(|_| more).map(|last| Cursor { updated_at: last.meta.updated_at, id: last.meta.id.clone() }.encode());
    Ok((page, next))
}

/// The `Link` header value that points at the next page.
pub fn next_link(limit: Option<usize>, cursor: &str) -> String {
    let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    format!("</api/docs?limit={limit}&cursor={cursor}>; rel=\"next\"")
}

fn bad_cursor() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_cursor", "the cursor is not one this server gave")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DocMeta;
    use tandem_sync::Role;

    fn doc(id: &str, updated_at: i64) -> Listed {
        let meta = DocMeta { id: DocId::parse(id).unwrap(), title: String::new(), excerpt: String::new(), updated_at, size: 0 };
        Listed { meta, role: Role::Owner, owner: String::new() }
    }

    #[test]
    fn a_walk_sees_every_document_once_even_with_equal_times() {
        let docs: Vec<Listed> = (0..7).map(|i| doc(&format!("d{i}"), 100 - i64::from(i / 3))).collect();
        let mut seen = Vec::new();
        let mut query = PageQuery { limit: Some(2), cursor: None };
        loop {
            let (page, next) = page(docs.clone(), &query).unwrap();
            seen.extend(page.into_iter().map(|d| d.meta.id.to_string()));
            let Some(next) = next else { break };
            query.cursor = Some(next);
        }
        let all: Vec<String> = docs.iter().map(|d| d.meta.id.to_string()).collect();
        assert_eq!(seen, all);
    }

    #[test]
    fn limits_are_clamped_and_a_forged_cursor_is_refused() {
        let docs: Vec<Listed> = (0..3).map(|i| doc(&format!("d{i}"), 1)).collect();
        let (page0, next) = page(docs.clone(), &PageQuery { limit: Some(0), cursor: None }).unwrap();
        assert_eq!((page0.len(), next.is_some()), (1, true));
        assert!(page(docs, &PageQuery { limit: None, cursor: Some("!!".into()) }).is_err());
    }
}
