//! Files from the Hugging Face Hub: the local cache layout, offline mode, downloads.
//!
//! A file is named by a repository (`owner/name`, model or dataset), a revision (branch,
//! tag or commit) and a path inside the repository. [`Hub::get`] looks in the local cache
//! first (the layout the Python `huggingface_hub` writes:
//! `<cache>/models--owner--name/{refs/<rev>, snapshots/<commit>/<file>, blobs/<etag>}`), so
//! a file a Python user already downloaded is used as is, and downloads it with `hf-hub`
//! otherwise. The environment is honoured like the Python client does:
//!
//! | variable | effect |
//! |---|---|
//! | `HF_HUB_CACHE` (or `HUGGINGFACE_HUB_CACHE`) | the cache directory |
//! | `HF_HOME` | `$HF_HOME/hub` is the cache (default `~/.cache/huggingface/hub`) |
//! | `HF_ENDPOINT` | the Hub's base URL (default `https://huggingface.co`) |
//! | `HF_TOKEN` (or the `token` file in `HF_HOME`) | sent as a bearer token |
//! | `HF_HUB_OFFLINE=1` | never touch the network; a file missing from the cache is an error |
//!
//! A download that fails part-way leaves nothing usable behind: the partial `.part` file
//! is removed, and a blob whose name is a SHA-256 (the Hub's etag for LFS files) is
//! checked against its content before it is handed out.
use std::io::Read;
use std::path::{Path, PathBuf};

use hf_hub::api::sync::{ApiBuilder, ApiError};
use hf_hub::{Repo, RepoType};
use sha2::{Digest, Sha256};

/// The Hub's public endpoint, used when `HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// The kind of Hub repository a file lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoKind {
    Model,
    Dataset,
}

impl RepoKind {
    fn cache_prefix(self) -> &'static str {
        match self {
            RepoKind::Model => "models",
            RepoKind::Dataset => "datasets",
        }
    }
}

/// A repository at a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRepo {
    /// `owner/name` (or a bare `name` for legacy models such as `gpt2`).
    pub id: String,
    pub kind: RepoKind,
    /// Branch, tag or 40-hex commit hash.
    pub revision: String,
}

impl HubRepo {
    /// A model repository at `main`.
    pub fn model(id: &str) -> Self {
        HubRepo {
            id: id.to_string(),
            kind: RepoKind::Model,
            revision: "main".to_string(),
        }
    }

    /// A dataset repository at `main`.
    pub fn dataset(id: &str) -> Self {
        HubRepo {
            id: id.to_string(),
            kind: RepoKind::Dataset,
            revision: "main".to_string(),
        }
    }

    /// The same repository at another revision (`None` or "" keeps `main`).
    pub fn at_revision(mut self, revision: Option<&str>) -> Self {
        if let Some(rev) = revision.filter(|r| !r.is_empty()) {
            self.revision = rev.to_string();
        }
        self
    }

    /// The repository's folder in the cache, e.g. `models--openai-community--gpt2`.
    pub fn cache_folder(&self) -> String {
        format!(
            "{}--{}",
            self.kind.cache_prefix(),
            self.id.replace('/', "--")
        )
    }

    fn describe(&self) -> String {
        let kind = match self.kind {
            RepoKind::Model => "model",
            RepoKind::Dataset => "dataset",
        };
        format!("{kind} `{}` (revision {})", self.id, self.revision)
    }
}

/// True when `id` has the shape of a Hub repository id: one or two names of letters,
/// digits, `-`, `_` and `.` separated by a single `/`, not starting with `.` or `-`.
pub fn is_repo_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    if parts.is_empty() || parts.len() > 2 {
        return false;
    }
    parts.iter().all(|part| {
        !part.is_empty()
            && part.len() <= 96
            && !part.starts_with(['.', '-'])
            && !part.contains("..")
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    })
}

