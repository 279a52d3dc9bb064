//! Fingerprints the sources the circuits are made of, so that verifying keys stored on disk by
//! one build are never taken for another's (`keys::SOURCE_ID`).

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    // The circuits, their gadgets and the exact dependency versions (halo2 changes a key too).
    let roots = [
        manifest.join("src"),
        manifest.join("../circuits-kzg/src"),
        manifest.join("../Cargo.lock"),
    ];
    let mut all = Vec::new();
    for root in &roots {
        println!("cargo:rerun-if-changed={}", root.display());
        if root.is_dir() {
            files(root, &mut all);
        } else {
            all.push(root.clone());
        }
    }
    all.sort();
    // SipHash with fixed keys: deterministic, and only a cache key (not a security boundary:
    // a stored key is also checked against its recorded fingerprint when read).
    let mut hasher = DefaultHasher::new();
    for path in &all {
        let rel = path.strip_prefix(&manifest).unwrap_or(path);
        hasher.write(rel.to_string_lossy().as_bytes());
        hasher.write(&std::fs::read(path).unwrap_or_default());
    }
    println!(
        "cargo:rustc-env=ZKPAR_CIRCUITS_SOURCE_ID={:016x}",
        hasher.finish()
    );
}
