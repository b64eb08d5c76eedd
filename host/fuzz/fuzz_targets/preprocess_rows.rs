//! Fuzz target: the preprocessor host path — source rows in, examples out. Arbitrary
//! bytes become a split's source file (JSONL, gzip-compressed JSONL, or raw bytes named
//! `.jsonl.gz`), read by `clora_host::data::source` and converted by a real preprocessor
//! component (`plugins/commonsense-qa.wasm`, or `$CLORA_FUZZ_PREPROCESSOR`) through
//! `clora_host::data::preprocess` and the sandboxed plugin runtime.
//!
//! The first input byte picks the case: `% 4` = 0 plain JSONL, 1 gzip JSONL, 2 raw bytes
//! as `.jsonl.gz`, all under the `skip` bad-row policy; 3 plain JSONL under `fail`.
//!
//! Properties checked on every input:
//! - nothing panics, in the host or in the plugin (a trap, a deadline or a malformed
//!   result is a finding: the preprocessor must reject a bad row, not crash on it);
//! - `skip` never fails on readable rows; every non-blank line is counted as read;
//! - `fail` fails only with a bad row whose `file:line` exists;
//! - labels are 0 or 1, each example knows its source row, and the cache payload
//!   (`ExampleSet::encode`) decodes back to the same set;
//! - decoding arbitrary bytes as a cache payload returns an error, never panics.
#![no_main]

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

use clora_host::data::preprocess::{preprocess, PreprocessJob};
use clora_host::data::split::ExampleSet;
use clora_host::data::{
    BadRowsPolicy, ConverterFactory, DataError, PluginConverters, Progress, RecordConverter,
    SplitConfig,
};
use clora_host::plugin::{PluginRuntime, RuntimeOptions};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    dir: tempfile::TempDir,
    converter: Box<dyn RecordConverter>,
}

fn preprocessor() -> PathBuf {
    match std::env::var_os("CLORA_FUZZ_PREPROCESSOR") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../plugins/commonsense-qa.wasm"),
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("scratch dir");
    let options = RuntimeOptions {
        cache_dir: Some(dir.path().join("components")),
        log_sink: std::sync::Arc::new(|_, _, _| {}),
        ..RuntimeOptions::default()
    };
    let runtime = PluginRuntime::new(options).expect("plugin runtime");
    let split = SplitConfig {
        dataset: "commonsense-qa".into(),
        preprocessor: preprocessor(),
        ..SplitConfig::default()
    };
    let converter = PluginConverters::new(runtime, Some(42))
        .open(&split)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", preprocessor().display()));
    Fixture { dir, converter }
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

/// Rows the reader returns for a JSONL text: lines that are not blank.
fn non_blank_lines(bytes: &[u8]) -> u64 {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .count() as u64
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

fn check_set(set: &ExampleSet) {
    assert_eq!(set.examples.len(), set.source_rows.len());
    assert!(set.examples.iter().all(|e| e.label <= 1), "label outside 0/1");
    assert!(
        set.source_rows.windows(2).all(|w| w[0] <= w[1]),
        "source rows out of order"
    );
    assert!(set.source_rows.iter().all(|&r| r < set.meta.rows_read));
    assert!(set.meta.bad_rows.count <= set.meta.rows_read);
    let decoded = ExampleSet::decode(&set.encode()).expect("cache payload decodes");
    assert_eq!(&decoded, set, "cache payload round trip");
}

fuzz_target!(|data: &[u8]| {
    let _ = ExampleSet::decode(data);
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let case = selector % 4;
    FIXTURE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let fixture = cell.get_or_insert_with(fixture);
        let (name, bytes) = match case {
            0 | 3 => ("rows.jsonl", body.to_vec()),
            1 => ("rows.jsonl.gz", gzip(body)),
            _ => ("raw.jsonl.gz", body.to_vec()),
        };
        let file = fixture.dir.path().join(name);
        std::fs::write(&file, &bytes).expect("write source file");
        let job = PreprocessJob {
            split: "train".into(),
            dataset: "commonsense-qa".into(),
            source: "fuzz".into(),
            files: vec![file.clone()],
            max_rows: 0,
            max_examples: 0,
            policy: if case == 3 {
                BadRowsPolicy::Fail
            } else {
                BadRowsPolicy::Skip
            },
        };
        let result = preprocess(&job, fixture.converter.as_mut(), &Progress::hidden());
        match (case, result) {
            (0 | 1 | 3, Ok(set)) => {
                assert_eq!(set.meta.rows_read, non_blank_lines(body), "rows read");
                check_set(&set);
            }
            // case 2: raw bytes as a .gz file; whatever decodes must still be consistent.
            (_, Ok(set)) => check_set(&set),
            // Bytes that are not gzip fail to read; that is the reader's error to give.
            (2, Err(DataError::Io { path, .. })) => assert_eq!(path, file),
            (3, Err(DataError::BadRow { location, reason })) => {
                assert_eq!(location.file, file);
                assert!(!location.parquet_row && location.line >= 1);
                let lines = body.split(|&b| b == b'\n').count() as u64;
                assert!(location.line <= lines, "{location} beyond {lines} lines");
                assert!(!reason.is_empty());
            }
            (case, Err(err)) => panic!("case {case}: {err}"),
        }
    });
});
