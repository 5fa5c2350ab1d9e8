//! `/d/{id}`: the editor. The server renders the current text; in the browser
//! a live session binds the text area to the shared document.

use tandem_sync::DocId;
use super::account_menu::AccountMenu;
use super::nav::{Failure, GoSignIn};
use super::export::ExportMenu;
use super::history::HistoryButton;
use super::later::{Dialog, Later, dialog_view};
use super::share::ShareButton;
use crate::model::{DocSnapshot, Me, Role, display_title};
use crate::presence::{Peer, User};
use crate::server_fns::{current_session, open_doc};
use crate::status::{ConnState, SaveState, SaveView};
use leptos::either::{Either, EitherOf4};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The editor page.
#[component]
pub fn Editor() -> impl IntoView {
    let params = use_params_map();
    let id = move || DocId::parse(&params.read().get("id").unwrap_or_default()).ok();
    let snapshot = Resource::new(id, |id| async move {
        match id {
            Some(id) => open_doc(id).await.map(Some),
            None => Ok(None),
        }
    });
    let session = Resource::new(|| (), |_| current_session());
    view! {
        <Suspense fallback=|| view! { <p class="muted page">"Opening…"</p> }>
            {move || Suspend::new(async move {
                let me = session.await.ok().and_then(|s| s.me);
                // Either, not AnyView: an AnyView brings into the bundle a second,
                // async hydration of everything in it, which nothing under a
                // Suspense (nor a lazy route's page) ever runs.
                match (id(), snapshot.await) {
                    (Some(id), Ok(Some(snapshot))) => EitherOf4::A(view! { <EditorView id snapshot account=me/> }),
                    (_, Err(e)) if Failure::of(&e) == Failure::SignIn => EitherOf4::B(view! { <GoSignIn/> }),
                    (_, Err(e)) if Failure::of(&e) == Failure::Other => EitherOf4::C(view! {
                        <main class="page"><h1>"The document could not be opened"</h1>
                            <p><a href=crate::base::url("/")>"Back to the workspace"</a></p></main>
                    }),
                    _ => EitherOf4::D(view! { <super::NotFound/> }),
                }
            })}
        </Suspense>
    }
}

