//! Reading a split's source files row by row: JSONL (`.jsonl`, `.json`, `.ndjson`),
//! gzip-compressed JSONL (`….gz`) and parquet (rows converted to JSON objects). Blank
//! lines are not rows. Every row carries its location (file and 1-based line, or 0-based
//! parquet row) so that a rejected row can be reported precisely.
use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use serde::{Deserialize, Serialize};

use super::parquet_json::row_to_json;
use super::DataError;

/// Where a source row is: a JSONL line (1-based) or a parquet row (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowLocation {
    pub file: PathBuf,
    /// The 1-based line of a JSONL file, or the 0-based row of a parquet file.
    pub line: u64,
    /// Whether `line` is a parquet row index.
    pub parquet_row: bool,
}

impl fmt::Display for RowLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parquet_row {
            write!(f, "{}:row {}", self.file.display(), self.line)
        } else {
            write!(f, "{}:{}", self.file.display(), self.line)
        }
    }
}

/// The file formats a source can have, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Jsonl,
    JsonlGz,
    Parquet,
}

impl SourceFormat {
    pub fn of(path: &Path) -> Result<SourceFormat, DataError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let (stem, gz) = match name.strip_suffix(".gz") {
            Some(stem) => (stem, true),
            None => (name.as_str(), false),
        };
        let jsonl = [".jsonl", ".json", ".ndjson"]
            .iter()
            .any(|ext| stem.ends_with(ext));
        match (jsonl, gz, stem.ends_with(".parquet")) {
            (true, false, _) => Ok(SourceFormat::Jsonl),
            (true, true, _) => Ok(SourceFormat::JsonlGz),
            (false, false, true) => Ok(SourceFormat::Parquet),
            _ => Err(DataError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// One source row: its location and its JSON text, or why it could not be read.
#[derive(Debug, Clone)]
pub struct SourceRow {
    pub location: RowLocation,
    pub record: Result<String, String>,
}

/// Reads the rows of several files in order, up to an optional row limit.
pub struct RowReader {
    files: Vec<PathBuf>,
    next_file: usize,
    current: Option<FileRows>,
    rows_read: u64,
    max_rows: u64,
    bytes_total: u64,
    bytes_before_current: u64,
}

enum FileRows {
    Lines {
        path: PathBuf,
        reader: Box<dyn BufRead>,
        line: u64,
        consumed: Rc<Cell<u64>>,
        buf: Vec<u8>,
    },
    Parquet {
        path: PathBuf,
        rows: RowIter<'static>,
        row: u64,
        num_rows: u64,
        file_len: u64,
    },
}

/// Counts the bytes read from the underlying (possibly compressed) file for progress.
struct CountingReader<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

impl RowReader {
    /// Checks that every file exists and has a known format; reads nothing yet.
    /// `max_rows` = 0 reads everything.
    pub fn open(files: &[PathBuf], max_rows: u64) -> Result<RowReader, DataError> {
        let mut bytes_total = 0;
        for path in files {
            SourceFormat::of(path)?;
            bytes_total += std::fs::metadata(path)
                .map_err(DataError::io(path.clone()))?
                .len();
        }
        Ok(RowReader {
            files: files.to_vec(),
            next_file: 0,
            current: None,
            rows_read: 0,
            max_rows,
            bytes_total,
            bytes_before_current: 0,
        })
    }

    /// Total size of the source files in bytes (the progress bar's length).
    pub fn bytes_total(&self) -> u64 {
        self.bytes_total
    }

    /// Bytes of the source files consumed so far (estimated inside parquet files).
    pub fn bytes_done(&self) -> u64 {
        let inside = match &self.current {
            Some(FileRows::Lines { consumed, .. }) => consumed.get(),
            Some(FileRows::Parquet {
                row,
                num_rows,
                file_len,
                ..
            }) => file_len * row / (*num_rows).max(1),
            None => 0,
        };
        self.bytes_before_current + inside
    }

    /// Rows returned so far.
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// The next row, or `None` at the end of the last file (or at `max_rows`).
    pub fn next_row(&mut self) -> Result<Option<SourceRow>, DataError> {
        if self.max_rows > 0 && self.rows_read >= self.max_rows {
            return Ok(None);
        }
        loop {
            if self.current.is_none() {
                let Some(path) = self.files.get(self.next_file) else {
                    return Ok(None);
                };
                self.current = Some(open_file(path)?);
                self.next_file += 1;
            }
            let row = match self.current.as_mut() {
                Some(FileRows::Lines {
                    path,
                    reader,
                    line,
                    buf,
                    ..
                }) => next_line(path, reader.as_mut(), line, buf)?,
                Some(FileRows::Parquet {
                    path, rows, row, ..
                }) => next_parquet_row(path, rows, row)?,
                None => None,
            };
            match row {
                Some(row) => {
                    self.rows_read += 1;
                    return Ok(Some(row));
                }
                None => {
                    if let Some(path) = self.files.get(self.next_file - 1) {
                        self.bytes_before_current +=
                            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                    }
                    self.current = None;
                }
            }
        }
    }
}

fn open_file(path: &Path) -> Result<FileRows, DataError> {
    let file = File::open(path).map_err(DataError::io(path))?;
    let format = SourceFormat::of(path)?;
    if format == SourceFormat::Parquet {
        let file_len = file.metadata().map_err(DataError::io(path))?.len();
        let reader = SerializedFileReader::new(file).map_err(|err| DataError::Parquet {
            path: path.to_path_buf(),
            message: err.to_string(),
        })?;
        let num_rows = reader.metadata().file_metadata().num_rows().max(0) as u64;
        return Ok(FileRows::Parquet {
            path: path.to_path_buf(),
            rows: reader.into_iter(),
            row: 0,
            num_rows,
            file_len,
        });
    }
    let consumed = Rc::new(Cell::new(0));
    let counting = CountingReader {
        inner: file,
        consumed: consumed.clone(),
    };
    let reader: Box<dyn BufRead> = if format == SourceFormat::JsonlGz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(BufReader::with_capacity(1 << 16, counting)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, counting))
    };
    Ok(FileRows::Lines {
        path: path.to_path_buf(),
        reader,
        line: 0,
        consumed,
        buf: Vec::with_capacity(4096),
    })
}

fn next_line(
    path: &Path,
    reader: &mut dyn BufRead,
    line: &mut u64,
    buf: &mut Vec<u8>,
) -> Result<Option<SourceRow>, DataError> {
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', buf).map_err(DataError::io(path))?;
        if n == 0 {
            return Ok(None);
        }
        *line += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let location = RowLocation {
            file: path.to_path_buf(),
            line: *line,
            parquet_row: false,
        };
        let record = match std::str::from_utf8(buf) {
            Ok(text) => Ok(text.to_string()),
            Err(err) => Err(format!("invalid UTF-8 ({err})")),
        };
        return Ok(Some(SourceRow { location, record }));
    }
}