/// An error fetching a Hub file.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("`{0}` is not a valid Hub repository id (expected `name` or `owner/name`)")]
    InvalidRepoId(String),
    #[error("`{0}` is not a valid file name inside a repository")]
    InvalidFileName(String),
    #[error(
        "{repo}: `{file}` is not in the local Hugging Face cache ({cache}) and HF_HUB_OFFLINE \
         is set; download it once with network access, or unset HF_HUB_OFFLINE"
    )]
    OfflineMiss {
        repo: String,
        file: String,
        cache: PathBuf,
    },
    #[error("{repo}: the Hub has no file `{file}` (HTTP 404 from {url})")]
    NotFound {
        repo: String,
        file: String,
        url: String,
    },
    #[error("{repo}: access to `{file}` was refused (HTTP {status} from {url}); set HF_TOKEN to a token that can read it")]
    Unauthorized {
        repo: String,
        file: String,
        status: u16,
        url: String,
    },
    #[error("{repo}: downloading `{file}` failed: {message}")]
    Download {
        repo: String,
        file: String,
        message: String,
    },
    #[error("{repo}: downloaded `{file}` does not match its SHA-256 ({expected}); the copy was removed, try again")]
    Corrupt {
        repo: String,
        file: String,
        expected: String,
    },
    #[error("Hugging Face cache {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where the cache is, which endpoint to use, whether to touch the network.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// The hub cache directory (the folder holding `models--…` folders).
    pub cache_dir: PathBuf,
    pub endpoint: String,
    pub token: Option<String>,
    pub offline: bool,
    /// Show a progress bar while downloading.
    pub progress: bool,
}

impl HubSettings {
    /// Settings from the environment (see the module docs).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let hf_home = var("HF_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(default_hf_home);
        let cache_dir = var("HF_HUB_CACHE")
            .or_else(|| var("HUGGINGFACE_HUB_CACHE"))
            .map(PathBuf::from)
            .unwrap_or_else(|| hf_home.join("hub"));
        let token = var("HF_TOKEN")
            .or_else(|| var("HUGGING_FACE_HUB_TOKEN"))
            .or_else(|| {
                let path = var("HF_TOKEN_PATH")
                    .map(PathBuf::from)
                    .unwrap_or(hf_home.join("token"));
                std::fs::read_to_string(path)
                    .ok()
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
            });
        let offline = var("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
        });
        HubSettings {
            cache_dir,
            endpoint: var("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_string()),
            token,
            offline,
            progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }
}

fn default_hf_home() -> PathBuf {
    let xdg = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from);
    let cache = xdg.unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| ".".into())).join(".cache")
    });
    cache.join("huggingface")
}

/// Resolves Hub files to local paths in the cache, downloading when needed.
#[derive(Debug, Clone)]
pub struct Hub {
    settings: HubSettings,
}

impl Hub {
    pub fn new(settings: HubSettings) -> Self {
        Hub { settings }
    }

    /// A client configured from the environment.
    pub fn from_env() -> Self {
        Hub::new(HubSettings::from_env())
    }

    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    /// The cached copy of `file` at the repository's revision, if there is one. Never
    /// touches the network.
    pub fn cached(&self, repo: &HubRepo, file: &str) -> Option<PathBuf> {
        let commit = self.cached_commit(repo)?;
        let path = self
            .repo_dir(repo)
            .join("snapshots")
            .join(commit)
            .join(file);
        path.is_file().then_some(path)
    }

    /// True when the cache records that `file` does not exist at this revision (the
    /// Python client's `.no_exist` markers).
    pub fn known_missing(&self, repo: &HubRepo, file: &str) -> bool {
        self.cached_commit(repo).is_some_and(|commit| {
            self.repo_dir(repo)
                .join(".no_exist")
                .join(commit)
                .join(file)
                .exists()
        })
    }

