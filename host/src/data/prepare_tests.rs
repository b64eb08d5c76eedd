//! Unit tests of [`super::prepare`]: cache hits, reuse, damage, policies.
use std::path::{Path, PathBuf};

use super::cache::{read_entry, EntryKind, Lookup};
use super::prepare::{CacheUse, Preparer};
use super::progress::Progress;
use super::testing::{write_byte_tokenizer, FieldConverters, NoHub};
use super::{BadRowsPolicy, DataConfig, DataError, SourceKind, SplitConfig};

struct Fixture {
    dir: tempfile::TempDir,
    config: DataConfig,
    converters: FieldConverters,
}

impl Fixture {
    fn new(rows: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/train.jsonl"), rows).unwrap();
        write_byte_tokenizer(&dir.path().join("tok"));
        let local = SplitConfig {
            dataset: "toy".into(),
            source: SourceKind::Local,
            files: vec![PathBuf::from("train.jsonl")],
            ..SplitConfig::default()
        };
        let config = DataConfig {
            root: dir.path().join("data"),
            cache_dir: dir.path().join("cache"),
            max_length: 4,
            train: local.clone(),
            validation: local,
            test: Default::default(),
            ..DataConfig::default()
        };
        Fixture {
            dir,
            config,
            converters: FieldConverters::default(),
        }
    }

    fn preparer(&self) -> Preparer<'_> {
        Preparer {
            config: &self.config,
            tokenizer_dir: self.dir.path().join("tok"),
            converters: &self.converters,
            hub: &NoHub,
            progress: Progress::hidden(),
            rebuild: false,
        }
    }
}

const ROWS: &str = "{\"text\":\"abcdef\",\"label\":1}\n{\"text\":\"xy\",\"label\":0}\nbad\n";

#[test]
fn a_warm_load_reads_the_tokens_entry_without_opening_a_converter() {
    let f = Fixture::new(ROWS);
    let cold = f.preparer().prepare("train").unwrap();
    assert_eq!(cold.cache, CacheUse::Rebuilt);
    assert_eq!(f.converters.opened.get(), 1);
    let split = &cold.split;
    assert_eq!(split.labels, [1, 0]);
    // Byte-level ids: 'a' = 64 in GPT-2's byte order; truncated to max_length 4.
    assert_eq!(split.ids(0), [64, 65, 66, 67]);
    assert_eq!(split.full_lengths, [6, 2]);
    assert_eq!(split.tokenizer.pad_id, 256);
    assert_eq!(split.meta.rows_read, 3);
    assert_eq!(split.meta.bad_rows.count, 1);

    let warm = f.preparer().prepare("train").unwrap();
    assert_eq!(warm.cache, CacheUse::Tokens);
    assert_eq!(f.converters.opened.get(), 1);
    assert_eq!(warm.split, cold.split);
    assert!(matches!(
        read_entry(&warm.entry, EntryKind::Tokens),
        Lookup::Hit(_)
    ));
}

#[test]
fn a_new_max_length_reuses_the_examples_and_new_sources_rebuild() {
    let mut f = Fixture::new(ROWS);
    f.preparer().prepare("train").unwrap();
    f.config.max_length = 8;
    let longer = f.preparer().prepare("train").unwrap();
    assert_eq!(longer.cache, CacheUse::Examples);
    assert_eq!(longer.split.ids(0).len(), 6);
    assert_eq!(f.converters.opened.get(), 1);

    std::fs::write(
        f.dir.path().join("data/train.jsonl"),
        "{\"text\":\"q\",\"label\":1}\n",
    )
    .unwrap();
    let changed = f.preparer().prepare("train").unwrap();
    assert_eq!(changed.cache, CacheUse::Rebuilt);
    assert_eq!(changed.split.labels, [1]);

    f.converters.version = 2;
    assert_eq!(
        f.preparer().prepare("train").unwrap().cache,
        CacheUse::Rebuilt
    );
    f.config.train.max_rows = 1;
    assert_eq!(
        f.preparer().prepare("train").unwrap().cache,
        CacheUse::Rebuilt
    );
}

fn damage(path: &Path, keep: usize) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..keep.min(bytes.len())]).unwrap();
}

#[test]
fn damaged_entries_are_rebuilt_never_used() {
    let f = Fixture::new(ROWS);
    let cold = f.preparer().prepare("train").unwrap();
    let len = std::fs::metadata(&cold.entry).unwrap().len() as usize;
    damage(&cold.entry, len - 1);
    let again = f.preparer().prepare("train").unwrap();
    assert_eq!(again.cache, CacheUse::Examples);
    assert_eq!(again.split, cold.split);

    // Flip one payload byte of both entries: everything is rebuilt from the source.
    for entry in std::fs::read_dir(f.dir.path().join("cache")).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();
    }
    let rebuilt = f.preparer().prepare("train").unwrap();
    assert_eq!(rebuilt.cache, CacheUse::Rebuilt);
    assert_eq!(rebuilt.split, cold.split);
    assert_eq!(f.converters.opened.get(), 2);
}

#[test]
fn fail_policy_applies_to_cached_bad_rows_and_empty_splits_are_errors() {
    let mut f = Fixture::new(ROWS);
    f.preparer().prepare("train").unwrap();
    f.config.bad_rows = BadRowsPolicy::Fail;
    let err = f.preparer().prepare("train").unwrap_err().to_string();
    let file = f.dir.path().join("data/train.jsonl");
    assert!(
        err.starts_with(&format!("{}:3: bad row: invalid JSON", file.display())),
        "{err}"
    );

    std::fs::write(&file, "bad\n\n").unwrap();
    f.config.bad_rows = BadRowsPolicy::Skip;
    let err = f.preparer().prepare("train").unwrap_err();
    assert!(
        matches!(
            err,
            DataError::EmptySplit {
                rows_read: 1,
                rows_skipped: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "split `train` is empty: 1 rows read, 1 skipped, 0 examples"
    );
    let err = f.preparer().prepare("test.nope").unwrap_err().to_string();
    assert!(
        err.contains("no split `test.nope` (configured: train, validation)"),
        "{err}"
    );
}
