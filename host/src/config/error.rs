//! Errors of the configuration layer. Each says where the bad value came from (a file
//! with line and column, a `--set` argument, a flag) and what would be valid.
use std::path::PathBuf;

use thiserror::Error;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The embedded `configs/default.toml`.
    Defaults,
    /// A `--config` file, with the 1-based line and column of the key when known.
    File {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// A `--set key=value` argument.
    Set(String),
    /// A dedicated flag such as `--epochs`.
    Flag(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Defaults => write!(f, "the embedded defaults"),
            Origin::File { path, line, column } => {
                write!(f, "{}:{line}:{column}", path.display())
            }
            Origin::Set(arg) => write!(f, "--set {arg}"),
            Origin::Flag(flag) => write!(f, "{flag}"),
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// TOML syntax, an unknown key or a value of the wrong type.
    #[error("{origin}: {message}")]
    Invalid { origin: Origin, message: String },
    /// A well-typed value outside its allowed range.
    #[error("{origin}: `{key}` = {value} is out of range: {expected}")]
    OutOfRange {
        origin: Origin,
        key: String,
        value: String,
        expected: String,
    },
    #[error("--set {arg}: expected key=value (for example --set train.lr=1e-4)")]
    SetSyntax { arg: String },
}