    /// The local path of `file`: from the cache if present, else downloaded (unless
    /// offline).
    pub fn get(&self, repo: &HubRepo, file: &str) -> Result<PathBuf, HubError> {
        validate(repo, file)?;
        if let Some(path) = self.cached(repo, file) {
            return Ok(path);
        }
        if self.settings.offline {
            return Err(HubError::OfflineMiss {
                repo: repo.describe(),
                file: file.to_string(),
                cache: self.settings.cache_dir.clone(),
            });
        }
        self.download(repo, file)
    }

    /// Downloads `file` into the cache (even if a copy is there) and returns its path.
    pub fn download(&self, repo: &HubRepo, file: &str) -> Result<PathBuf, HubError> {
        validate(repo, file)?;
        let handle = self
            .api_repo(repo)
            .map_err(|err| self.download_error(repo, file, err))?;
        match handle.download(file) {
            Ok(path) => {
                self.verify_blob(repo, file, &path)?;
                Ok(path)
            }
            Err(err) => {
                self.remove_partial_downloads(repo);
                Err(self.download_error(repo, file, err))
            }
        }
    }

    /// The files of the repository at its revision, sorted: from the Hub's API
    /// (`/api/{models|datasets}/{id}/revision/{rev}`), or, offline, from the cached snapshot
    /// (which may hold only some of them).
    pub fn list_files(&self, repo: &HubRepo) -> Result<Vec<String>, HubError> {
        validate(repo, "x")?;
        if self.settings.offline {
            let commit = self
                .cached_commit(repo)
                .ok_or_else(|| HubError::OfflineMiss {
                    repo: repo.describe(),
                    file: "(file list)".to_string(),
                    cache: self.settings.cache_dir.clone(),
                })?;
            let root = self.repo_dir(repo).join("snapshots").join(commit);
            let mut files = Vec::new();
            collect_files(&root, &root, &mut files);
            files.sort();
            return Ok(files);
        }
        let listing = "(file list)";
        let info = self
            .api_repo(repo)
            .and_then(|handle| handle.info())
            .map_err(|err| self.download_error(repo, listing, err))?;
        let mut files: Vec<String> = info.siblings.into_iter().map(|s| s.rfilename).collect();
        files.sort();
        Ok(files)
    }

    fn api_repo(&self, repo: &HubRepo) -> Result<hf_hub::api::sync::ApiRepo, ApiError> {
        let api = ApiBuilder::from_cache(hf_hub::Cache::new(self.settings.cache_dir.clone()))
            .with_endpoint(self.settings.endpoint.clone())
            .with_token(self.settings.token.clone())
            .with_progress(self.settings.progress)
            .build()?;
        let kind = match repo.kind {
            RepoKind::Model => RepoType::Model,
            RepoKind::Dataset => RepoType::Dataset,
        };
        Ok(api.repo(Repo::with_revision(
            repo.id.clone(),
            kind,
            repo.revision.clone(),
        )))
    }

    fn repo_dir(&self, repo: &HubRepo) -> PathBuf {
        self.settings.cache_dir.join(repo.cache_folder())
    }

    fn cached_commit(&self, repo: &HubRepo) -> Option<String> {
        if is_commit_hash(&repo.revision) {
            return Some(repo.revision.clone());
        }
        let reference = self.repo_dir(repo).join("refs").join(&repo.revision);
        let commit = std::fs::read_to_string(reference).ok()?;
        let commit = commit.trim();
        (!commit.is_empty() && !commit.contains(['/', '\\'])).then(|| commit.to_string())
    }

