//! Where a model's files come from: a local directory in Hugging Face layout, or a Hub id
//! (the local HF cache first, a download otherwise; see [`crate::hub`]).
//!
//! A model directory holds `config.json`, `model.safetensors` and the tokenizer
//! (`tokenizer.json`, or `vocab.json` + `merges.txt`). Pickle checkpoints
//! (`pytorch_model.bin` alone) are refused with the command that converts them.
use std::path::{Path, PathBuf};

use crate::hub::{is_repo_id, Hub, HubError, HubRepo};

use super::ModelError;

pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const PICKLE_FILE: &str = "pytorch_model.bin";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const VOCAB_FILE: &str = "vocab.json";
pub const MERGES_FILE: &str = "merges.txt";

/// The tokenizer files of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizerFiles {
    /// A `tokenizers` JSON file.
    Json(PathBuf),
    /// GPT-2's byte-level BPE vocabulary and merges.
    VocabMerges { vocab: PathBuf, merges: PathBuf },
}

/// The resolved local files of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// The directory holding the files (a snapshot folder for Hub models).
    pub dir: PathBuf,
    pub config: PathBuf,
    pub weights: PathBuf,
    /// `None` when the source has no tokenizer (then it must come from elsewhere).
    pub tokenizer: Option<TokenizerFiles>,
    /// What the user named (directory or Hub id), recorded as
    /// `base_model_name_or_path` in saved adapters.
    pub source: String,
}

/// Resolves `spec`: an existing directory is used as is; otherwise `spec` must be a Hub
/// id, looked up in the HF cache (environment-configured) and downloaded if missing.
pub fn resolve_model(spec: &str, revision: Option<&str>) -> Result<ModelFiles, ModelError> {
    resolve_model_with(spec, revision, &Hub::from_env())
}

/// [`resolve_model`] with an explicit Hub client (tests, custom caches).
pub fn resolve_model_with(
    spec: &str,
    revision: Option<&str>,
    hub: &Hub,
) -> Result<ModelFiles, ModelError> {
    let path = Path::new(spec);
    if path.is_dir() {
        return from_dir(path, spec);
    }
    if path.exists() {
        return Err(ModelError::Source(format!(
            "model `{spec}` is a file; give the directory that holds config.json"
        )));
    }
    if spec.starts_with(['.', '/', '~']) || !is_repo_id(spec) {
        return Err(ModelError::Source(format!(
            "model `{spec}` is neither an existing directory nor a Hugging Face Hub id (like `gpt2` or `openai-community/gpt2`)"
        )));
    }
    from_hub(&HubRepo::model(spec).at_revision(revision), hub, spec)
}

/// The files of a local model directory.
pub fn from_dir(dir: &Path, source: &str) -> Result<ModelFiles, ModelError> {
    let config = dir.join(CONFIG_FILE);
    if !config.is_file() {
        return Err(ModelError::Source(format!(
            "{}: no {CONFIG_FILE}; is this a Hugging Face model directory?",
            dir.display()
        )));
    }
    let weights = dir.join(WEIGHTS_FILE);
    if !weights.is_file() {
        let pickle = dir.join(PICKLE_FILE);
        if pickle.is_file() {
            return Err(ModelError::PickleOnly {
                dir: dir.to_path_buf(),
                bin: pickle,
                out: weights,
            });
        }
        if dir.join("model.safetensors.index.json").is_file() {
            return Err(ModelError::Source(format!(
                "{}: sharded checkpoints (model.safetensors.index.json) are not supported; save the model with \
                 save_pretrained(dir, max_shard_size=\"100GB\") to get one {WEIGHTS_FILE}",
                dir.display()
            )));
        }
        return Err(ModelError::Source(format!(
            "{}: no {WEIGHTS_FILE}",
            dir.display()
        )));
    }
    let tokenizer = if dir.join(TOKENIZER_FILE).is_file() {
        Some(TokenizerFiles::Json(dir.join(TOKENIZER_FILE)))
    } else if dir.join(VOCAB_FILE).is_file() && dir.join(MERGES_FILE).is_file() {
        Some(TokenizerFiles::VocabMerges {
            vocab: dir.join(VOCAB_FILE),
            merges: dir.join(MERGES_FILE),
        })
    } else {
        None
    };
    Ok(ModelFiles {
        dir: dir.to_path_buf(),
        config,
        weights,
        tokenizer,
        source: source.to_string(),
    })
}

fn from_hub(repo: &HubRepo, hub: &Hub, source: &str) -> Result<ModelFiles, ModelError> {
    let config = hub.get(repo, CONFIG_FILE)?;
    let weights = hub.get(repo, WEIGHTS_FILE).map_err(|err| match err {
        HubError::NotFound { .. } => {
            let dir = config.parent().map(Path::to_path_buf).unwrap_or_default();
            let convert = ModelError::PickleOnly { dir: dir.clone(), bin: dir.join(PICKLE_FILE), out: dir.join(WEIGHTS_FILE) };
            ModelError::Source(format!(
                "{err}. If the repository only has {PICKLE_FILE}, download it and convert it, then pass the \
                 directory instead. {convert}"
            ))
        }
        other => other.into(),
    })?;
    let tokenizer = match optional(hub, repo, TOKENIZER_FILE)? {
        Some(json) => Some(TokenizerFiles::Json(json)),
        None => match (
            optional(hub, repo, VOCAB_FILE)?,
            optional(hub, repo, MERGES_FILE)?,
        ) {
            (Some(vocab), Some(merges)) => Some(TokenizerFiles::VocabMerges { vocab, merges }),
            _ => None,
        },
    };
    let dir = config.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(ModelFiles {
        dir,
        config,
        weights,
        tokenizer,
        source: source.to_string(),
    })
}

/// A file that may legitimately be absent (404, or absent from an offline cache).
fn optional(hub: &Hub, repo: &HubRepo, file: &str) -> Result<Option<PathBuf>, ModelError> {
    match hub.get(repo, file) {
        Ok(path) => Ok(Some(path)),
        Err(HubError::NotFound { .. } | HubError::OfflineMiss { .. }) => Ok(None),
        Err(err) => Err(err.into()),
    }
}
