//! The browser entry point: hydrates the server-rendered page.

/// Called by the generated JavaScript once the wasm module is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::base::from_page();
    leptos::mount::hydrate_body(app::App);
}
