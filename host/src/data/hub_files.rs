//! The seam to the Hugging Face Hub for dataset files: [`DatasetFiles`] resolves a file
//! of a dataset repository to a local path. [`crate::hub::Hub`] implements it (the HF
//! cache first, a download otherwise; `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`).
use std::path::PathBuf;

use super::DataError;
use crate::hub::{Hub, HubRepo};

pub trait DatasetFiles {
    /// The local path of `file` in dataset `repo` at `revision`.
    fn fetch(&self, repo: &str, revision: &str, file: &str) -> Result<PathBuf, DataError>;

    /// Every file of dataset `repo` at `revision` (to expand `*` patterns).
    fn list(&self, repo: &str, revision: &str) -> Result<Vec<String>, DataError>;
}

/// The files of a Hub split: each name of `names` as is, or, when it contains `*`, every
/// repository file it matches (in sorted order; `*` matches within one path segment).
/// A pattern that matches nothing is an error naming it.
pub fn resolve_files(
    hub: &dyn DatasetFiles,
    repo: &str,
    revision: &str,
    names: &[String],
) -> Result<Vec<PathBuf>, DataError> {
    let mut listing: Option<Vec<String>> = None;
    let mut paths = Vec::new();
    for name in names {
        if !name.contains('*') {
            paths.push(hub.fetch(repo, revision, name)?);
            continue;
        }
        if listing.is_none() {
            listing = Some(hub.list(repo, revision)?);
        }
        let all = listing.as_deref().unwrap_or_default();
        let matched: Vec<&String> = all.iter().filter(|f| glob_match(name, f)).collect();
        if matched.is_empty() {
            return Err(DataError::Hub {
                repo: repo.to_string(),
                revision: revision.to_string(),
                file: name.clone(),
                message: format!(
                    "no file of dataset `{repo}` (revision {revision}) matches `{name}` ({} files listed)",
                    all.len()
                ),
            });
        }
        for file in matched {
            paths.push(hub.fetch(repo, revision, file)?);
        }
    }
    Ok(paths)
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters other
/// than `/`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic wildcard matching with backtracking to the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star.filter(|&(_, st)| t[st] != '/') {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
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

    fn list(&self, repo: &str, revision: &str) -> Result<Vec<String>, DataError> {
        let hub_repo = HubRepo::dataset(repo).at_revision(Some(revision));
        self.list_files(&hub_repo).map_err(|err| DataError::Hub {
            repo: repo.to_string(),
            revision: revision.to_string(),
            file: "(file list)".to_string(),
            message: err.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_match_within_one_path_segment() {
        assert!(glob_match(
            "data/train-*.parquet",
            "data/train-00000-of-00002.parquet"
        ));
        assert!(glob_match(
            "*/validation-*",
            "ARC-Challenge/validation-00000-of-00001.parquet"
        ));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match(
            "data/train-*.parquet",
            "data/test-00000.parquet"
        ));
        assert!(!glob_match("*.parquet", "data/train.parquet"));
        assert!(!glob_match("data/*", "data/x/y"));
        assert!(glob_match("*", "x"));
    }
}
