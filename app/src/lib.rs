//! Tandem's pages, and the browser session of an open document. The sync
//! vocabulary they speak (protocol, document ids and shape) is `tandem_sync`.
//!
//! # Layout
//!
//! - [`model`]: what pages show about documents; [`status`]: connection and saving states;
//!   [`presence`]: who is here; [`local_time`]: times in the reader's zone, relative when recent.
//! - [`api`]: the browser's calls to the JSON API (accounts, members, sharing).
//! - [`server_fns`]: the pages' calls into the server; `backend` (server only) is the
//!   `PageData` trait the server implements to answer them.
//! - [`pages`]: the Leptos components; [`shell`] is the server-rendered HTML frame.
//! - `client` (browser only): the live session of an open document — socket, fields, presence,
//!   journal storage — around the sync state machine `tandem_sync::session`.
//! - [`text_diff`]: the smallest change between two versions of a text; [`lines`]: where
//!   lines start in a UTF-16 text, kept up to date across edits (for the caret mirror).
//! - [`markdown`]: the preview renderer (safe by construction), which shows only this
//!   server's [`attachment`] images; [`unified_diff`]: the
//!   server's diff between versions, laid over the whole older text for the history panel.
//! - [`split`]: the wasm chunks of the browser bundle a page names in its head.

pub mod api;
pub mod attachment;
#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "hydrate")]
pub mod client;
pub mod local_time;
pub mod blocks;
pub mod markdown;
pub mod model;
pub mod pages;
pub mod presence;
pub mod base;
pub mod server_fns;
pub mod split;
pub mod status;
pub mod text_diff;
pub mod unified_diff;

pub use pages::App;

use leptos::prelude::*;
use leptos_meta::MetaTags;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name=base::META_NAME content=base::get().into_owned()/>
                <link rel="icon" type="image/svg+xml" href=base::url("/favicon.svg")/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options root=base::get().into_owned()/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