    /// Removes `.part` files hf-hub leaves in `blobs/` after a failed transfer, so that a
    /// retry starts from scratch rather than appending to a possibly bad prefix.
    fn remove_partial_downloads(&self, repo: &HubRepo) {
        let Ok(entries) = std::fs::read_dir(self.repo_dir(repo).join("blobs")) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "part") {
                let _ignored = std::fs::remove_file(path);
            }
        }
    }

    /// Checks a downloaded blob whose name is a SHA-256 against its content; on a
    /// mismatch removes the blob and the snapshot link.
    fn verify_blob(&self, repo: &HubRepo, file: &str, pointer: &Path) -> Result<(), HubError> {
        let blob = std::fs::canonicalize(pointer).map_err(|source| HubError::Io {
            path: pointer.to_path_buf(),
            source,
        })?;
        let Some(expected) = blob
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| is_sha256(n))
        else {
            return Ok(());
        };
        let actual = sha256_file(&blob).map_err(|source| HubError::Io {
            path: blob.clone(),
            source,
        })?;
        if actual == expected {
            return Ok(());
        }
        let _ignored = std::fs::remove_file(pointer);
        let _ignored = std::fs::remove_file(&blob);
        Err(HubError::Corrupt {
            repo: repo.describe(),
            file: file.to_string(),
            expected: expected.to_string(),
        })
    }

    fn download_error(&self, repo: &HubRepo, file: &str, err: ApiError) -> HubError {
        let (repo_name, file_name) = (repo.describe(), file.to_string());
        match err {
            ApiError::RequestError(boxed) => match *boxed {
                ureq::Error::Status(404, response) => HubError::NotFound {
                    repo: repo_name,
                    file: file_name,
                    url: response.get_url().to_string(),
                },
                ureq::Error::Status(status @ (401 | 403), response) => HubError::Unauthorized {
                    repo: repo_name,
                    file: file_name,
                    status,
                    url: response.get_url().to_string(),
                },
                other => HubError::Download {
                    repo: repo_name,
                    file: file_name,
                    message: other.to_string(),
                },
            },
            other => HubError::Download {
                repo: repo_name,
                file: file_name,
                message: other.to_string(),
            },
        }
    }
}

fn validate(repo: &HubRepo, file: &str) -> Result<(), HubError> {
    if !is_repo_id(&repo.id) {
        return Err(HubError::InvalidRepoId(repo.id.clone()));
    }
    let bad_component = Path::new(file)
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)));
    if file.is_empty() || bad_component || file.contains('\\') {
        return Err(HubError::InvalidFileName(file.to_string()));
    }
    Ok(())
}

/// Paths (with `/`) of the files under `dir`, relative to `root`.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

fn is_commit_hash(revision: &str) -> bool {
    revision.len() == 40 && revision.chars().all(|c| c.is_ascii_hexdigit())
}

fn is_sha256(name: &str) -> bool {
    name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit())
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids() {
        for ok in [
            "gpt2",
            "openai-community/gpt2",
            "tau/commonsense_qa",
            "a.b/c_d-1",
        ] {
            assert!(is_repo_id(ok), "{ok}");
        }
        for bad in ["", "/x", "a/b/c", "../x", "a/..", ".hidden", "a b", "./dir"] {
            assert!(!is_repo_id(bad), "{bad}");
        }
    }

    #[test]
    fn cache_lookup_follows_refs_and_commits() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = HubRepo::dataset("tau/commonsense_qa");
        let dir = tmp.path().join("datasets--tau--commonsense_qa");
        let commit = "0123456789abcdef0123456789abcdef01234567";
        std::fs::create_dir_all(dir.join("refs")).unwrap();
        std::fs::write(dir.join("refs/main"), commit).unwrap();
        let snap = dir.join("snapshots").join(commit).join("data");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::write(snap.join("train.parquet"), b"x").unwrap();
        let hub = Hub::new(HubSettings {
            cache_dir: tmp.path().to_path_buf(),
            endpoint: "http://127.0.0.1:9".into(),
            token: None,
            offline: true,
            progress: false,
        });
        assert_eq!(
            hub.cached(&repo, "data/train.parquet"),
            Some(snap.join("train.parquet"))
        );
        let pinned = repo.clone().at_revision(Some(commit));
        assert!(hub.get(&pinned, "data/train.parquet").is_ok());
        let err = hub.get(&repo, "data/test.parquet").unwrap_err();
        assert!(err.to_string().contains("HF_HUB_OFFLINE"), "{err}");
        assert!(matches!(
            hub.get(&repo, "../x"),
            Err(HubError::InvalidFileName(_))
        ));
    }
}
