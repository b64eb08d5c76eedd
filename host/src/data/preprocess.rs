//! Source rows → examples: reads a split's files, sends contiguous runs of rows to the
//! converter in batches of [`BATCH_RECORDS`], and applies the bad-row policy to rows the
//! reader or the converter rejects.
//!
//! Row indices (`first_row`) count every source row of the split, rejected ones included,
//! so a preprocessor's per-row randomness never depends on batching or on other rows
//! being bad. A row the reader rejects (invalid UTF-8) ends the current batch.
use std::path::PathBuf;

use super::bad_rows::BadRows;
use super::progress::Progress;
use super::source::{RowReader, SourceRow};
use super::split::{ExampleSet, SplitMeta};
use super::{BadRowsPolicy, DataError, Example, RecordConverter, RowLocation};

/// Records per converter call.
pub const BATCH_RECORDS: usize = 512;

/// What to read and how.
#[derive(Debug, Clone)]
pub struct PreprocessJob {
    pub split: String,
    pub dataset: String,
    /// One line describing the source (for the metadata).
    pub source: String,
    pub files: Vec<PathBuf>,
    /// 0 = all rows.
    pub max_rows: u64,
    /// 0 = all examples.
    pub max_examples: u64,
    pub policy: BadRowsPolicy,
}

struct Collector<'a> {
    policy: BadRowsPolicy,
    bad_rows: BadRows,
    examples: Vec<Example>,
    source_rows: Vec<u64>,
    converter: &'a mut dyn RecordConverter,
    pending: Vec<String>,
    pending_locations: Vec<RowLocation>,
    pending_first: u64,
}

