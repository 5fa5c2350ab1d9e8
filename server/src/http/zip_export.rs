//! `GET /api/export`: every document the caller may see as one `.zip` of
//! Markdown files, streamed — each document is read when its turn comes, and
//! the archive leaves in chunks as it is written.

use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::workspace::Caller;
use crate::workspace::transfer::{UniqueNames, file_stem};
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::io::Write;
use tokio::sync::mpsc;

/// Bytes the archive is sent in (the last chunk may be smaller).
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks and files in flight between the reader, the zip writer and the response.
const IN_FLIGHT: usize = 4;

/// The archive of every document the caller may see.
pub async fn export_all(State(app): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let docs = app.workspace.list(&caller).await?;
    let (files_tx, files_rx) = mpsc::channel::<(String, String)>(IN_FLIGHT);
    let (chunks_tx, mut chunks_rx) = mpsc::channel::<std::io::Result<Bytes>>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || write_zip(files_rx, chunks_tx));
    let workspace = app.workspace.clone();
    tokio::spawn(async move {
        let mut names = UniqueNames::default();
        for doc in docs {
            // A document deleted or unshared meanwhile is left out.
            let Ok(text) = workspace.text(&caller, &doc.meta.id).await else { continue };
            let name = names.name(&file_stem(&doc.meta.title), "md");
            if files_tx.send((name, text)).await.is_err() {
                return; // the download was abandoned
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| chunks_rx.poll_recv(cx));
    let headers = [
        (header::CONTENT_TYPE, "application/zip"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"tandem-export.zip\""),
    ];
    Ok((headers, Body::from_stream(stream)).into_response())
}

/// Writes each file it receives into a zip archive and sends the archive on in chunks.
fn write_zip(mut files: mpsc::Receiver<(String, String)>, chunks: mpsc::Sender<std::io::Result<Bytes>>) {
    let sink = Chunks { buf: Vec::with_capacity(CHUNK_BYTES), out: chunks.clone() };
    let mut zip = zip::ZipWriter::new_stream(sink);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let written = (|| -> zip::result::ZipResult<()> {
        while let Some((name, text)) = files.blocking_recv() {
            zip.start_file(name, options)?;
            zip.write_all(text.as_bytes())?;
        }
        zip.finish()?.into_inner().flush()?;
        Ok(())
    })();
    if let Err(e) = written {
        tracing::warn!(error = %e, "the export archive could not be written");
        let _ = chunks.blocking_send(Err(std::io::Error::other("the archive could not be written")));
    }
}

/// A writer that sends what is written in chunks of [`CHUNK_BYTES`].
struct Chunks {
    buf: Vec<u8>,
    out: mpsc::Sender<std::io::Result<Bytes>>,
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES)));
        self.out.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::other("the download was abandoned"))
    }
}
