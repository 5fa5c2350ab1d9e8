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
//! - `nav`: sign-in redirects and safe return paths; `forms`: what the forms share;
//!   `later`: parts of a page whose code is fetched when first shown.
//!
//! Every page is a lazy route (`lazy_route!`): built with `cargo leptos build
//! --split`, a page load fetches the main module and its page's chunks, not
//! the code of every page.

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
mod later;
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
    Lazy, LazyRoute, ParamSegment, SsrMode, StaticSegment,
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
                <Route path=StaticSegment("") view={Lazy::<WorkspaceRoute>::new()} ssr=SsrMode::Async/>
                <Route path=(StaticSegment("d"), ParamSegment("id")) view={Lazy::<EditorRoute>::new()} ssr=SsrMode::Async/>
                <Route path=(StaticSegment("s"), ParamSegment("token")) view={Lazy::<SharedRoute>::new()} ssr=SsrMode::Async/>
                <Route path=StaticSegment("signin") view={Lazy::<SignInRoute>::new()}/>
                <Route path=StaticSegment("setup") view={Lazy::<SetupRoute>::new()}/>
                <Route path=(StaticSegment("invite"), ParamSegment("token")) view={Lazy::<InviteRoute>::new()}/>
                <Route path=StaticSegment("trash") view={Lazy::<TrashRoute>::new()}/>
                <Route path=StaticSegment("account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async/>
                <Route path=StaticSegment("admin") view={Lazy::<AdminRoute>::new()} ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

// Every route is lazy: built with `cargo leptos build --split`, a page's
// code is fetched with the route, from wasm chunks. A page load fetches the
// main module, its page's chunk and the chunks it shares with other pages;
// the server names them in the page's head (`split::preload`), so that they
// load side by side. Pages that go together share one chunk (one split
// function): each chunk function cuts the code it shares with the others
// into more, smaller chunks, and with one per page the editor's first load
// took 81 files (each compressed on its own) for the same code. A route has
// no data to start loading before its chunk arrives: each page loads its data
// itself, as it did as a plain route.

/// Declares `$route`, whose view is `$page` from the chunk `$chunk`;
/// `$preload` is the function [`chunk!`] made that only fetches the chunk.
macro_rules! lazy_route {
    ($(#[$doc:meta])* $route:ident => $chunk:ident($($page:expr)?), fetched by $preload:ident) => {
        $(#[$doc])*
        struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            // The router awaits this before it hydrates the page, which it
            // does by polling `view` once: the chunk must be here by then.
            async fn preload() {
                // A failure shows in `view`, which tries again.
                #[cfg(feature = "hydrate")]
                let _ = $preload().await;
            }

            async fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                crate::split::preload(stringify!($chunk));
                $chunk($($page)?).await.unwrap_or_else(|later::Unavailable| view! { <PageUnavailable/> }.into_any())
            }
        }
    };
}

/// Makes `$name` a function in a wasm chunk of its own, with `$preload`
/// fetching the chunk alone. Split as `fallible` (Leptos' `#[lazy]` is not):
/// a chunk that cannot be fetched is [`later::Unavailable`], not a panic,
/// which would stop the page.
macro_rules! chunk {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty)?), fetched by $preload:ident, $body:block) => {
        $(#[$doc])*
        #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible, preload(#[doc(hidden)] #[allow(non_snake_case)] $preload))]
        fn $name($($arg: $ty)?) -> Result<AnyView, later::Unavailable> {
            let view = $body;
            Ok(view)
        }
    };
}

lazy_route!(/** `/`. */ WorkspaceRoute => workspace_chunk(), fetched by __preload_workspace_chunk);
lazy_route!(/** `/d/{id}`. */ EditorRoute => editor_chunk(EditorPage::ById), fetched by __preload_editor_chunk);
lazy_route!(/** `/s/{token}`. */ SharedRoute => editor_chunk(EditorPage::ByLink), fetched by __preload_editor_chunk);
lazy_route!(/** `/signin`. */ SignInRoute => auth_chunk(AuthPage::SignIn), fetched by __preload_auth_chunk);
lazy_route!(/** `/setup`. */ SetupRoute => auth_chunk(AuthPage::Setup), fetched by __preload_auth_chunk);
lazy_route!(/** `/invite/{token}`. */ InviteRoute => auth_chunk(AuthPage::Invite), fetched by __preload_auth_chunk);
lazy_route!(/** `/trash`. */ TrashRoute => manage_chunk(ManagePage::Trash), fetched by __preload_manage_chunk);
lazy_route!(/** `/account`. */ AccountRoute => manage_chunk(ManagePage::Account), fetched by __preload_manage_chunk);
lazy_route!(/** `/admin`. */ AdminRoute => manage_chunk(ManagePage::Admin), fetched by __preload_manage_chunk);

chunk!(
    /// The workspace page.
    fn workspace_chunk(), fetched by __preload_workspace_chunk, { view! { <workspace::Workspace/> }.into_any() }
);

/// The editor's pages: a document opened by its id, or by a share link (the
/// same editor, around the same browser session).
enum EditorPage {
    ById,
    ByLink,
}

chunk!(
    /// The editor, and what only it needs (the browser session, the CodeMirror binding).
    fn editor_chunk(page: EditorPage), fetched by __preload_editor_chunk, {
        match page {
            EditorPage::ById => view! { <editor::Editor/> }.into_any(),
            EditorPage::ByLink => view! { <shared::Shared/> }.into_any(),
        }
    }
);

/// The pages of signing in and of joining the workspace.
enum AuthPage {
    SignIn,
    Setup,
    Invite,
}

chunk!(
    /// The pages of signing in and of joining the workspace.
    fn auth_chunk(page: AuthPage), fetched by __preload_auth_chunk, {
        match page {
            AuthPage::SignIn => view! { <signin::SignIn/> }.into_any(),
            AuthPage::Setup => view! { <setup::Setup/> }.into_any(),
            AuthPage::Invite => view! { <invite::Invite/> }.into_any(),
        }
    }
);

/// The pages that manage documents, the account and the workspace's members.
enum ManagePage {
    Trash,
    Account,
    Admin,
}

chunk!(
    /// The pages that manage documents, the account and the workspace's members.
    fn manage_chunk(page: ManagePage), fetched by __preload_manage_chunk, {
        match page {
            ManagePage::Trash => view! { <trash::Trash/> }.into_any(),
            ManagePage::Account => view! { <account::Account/> }.into_any(),
            ManagePage::Admin => view! { <admin::Admin/> }.into_any(),
        }
    }
);

/// Shown for a page whose code could not be fetched (the network or the
/// server is gone), in place of the panic that would stop the page.
#[component]
fn PageUnavailable() -> impl IntoView {
    let reload = move |_| {
        let _ = window().location().reload();
    };
    view! {
        <main class="page" data-testid="page-unavailable">
            <h1>"This page could not be loaded"</h1>
            <p>"The server cannot be reached. Edits you made are kept in this browser."</p>
            <p><button type="button" on:click=reload>"Try again"</button></p>
        </main>
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
