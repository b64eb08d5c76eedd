//! Preparing a split: source files → (cache) examples → (cache) token ids.
//!
//! Two cache entries per split, each keyed by a SHA-256 of everything that decides its
//! content:
//! - examples: the source files' bytes, the converter's fingerprint (plugin wasm digest
//!   + parameters), `max_rows`, `max_examples`, the split id and source description;
//! - tokens: the examples key, the tokenizer files' bytes and `max_length`.
//!
//! A warm load hashes the sources and the tokenizer files and reads one entry; it never
//! instantiates a plugin or a tokenizer. Changing `max_length` or the tokenizer reuses the
//! examples entry. A damaged entry is reported as a note and rebuilt.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cache::{entry_path, read_entry, write_entry, EntryKind, FileDigest, Lookup};
use super::hub_files::{resolve_files, DatasetFiles};
use super::preprocess::{preprocess, PreprocessJob};
use super::progress::Progress;
use super::split::{ExampleSet, TokenizedSplit, TokenizerMeta};
use super::tokenize::{encode_all, pad_id, TokenizerSource};
use super::{
    BadRowsPolicy, ConverterFactory, DataConfig, DataError, PluginConverters, SourceKind,
    SplitConfig,
};
use crate::hub::Hub;
use crate::plugin::PluginRuntime;

/// Which cache entry a split came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// The tokens entry (warm load).
    Tokens,
    /// The examples entry; tokenized again.
    Examples,
    /// Nothing usable; read, converted and tokenized.
    Rebuilt,
}

/// A prepared split and how it was obtained.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub split: TokenizedSplit,
    pub cache: CacheUse,
    /// The tokens entry on disk.
    pub entry: PathBuf,
    /// Time spent in [`Preparer::prepare`] (a warm load is hashing + one entry read).
    pub elapsed: Duration,
}

/// Prepares splits of one `[data]` configuration.
pub struct Preparer<'a> {
    pub config: &'a DataConfig,
    /// Directory of the tokenizer files.
    pub tokenizer_dir: PathBuf,
    pub converters: &'a dyn ConverterFactory,
    pub hub: &'a dyn DatasetFiles,
    pub progress: Progress,
    /// Ignore existing entries (they are overwritten).
    pub rebuild: bool,
}

