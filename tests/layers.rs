//! The layers depend one way: nothing below the HTTP layer uses it, and the snapshot
//! does not use the importers. A `use crate::http` in a domain module would let the
//! web layer's types leak into the domain again; this test names the file and line.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Lines of `module`'s files (a folder or a file under `src/`) that mention any of
/// `forbidden` outside comments.
fn offending(module: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let path = root.join(module);
    if path.is_dir() {
        rust_files(&path, &mut files);
    } else {
        files.push(path.with_extension("rs"));
    }
    assert!(!files.is_empty(), "no sources for {module}");
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if forbidden.iter().any(|x| code.contains(x)) {
                out.push(format!("{}:{}: {}", f.display(), n + 1, code));
            }
        }
    }
    out
}

#[test]
fn nothing_below_http_uses_it() {
    let mut bad = Vec::new();
    for m in [
        "catalog",
        "availability",
        "facilities",
        "feeds",
        "import",
        "snapshot",
        "store",
        "hsds",
        "model",
        "config",
        "geo",
        "places",
        "duty",
    ] {
        bad.extend(offending(m, &["crate::http", "axum::", "medmap::http"]));
    }
    assert!(
        bad.is_empty(),
        "domain code uses the HTTP layer:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_snapshot_and_the_domain_do_not_use_the_importers() {
    let mut bad = Vec::new();
    for m in [
        "snapshot",
        "catalog",
        "availability",
        "facilities",
        "store",
        "geo",
        "places",
    ] {
        bad.extend(offending(m, &["crate::import"]));
    }
    assert!(bad.is_empty(), "uses the importers:\n{}", bad.join("\n"));
}

#[test]
fn the_search_core_knows_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("indexers");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("manifest");
    for dep in ["axum", "sqlx", "tokio", "reqwest", "hyper"] {
        assert!(
            !manifest.contains(&format!("\n{dep} ")) && !manifest.contains(&format!("\n{dep}=")),
            "medmap-indexers depends on {dep}"
        );
    }
}
