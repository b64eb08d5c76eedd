//! The seam between the pipeline and what turns raw records into examples: a preprocessor
//! plugin in production ([`super::plugin_converter`]), a native converter in unit tests.
use serde::{Deserialize, Serialize};

use super::{DataError, SplitConfig};

/// A binary classification example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub text: String,
    /// 0 or 1.
    pub label: u32,
}

/// Converts batches of source records (JSON object text) into examples.
pub trait RecordConverter {
    /// One entry per record, in order: its examples, or why the record was rejected.
    /// `first_row` is the 0-based index of `records[0]` in the split. `Err` means the
    /// converter failed as a whole (e.g. the plugin trapped), not one record.
    fn convert(
        &mut self,
        first_row: u64,
        records: &[String],
    ) -> Result<Vec<Result<Vec<Example>, String>>, DataError>;

    /// What converts (name, version, digest, resolved parameters), for the cache's
    /// metadata and `data inspect`.
    fn describe(&self) -> String;
}

/// Opens the converter of a split. `fingerprint` must be cheap (no plugin instantiation)
/// because it is part of every cache key: a warm load never opens a converter.
pub trait ConverterFactory {
    /// Identifies exactly the conversion `open(split)` would perform: equal fingerprints
    /// must mean equal output for equal input.
    fn fingerprint(&self, split: &SplitConfig) -> Result<String, DataError>;

    fn open(&self, split: &SplitConfig) -> Result<Box<dyn RecordConverter>, DataError>;
}
