//! The on-disk cache of prepared splits: content digests for keys, and entry files with a
//! checksummed header, written atomically.
//!
//! Entry file layout (little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `CLRDATA\0` |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 4 | kind (1 = examples, 2 = tokens) |
//! | 8 | payload length |
//! | 32 | SHA-256 of the payload |
//! | … | payload ([`super::codec`]) |
//!
//! A reader checks all five before using a byte of the payload; any mismatch (a truncated
//! or corrupted file, an older format) reads as [`Lookup::Corrupt`], and the caller
//! rebuilds the entry. Writes go to a temporary file in the same directory, are synced,
//! and then renamed over the final name, so a reader never sees half an entry.
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::DataError;

pub const MAGIC: &[u8; 8] = b"CLRDATA\0";
/// Bump when the payload layout or the meaning of a key changes.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 4 + 8 + 32;
/// File name suffixes of cache entries (what `clear` removes).
pub const ENTRY_SUFFIXES: [&str; 2] = [".examples", ".tokens"];
const TEMP_PREFIX: &str = ".tmp-";

/// What an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// Preprocessed examples (text + label).
    Examples = 1,
    /// Tokenized examples.
    Tokens = 2,
}

impl EntryKind {
    pub fn suffix(self) -> &'static str {
        match self {
            EntryKind::Examples => ENTRY_SUFFIXES[0],
            EntryKind::Tokens => ENTRY_SUFFIXES[1],
        }
    }
}

/// A SHA-256 over labelled fields and file contents; the hex result is a cache key part.
pub struct FileDigest {
    hasher: Sha256,
}

impl FileDigest {
    /// A digest in its own domain (e.g. "tokenizer"), so different key kinds never collide.
    pub fn new(domain: &str) -> FileDigest {
        let mut digest = FileDigest {
            hasher: Sha256::new(),
        };
        digest.add_str("domain", domain);
        digest.add_u64("format", u64::from(FORMAT_VERSION));
        digest
    }

    /// A labelled text field (length-prefixed, so fields cannot run into each other).
    pub fn add_str(&mut self, label: &str, value: &str) {
        for part in [label.as_bytes(), value.as_bytes()] {
            self.hasher.update((part.len() as u64).to_le_bytes());
            self.hasher.update(part);
        }
    }

    pub fn add_u64(&mut self, label: &str, value: u64) {
        self.add_str(label, &value.to_string());
    }

    /// A file's name (not its directory) and its bytes.
    pub fn add_file(&mut self, path: &Path) -> Result<(), DataError> {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        self.add_str("file", &name);
        let mut file = File::open(path).map_err(DataError::io(path))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut len = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(DataError::io(path))?;
            if n == 0 {
                break;
            }
            self.hasher.update(&buf[..n]);
            len += n as u64;
        }
        self.add_u64("len", len);
        Ok(())
    }

    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

/// The result of looking an entry up.
#[derive(Debug)]
pub enum Lookup {
    /// A verified payload.
    Hit(Vec<u8>),
    /// No entry under this name.
    Miss,
    /// An entry that must not be used, and why.
    Corrupt(String),
}

/// Reads and verifies the entry at `path`.
pub fn read_entry(path: &Path, kind: EntryKind) -> Lookup {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
        Err(err) => return Lookup::Corrupt(format!("unreadable: {err}")),
    };
    match verify(&bytes, kind) {
        Ok(()) => {
            let mut bytes = bytes;
            bytes.drain(..HEADER_LEN);
            Lookup::Hit(bytes)
        }
        Err(reason) => Lookup::Corrupt(reason),
    }
}

fn verify(bytes: &[u8], kind: EntryKind) -> Result<(), String> {
    if bytes.len() < HEADER_LEN {
        return Err(format!("truncated header ({} bytes)", bytes.len()));
    }
    if &bytes[..8] != MAGIC {
        return Err("not a clora-host data cache entry".into());
    }
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4]));
    if word(8) != FORMAT_VERSION {
        return Err(format!(
            "format version {} (expected {FORMAT_VERSION})",
            word(8)
        ));
    }
    if word(12) != kind as u32 {
        return Err(format!(
            "entry kind {} (expected {})",
            word(12),
            kind as u32
        ));
    }
    let len = u64::from_le_bytes(bytes[16..24].try_into().unwrap_or([0; 8]));
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != len {
        return Err(format!(
            "payload is {} bytes, header says {len} (truncated or appended to)",
            payload.len()
        ));
    }
    if Sha256::digest(payload).as_slice() != &bytes[24..56] {
        return Err("payload checksum mismatch".into());
    }
    Ok(())
}

