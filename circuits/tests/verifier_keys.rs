//! The verifying-key store: a key generated once is read back by a later process without key
//! generation, and an entry that does not read back with its recorded fingerprint is ignored
//! (the key is generated again), never used.

use circuits::keys::{KeyCache, VerifierKeySource, SOURCE_ID};
use circuits::kind::SubCircuitKind;
use std::fs;
use std::path::Path;

const DEPTH: usize = 8;

fn entry(dir: &Path, ext: &str) -> std::path::PathBuf {
    dir.join("vk")
        .join(format!("balance-d{DEPTH}-{SOURCE_ID}.{ext}"))
}

#[test]
fn a_stored_verifying_key_is_read_back_and_a_bad_one_is_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let kind = SubCircuitKind::Balance;
    let first = KeyCache::new(Some(dir.path().to_path_buf()));
    let generated = first.get(kind, DEPTH).unwrap();
    let in_memory = first.verifying_key(kind, DEPTH).unwrap();
    assert_eq!(in_memory.source, VerifierKeySource::Memory);
    assert!(entry(dir.path(), "vk").is_file() && entry(dir.path(), "json").is_file());

    // A later process: the key comes from the store, identical.
    let later = KeyCache::new(Some(dir.path().to_path_buf()));
    let stored = later.verifying_key(kind, DEPTH).unwrap();
    assert_eq!(stored.source, VerifierKeySource::Store);
    assert_eq!(stored.fingerprint, generated.fingerprint);
    assert_eq!(
        (stored.k, &stored.public_input_lens),
        (generated.k, &generated.public_input_lens)
    );

    // A changed byte in the stored key's commitments: ignored, generated again, stored again.
    let vk_path = entry(dir.path(), "vk");
    let mut bytes = fs::read(&vk_path).unwrap();
    let at = bytes.len() - 40;
    bytes[at] ^= 0x01;
    fs::write(&vk_path, &bytes).unwrap();
    let after_tamper = KeyCache::new(Some(dir.path().to_path_buf()));
    let regenerated = after_tamper.verifying_key(kind, DEPTH).unwrap();
    assert_eq!(regenerated.source, VerifierKeySource::Generated);
    assert_eq!(regenerated.fingerprint, generated.fingerprint);
    let again = KeyCache::new(Some(dir.path().to_path_buf()));
    assert_eq!(
        again.verifying_key(kind, DEPTH).unwrap().source,
        VerifierKeySource::Store
    );

    // An entry claiming another fingerprint, or unparsable: the same.
    let json_path = entry(dir.path(), "json");
    let json = fs::read_to_string(&json_path).unwrap();
    fs::write(
        &json_path,
        json.replace(&generated.fingerprint, &"0".repeat(64)),
    )
    .unwrap();
    let wrong = KeyCache::new(Some(dir.path().to_path_buf()));
    assert_eq!(
        wrong.verifying_key(kind, DEPTH).unwrap().source,
        VerifierKeySource::Generated
    );
    fs::write(&json_path, "{ not json").unwrap();
    let broken = KeyCache::new(Some(dir.path().to_path_buf()));
    assert_eq!(
        broken.verifying_key(kind, DEPTH).unwrap().source,
        VerifierKeySource::Generated
    );

    // Without a key directory nothing is stored, and verification generates.
    let none = KeyCache::new(None);
    assert_eq!(
        none.verifying_key(kind, DEPTH).unwrap().source,
        VerifierKeySource::Generated
    );
}
