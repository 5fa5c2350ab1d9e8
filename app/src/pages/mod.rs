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
//! Every page is a lazy route (`lazy_page!`): built with `cargo leptos build
//! --split`, each page's code is a wasm chunk of its own, so a page load
//! fetches the main module, its page's chunk and the chunks it shares with
//! other pages, not the code of every page.

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
    Lazy, ParamSegment, SsrMode, StaticSegment,
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
                <Route path=StaticSegment("") view={Lazy::<WorkspacePage>::new()} ssr=SsrMode::Async/>
                <Route path=(StaticSegment("d"), ParamSegment("id")) view={Lazy::<EditorPage>::new()} ssr=SsrMode::Async/>
                <Route path=(StaticSegment("s"), ParamSegment("token")) view={Lazy::<SharedPage>::new()} ssr=SsrMode::Async/>
                <Route path=StaticSegment("signin") view={Lazy::<SignInPage>::new()}/>
                <Route path=StaticSegment("setup") view={Lazy::<SetupPage>::new()}/>
                <Route path=(StaticSegment("invite"), ParamSegment("token")) view={Lazy::<InvitePage>::new()}/>
                <Route path=StaticSegment("trash") view={Lazy::<TrashPage>::new()}/>
                <Route path=StaticSegment("account") view={Lazy::<AccountPage>::new()} ssr=SsrMode::Async/>
                <Route path=StaticSegment("admin") view={Lazy::<AdminPage>::new()} ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// Declares `$route`, the lazy route of the page component `$page`. Built
/// with `cargo leptos build --split`, the page's code, and whatever only it
/// uses, goes into a wasm chunk of its own, which the router fetches when
/// the route is first visited (and, on a page load, the server names in the
/// page's head, so it loads beside the main module). A route has no data of
/// its own to start loading before its chunk arrives: each page loads its data
/// itself, as it did as a plain route.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $($page:ident)::+) => {
        $(#[$doc])*
        struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$($page)::+/> }.into_any()
            }
        }
    };
}

lazy_page!(/** `/`. */ WorkspacePage => workspace::Workspace);
lazy_page!(/** `/d/{id}`. */ EditorPage => editor::Editor);
lazy_page!(/** `/s/{token}`. */ SharedPage => shared::Shared);
lazy_page!(/** `/signin`. */ SignInPage => signin::SignIn);
lazy_page!(/** `/setup`. */ SetupPage => setup::Setup);
lazy_page!(/** `/invite/{token}`. */ InvitePage => invite::Invite);
lazy_page!(/** `/trash`. */ TrashPage => trash::Trash);
lazy_page!(/** `/account`. */ AccountPage => account::Account);
lazy_page!(/** `/admin`. */ AdminPage => admin::Admin);

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
