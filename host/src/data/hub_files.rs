//! The seam to the Hugging Face Hub for dataset files: [`DatasetFiles`] resolves a file
//! of a dataset repository to a local path. [`crate::hub::Hub`] implements it (the HF
//! cache first, a download otherwise; `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`).
use std::path::PathBuf;

use super::DataError;
use crate::hub::{Hub, HubRepo};

pub trait DatasetFiles {
    /// The local path of `file` in dataset `repo` at `revision`.
    fn fetch(&self, repo: &str, revision: &str, file: &str) -> Result<PathBuf, DataError>;
}

impl DatasetFiles for Hub {
    fn fetch(&self, repo: &str, revision: &str, file: &str) -> Result<PathBuf, DataError> {
        let hub_repo = HubRepo::dataset(repo).at_revision(Some(revision));
        self.get(&hub_repo, file).map_err(|err| DataError::Hub {
            repo: repo.to_string(),
            revision: revision.to_string(),
            file: file.to_string(),
            message: err.to_string(),
        })
    }
}
