//! A loopback server speaking the Hub's file protocol for dataset repositories
//! (`/datasets/{repo}/resolve/{revision}/{file}`): hf-hub 0.4 first asks for
//! `Range: bytes=0-0` and reads `ETag`, `X-Repo-Commit` and `Content-Range`, then
//! downloads the body; a file list comes from `/api/datasets/{repo}/revision/{revision}`
//! (`siblings[].rfilename`). Files can be added while it runs; a path in
//! `interrupt_once` has its next body cut off half-way. (tests/integration/model/hub_loopback.rs has the same
//! protocol for models; that module is private to the model tests.)
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

pub const COMMIT: &str = "fedcba9876543210fedcba9876543210fedcba98";

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    interrupt_once: HashSet<String>,
}

/// A loopback Hub serving dataset files; the thread ends with the test process.
#[derive(Clone)]
pub struct DatasetHub {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
    requests: Arc<AtomicUsize>,
}

impl DatasetHub {
    pub fn start() -> DatasetHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let hub = DatasetHub {
            endpoint,
            state: Arc::default(),
            requests: Arc::default(),
        };
        let server = hub.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                server.requests.fetch_add(1, Ordering::SeqCst);
                let _ignored = server.serve(stream);
            }
        });
        hub
    }

    /// The URL path of a dataset file at `main`.
    pub fn url_path(repo: &str, file: &str) -> String {
        format!("/datasets/{repo}/resolve/main/{file}")
    }

    pub fn put(&self, repo: &str, file: &str, body: Vec<u8>) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(Self::url_path(repo, file), body);
    }

    pub fn interrupt_next(&self, repo: &str, file: &str) {
        self.state
            .lock()
            .unwrap()
            .interrupt_once
            .insert(Self::url_path(repo, file));
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut range: Option<(usize, Option<usize>)> = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header == "\r\n" {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("range") {
                    let spec = value.trim().trim_start_matches("bytes=");
                    let (a, b) = spec.split_once('-').unwrap_or((spec, ""));
                    range = Some((a.parse().unwrap_or(0), b.parse().ok()));
                }
            }
        }
        let (body, cut) = {
            let mut state = self.state.lock().unwrap();
            let body = state.files.get(&path).cloned();
            let is_body_request = !matches!(range, Some((0, Some(0))));
            let cut = body.is_some() && is_body_request && state.interrupt_once.remove(&path);
            (body, cut)
        };
        let mut out = stream;
        if let Some(repo) = path
            .strip_prefix("/api/datasets/")
            .and_then(|p| p.split("/revision/").next())
        {
            let prefix = format!("/datasets/{repo}/resolve/main/");
            let state = self.state.lock().unwrap();
            let siblings: Vec<serde_json::Value> = state
                .files
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .map(|f| serde_json::json!({ "rfilename": f }))
                .collect();
            let json =
                serde_json::json!({ "id": repo, "sha": COMMIT, "siblings": siblings }).to_string();
            return write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            );
        }
        let Some(body) = body else {
            let text = "Entry not found";
            return write!(
                out,
                "HTTP/1.1 404 Not Found\r\nX-Error-Code: EntryNotFound\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        };
        let len = body.len();
        let (start, end) = match range {
            Some((a, b)) => (
                a.min(len.saturating_sub(1)),
                b.unwrap_or(len - 1).min(len - 1),
            ),
            None => (0, len - 1),
        };
        let part = &body[start..=end];
        write!(
            out,
            "HTTP/1.1 {}\r\nETag: \"{}\"\r\nX-Repo-Commit: {COMMIT}\r\nContent-Range: bytes {start}-{end}/{len}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            if range.is_some() { "206 Partial Content" } else { "200 OK" },
            hex::encode(Sha256::digest(&body)),
            part.len()
        )?;
        if cut {
            out.write_all(&part[..part.len() / 2])?;
            out.flush()?;
            return out.shutdown(std::net::Shutdown::Both);
        }
        out.write_all(part)?;
        out.flush()
    }
}
