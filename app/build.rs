//! Bundles the editing surface's JavaScript (`surface/src`, CodeMirror from
//! `surface/node_modules`) into the one module the browser build imports,
//! `surface/dist/surface.js`. Only the browser build (feature `hydrate`) needs
//! it; esbuild comes from npm (`scripts/setup` installs it), so nothing is
//! downloaded here.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=surface/src");
    println!("cargo::rerun-if-changed=surface/package-lock.json");
    if std::env::var_os("CARGO_FEATURE_HYDRATE").is_none() {
        return;
    }
    let esbuild = Path::new("surface/node_modules/.bin/esbuild");
    if !esbuild.exists() {
        panic!("{} is missing: run scripts/setup (or `npm ci` in app/surface)", esbuild.display());
    }
    // Minified in release builds only, so that a debug build's stack traces read.
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let mut command = Command::new(esbuild);
    command.args(["surface/src/surface.js", "--bundle", "--format=esm", "--target=es2020", "--legal-comments=none"]);
    command.args(["--outfile=surface/dist/surface.js", "--log-level=warning"]);
    if release {
        command.arg("--minify");
    }
    let status = command.status().unwrap_or_else(|e| panic!("cannot run {}: {e}", esbuild.display()));
    assert!(status.success(), "esbuild could not bundle surface/src/surface.js");
}
