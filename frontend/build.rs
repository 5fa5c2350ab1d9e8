//! Refuses to build the browser bundle through cargo-leptos without
//! `--split`: the pages' lazy functions (`#[lazy]`) import their chunks from
//! a placeholder module that only the split step resolves, so such a bundle
//! builds without a complaint and then cannot start in the browser ("Failed
//! to resolve module specifier"). `--split` is what adds `--emit-relocs` to
//! the link of the wasm.

fn main() {
    println!("cargo::rerun-if-env-changed=LEPTOS_LIB_DIR");
    let wasm = std::env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32"));
    // Set by cargo-leptos for the builds it runs (and by nothing else here).
    let by_cargo_leptos = std::env::var_os("LEPTOS_LIB_DIR").is_some();
    let split = std::env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|flags| flags.contains("--emit-relocs"));
    if wasm && by_cargo_leptos && !split {
        panic!("the browser bundle is split into chunks: build it with `cargo leptos build --split` (or `watch --split`)");
    }
}
