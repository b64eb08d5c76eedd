//! A native converter for unit tests: each record `{"text": …, "label": …}` gives one
//! example; anything else is rejected with a message like the plugins' ones.
use std::cell::Cell;
use std::rc::Rc;

use super::{ConverterFactory, DataError, Example, RecordConverter, SplitConfig};

#[derive(Debug, Default)]
pub struct FieldConverter {
    /// `(first_row, records)` of every call.
    pub calls: Vec<(u64, usize)>,
}

fn convert_one(record: &str) -> Result<Vec<Example>, String> {
    let value: serde_json::Value =
        serde_json::from_str(record).map_err(|e| format!("invalid JSON: {e}"))?;
    let text = value
        .get("text")
        .and_then(|t| t.as_str())
        .ok_or("missing field `text`")?;
    let label = value
        .get("label")
        .and_then(|l| l.as_u64())
        .ok_or("missing field `label`")?;
    Ok(vec![Example {
        text: text.to_string(),
        label: label as u32,
    }])
}

impl RecordConverter for FieldConverter {
    fn convert(
        &mut self,
        first_row: u64,
        records: &[String],
    ) -> Result<Vec<Result<Vec<Example>, String>>, DataError> {
        self.calls.push((first_row, records.len()));
        Ok(records.iter().map(|r| convert_one(r)).collect())
    }

    fn describe(&self) -> String {
        "field-converter".into()
    }
}

/// Opens [`FieldConverter`]s and counts how often.
#[derive(Debug, Default, Clone)]
pub struct FieldConverters {
    pub opened: Rc<Cell<usize>>,
    /// Changes the fingerprint (as a new plugin version would).
    pub version: u32,
}

impl ConverterFactory for FieldConverters {
    fn fingerprint(&self, split: &SplitConfig) -> Result<String, DataError> {
        Ok(format!(
            "field-converter v{} {}",
            self.version, split.dataset
        ))
    }

    fn open(&self, _split: &SplitConfig) -> Result<Box<dyn RecordConverter>, DataError> {
        self.opened.set(self.opened.get() + 1);
        Ok(Box::new(FieldConverter::default()))
    }
}

/// Writes a byte-level tokenizer (`vocab.json` + `merges.txt`, no merges): one id per
/// byte, `<|endoftext|>` = 256.
pub fn write_byte_tokenizer(dir: &std::path::Path) {
    let mut vocab = serde_json::Map::new();
    for (id, c) in crate::model::tiny::byte_level_alphabet()
        .into_iter()
        .enumerate()
    {
        vocab.insert(c.to_string(), id.into());
    }
    vocab.insert("<|endoftext|>".into(), 256.into());
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("vocab.json"),
        serde_json::Value::Object(vocab).to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("merges.txt"), "#version: 0.2\n").unwrap();
}

/// A Hub that has nothing (local-only tests).
pub struct NoHub;

impl super::DatasetFiles for NoHub {
    fn fetch(
        &self,
        repo: &str,
        _revision: &str,
        file: &str,
    ) -> Result<std::path::PathBuf, DataError> {
        Err(DataError::Hub {
            repo: repo.into(),
            revision: "main".into(),
            file: file.into(),
            message: format!("no hub in this test ({repo}/{file})"),
        })
    }

    fn list(&self, repo: &str, _revision: &str) -> Result<Vec<String>, DataError> {
        self.fetch(repo, "main", "(file list)").map(|_| Vec::new())
    }
}
