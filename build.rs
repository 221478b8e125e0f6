//! Stamps the binary with a fingerprint of the code that shapes the persisted
//! catalog (the name index and the grouped products, see `src/snapshot/cache.rs`).
//! A catalog cached by one build is read back only by a build with the same
//! fingerprint: a changed index or grouping rule rebuilds instead of serving
//! results the new code would not give. Hashing the sources, not the binary,
//! keeps the fingerprint equal on every node built from the same commit.

use std::path::{Path, PathBuf};

/// What the persisted catalog's layout and content depend on: its types and build
/// rules, not the views answers make of it (a changed view must not cost every
/// server a catalog rebuild at its next start).
const INPUTS: &[&str] = &[
    "indexers/src",
    "src/catalog/mod.rs",
    "src/catalog/build.rs",
    "src/catalog/lang.rs",
    "src/model.rs",
    "src/store/load.rs",
    "Cargo.lock",
];

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(rd) = std::fs::read_dir(path) else {
            return;
        };
        for e in rd.flatten() {
            files(&e.path(), out);
        }
    } else if path.is_file() {
        out.push(path.to_path_buf());
    }
}

fn main() {
    let mut all = Vec::new();
    for i in INPUTS {
        println!("cargo:rerun-if-changed={i}");
        files(Path::new(i), &mut all);
    }
    all.sort();
    // FNV-1a over path and content: no dependency, stable across runs.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for f in &all {
        feed(f.to_string_lossy().as_bytes());
        feed(&std::fs::read(f).unwrap_or_default());
    }
    println!("cargo:rustc-env=MEDMAP_CATALOG_FORMAT={h:016x}");
    println!("cargo:rustc-env=MEDMAP_COMMIT={}", commit());
}

/// The commit the binary is built from (`GET /api/v1/version`, `--version`): what an
/// operator quotes in a bug report. `unknown` outside a git checkout.
fn commit() -> String {
    // A build without the repository (a container build context leaves `.git` out)
    // is told the commit instead: `--build-arg MEDMAP_COMMIT=$(git rev-parse --short=12 HEAD)`.
    println!("cargo:rerun-if-env-changed=MEDMAP_COMMIT");
    if let Some(c) = std::env::var("MEDMAP_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
    {
        return c;
    }
    for f in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if Path::new(f).exists() {
            println!("cargo:rerun-if-changed={f}");
        }
    }
    std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