/// The editor for one document, starting from its server-rendered text.
/// `account` is the signed-in person (none in open mode and through a share
/// link); `link` the share link's token the page was opened with.
#[component]
pub(super) fn EditorView(
    id: DocId,
    snapshot: DocSnapshot,
    #[prop(optional_no_strip)] account: Option<Me>,
    #[prop(optional)] link: Option<String>,
) -> impl IntoView {
    let DocSnapshot { title, text, role } = snapshot;
    // Which document the editor shows, on its element: a page left for another may still show for a moment.
    let doc_attr = id.as_str().to_owned();
    let share = (account.is_some() && role == Role::Owner && link.is_none()).then(|| id.clone());
    let guest = link.is_some();
    // History is for those who may write; a link guest sees only the live document.
    let history = (role.can_edit() && !guest).then(|| id.clone());
    let export = (!guest).then(|| id.clone());
    // Someone who came by a share link and never chose a name here is asked once.
    let asking_name = RwSignal::new(false);
    let read_only = RwSignal::new(!role.can_edit());
    let conn = RwSignal::new(ConnState::Connecting);
    let save = RwSignal::new(SaveState::Saved);
    let kept = RwSignal::new(true);
    let synced = RwSignal::new(false);
    let live_title = RwSignal::new(title.clone());
    let mode = RwSignal::new(Mode::remembered());
    // The server renders the preview of a view that shows it; the browser then keeps it up to date.
    #[cfg(not(feature = "hydrate"))]
    let preview_html = if mode.get_untracked() == Mode::Edit { String::new() } else { crate::blocks::preview_html(&text, link.as_deref()) };
    #[cfg(feature = "hydrate")]
    let preview_html = String::new();
    let preview = NodeRef::<leptos::html::Article>::new();
    let me = RwSignal::new(None::<User>);
    let peers = RwSignal::new(Vec::<Peer>::new());
    // The body's editing surface goes here, taking over the server-rendered text.
    let body = NodeRef::<leptos::html::Div>::new();
    let title_input = NodeRef::<leptos::html::Input>::new();
    // Others' badges are drawn into this by the browser session.
    let presence = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    let (rename, format) = {
        use std::rc::Rc;
        let initial = text.clone();
        let member = account.as_ref().map(|me| me.username.clone());
        let session = StoredValue::new_local(None::<Rc<crate::client::Session>>);
        Effect::new(move || {
            let elements = (body.get(), title_input.get(), presence.get(), preview.get());
            if let (Some(body), Some(title), Some(presence), Some(preview)) = elements {
                let user = match (guest, crate::client::saved_user()) {
                    (false, _) => match &member {
                        Some(name) => crate::client::member_user(name),
                        None => crate::client::local_user(),
                    },
                    (true, Some(saved)) => saved,
                    (true, None) => {
                        asking_name.set(true);
                        crate::client::guest_user()
                    }
                };
                let user = RwSignal::new(user);
                Effect::new(move || me.set(Some(user.get())));
                let signals = crate::client::Signals {
                    conn, save, kept, synced, read_only, title: live_title, me: user, peers,
                    previewing: Signal::derive(move || mode.get() != Mode::Edit),
                };
                let initial = initial.clone();
                let fields = crate::client::Fields { body: body.into(), initial, preview: preview.into(), title, presence: presence.into() };
                let started = crate::client::Session::start(&id, link.as_deref(), fields, signals);
                session.set_value(Some(started.clone()));
                // Leaving the page stops the session: its socket, timers and
                // listeners must not outlive the signals they write to.
                let started = send_wrapper::SendWrapper::new(started);
                on_cleanup(move || started.stop());
            }
        });
        focus_empty_title(synced, title_input);
        (
            move |name: String| session.with_value(|s| if let Some(s) = s { s.rename(&name) }),
            move |action: &'static str| session.with_value(|s| if let Some(s) = s { s.format(action) }),
        )
    };
    #[cfg(not(feature = "hydrate"))]
    let (rename, format) = {
        let _ = (&id, &link, body, title_input, live_title, peers, guest, preview);
        (|_: String| {}, |_: &'static str| {})
    };
    let prompt_rename = Callback::new(rename.clone());
    // The server renders the title as it is; only the browser follows it live
    // (a signal read while the page's head streams out would be read outside
    // the request's reactive arena). The head reads it once more as the page
    // is left, after the page's signals are disposed: then it is the app's title.
    #[cfg(feature = "hydrate")]
    let tab_title = leptos::text_prop::TextProp::from(move || {
        live_title.try_with(|t| format!("{} · Tandem", display_title(t))).unwrap_or_else(|| "Tandem".into())
    });
    #[cfg(not(feature = "hydrate"))]
    let tab_title = leptos::text_prop::TextProp::from(format!("{} · Tandem", display_title(&title)));
    view! {
        <Title text=tab_title/>
        <div class="editor-page">
            <header class="bar">
                {if guest {
                    // No way to the workspace: a link guest may see only this document.
                    Either::Left(view! { <span class="brand">"Tandem"</span> })
                } else {
                    Either::Right(view! { <a href=crate::base::url("/") class="brand" aria-label="Tandem: back to the workspace">"Tandem"</a> })
                }}
                // Before the title, whose width absorbs the changing status texts:
                // nothing to the left of the buttons changes size, so they never move.
                <ModeSwitch mode/>
                <input
                    node_ref=title_input
                    class="doc-title"
                    data-testid="doc-title"
                    aria-label="Title"
                    placeholder="Untitled"
                    // The server's bound on a title given at creation (a
                    // collaborator's title is shown whole, whatever its length).
                    maxlength="200"
                    value=title
                    readonly=move || !synced.get() || read_only.get()
                    on:keydown=move |ev| enter_moves_to(&ev, body)
                />
                <Show when=move || read_only.get()>
                    <span class="badge" data-testid="view-only">"View only"</span>
                </Show>
                <PresenceBar me rename hidden=asking_name node_ref=presence/>
                {history.map(|doc| view! { <HistoryButton doc/> })}
                {export.map(|doc| view! { <ExportMenu doc owner=role == Role::Owner/> })}
                {share.map(|doc| view! { <ShareButton doc/> })}
                <span class="status" data-testid="sync-status" data-state=move || save.get().as_str()
                    data-kept=move || kept.get().to_string()>
                    {move || save.get().label(kept.get())}
                </span>
                <ConnStatus conn/>
                {account.map(|me| view! { <AccountMenu me/> })}
            </header>
            <Show when=move || asking_name.get()>
                <Later load=move || dialog_view(Dialog::Name { rename: prompt_rename, asking: asking_name })/>
            </Show>
            <Toolbar format hidden=read_only/>
            <div class="workarea" data-mode=move || mode.get().as_str()>
                <div class="editor-wrap">
                    // The server-rendered text, readable before (and without) the
                    // wasm; the browser session puts the editing surface in its place.
                    <div class="editor" data-testid="editor" data-doc=doc_attr data-synced=move || synced.get().to_string() node_ref=body>
                        // Not a <pre>: HTML drops the first line break inside one.
                        <div class="editor-text">{text}</div>
                    </div>
                </div>
                <article
                    class="preview"
                    data-testid="preview"
                    aria-label="Preview"
                    node_ref=preview
                    inner_html=preview_html
                ></article>
            </div>
        </div>
    }
}

/// The connection's state; once the server has ended it for good, why, and
/// after a sign-out a link to sign in again (back to this page).
#[component]
fn ConnStatus(conn: RwSignal<ConnState>) -> impl IntoView {
    view! {
        <span class="status conn" data-testid="connection-status" data-state=move || conn.get().as_str()
            role=move || conn.get().ended().then_some("alert")>
            {move || conn.get().label()}
            <Show when=move || conn.get() == ConnState::SignedOut>
                <a href=super::nav::signin_href()>"Sign in"</a>
            </Show>
        </span>
    }
}

/// Once the document is live, puts the caret in its title if it has none (a
/// new document), unless the person already chose where to type.
#[cfg(feature = "hydrate")]
fn focus_empty_title(synced: RwSignal<bool>, title: NodeRef<leptos::html::Input>) {
    Effect::new(move || {
        let (Some(input), true) = (title.get(), synced.get()) else { return };
        let active = document().active_element();
        let untouched = active.is_none() || active == document().body().map(Into::into);
        if input.value().is_empty() && untouched {
            let _ = input.focus();
        }
    });
}

/// Enter in the title (outside an input method's composition) moves on to the body.
fn enter_moves_to(ev: &leptos::ev::KeyboardEvent, body: NodeRef<leptos::html::Div>) {
    if ev.key() != "Enter" || ev.is_composing() {
        return;
    }
    let text = body.get().and_then(|b| b.query_selector(".cm-content").ok().flatten());
    if let Some(text) = text.and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<leptos::web_sys::HtmlElement>(t).ok()) {
        ev.prevent_default();
        let _ = text.focus();
    }
}

