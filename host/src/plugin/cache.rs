//! The on-disk cache of compiled components. Compiling a plugin takes 70–150 ms;
//! loading a cached one takes a few milliseconds.
//!
//! Key: the SHA-256 of the `.wasm` bytes plus the engine fingerprint (wasmtime version,
//! target, compilation settings), so a new host build never loads stale machine code.
//! Entry format: the SHA-256 of the payload, then wasmtime's serialized component. Writes
//! go to a temporary file in the same directory and are renamed into place (atomic), and
//! an entry whose checksum or header does not verify is recompiled and overwritten.
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from the cache.
    Hit,
    /// Compiled (and stored, if the cache is enabled and writable).
    Compiled,
    /// A cache entry existed but did not verify; compiled again and replaced.
    Recompiled,
}

const CHECKSUM_BYTES: usize = 32;

pub(crate) struct ComponentCache {
    dir: Option<PathBuf>,
    fingerprint: String,
}

impl ComponentCache {
    pub fn new(dir: Option<PathBuf>, fingerprint: String) -> Self {
        ComponentCache { dir, fingerprint }
    }

    /// Where the entry for a wasm file with this digest lives.
    pub fn entry_path(&self, wasm_digest: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("{wasm_digest}-{}.cwasm", &self.fingerprint[..16])))
    }

    /// The compiled component for `wasm`, from the cache when possible. A failure to
    /// write the cache is not an error (the component is still returned).
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        wasm_digest: &str,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let entry = self.entry_path(wasm_digest);
        let mut outcome = CacheOutcome::Compiled;
        if let Some(path) = &entry {
            if let Ok(bytes) = std::fs::read(path) {
                match verified_payload(&bytes).map(|payload| {
                    // SAFETY: the payload is what `Component::serialize` wrote for this
                    // engine configuration (the fingerprint is in the key) and its checksum
                    // verified, so it is not truncated or corrupted; wasmtime additionally
                    // checks its header and version before using it.
                    unsafe { Component::deserialize(engine, payload) }
                }) {
                    Some(Ok(component)) => return Ok((component, CacheOutcome::Hit)),
                    _ => outcome = CacheOutcome::Recompiled,
                }
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Some(path) = &entry {
            if let Ok(payload) = component.serialize() {
                let _ = write_atomically(path, &payload);
            }
        }
        Ok((component, outcome))
    }
}

fn verified_payload(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.len() < CHECKSUM_BYTES {
        return None;
    }
    let (checksum, payload) = bytes.split_at(CHECKSUM_BYTES);
    (Sha256::digest(payload).as_slice() == checksum).then_some(payload)
}

fn write_atomically(path: &Path, payload: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(&Sha256::digest(payload))?;
    file.write_all(payload)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAT: &str = r#"(component (core module (func (export "f"))))"#;

    fn setup() -> (tempfile::TempDir, Engine, ComponentCache, Vec<u8>, String) {
        let dir = tempfile::tempdir().unwrap();
        let engine = super::super::engine::new_engine().unwrap();
        let cache = ComponentCache::new(
            Some(dir.path().to_path_buf()),
            super::super::engine::engine_fingerprint(&engine),
        );
        // The engine accepts the text format too (wasmtime's `wat` feature).
        let wasm = WAT.as_bytes().to_vec();
        let digest = sha256_hex(&wasm);
        (dir, engine, cache, wasm, digest)
    }

    #[test]
    fn second_load_hits_and_a_corrupted_entry_is_recompiled() {
        let (_dir, engine, cache, wasm, digest) = setup();
        assert_eq!(
            cache.load(&engine, &wasm, &digest).unwrap().1,
            CacheOutcome::Compiled
        );
        assert_eq!(
            cache.load(&engine, &wasm, &digest).unwrap().1,
            CacheOutcome::Hit
        );
        let path = cache.entry_path(&digest).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            cache.load(&engine, &wasm, &digest).unwrap().1,
            CacheOutcome::Recompiled
        );
        assert_eq!(
            cache.load(&engine, &wasm, &digest).unwrap().1,
            CacheOutcome::Hit
        );
        std::fs::write(&path, b"short").unwrap();
        assert_eq!(
            cache.load(&engine, &wasm, &digest).unwrap().1,
            CacheOutcome::Recompiled
        );
    }

    #[test]
    fn disabled_cache_always_compiles() {
        let (_dir, engine, _cache, wasm, digest) = setup();
        let cache = ComponentCache::new(None, "0".repeat(64));
        assert_eq!(
            cache.load(&engine, &wasm, &digest).unwrap().1,
            CacheOutcome::Compiled
        );
        assert_eq!(
            cache.load(&engine, &wasm, &digest).unwrap().1,
            CacheOutcome::Compiled
        );
    }
}
