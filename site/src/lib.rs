//! The site's files as the last frontend build left them in the site
//! directory (`target/site`): `pkg/tandem.wasm`, `pkg/tandem.js`,
//! `pkg/tandem.css`, the public assets, and with `precompress` their `.br`
//! and `.gz` twins. Built into the binary in every profile; empty when no
//! site had been built when this crate was compiled.
//!
//! The build script names the directory and makes cargo rebuild this crate
//! when it changes, so the copy is the one on disk at build time. Build the
//! frontend before the server (cargo-leptos does with `precompress`, release).

/// The embedded site; look files up by their path under the site root, without a leading `/`.
#[derive(rust_embed::Embed)]
#[folder = "$TANDEM_SITE_DIR"]
#[allow_missing = true]
pub struct Site;

pub use rust_embed::EmbeddedFile;

/// The file at `path` (`pkg/tandem.wasm`), if the embedded site has it.
pub fn file(path: &str) -> Option<EmbeddedFile> {
    <Site as rust_embed::Embed>::get(path)
}

/// Whether the binary holds a site at all.
pub fn is_empty() -> bool {
    <Site as rust_embed::Embed>::iter().next().is_none()
}
