//! Helpers for the data tests: a tokenizer, configs whose splits read local files through
//! the built-in plugins, a preparer, and parquet written by pyarrow.
use std::path::{Path, PathBuf};
use std::process::Command;

use clora_host::data::synthetic::DEMO_FILES;
use clora_host::data::{
    DataConfig, DatasetFiles, PluginConverters, Prepared, Preparer, Progress, SourceKind,
    SplitConfig,
};
use clora_host::model::{write_tiny_model, TinySpec};
use clora_host::plugin::{PluginRuntime, RuntimeOptions};
use serde_json::Value;

use crate::support;

/// A tiny GPT-2 (byte-level tokenizer: one id per byte, `<|endoftext|>` = 256).
pub fn tiny_model(dir: &Path) -> PathBuf {
    let model = dir.join("model");
    write_tiny_model(&model, &TinySpec::default(), 1).unwrap();
    model
}

/// The built plugin for a dataset, or a panic saying how to build it.
pub fn plugin(dataset: &str) -> PathBuf {
    let path = support::plugin_wasm(dataset);
    assert!(
        path.is_file(),
        "{} is missing: run host/scripts/build-plugins.sh",
        path.display()
    );
    path
}

/// A local split of `dataset` reading `files` (relative to the root).
pub fn local_split(dataset: &str, files: &[&str]) -> SplitConfig {
    SplitConfig {
        dataset: dataset.into(),
        source: SourceKind::Local,
        files: files.iter().map(PathBuf::from).collect(),
        preprocessor: plugin(dataset),
        ..SplitConfig::default()
    }
}

/// configs/local.toml's `[data]` section (the demo layout) with `root` and the cache in
/// `dir`, and the plugins addressed by absolute path.
pub fn local_toml_config(root: &Path, cache: &Path) -> DataConfig {
    let text = std::fs::read_to_string(support::repo_root().join("configs/local.toml")).unwrap();
    let mut table: toml::Table = toml::from_str(&text).unwrap();
    let mut config: DataConfig = table.remove("data").unwrap().try_into().unwrap();
    config.root = root.to_path_buf();
    config.cache_dir = cache.to_path_buf();
    for split in std::iter::once(&mut config.train)
        .chain(std::iter::once(&mut config.validation))
        .chain(config.test.values_mut())
    {
        split.preprocessor = plugin(&split.dataset);
    }
    config.validate().unwrap();
    let files: Vec<String> = config
        .splits()
        .iter()
        .flat_map(|(_, s)| s.files.iter().map(|f| f.display().to_string()))
        .collect();
    let mut expected: Vec<String> = DEMO_FILES.iter().map(|f| f.to_string()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(
        sorted, expected,
        "configs/local.toml and DEMO_FILES disagree"
    );
    config
}

/// A runtime without the on-disk component cache (each test compiles what it loads).
pub fn converters(seed: u64) -> PluginConverters {
    let runtime = PluginRuntime::new(RuntimeOptions {
        cache_dir: None,
        ..RuntimeOptions::default()
    })
    .unwrap();
    PluginConverters::new(runtime, Some(seed))
}

/// A Hub that must not be asked (local-only tests).
pub struct NoHub;

impl DatasetFiles for NoHub {
    fn fetch(
        &self,
        repo: &str,
        _: &str,
        file: &str,
    ) -> Result<PathBuf, clora_host::data::DataError> {
        panic!("unexpected Hub request for {repo}/{file}")
    }

    fn list(&self, repo: &str, _: &str) -> Result<Vec<String>, clora_host::data::DataError> {
        panic!("unexpected Hub listing of {repo}")
    }
}

/// Prepares one split quietly.
pub fn prepare(
    config: &DataConfig,
    tokenizer: &Path,
    converters: &PluginConverters,
    hub: &dyn DatasetFiles,
    id: &str,
) -> Result<Prepared, clora_host::data::DataError> {
    Preparer {
        config,
        tokenizer_dir: tokenizer.to_path_buf(),
        converters,
        hub,
        progress: Progress::hidden(),
        rebuild: false,
    }
    .prepare(id)
}

/// `rows` as parquet at `path`, the Hub's way (pyarrow infers struct and list columns).
pub fn write_parquet(path: &Path, rows: &[Value]) {
    let jsonl = path.with_extension("jsonl");
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&jsonl, text).unwrap();
    let script = support::repo_root().join("tests/python/jsonl_to_parquet.py");
    let status = Command::new(support::venv_python())
        .arg(script)
        .arg(&jsonl)
        .arg(path)
        .status()
        .expect("running the venv's python");
    assert!(status.success(), "jsonl_to_parquet.py failed");
    std::fs::remove_file(jsonl).unwrap();
}
