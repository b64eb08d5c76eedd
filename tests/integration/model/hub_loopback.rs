//! The Hub client against a loopback server that speaks the Hub's file protocol
//! (`/{repo}/resolve/{rev}/{file}`, `/datasets/{repo}/resolve/{rev}/{file}`; hf-hub 0.4
//! first asks for `Range: bytes=0-0` and reads `ETag`, `X-Repo-Commit` and
//! `Content-Range`, then downloads with `Range: bytes=0-`).
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clora_host::hub::{Hub, HubError, HubRepo, HubSettings};
use clora_host::model::{
    resolve_model_with, write_tiny_model, LoraConfig, SequenceClassifier, TinySpec,
};
use sha2::{Digest, Sha256};

pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
/// The server stops after this many connections (a bound on every test's traffic).
const MAX_CONNECTIONS: usize = 200;

/// A file the server hands out.
pub struct Served {
    pub body: Vec<u8>,
    pub etag: String,
}

impl Served {
    /// An LFS-style file: the etag is the SHA-256 of the body.
    pub fn lfs(body: Vec<u8>) -> Self {
        let etag = hex::encode(Sha256::digest(&body));
        Served { body, etag }
    }

    /// A small git-stored file: a 40-hex etag (not a checksum the client can verify).
    pub fn git(body: Vec<u8>) -> Self {
        let etag = hex::encode(&Sha256::digest(&body)[..20]);
        Served { body, etag }
    }
}

/// A loopback Hub. Stops when dropped.
pub struct HubServer {
    pub endpoint: String,
    pub requests: Arc<AtomicUsize>,
    /// URL paths whose next body download is cut off half-way.
    pub interrupt_once: Arc<Mutex<HashSet<String>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl HubServer {
    /// Serves `files` (URL path → file) with commit [`COMMIT`].
    pub fn start(files: HashMap<String, Served>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let interrupt_once = Arc::new(Mutex::new(HashSet::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, cut, halt) = (requests.clone(), interrupt_once.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ignored = serve(stream, &files, &cut);
                }
            }
        });
        HubServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            requests,
            interrupt_once,
            stop,
            port,
        }
    }

    pub fn hub(&self, cache: &Path, offline: bool) -> Hub {
        Hub::new(HubSettings {
            cache_dir: cache.to_path_buf(),
            endpoint: self.endpoint.clone(),
            token: None,
            offline,
            progress: false,
        })
    }

    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _wake = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(
    stream: TcpStream,
    files: &HashMap<String, Served>,
    cut: &Mutex<HashSet<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("range") {
                range = value.trim().strip_prefix("bytes=").map(str::to_string);
            }
        }
    }
    let mut out = stream;
    let Some(file) = files.get(&path) else {
        let body = "Entry not found";
        write!(out, "HTTP/1.1 404 Not Found\r\nX-Error-Code: EntryNotFound\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
        return Ok(());
    };
    let len = file.body.len();
    let (start, end) = match range.as_deref().and_then(|r| r.split_once('-')) {
        Some((a, b)) => (
            a.parse().unwrap_or(0),
            if b.is_empty() {
                len - 1
            } else {
                b.parse::<usize>().unwrap().min(len - 1)
            },
        ),
        None => (0, len - 1),
    };
    let body = &file.body[start..=end];
    let status = if range.is_some() {
        "206 Partial Content"
    } else {
        "200 OK"
    };
    write!(
        out,
        "HTTP/1.1 {status}\r\nETag: \"{}\"\r\nX-Repo-Commit: {COMMIT}\r\nContent-Range: bytes {start}-{end}/{len}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        file.etag,
        body.len()
    )?;
    let is_download = body.len() > 1;
    if is_download && cut.lock().unwrap().remove(&path) {
        out.write_all(&body[..body.len() / 2])?;
        out.flush()?;
        return out.shutdown(std::net::Shutdown::Both);
    }
    out.write_all(body)?;
    out.flush()
}

/// A tiny model's files served as repo `repo` (`url_prefix` "" for models).
pub fn tiny_model_files(repo: &str, dir: &Path, names: &[&str]) -> HashMap<String, Served> {
    names
        .iter()
        .map(|name| {
            let body = std::fs::read(dir.join(name)).unwrap();
            let served = if name.ends_with(".safetensors") {
                Served::lfs(body)
            } else {
                Served::git(body)
            };
            (format!("/{repo}/resolve/main/{name}"), served)
        })
        .collect()
}

fn tiny_model_dir(root: &Path) -> PathBuf {
    let dir = root.join("source");
    write_tiny_model(
        &dir,
        &TinySpec {
            n_layer: 1,
            n_head: 2,
            n_embd: 16,
            n_positions: 32,
        },
        5,
    )
    .unwrap();
    dir
}

const MODEL_FILES: [&str; 5] = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "vocab.json",
    "merges.txt",
];

