//! [`ModelError`]: everything that can go wrong loading, running or saving the model.
use std::path::PathBuf;

use crate::hub::HubError;

/// An error from the model layer (sources, weights, adapters, tokenizer).
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A JSON file (config.json, adapter_config.json) could not be parsed.
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The model configuration is not one this GPT-2 implementation supports.
    #[error("{path}: unsupported model configuration: {message}")]
    Config { path: PathBuf, message: String },
    /// The model source is neither a directory nor a Hub id, or lacks a required file.
    #[error("{0}")]
    Source(String),
    /// A PyTorch pickle checkpoint without a safetensors copy.
    #[error(
        "{dir}: only a pickle checkpoint (pytorch_model.bin) was found; clora-host reads \
         model.safetensors only (pickles can run code). Convert it once with:\n  python -c \
         \"import torch; from safetensors.torch import save_file; \
         sd = torch.load('{bin}', map_location='cpu', weights_only=True); \
         save_file({{k: v.clone().contiguous() for k, v in sd.items()}}, '{out}', metadata={{'format': 'pt'}})\""
    )]
    PickleOnly {
        dir: PathBuf,
        bin: PathBuf,
        out: PathBuf,
    },
    /// The Hub (or its cache) could not provide a file.
    #[error(transparent)]
    Hub(#[from] HubError),
    /// A weights file is malformed or lacks a tensor.
    #[error("{path}: {message}")]
    Weights { path: PathBuf, message: String },
    /// A tensor in a checkpoint or adapter does not have the shape the model needs.
    #[error("{path}: tensor `{name}` has shape {found:?}, the model expects {expected:?}")]
    ShapeMismatch {
        path: PathBuf,
        name: String,
        expected: Vec<i64>,
        found: Vec<i64>,
    },
    /// The LoRA configuration or an adapter is not usable with this model.
    #[error("{0}")]
    Lora(String),
    /// The tokenizer files could not be loaded.
    #[error("tokenizer in {dir}: {message}")]
    Tokenizer { dir: PathBuf, message: String },
    /// The requested device is not available or not understood.
    #[error("device: {0}")]
    Device(String),
    /// A libtorch operation failed.
    #[error("libtorch: {0}")]
    Torch(String),
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<tch::TchError> for ModelError {
    fn from(err: tch::TchError) -> Self {
        // Keep the first line: libtorch appends a C++ backtrace.
        let text = err.to_string();
        ModelError::Torch(text.lines().next().unwrap_or_default().to_string())
    }
}
