//! Errors of the data pipeline. Each names the file (and line or row) it concerns.
use std::path::PathBuf;

use thiserror::Error;

use super::source::RowLocation;

#[derive(Debug, Error)]
pub enum DataError {
    /// The `[data]` section is inconsistent (names the key).
    #[error("data config: `{key}`: {message}")]
    Config { key: String, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a readable parquet file: {message}", path.display())]
    Parquet { path: PathBuf, message: String },
    #[error("{}: unsupported source format (expected .jsonl, .jsonl.gz or .parquet)", path.display())]
    UnsupportedFormat { path: PathBuf },
    /// A bad source row under the `fail` policy.
    #[error("{location}: bad row: {reason} (data.bad_rows = \"fail\"; set it to \"skip\" to drop such rows)")]
    BadRow {
        location: RowLocation,
        reason: String,
    },
    /// A split that produced no example at all.
    #[error("split `{split}` is empty: {rows_read} rows read, {rows_skipped} skipped, 0 examples")]
    EmptySplit {
        split: String,
        rows_read: u64,
        rows_skipped: u64,
    },
    /// The preprocessor could not be loaded or failed as a whole (not a single row).
    #[error("preprocessor {}: {message}", path.display())]
    Preprocessor { path: PathBuf, message: String },
    #[error("tokenizer in {}: {message}", dir.display())]
    Tokenizer { dir: PathBuf, message: String },
    /// A Hub dataset file could not be resolved to a local file (the hub's message names
    /// the repository, revision and file).
    #[error("{message}")]
    Hub {
        repo: String,
        revision: String,
        file: String,
        message: String,
    },
    /// A cache entry could not be written (a corrupt entry is rebuilt, never an error).
    #[error("data cache {}: {message}", path.display())]
    Cache { path: PathBuf, message: String },
    /// A batch could not be turned into tensors.
    #[error("batch tensors: {0}")]
    Tensor(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DataError {
        let path = path.into();
        move |source| DataError::Io { path, source }
    }

    pub(crate) fn config(key: impl Into<String>, message: impl Into<String>) -> DataError {
        DataError::Config {
            key: key.into(),
            message: message.into(),
        }
    }
}