/// The formatting buttons: the same actions as Ctrl+B, Ctrl+I and Ctrl+K,
/// each one undoable edit. Hidden while the document is read-only here.
#[component]
fn Toolbar(format: impl Fn(&'static str) + Copy + Send + Sync + 'static, hidden: RwSignal<bool>) -> impl IntoView {
    let button = move |action: &'static str, label: &'static str, keys: &'static str, face: &'static str| {
        view! {
            <button type="button" class=format!("tool {action}") aria-label=label title=format!("{label} ({keys})")
                aria-keyshortcuts=keys on:mousedown=|ev| ev.prevent_default() on:click=move |_| format(action)>
                {face}
            </button>
        }
    };
    view! {
        <div class="toolbar" role="toolbar" aria-label="Formatting" data-testid="toolbar" hidden=move || hidden.get()>
            {button("bold", "Bold", "Control+B", "B")}
            {button("italic", "Italic", "Control+I", "I")}
            {button("link", "Link", "Control+K", "Link")}
        </div>
    }
}

/// Everyone in the document: this person first, as "name (you)" (the name is
/// editable), then the others by name, whose badges the browser session appends to `node_ref`.
#[component]
fn PresenceBar(
    me: RwSignal<Option<User>>,
    rename: impl Fn(String) + Clone + Send + Sync + 'static,
    /// Whether this person's own entry is hidden (while they are asked for their name).
    hidden: RwSignal<bool>,
    node_ref: NodeRef<leptos::html::Div>,
) -> impl IntoView {
    let color = move || me.get().map(|u| format!("--c: {}", u.color)).unwrap_or_default();
    view! {
        <div class="presence" data-testid="presence" role="group" aria-label="People in this document" node_ref=node_ref>
            <span class="me-entry" hidden=move || hidden.get()>
                <input
                    class="me"
                    aria-label="Your name"
                    style=color
                    prop:value=move || me.get().map(|u| u.name).unwrap_or_default()
                    on:change=move |ev| rename(event_target_value(&ev))
                />
                <span class="you">"(you)"</span>
            </span>
        </div>
    }
}

/// The name prompt (in the dialogs' chunk: only a link guest who never chose
/// a name here sees it, once the page is live).
pub(super) fn name_prompt(rename: Callback<String>, asking: RwSignal<bool>) -> AnyView {
    view! { <NamePrompt rename asking/> }.into_any()
}

/// Asks someone who came by a share link for the name others see ("Guest"
/// unless they change it), once: the name is kept in this browser.
#[component]
fn NamePrompt(rename: Callback<String>, asking: RwSignal<bool>) -> impl IntoView {
    let name = RwSignal::new("Guest".to_owned());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = name.get_untracked();
        rename.run(if chosen.trim().is_empty() { "Guest".into() } else { chosen });
        asking.set(false);
    };
    view! {
        <form class="name-prompt" on:submit=submit data-testid="name-prompt">
            <label>"Your name" <input required maxlength="40" bind:value=name/></label>
            <button type="submit" class="primary">"Join"</button>
            <span class="muted">"Others in this document see this name."</span>
        </form>
    }
}