/// Writes an entry atomically (temporary file, fsync, rename).
pub fn write_entry(path: &Path, kind: EntryKind, payload: &[u8]) -> Result<(), DataError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let error = |message: String| DataError::Cache {
        path: path.to_path_buf(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| error(format!("cannot create the directory: {e}")))?;
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| error(format!("cannot create a temporary file: {e}")))?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&(kind as u32).to_le_bytes());
    header.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    header.extend_from_slice(&Sha256::digest(payload));
    let file = temp.as_file_mut();
    file.write_all(&header)
        .and_then(|()| file.write_all(payload))
        .and_then(|()| file.sync_all())
        .map_err(|e| error(format!("write failed: {e}")))?;
    temp.persist(path)
        .map_err(|e| error(format!("rename failed: {}", e.error)))?;
    Ok(())
}

/// What [`clear`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleared {
    pub files: u64,
    pub bytes: u64,
}

/// Removes every cache entry (and leftover temporary file) in `dir`; other files stay.
pub fn clear(dir: &Path) -> Result<Cleared, DataError> {
    let mut cleared = Cleared::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(cleared),
        Err(err) => return Err(DataError::io(dir)(err)),
    };
    for entry in entries {
        let entry = entry.map_err(DataError::io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(TEMP_PREFIX)
            || ENTRY_SUFFIXES.iter().any(|suffix| name.ends_with(suffix));
        if !ours
            || !entry
                .file_type()
                .map_err(DataError::io(entry.path()))?
                .is_file()
        {
            continue;
        }
        let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
        std::fs::remove_file(entry.path()).map_err(DataError::io(entry.path()))?;
        cleared.files += 1;
        cleared.bytes += len;
    }
    Ok(cleared)
}

/// The entry file for a split: `<split>-<dataset>-<key prefix><suffix>` (readable names;
/// the key decides).
pub fn entry_path(dir: &Path, split: &str, dataset: &str, key: &str, kind: EntryKind) -> PathBuf {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    dir.join(format!(
        "{}-{}-{}{}",
        clean(split),
        clean(dataset),
        &key[..key.len().min(32)],
        kind.suffix()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.tokens");
        assert!(matches!(read_entry(&path, EntryKind::Tokens), Lookup::Miss));
        write_entry(&path, EntryKind::Tokens, b"hello payload").unwrap();
        match read_entry(&path, EntryKind::Tokens) {
            Lookup::Hit(payload) => assert_eq!(payload, b"hello payload"),
            other => panic!("{other:?}"),
        }
        let corrupt = |p: &Path, kind| match read_entry(p, kind) {
            Lookup::Corrupt(reason) => reason,
            other => panic!("{other:?}"),
        };
        assert!(corrupt(&path, EntryKind::Examples).contains("entry kind 2"));

        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(corrupt(&path, EntryKind::Tokens).contains("truncated"));
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        assert!(corrupt(&path, EntryKind::Tokens).contains("checksum"));
        std::fs::write(&path, &bytes[..10]).unwrap();
        assert!(corrupt(&path, EntryKind::Tokens).contains("truncated header"));
    }

    #[test]
    fn clear_removes_only_entries() {
        let dir = tempfile::tempdir().unwrap();
        write_entry(&dir.path().join("a.tokens"), EntryKind::Tokens, b"1").unwrap();
        write_entry(&dir.path().join("a.examples"), EntryKind::Examples, b"22").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"keep").unwrap();
        let cleared = clear(dir.path()).unwrap();
        assert_eq!(cleared.files, 2);
        assert_eq!(cleared.bytes, 2 * HEADER_LEN as u64 + 3);
        assert!(dir.path().join("notes.txt").exists());
        assert_eq!(clear(&dir.path().join("none")).unwrap(), Cleared::default());
    }

    #[test]
    fn digests_separate_fields_and_domains() {
        let key = |domain: &str, a: &str, b: &str| {
            let mut d = FileDigest::new(domain);
            d.add_str("a", a);
            d.add_str("b", b);
            d.finish()
        };
        assert_eq!(key("x", "1", "2"), key("x", "1", "2"));
        assert_ne!(key("x", "12", ""), key("x", "1", "2"));
        assert_ne!(key("x", "1", "2"), key("y", "1", "2"));
    }
}
