//! Finds the site directory cargo-leptos writes (`LEPTOS_SITE_ROOT`, relative
//! to the workspace root, default `target/site`), hands it to the embedding
//! as `TANDEM_SITE_DIR`, and rebuilds this crate whenever a file in it
//! changes, appears or goes away.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LEPTOS_SITE_ROOT");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest.parent().expect("the crate sits in the workspace");
    let root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let dir = workspace.join(root);
    // Cargo reruns a build script whose watched path is missing on every
    // build, which would rebuild the server each time: so a missing site
    // directory is made here, empty (it embeds nothing), for cargo-leptos to fill.
    if let Err(e) = std::fs::create_dir_all(&dir) {
        println!("cargo:warning=cannot create {}: {e}", dir.display());
    }
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rustc-env=TANDEM_SITE_DIR={}", dir.display());
}
