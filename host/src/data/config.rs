//! The `[data]` configuration section: sources per split, preprocessors, tokenization
//! limits, the bad-row policy and the cache directory.
//!
//! Its documented TOML form is the `[data]` part of `configs/default.toml` (the embedded
//! run defaults), which equals [`DataConfig::default()`] (unit-tested) — the experiment: CommonsenseQA train/validation from
//! the Hub for training, BoolQ, ARC-Challenge and HellaSwag validation as out-of-domain
//! tests. Every struct defaults field by field, so a partial layer (`--set
//! data.train.max_rows=100`) deserializes on its own; [`DataConfig::validate`] checks the
//! merged result.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::DataError;

/// `[data]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Base directory of relative local `files`.
    pub root: PathBuf,
    /// Token ids per example after truncation.
    pub max_length: usize,
    /// Batch examples of similar length together.
    pub bucket_by_length: bool,
    pub bad_rows: BadRowsPolicy,
    /// Cache directory; empty = [`default_cache_dir`].
    pub cache_dir: PathBuf,
    /// Tokenizer directory; empty = the model's directory.
    pub tokenizer: PathBuf,
    pub train: SplitConfig,
    pub validation: SplitConfig,
    /// Out-of-domain test splits by name (`[data.test.<name>]`).
    pub test: BTreeMap<String, SplitConfig>,
}

/// What happens to a source row the preprocessor (or the reader) rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BadRowsPolicy {
    /// Drop it, count it by reason and print a summary with the first few file:line.
    #[default]
    Skip,
    /// Stop at the first one with an error naming file:line and the reason.
    Fail,
}

/// Where a split's rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A Hugging Face Hub dataset, fetched as parquet into the HF cache.
    #[default]
    Hub,
    /// Local files (`.jsonl`, `.jsonl.gz`, `.parquet`) relative to `data.root`.
    Local,
}

/// `[data.train]`, `[data.validation]`, `[data.test.<name>]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SplitConfig {
    /// Dataset name; selects the default preprocessor `plugins/<dataset>.wasm`.
    pub dataset: String,
    pub source: SourceKind,
    /// Local files (source = "local"), relative to `data.root` unless absolute.
    pub files: Vec<PathBuf>,
    /// The Hub dataset (source = "hub").
    pub hub: HubSource,
    /// The preprocessor component; empty = `plugins/<dataset>.wasm`.
    pub preprocessor: PathBuf,
    /// The preprocessor's parameters (validated against the schema it declares).
    pub params: toml::Table,
    /// Read only the first N source rows (0 = all).
    pub max_rows: u64,
    /// Keep only the first N examples (0 = all).
    pub max_examples: u64,
}

/// A dataset on the Hugging Face Hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubSource {
    /// Dataset id, e.g. `tau/commonsense_qa`.
    pub repo: String,
    /// Dataset configuration (subset), e.g. `ARC-Challenge`; empty = the default one.
    pub config: String,
    /// Split name, e.g. `validation`.
    pub split: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// Parquet files in the repository; empty = [`HubSource::files_or_default`]. A name
    /// may contain `*` (any characters but `/`), matched against the repository's file
    /// list (from the Hub, or offline from the cached snapshot).
    pub files: Vec<String>,
}

impl Default for HubSource {
    fn default() -> Self {
        HubSource {
            repo: String::new(),
            config: String::new(),
            split: String::new(),
            revision: "main".into(),
            files: Vec::new(),
        }
    }
}

impl HubSource {
    fn new(repo: &str, config: &str, split: &str) -> HubSource {
        HubSource {
            repo: repo.into(),
            config: config.into(),
            split: split.into(),
            ..HubSource::default()
        }
    }