fn next_parquet_row(
    path: &Path,
    rows: &mut RowIter<'static>,
    row: &mut u64,
) -> Result<Option<SourceRow>, DataError> {
    let Some(next) = rows.next() else {
        return Ok(None);
    };
    let location = RowLocation {
        file: path.to_path_buf(),
        line: *row,
        parquet_row: true,
    };
    *row += 1;
    let row = next.map_err(|err| DataError::Parquet {
        path: path.to_path_buf(),
        message: format!("row {}: {err}", location.line),
    })?;
    Ok(Some(SourceRow {
        location,
        record: Ok(row_to_json(&row)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(files: &[PathBuf], max_rows: u64) -> Vec<SourceRow> {
        let mut reader = RowReader::open(files, max_rows).unwrap();
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            rows.push(row);
        }
        assert_eq!(reader.rows_read(), rows.len() as u64);
        rows
    }

    #[test]
    fn formats_are_recognised_by_name() {
        assert_eq!(
            SourceFormat::of(Path::new("a/b.jsonl")).unwrap(),
            SourceFormat::Jsonl
        );
        assert_eq!(
            SourceFormat::of(Path::new("b.JSONL.gz")).unwrap(),
            SourceFormat::JsonlGz
        );
        assert_eq!(
            SourceFormat::of(Path::new("b.parquet")).unwrap(),
            SourceFormat::Parquet
        );
        let err = SourceFormat::of(Path::new("b.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("b.csv") && err.contains("unsupported"),
            "{err}"
        );
    }

    #[test]
    fn jsonl_and_gzip_rows_keep_their_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.jsonl");
        std::fs::write(&plain, b"{\"x\":1}\r\n\n  \n{\"x\":2}\n\xff\xfe\n{\"x\":3}").unwrap();
        let gz = dir.path().join("b.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(
            File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(b"{\"y\":1}\n{\"y\":2}\n").unwrap();
        enc.finish().unwrap();

        let rows = read_all(&[plain.clone(), gz.clone()], 0);
        let shown: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {:?}",
                    r.location,
                    r.record.as_ref().map_err(|e| &e[..11])
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                format!("{}:1 Ok(\"{{\\\"x\\\":1}}\")", plain.display()),
                format!("{}:4 Ok(\"{{\\\"x\\\":2}}\")", plain.display()),
                format!("{}:5 Err(\"invalid UTF\")", plain.display()),
                format!("{}:6 Ok(\"{{\\\"x\\\":3}}\")", plain.display()),
                format!("{}:1 Ok(\"{{\\\"y\\\":1}}\")", gz.display()),
                format!("{}:2 Ok(\"{{\\\"y\\\":2}}\")", gz.display()),
            ]
        );
        assert_eq!(read_all(&[plain, gz], 2).len(), 2);
    }

    #[test]
    fn missing_files_are_reported_before_reading() {
        let err = RowReader::open(&[PathBuf::from("/nonexistent/x.jsonl")], 0)
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("/nonexistent/x.jsonl: "), "{err}");
    }
}
