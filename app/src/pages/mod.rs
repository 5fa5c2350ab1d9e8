//! The pages of the app and their routes.
//!
//! - `workspace`: `/`, every document, a "New document" action, and `import`: Markdown files made documents.
//! - `editor`: `/d/{id}`, the editor with its bar, presence and preview;
//!   `share`: its Share dialog (with `delete`); `history`: its History dialog; `export`: its
//!   Export menu; `shared`: `/s/{token}`, the editor opened by a share link.
//! - `signin`: `/signin`; `setup`: `/setup`, the first administrator; `invite`:
//!   `/invite/{token}`, joining with an invite.
//! - `trash`: `/trash`, deleted documents, restored or deleted for good.
//! - `account`: `/account`; `admin`: `/admin`, members and invites;
//!   `account_menu`: the person's menu in the top bar.
//! - `nav`: sign-in redirects and safe return paths; `forms`: what the forms share.

mod account;
mod account_menu;
mod admin;
mod delete;
mod editor;
mod export;
mod forms;
mod history;
mod import;
mod invite;
mod nav;
mod setup;
mod share;
mod shared;
mod signin;
mod trash;

pub use nav::encode_component;
mod workspace;

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

/// The router's base: the site's prefix in the browser, where paths carry
/// it; none on the server, which sees paths with the prefix taken off.
fn router_base() -> std::borrow::Cow<'static, str> {
    if cfg!(feature = "hydrate") { crate::base::get() } else { "".into() }
}

/// The root component: metadata, stylesheet and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href=crate::base::url("/pkg/tandem.css")/>
        <Title text="Tandem"/>
        <Router base=router_base()>
            <Routes fallback=NotFound>
                // Async: the first paint already holds the data, readable before the wasm loads.
                <Route path=StaticSegment("") view=workspace::Workspace ssr=SsrMode::Async/>
                <Route path=(StaticSegment("d"), ParamSegment("id")) view=editor::Editor ssr=SsrMode::Async/>
                <Route path=(StaticSegment("s"), ParamSegment("token")) view=shared::Shared ssr=SsrMode::Async/>
                <Route path=StaticSegment("signin") view=signin::SignIn/>
                <Route path=StaticSegment("setup") view=setup::Setup/>
                <Route path=(StaticSegment("invite"), ParamSegment("token")) view=invite::Invite/>
                <Route path=StaticSegment("trash") view=trash::Trash/>
                <Route path=StaticSegment("account") view=account::Account ssr=SsrMode::Async/>
                <Route path=StaticSegment("admin") view=admin::Admin ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// Shown for any path that matches no page.
#[component]
fn NotFound() -> impl IntoView {
    view! {
        <main class="page">
            <h1>"Not found"</h1>
            <p><a href=crate::base::url("/")>"Back to the workspace"</a></p>
        </main>
    }
}

/// Flips to `true` once the wasm has hydrated the page.
fn hydrated() -> RwSignal<bool> {
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));
    hydrated
}