#[test]
fn downloads_a_model_then_uses_the_cache_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tiny_model_dir(tmp.path());
    let server = HubServer::start(tiny_model_files("org/tiny", &source, &MODEL_FILES));
    let cache = tmp.path().join("cache");
    let files = resolve_model_with("org/tiny", None, &server.hub(&cache, false)).unwrap();
    let snapshot = cache.join("models--org--tiny/snapshots").join(COMMIT);
    assert_eq!(files.dir, snapshot);
    assert_eq!(
        std::fs::read(&files.weights).unwrap(),
        std::fs::read(source.join("model.safetensors")).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(cache.join("models--org--tiny/refs/main")).unwrap(),
        COMMIT
    );
    SequenceClassifier::load(&files, &LoraConfig::default(), tch::Device::Cpu, 0).unwrap();
    let served = server.request_count();
    assert!(served >= 4, "metadata + body per file, {served} requests");

    // Cache first: neither an online nor an offline resolution asks the server again.
    let again = resolve_model_with("org/tiny", None, &server.hub(&cache, false)).unwrap();
    let offline = resolve_model_with("org/tiny", None, &server.hub(&cache, true)).unwrap();
    assert_eq!(again, files);
    assert_eq!(offline, files);
    assert_eq!(server.request_count(), served);
}

#[test]
fn offline_without_a_cached_copy_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let server = HubServer::start(HashMap::new());
    let err = resolve_model_with("org/tiny", None, &server.hub(tmp.path(), true))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HF_HUB_OFFLINE") && err.contains("config.json") && err.contains("org/tiny"),
        "{err}"
    );
    assert_eq!(server.request_count(), 0);
}

#[test]
fn dataset_files_and_missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = HashMap::new();
    files.insert(
        "/datasets/org/data/resolve/main/data/train.parquet".to_string(),
        Served::lfs(b"PAR1 rows PAR1".to_vec()),
    );
    let listing = format!(
        r#"{{"sha": "{COMMIT}", "siblings": [{{"rfilename": "data/train.parquet"}}, {{"rfilename": "README.md"}}]}}"#
    );
    files.insert(
        "/api/datasets/org/data/revision/main".to_string(),
        Served::git(listing.into_bytes()),
    );
    let server = HubServer::start(files);
    let hub = server.hub(tmp.path(), false);
    let repo = HubRepo::dataset("org/data");
    let path = hub.get(&repo, "data/train.parquet").unwrap();
    assert_eq!(
        path,
        tmp.path()
            .join("datasets--org--data/snapshots")
            .join(COMMIT)
            .join("data/train.parquet")
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"PAR1 rows PAR1");
    assert_eq!(
        hub.list_files(&repo).unwrap(),
        ["README.md", "data/train.parquet"]
    );
    let offline = server.hub(tmp.path(), true);
    assert_eq!(offline.list_files(&repo).unwrap(), ["data/train.parquet"]);
    let err = hub.get(&repo, "data/test.parquet").unwrap_err();
    assert!(matches!(err, HubError::NotFound { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("404")
            && message.contains("data/test.parquet")
            && message.contains("org/data"),
        "{message}"
    );
}

#[test]
fn hub_model_with_only_a_pickle_explains_the_conversion() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = HashMap::new();
    files.insert(
        "/org/old/resolve/main/config.json".to_string(),
        Served::git(br#"{"model_type": "gpt2"}"#.to_vec()),
    );
    files.insert(
        "/org/old/resolve/main/pytorch_model.bin".to_string(),
        Served::lfs(b"pickle".to_vec()),
    );
    let server = HubServer::start(files);
    let err = resolve_model_with("org/old", None, &server.hub(tmp.path(), false))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("404"),
        "{err}"
    );
    assert!(
        err.contains("pytorch_model.bin") && err.contains("save_file"),
        "{err}"
    );
}

#[test]
fn interrupted_download_leaves_nothing_and_a_retry_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tiny_model_dir(tmp.path());
    let server = HubServer::start(tiny_model_files(
        "org/tiny",
        &source,
        &["model.safetensors"],
    ));
    server
        .interrupt_once
        .lock()
        .unwrap()
        .insert("/org/tiny/resolve/main/model.safetensors".to_string());
    let cache = tmp.path().join("cache");
    let hub = server.hub(&cache, false);
    let repo = HubRepo::model("org/tiny");
    let err = hub.get(&repo, "model.safetensors").unwrap_err();
    assert!(matches!(err, HubError::Download { .. }), "{err:?}");
    assert_eq!(hub.cached(&repo, "model.safetensors"), None);
    let repo_dir = cache.join("models--org--tiny");
    let leftovers: Vec<_> = walk(&repo_dir)
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(leftovers.is_empty(), "left in the cache: {leftovers:?}");

    let path = hub.get(&repo, "model.safetensors").unwrap();
    assert_eq!(
        std::fs::read(path).unwrap(),
        std::fs::read(source.join("model.safetensors")).unwrap()
    );
}

#[test]
fn a_download_that_does_not_match_its_checksum_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = HashMap::new();
    let mut served = Served::lfs(b"the real weights".to_vec());
    served.body = b"tampered weights".to_vec();
    files.insert(
        "/org/bad/resolve/main/model.safetensors".to_string(),
        served,
    );
    let server = HubServer::start(files);
    let hub = server.hub(tmp.path(), false);
    let repo = HubRepo::model("org/bad");
    let err = hub.get(&repo, "model.safetensors").unwrap_err();
    assert!(matches!(err, HubError::Corrupt { .. }), "{err:?}");
    assert_eq!(hub.cached(&repo, "model.safetensors"), None);
}

/// Every file (not directory, following no links) under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && !path.is_symlink() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}
