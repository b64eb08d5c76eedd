//! Errors of a training or evaluation run. Each variant says which part failed; the CLI
//! adds the run directory and how to resume.
use std::path::PathBuf;

use thiserror::Error;

use crate::config::ConfigError;
use crate::data::DataError;
use crate::model::ModelError;
use crate::plugin::PluginError;

use super::checkpoint::CheckpointError;

#[derive(Debug, Error)]
pub enum TrainError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("libtorch: {0}")]
    Torch(String),
    #[error("{what} is not finite at step {step} ({value}); lower the learning rate or λ")]
    NotFinite {
        what: &'static str,
        step: u64,
        value: f64,
    },
    #[error("interrupted at step {step}; a checkpoint was written")]
    Interrupted { step: u64 },
    #[error("{0}")]
    Invalid(String),
}

impl From<tch::TchError> for TrainError {
    fn from(err: tch::TchError) -> Self {
        // The first line carries the message; the rest is a C++ backtrace.
        let text = err.to_string();
        TrainError::Torch(text.lines().next().unwrap_or_default().to_string())
    }
}

impl From<super::adamw::AdamWError> for TrainError {
    fn from(err: super::adamw::AdamWError) -> Self {
        match err {
            super::adamw::AdamWError::Torch(message) => TrainError::Torch(message),
            other => TrainError::Invalid(other.to_string()),
        }
    }
}

/// Attaches a path and a description to an I/O error.
pub fn io_err(
    what: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> TrainError {
    let path = path.into();
    move |source| TrainError::Io { what, path, source }
}
