//! Errors of a sweep: the sweep file, the validation of each run's configuration, the
//! launchers and the report. Each names the file, the run and the key it is about.
use std::path::PathBuf;

use thiserror::Error;

use crate::config::ConfigError;

#[derive(Debug, Error)]
pub enum SweepError {
    #[error("cannot read sweep file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// TOML syntax, an unknown key or a wrong type in the sweep file itself.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A sweep file that parses but cannot be expanded (empty matrix list, duplicate run
    /// names, ...).
    #[error("{}: {message}", path.display())]
    Spec { path: PathBuf, message: String },
    /// A `--set` argument that is not a valid config override.
    #[error(transparent)]
    Config(Box<ConfigError>),
    /// A run whose resolved configuration is invalid.
    #[error("run `{run}`: {error}")]
    RunConfig {
        run: String,
        error: Box<ConfigError>,
    },
    /// A run whose plugin (file, kind or parameters) is invalid.
    #[error("run `{run}`: `{key}`: {message}")]
    RunPlugin {
        run: String,
        key: String,
        message: String,
    },
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "sweep directory {} already holds a sweep; continue it with --resume, or choose another --output-dir",
        dir.display()
    )]
    Exists { dir: PathBuf },
    #[error(
        "run `{run}` in {} ran with a different configuration than the sweep file now gives it ({detail}); \
         start a new sweep with --output-dir, or delete {} to rerun it",
        dir.display(),
        dir.display()
    )]
    Changed {
        run: String,
        dir: PathBuf,
        detail: String,
    },
    #[error("{} is not a sweep directory (no {file})", dir.display())]
    NotASweep { dir: PathBuf, file: &'static str },
    /// A launcher could not start or follow its runs (sbatch failed, no child process).
    #[error("{0}")]
    Launcher(String),
    /// Drawing or encoding a plot failed.
    #[error("plot {name}: {message}")]
    Plot { name: String, message: String },
}

impl From<ConfigError> for SweepError {
    fn from(error: ConfigError) -> Self {
        SweepError::Config(Box::new(error))
    }
}

/// Maps an I/O error to [`SweepError::Io`] with what was being done and where.
pub(crate) fn io_err(
    what: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> SweepError {
    let path = path.into();
    move |source| SweepError::Io { what, path, source }
}
