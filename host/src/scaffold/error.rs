//! [`ScaffoldError`]: why `clora-host plugins new` refused or failed, each with a message
//! that says what to do.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The plugin name breaks the naming rules.
    #[error("invalid plugin name {name:?}: {reason}")]
    BadName { name: String, reason: String },
    /// The project directory is already there; nothing is overwritten.
    #[error("{} already exists; choose another name or --dir (nothing was written)", .0.display())]
    Exists(PathBuf),
    /// The destination would make the project part of another cargo workspace.
    #[error("{}: {reason}", path.display())]
    BadDestination { path: PathBuf, reason: String },
    /// The checkout with the SDK and the WIT contract is not where expected.
    #[error(
        "{} is not a clora-host checkout (missing {missing}); pass --repo DIR, the checkout whose \
         plugins/sdk, plugins/python and wit/ the plugin builds against",
        repo.display()
    )]
    NoRepo { repo: PathBuf, missing: String },
    /// Reading the checkout or writing the project failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A template left a placeholder unfilled (a bug in the templates).
    #[error("template {template} has an unfilled placeholder {placeholder}")]
    Template {
        template: &'static str,
        placeholder: String,
    },
}

impl ScaffoldError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ScaffoldError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
