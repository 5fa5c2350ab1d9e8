//! `/s/{token}`: a document opened through a share link, with the link's role.
//! The editor without the workspace around it: no account menu, no Share
//! button, no way to the list; the socket carries the link's token.

use super::editor::EditorView;
use super::nav::{Failure, GoSignIn};
use crate::server_fns::open_shared;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The share link page.
#[component]
pub fn Shared() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let shared = Resource::new(token, open_shared);
    view! {
        <Suspense fallback=|| view! { <p class="muted page">"Opening…"</p> }>
            {move || Suspend::new(async move {
                match shared.await {
                    Ok(doc) => EitherOf3::A(view! { <EditorView id=doc.id snapshot=doc.snapshot link=token()/> }),
                    Err(e) if Failure::of(&e) == Failure::SignIn => EitherOf3::B(view! { <GoSignIn/> }),
                    Err(_) => EitherOf3::C(view! {
                        <main class="page" data-testid="link-invalid">
                            <h1>"This link does not work"</h1>
                            <p>"It may have been revoked. Ask the person who shared it for a new one."</p>
                        </main>
                    }),
                }
            })}
        </Suspense>
    }
}
