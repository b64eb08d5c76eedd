//! Datasets: sources, preprocessing through plugins, tokenization, batching and the
//! on-disk cache.
//!
//! - [`config`]: the `[data]` section ([`DataConfig`], documented in `configs/default.toml`).
//! - [`source`]: rows of JSONL, JSONL.gz and parquet files ([`parquet_json`] converts
//!   parquet rows to JSON objects); [`hub_files`] fetches Hub datasets' parquet files.
//! - [`converter`]: the seam to the preprocessor ([`RecordConverter`]);
//!   [`plugin_converter`] implements it with preprocessor plugins; [`preprocess`]
//!   batches rows through it and applies the bad-row policy ([`bad_rows`]).
//! - [`tokenize`]: the tokenizer files and truncating encodes.
//! - [`split`]: prepared splits ([`TokenizedSplit`]) and their cache payloads
//!   ([`codec`]); [`cache`]: checksummed entries, atomic writes, keys.
//! - [`prepare`]: the whole path with the cache ([`Preparer`]).
//! - [`batch`]: padded batches, seeded shuffling, bucketing, resumable positions;
//!   [`stats`]: counts and length percentiles.
//! - [`synthetic`]: seeded datasets in the original and Hub schemas for demos and tests.
//! - [`progress`]: bars or plain lines on stderr; [`rng`]: the seeded generator behind
//!   shuffling and the synthetic datasets.
mod error;

pub mod bad_rows;
pub mod batch;
pub mod cache;
pub mod codec;
pub mod config;
pub mod converter;
pub mod hub_files;
pub mod parquet_json;
pub mod plugin_converter;
pub mod prepare;
pub mod preprocess;
pub mod progress;
pub mod rng;
pub mod source;
pub mod split;
pub mod stats;
pub mod synthetic;
pub mod tokenize;

#[cfg(test)]
mod testing;

pub use batch::{Batch, BatchOptions, BatchPosition, Batcher};
pub use config::{BadRowsPolicy, DataConfig, HubSource, SourceKind, SplitConfig};
pub use converter::{ConverterFactory, Example, RecordConverter};
pub use error::DataError;
pub use hub_files::DatasetFiles;
pub use plugin_converter::PluginConverters;
pub use prepare::{prepare_splits, CacheUse, Prepared, Preparer};
pub use progress::Progress;
pub use source::RowLocation;
pub use split::{SplitMeta, TokenizedSplit};
pub use stats::SplitStats;

#[cfg(test)]
mod prepare_tests;