    /// The parquet files of this split: `files` when set, else the layout the Hub's
    /// parquet datasets use for a single-shard split, `<dir>/<split>-00000-of-00001.parquet`
    /// with `<dir>` = `config` when set and `data` otherwise. That is the layout of
    /// `tau/commonsense_qa`, `google/boolq`, `Rowan/hellaswag` (`data/…`) and
    /// `allenai/ai2_arc` (`ARC-Challenge/…`) on `main`.
    ///
    /// Assumption, not checked against the live Hub (this project is built offline): the
    /// four file names above are the ones public code downloads from
    /// `https://huggingface.co/datasets/<repo>/resolve/<rev>/<file>` for these
    /// repositories. If a repository is re-sharded, set `files` (a `*` pattern such as
    /// `data/train-*.parquet` survives re-sharding).
    pub fn files_or_default(&self) -> Vec<String> {
        if !self.files.is_empty() {
            return self.files.clone();
        }
        let dir = if self.config.is_empty() || self.config == "default" {
            "data"
        } else {
            self.config.as_str()
        };
        vec![format!("{dir}/{}-00000-of-00001.parquet", self.split)]
    }
}

impl SplitConfig {
    fn hub(dataset: &str, hub: HubSource) -> SplitConfig {
        SplitConfig {
            dataset: dataset.into(),
            hub,
            ..SplitConfig::default()
        }
    }

    /// The preprocessor component: `preprocessor`, or `plugins/<dataset>.wasm`.
    pub fn preprocessor_path(&self) -> PathBuf {
        if self.preprocessor.as_os_str().is_empty() {
            PathBuf::from("plugins").join(format!("{}.wasm", self.dataset))
        } else {
            self.preprocessor.clone()
        }
    }

