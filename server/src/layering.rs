//! The layer rule of the crate map, checked: each folder uses only the layers
//! listed before it in `lib.rs` (and the leaf modules `config`, `commands` and
//! the crate root are not used from inside a layer).

use std::path::Path;

/// Each layer and the layers it may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("metrics", &[]),
    ("store", &["metrics"]),
    ("accounts", &["metrics", "store"]),
    ("doc", &["metrics", "store"]),
    ("conn", &["metrics", "store", "doc"]),
    ("workspace", &["metrics", "store", "accounts", "doc"]),
    ("cluster", &["metrics", "store", "doc", "workspace"]),
    ("http", &["metrics", "store", "accounts", "doc", "conn", "workspace", "config"]),
];

/// The `crate::NAME` paths a source text mentions.
fn uses(source: &str) -> Vec<String> {
    source
        .match_indices("crate::")
        .map(|(at, _)| {
            let rest = &source[at + "crate::".len()..];
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
        })
        .collect()
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read a layer folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

#[test]
fn every_layer_uses_only_the_layers_below_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (layer, allowed) in LAYERS {
        for file in sources(&root.join(layer)) {
            let text = std::fs::read_to_string(&file).expect("read a source file");
            for used in uses(&text) {
                let ok = used == *layer || allowed.contains(&used.as_str());
                assert!(ok, "{} (layer `{layer}`) uses `crate::{used}`", file.display());
            }
        }
    }
}

#[test]
fn the_checker_sees_a_use() {
    assert_eq!(uses("use crate::doc::Room; crate::store::Seq"), ["doc", "store"]);
}