impl Preparer<'_> {
    /// The local source files of a split (Hub files are fetched into the HF cache).
    pub fn source_files(&self, split: &SplitConfig) -> Result<Vec<PathBuf>, DataError> {
        match split.source {
            SourceKind::Local => Ok(split
                .files
                .iter()
                .map(|f| self.config.root.join(f))
                .collect()),
            SourceKind::Hub => resolve_files(
                self.hub,
                &split.hub.repo,
                &split.hub.revision,
                &split.hub.files_or_default(),
            ),
        }
    }

    /// Prepares one split (`train`, `validation` or `test.<name>`), from the cache when
    /// possible.
    pub fn prepare(&self, id: &str) -> Result<Prepared, DataError> {
        let started = Instant::now();
        let split = self.config.split(id).ok_or_else(|| {
            let known: Vec<String> = self.config.splits().into_iter().map(|(id, _)| id).collect();
            DataError::config(
                "split",
                format!("no split `{id}` (configured: {})", known.join(", ")),
            )
        })?;
        let files = self.source_files(split)?;
        let source = split.describe_source(&self.config.root);
        let mut key = FileDigest::new("examples");
        key.add_str("split", id);
        key.add_str("dataset", &split.dataset);
        key.add_str("source", &source);
        for file in &files {
            key.add_file(file)?;
        }
        key.add_str("converter", &self.converters.fingerprint(split)?);
        key.add_u64("max_rows", split.max_rows);
        key.add_u64("max_examples", split.max_examples);
        let examples_key = key.finish();

        let tokenizer = TokenizerSource::find(&self.tokenizer_dir)?;
        let tokenizer_digest = tokenizer.digest()?;
        let mut key = FileDigest::new("tokens");
        key.add_str("examples", &examples_key);
        key.add_str("tokenizer", &tokenizer_digest);
        key.add_u64("max_length", self.config.max_length as u64);
        let tokens_key = key.finish();

        let cache_dir = self.config.cache_dir();
        let tokens_path = entry_path(
            &cache_dir,
            id,
            &split.dataset,
            &tokens_key,
            EntryKind::Tokens,
        );
        if let Some(tokenized) =
            self.lookup(&tokens_path, EntryKind::Tokens, TokenizedSplit::decode)
        {
            self.check_rows(&tokenized.meta.bad_rows, id, tokenized.meta.rows_read)?;
            return Ok(Prepared {
                split: tokenized,
                cache: CacheUse::Tokens,
                entry: tokens_path,
                elapsed: started.elapsed(),
            });
        }

        let examples_path = entry_path(
            &cache_dir,
            id,
            &split.dataset,
            &examples_key,
            EntryKind::Examples,
        );
        let (set, cache) =
            match self.lookup(&examples_path, EntryKind::Examples, ExampleSet::decode) {
                Some(set) => (set, CacheUse::Examples),
                None => {
                    let set = self.convert(id, split, files, source)?;
                    write_entry(&examples_path, EntryKind::Examples, &set.encode())?;
                    (set, CacheUse::Rebuilt)
                }
            };
        self.check_rows(&set.meta.bad_rows, id, set.meta.rows_read)?;

        let tokenized = self.tokenize(set, &tokenizer, &tokenizer_digest)?;
        write_entry(&tokens_path, EntryKind::Tokens, &tokenized.encode())?;
        Ok(Prepared {
            split: tokenized,
            cache,
            entry: tokens_path,
            elapsed: started.elapsed(),
        })
    }

    /// A verified, decodable entry, or `None` (a damaged one is reported and ignored).
    fn lookup<T>(
        &self,
        path: &Path,
        kind: EntryKind,
        decode: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Option<T> {
        if self.rebuild {
            return None;
        }
        let reason = match read_entry(path, kind) {
            Lookup::Hit(payload) => match decode(&payload) {
                Ok(value) => return Some(value),
                Err(reason) => reason,
            },
            Lookup::Miss => return None,
            Lookup::Corrupt(reason) => reason,
        };
        self.progress.note(&format!(
            "data cache: ignoring damaged entry {} ({reason}); rebuilding it",
            path.display()
        ));
        None
    }

    fn convert(
        &self,
        id: &str,
        split: &SplitConfig,
        files: Vec<PathBuf>,
        source: String,
    ) -> Result<ExampleSet, DataError> {
        let job = PreprocessJob {
            split: id.to_string(),
            dataset: split.dataset.clone(),
            source,
            files,
            max_rows: split.max_rows,
            max_examples: split.max_examples,
            policy: self.config.bad_rows,
        };
        let mut converter = self.converters.open(split)?;
        let set = preprocess(&job, converter.as_mut(), &self.progress)?;
        if set.examples.is_empty() {
            return Err(DataError::EmptySplit {
                split: id.to_string(),
                rows_read: set.meta.rows_read,
                rows_skipped: set.meta.bad_rows.count,
            });
        }
        Ok(set)
    }

    /// Applies the bad-row policy to a split's recorded bad rows (also for cached ones,
    /// so `fail` fails the same way warm or cold) and prints the `skip` summary.
    fn check_rows(
        &self,
        bad: &super::bad_rows::BadRows,
        id: &str,
        rows_read: u64,
    ) -> Result<(), DataError> {
        if let (BadRowsPolicy::Fail, Some((location, reason))) =
            (self.config.bad_rows, bad.first.first())
        {
            return Err(DataError::BadRow {
                location: location.clone(),
                reason: reason.clone(),
            });
        }
        if let Some(summary) = bad.summary(id, rows_read) {
            self.progress.note(&summary);
        }
        Ok(())
    }

    fn tokenize(
        &self,
        set: ExampleSet,
        source: &TokenizerSource,
        digest: &str,
    ) -> Result<TokenizedSplit, DataError> {
        let tokenizer = source.load(digest)?;
        let pad_id = pad_id(&tokenizer, &source.dir)?;
        let texts: Vec<&str> = set.examples.iter().map(|e| e.text.as_str()).collect();
        let encoded = encode_all(
            &tokenizer,
            &texts,
            self.config.max_length,
            &source.dir,
            &self.progress,
            &format!("{} tokens", set.meta.split),
        )?;
        Ok(TokenizedSplit {
            labels: set.examples.iter().map(|e| e.label).collect(),
            meta: set.meta,
            tokenizer: TokenizerMeta {
                dir: source.dir.clone(),
                max_length: self.config.max_length,
                pad_id,
            },
            source_rows: set.source_rows,
            offsets: encoded.offsets,
            tokens: encoded.tokens,
            full_lengths: encoded.full_lengths,
        })
    }
}

/// Prepares the splits `ids` (`train`, `validation`, `test.<name>`) with the built-in
/// path: preprocessor plugins loaded by `runtime` (the run's `seed` reaches plugins that
/// declare a `seed` parameter the split leaves unset), Hub files through the HF cache
/// configured by the environment, and the tokenizer files in `tokenizer_dir`.
pub fn prepare_splits(
    config: &DataConfig,
    tokenizer_dir: &Path,
    runtime: &PluginRuntime,
    seed: u64,
    ids: &[&str],
    progress: Progress,
) -> Result<Vec<TokenizedSplit>, DataError> {
    config.validate()?;
    let converters = PluginConverters::new(runtime.clone(), Some(seed));
    let hub = Hub::from_env();
    let preparer = Preparer {
        config,
        tokenizer_dir: tokenizer_dir.to_path_buf(),
        converters: &converters,
        hub: &hub,
        progress,
        rebuild: false,
    };
    ids.iter()
        .map(|id| preparer.prepare(id).map(|prepared| prepared.split))
        .collect()
}