impl Collector<'_> {
    fn reject(&mut self, location: &RowLocation, reason: &str) -> Result<(), DataError> {
        match self.policy {
            BadRowsPolicy::Fail => Err(DataError::BadRow {
                location: location.clone(),
                reason: reason.to_string(),
            }),
            BadRowsPolicy::Skip => {
                self.bad_rows.record(location, reason);
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> Result<(), DataError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let records = std::mem::take(&mut self.pending);
        let locations = std::mem::take(&mut self.pending_locations);
        let results = self.converter.convert(self.pending_first, &records)?;
        if results.len() != records.len() {
            return Err(DataError::Preprocessor {
                path: PathBuf::from(self.converter.describe()),
                message: format!(
                    "returned {} results for {} records",
                    results.len(),
                    records.len()
                ),
            });
        }
        for ((offset, result), location) in results.into_iter().enumerate().zip(&locations) {
            let row = self.pending_first + offset as u64;
            match result {
                Ok(examples) => match examples.iter().find(|e| e.label > 1) {
                    Some(bad) => {
                        let reason = format!("preprocessor gave label {} (not 0 or 1)", bad.label);
                        self.reject(location, &reason)?;
                    }
                    None => {
                        self.source_rows
                            .extend(std::iter::repeat_n(row, examples.len()));
                        self.examples.extend(examples);
                    }
                },
                Err(reason) => self.reject(location, &reason)?,
            }
        }
        Ok(())
    }
}

/// Reads and converts a split. Under the `fail` policy the first bad row is the error;
/// under `skip` the bad rows are counted in the result's metadata. An empty result is
/// returned as is (the caller decides).
pub fn preprocess(
    job: &PreprocessJob,
    converter: &mut dyn RecordConverter,
    progress: &Progress,
) -> Result<ExampleSet, DataError> {
    let mut reader = RowReader::open(&job.files, job.max_rows)?;
    let mut task = progress.task(&format!("{} rows", job.split), reader.bytes_total());
    let mut c = Collector {
        policy: job.policy,
        bad_rows: BadRows::default(),
        examples: Vec::new(),
        source_rows: Vec::new(),
        converter,
        pending: Vec::with_capacity(BATCH_RECORDS),
        pending_locations: Vec::with_capacity(BATCH_RECORDS),
        pending_first: 0,
    };
    let max_examples = usize::try_from(job.max_examples).unwrap_or(usize::MAX);
    let mut row_index = 0u64;
    while let Some(SourceRow { location, record }) = reader.next_row()? {
        match record {
            Ok(text) => {
                if c.pending.is_empty() {
                    c.pending_first = row_index;
                }
                c.pending.push(text);
                c.pending_locations.push(location);
                if c.pending.len() >= BATCH_RECORDS {
                    c.flush()?;
                    task.update(reader.bytes_done(), reader.rows_read());
                }
            }
            Err(reason) => {
                c.flush()?;
                c.reject(&location, &reason)?;
            }
        }
        row_index += 1;
        if max_examples > 0 && c.examples.len() >= max_examples {
            break;
        }
    }
    c.flush()?;
    if max_examples > 0 && c.examples.len() > max_examples {
        c.examples.truncate(max_examples);
        c.source_rows.truncate(max_examples);
    }
    let rows_read = reader.rows_read();
    task.finish(&format!(
        "{rows_read} rows → {} examples ({} rows skipped)",
        c.examples.len(),
        c.bad_rows.count
    ));
    Ok(ExampleSet {
        meta: SplitMeta {
            split: job.split.clone(),
            dataset: job.dataset.clone(),
            source: job.source.clone(),
            files: job.files.clone(),
            preprocessor: c.converter.describe(),
            rows_read,
            bad_rows: c.bad_rows,
        },
        examples: c.examples,
        source_rows: c.source_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::testing::FieldConverter;

    fn job(dir: &std::path::Path, content: &str, policy: BadRowsPolicy) -> PreprocessJob {
        let path = dir.join("rows.jsonl");
        std::fs::write(&path, content).unwrap();
        PreprocessJob {
            split: "train".into(),
            dataset: "toy".into(),
            source: path.display().to_string(),
            files: vec![path],
            max_rows: 0,
            max_examples: 0,
            policy,
        }
    }

    #[test]
    fn rows_become_examples_with_their_source_rows() {
        let dir = tempfile::tempdir().unwrap();
        let rows: String = (0..1100)
            .map(|i| format!("{{\"text\":\"t{i}\",\"label\":{}}}\n", i % 2))
            .collect();
        let job = job(dir.path(), &rows, BadRowsPolicy::Skip);
        let mut converter = FieldConverter::default();
        let set = preprocess(&job, &mut converter, &Progress::hidden()).unwrap();
        assert_eq!(set.examples.len(), 1100);
        assert_eq!(
            set.examples[1029],
            Example {
                text: "t1029".into(),
                label: 1
            }
        );
        assert_eq!(set.source_rows[1029], 1029);
        assert_eq!(converter.calls, [(0, 512), (512, 512), (1024, 76)]);
        assert_eq!(set.meta.rows_read, 1100);
    }

    #[test]
    fn skip_counts_bad_rows_and_fail_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let content = "{\"text\":\"a\",\"label\":1}\n\nnot json\n{\"text\":\"b\",\"label\":7}\n\
                       {\"label\":0}\n\u{0}\n{\"text\":\"c\",\"label\":0}\n";
        let skip = job(dir.path(), content, BadRowsPolicy::Skip);
        let set = preprocess(&skip, &mut FieldConverter::default(), &Progress::hidden()).unwrap();
        assert_eq!(set.examples.len(), 2);
        // Rows: 0 a, 1 not json, 2 label 7, 3 missing text, 4 NUL, 5 c.
        assert_eq!(set.source_rows, [0, 5]);
        let bad = &set.meta.bad_rows;
        assert_eq!(bad.count, 4);
        let file = skip.files[0].display().to_string();
        let first: Vec<String> = bad.first.iter().map(|(l, r)| format!("{l}: {r}")).collect();
        assert_eq!(
            first[0],
            format!("{file}:3: invalid JSON: expected ident at line 1 column 2")
        );
        assert_eq!(
            first[1],
            format!("{file}:4: preprocessor gave label 7 (not 0 or 1)")
        );
        assert_eq!(first[2], format!("{file}:5: missing field `text`"));

        let fail = job(dir.path(), content, BadRowsPolicy::Fail);
        let err = preprocess(&fail, &mut FieldConverter::default(), &Progress::hidden())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("{file}:3: bad row: invalid JSON")),
            "{err}"
        );
    }

    #[test]
    fn limits_stop_reading_early() {
        let dir = tempfile::tempdir().unwrap();
        let rows: String = (0..50)
            .map(|i| format!("{{\"text\":\"t{i}\",\"label\":0}}\n"))
            .collect();
        let mut limited = job(dir.path(), &rows, BadRowsPolicy::Skip);
        limited.max_rows = 10;
        let set = preprocess(
            &limited,
            &mut FieldConverter::default(),
            &Progress::hidden(),
        )
        .unwrap();
        assert_eq!((set.meta.rows_read, set.examples.len()), (10, 10));
        limited.max_rows = 0;
        limited.max_examples = 7;
        let set = preprocess(
            &limited,
            &mut FieldConverter::default(),
            &Progress::hidden(),
        )
        .unwrap();
        assert_eq!(set.examples.len(), 7);
        assert_eq!(set.examples[6].text, "t6");
    }
}