    /// One line saying where the rows come from (for logs and `data inspect`).
    pub fn describe_source(&self, root: &Path) -> String {
        match self.source {
            SourceKind::Hub => {
                let config = if self.hub.config.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", self.hub.config)
                };
                format!(
                    "hub {}{config} split {} @ {}",
                    self.hub.repo, self.hub.split, self.hub.revision
                )
            }
            SourceKind::Local => self
                .files
                .iter()
                .map(|f| root.join(f).display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    fn validate(&self, key: &str) -> Result<(), DataError> {
        if self.dataset.trim().is_empty() {
            return Err(DataError::config(
                format!("{key}.dataset"),
                "must name the dataset (e.g. \"commonsense-qa\")",
            ));
        }
        match self.source {
            SourceKind::Local if self.files.is_empty() => Err(DataError::config(
                format!("{key}.files"),
                "source = \"local\" needs at least one file",
            )),
            SourceKind::Hub if self.hub.repo.is_empty() || self.hub.split.is_empty() => {
                Err(DataError::config(
                    format!("{key}.hub"),
                    "source = \"hub\" needs hub.repo and hub.split",
                ))
            }
            SourceKind::Hub if self.hub.revision.is_empty() => Err(DataError::config(
                format!("{key}.hub.revision"),
                "must not be empty (e.g. \"main\")",
            )),
            _ => Ok(()),
        }
    }
}

impl Default for DataConfig {
    /// The experiment: CommonsenseQA from the Hub for training and validation, BoolQ,
    /// ARC-Challenge and HellaSwag validation as out-of-domain tests.
    fn default() -> Self {
        let test = [
            (
                "arc_challenge",
                SplitConfig::hub(
                    "arc",
                    HubSource::new("allenai/ai2_arc", "ARC-Challenge", "validation"),
                ),
            ),
            (
                "boolq",
                SplitConfig::hub("boolq", HubSource::new("google/boolq", "", "validation")),
            ),
            (
                "hellaswag",
                SplitConfig::hub(
                    "hellaswag",
                    HubSource::new("Rowan/hellaswag", "", "validation"),
                ),
            ),
        ];
        DataConfig {
            root: PathBuf::from("."),
            max_length: 256,
            bucket_by_length: false,
            bad_rows: BadRowsPolicy::Skip,
            cache_dir: PathBuf::new(),
            tokenizer: PathBuf::new(),
            train: SplitConfig::hub(
                "commonsense-qa",
                HubSource::new("tau/commonsense_qa", "", "train"),
            ),
            validation: SplitConfig::hub(
                "commonsense-qa",
                HubSource::new("tau/commonsense_qa", "", "validation"),
            ),
            test: test
                .into_iter()
                .map(|(name, split)| (name.to_string(), split))
                .collect(),
        }
    }
}

impl DataConfig {
    /// Every split with its id, in order: `train`, `validation`, `test.<name>`…
    pub fn splits(&self) -> Vec<(String, &SplitConfig)> {
        let mut splits = vec![
            ("train".to_string(), &self.train),
            ("validation".to_string(), &self.validation),
        ];
        splits.extend(
            self.test
                .iter()
                .map(|(name, split)| (format!("test.{name}"), split)),
        );
        splits
    }

    /// The split with this id (`train`, `validation` or `test.<name>`).
    pub fn split(&self, id: &str) -> Option<&SplitConfig> {
        match id {
            "train" => Some(&self.train),
            "validation" => Some(&self.validation),
            _ => self.test.get(id.strip_prefix("test.")?),
        }
    }

    /// The cache directory: `cache_dir`, or [`default_cache_dir`].
    pub fn cache_dir(&self) -> PathBuf {
        if self.cache_dir.as_os_str().is_empty() {
            default_cache_dir()
        } else {
            self.cache_dir.clone()
        }
    }

    /// Checks what serde cannot: ranges and consistent sources.
    pub fn validate(&self) -> Result<(), DataError> {
        if self.max_length == 0 {
            return Err(DataError::config("data.max_length", "must be ≥ 1"));
        }
        for (id, split) in self.splits() {
            split.validate(&format!("data.{id}"))?;
        }
        Ok(())
    }
}

/// `$XDG_CACHE_HOME/clora-host/data`, else `$HOME/.cache/clora-host/data`, else
/// `.cache/clora-host/data` in the working directory.
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("clora-host").join("data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_run_defaults_use_this_data_section() {
        assert_eq!(
            crate::config::Config::defaults().data,
            DataConfig::default()
        );
    }

    #[test]
    fn partial_tables_deserialize_and_unknown_keys_fail() {
        let partial: DataConfig = toml::from_str("[train]\nmax_rows = 5\n").unwrap();
        assert_eq!(partial.train.max_rows, 5);
        let err = toml::from_str::<DataConfig>("[train]\nmax_row = 5\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `max_row`"), "{err}");
        let err = toml::from_str::<DataConfig>("bad_rows = \"ignore\"\n").unwrap_err();
        assert!(err.to_string().contains("skip"), "{err}");
    }

    #[test]
    fn hub_default_files_follow_the_parquet_layout() {
        let cfg = DataConfig::default();
        assert_eq!(
            cfg.train.hub.files_or_default(),
            ["data/train-00000-of-00001.parquet"]
        );
        assert_eq!(
            cfg.test["arc_challenge"].hub.files_or_default(),
            ["ARC-Challenge/validation-00000-of-00001.parquet"]
        );
        assert_eq!(
            cfg.test["hellaswag"].hub.files_or_default(),
            ["data/validation-00000-of-00001.parquet"]
        );
        assert_eq!(
            cfg.test["boolq"].preprocessor_path(),
            Path::new("plugins/boolq.wasm")
        );
    }

    #[test]
    fn validation_names_the_key() {
        let mut cfg = DataConfig::default();
        cfg.test.get_mut("boolq").unwrap().source = SourceKind::Local;
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("data.test.boolq.files"), "{err}");
        let cfg = DataConfig {
            max_length: 0,
            ..DataConfig::default()
        };
        assert!(cfg
            .validate()
            .unwrap_err()
            .to_string()
            .contains("max_length"));
        assert_eq!(cfg.split("test.boolq").unwrap().dataset, "boolq");
        assert!(cfg.split("test.nope").is_none());
    }
}
