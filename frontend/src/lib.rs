//! The browser entry point: hydrates the server-rendered page.

/// Called by the generated JavaScript once the wasm module is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::base::from_page();
    // Lazily: the page's route may first have to fetch its wasm chunk
    // (`cargo leptos build --split`), and hydrates once it is here.
    leptos::mount::hydrate_lazy(app::App);
}
