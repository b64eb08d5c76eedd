//! Fuzz target: the layered configuration (`clora_host::config`) on arbitrary text, as a
//! `--config` file and as `--set` arguments.
//!
//! Properties checked on every input:
//! - nothing panics: parse, merge, deserialize, range checks, error locations;
//! - a file error's `file:line:column` points inside the text;
//! - a configuration that resolves is written back (`Resolved::to_toml`, what a run
//!   directory's config.toml holds) and resolves again to the same text — `--resume`
//!   reads exactly that file, so a config that trains must also resume.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clora_host::config::{self, Config, ConfigError, Layer, Origin, Overrides};
use libfuzzer_sys::fuzz_target;

/// A scratch directory for the config files, removed when the process exits normally.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("scratch dir"))
        .path()
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, text).expect("write scratch config");
    path
}

fn from_file(path: PathBuf) -> Result<config::Resolved, ConfigError> {
    config::resolve(&Overrides {
        files: vec![path],
        ..Default::default()
    })
}

/// `line:column` of a file error must exist in `text` (one past the end at most).
fn check_location(err: &ConfigError, path: &Path, text: &str) {
    if let ConfigError::Invalid {
        origin: Origin::File { path: p, line, column },
        ..
    }
    | ConfigError::OutOfRange {
        origin: Origin::File { path: p, line, column },
        ..
    } = err
    {
        if p != path {
            return;
        }
        let lines: Vec<&str> = text.split('\n').collect();
        assert!(
            *line >= 1 && *line <= lines.len(),
            "{err}: line {line} of {} lines",
            lines.len()
        );
        let width = lines[*line - 1].chars().count();
        assert!(
            *column >= 1 && *column <= width + 1,
            "{err}: column {column} of a {width}-character line"
        );
    }
}

/// A resolved config must survive the trip through the run directory.
fn check_round_trip(resolved: &config::Resolved) {
    let written = resolved.to_toml();
    let path = write("run-config.toml", &written);
    match from_file(path) {
        Ok(again) => assert_eq!(
            again.to_toml(),
            written,
            "the run directory's config.toml resolves to a different config"
        ),
        Err(err) => panic!("a config that resolved does not resolve from its run directory: {err}\n---\n{written}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = Path::new("fuzz.toml");
    if let Err(err) = Layer::from_text::<Config>(text, name) {
        assert!(!err.to_string().is_empty());
        check_location(&err, name, text);
    }

    let path = write("fuzz.toml", text);
    match from_file(path.clone()) {
        Ok(resolved) => check_round_trip(&resolved),
        Err(err) => {
            assert!(!err.to_string().is_empty());
            check_location(&err, &path, text);
        }
    }

    // The same text as `--set` arguments, one per line.
    let sets: Vec<String> = text.lines().take(16).map(str::to_string).collect();
    match config::resolve(&Overrides {
        sets,
        ..Default::default()
    }) {
        Ok(resolved) => check_round_trip(&resolved),
        Err(err) => assert!(!err.to_string().is_empty()),
    }
});