/// How the editor page shows the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Edit,
    Split,
    Preview,
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Edit, Mode::Split, Mode::Preview];

    fn as_str(self) -> &'static str {
        match self {
            Mode::Edit => "edit",
            Mode::Split => "split",
            Mode::Preview => "preview",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Mode::Edit => "Edit",
            Mode::Split => "Split",
            Mode::Preview => "Preview",
        }
    }

    /// The mode named `s` (an `as_str` value).
    fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

// The chosen view is kept in a cookie rather than in localStorage: the server
// reads it too, so the first paint already shows that view (no flash of the
// plain editor before the wasm loads) and hydration finds what it rendered.

/// The cookie that keeps the chosen view.
const VIEW_COOKIE: &str = "tandem-view";

impl Mode {
    /// The view this browser chose last; Edit if none.
    fn remembered() -> Mode {
        cookies().and_then(|all| Mode::from_cookies(&all)).unwrap_or(Mode::Edit)
    }

    /// The view named in a `Cookie` header's value, if it names a known one.
    fn from_cookies(all: &str) -> Option<Mode> {
        all.split(';').find_map(|c| c.trim().strip_prefix(VIEW_COOKIE)?.strip_prefix('=').and_then(Mode::parse))
    }

    /// Keeps this view for the next page load, for a year.
    fn remember(self) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let cookie = format!("{VIEW_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", self.as_str());
            if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
                let _ = doc.set_cookie(&cookie);
            }
        }
    }
}

/// The request's `Cookie` header on the server, `document.cookie` in the browser.
fn cookies() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let parts = use_context::<leptos::server_fn::http_export::request::Parts>()?;
        parts.headers.get("cookie")?.to_str().ok().map(str::to_owned)
    }
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        document().dyn_into::<web_sys::HtmlDocument>().ok()?.cookie().ok()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    None
}

/// Edit, split or preview.
#[component]
fn ModeSwitch(mode: RwSignal<Mode>) -> impl IntoView {
    view! {
        <div class="modes" role="group" aria-label="View">
            {Mode::ALL.into_iter().map(|m| view! {
                <button
                    type="button"
                    data-mode=m.as_str()
                    aria-pressed=move || (mode.get() == m).to_string()
                    on:click=move |_| { mode.set(m); m.remember(); }
                >
                    {m.label()}
                </button>
            }).collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::Mode;

    #[test]
    fn the_view_cookie_is_read_among_others() {
        assert_eq!(Mode::from_cookies("a=1; tandem-view=split; b=2"), Some(Mode::Split));
        assert_eq!(Mode::from_cookies("tandem-view=preview"), Some(Mode::Preview));
        assert_eq!(Mode::from_cookies("tandem-view=bogus; x=edit"), None);
        assert_eq!(Mode::from_cookies("tandem-viewer=split"), None);
        assert_eq!(Mode::from_cookies(""), None);
    }
}
