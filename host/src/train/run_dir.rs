//! The run directory: resolved config, `train.log`, `metrics.jsonl`, `summary.json`,
//! `adapter/`, `best/` and `checkpoints/`. Log lines go to stderr and to `train.log`;
//! metrics lines are flushed one by one, so a crash loses none that were logged.
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::fsutil;

pub const CONFIG_FILE: &str = "config.toml";
pub const SUMMARY_FILE: &str = "summary.json";
pub const METRICS_FILE: &str = "metrics.jsonl";
pub const LOG_FILE: &str = "train.log";

/// An open run directory.
pub struct RunDir {
    root: PathBuf,
    log: Arc<Mutex<File>>,
    metrics: Mutex<BufWriter<File>>,
    echo: bool,
}

impl RunDir {
    /// Creates `<runs_root>/<name>-<UTC timestamp>` (or `explicit` when given). An
    /// explicit directory must be empty or absent, so no earlier run is overwritten.
    pub fn create(runs_root: &Path, name: &str, explicit: Option<&Path>) -> io::Result<RunDir> {
        let root = match explicit {
            Some(dir) => {
                if dir.is_dir() && fs::read_dir(dir)?.next().is_some() {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "output directory {} is not empty (use --resume {} to continue that run, or choose another --output-dir)",
                            dir.display(),
                            dir.display()
                        ),
                    ));
                }
                dir.to_path_buf()
            }
            None => unique_dir(runs_root, name)?,
        };
        fs::create_dir_all(root.join("checkpoints"))?;
        Self::open(root)
    }

    /// Opens an existing run directory to append to it (resume, eval).
    pub fn open(root: PathBuf) -> io::Result<RunDir> {
        let append = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(root.join(name))
        };
        Ok(RunDir {
            log: Arc::new(Mutex::new(append(LOG_FILE)?)),
            metrics: Mutex::new(BufWriter::new(append(METRICS_FILE)?)),
            root,
            echo: true,
        })
    }

    /// Stops echoing log lines to stderr (they still go to `train.log`).
    pub fn quiet(mut self) -> Self {
        self.echo = false;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }
    pub fn adapter(&self) -> PathBuf {
        self.root.join("adapter")
    }
    pub fn best_adapter(&self) -> PathBuf {
        self.root.join("best")
    }
    pub fn summary_path(&self) -> PathBuf {
        self.root.join(SUMMARY_FILE)
    }

    /// A timestamped line to `train.log` (and stderr).
    pub fn log(&self, message: &str) {
        let line = format!(
            "{} {message}",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        if self.echo {
            eprintln!("{message}");
        }
        if let Ok(mut file) = self.log.lock() {
            // A failing log write must not stop training; metrics and summary report errors.
            let _ = writeln!(file, "{line}");
        }
    }

    /// A sink for plugins' `host.log` lines: `[plugin NAME] LEVEL: message` to stderr
    /// and `train.log`.
    pub fn plugin_log_sink(&self) -> crate::plugin::LogSink {
        let log = self.log.clone();
        let echo = self.echo;
        Arc::new(move |plugin, level, message| {
            let text = format!("[plugin {plugin}] {level}: {message}");
            if echo {
                eprintln!("{text}");
            }
            if let Ok(mut file) = log.lock() {
                let _ = writeln!(
                    file,
                    "{} {text}",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
                );
            }
        })
    }

    /// Appends one JSON line to `metrics.jsonl` and flushes it.
    pub fn metric(&self, record: &impl Serialize) -> io::Result<()> {
        let mut out = self.metrics.lock().expect("metrics lock");
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// Writes a file in the run directory atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        fsutil::write_atomic(&self.root.join(name), bytes)
    }

    /// Writes `summary.json` atomically.
    pub fn write_summary(&self, summary: &impl Serialize) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(summary).map_err(io::Error::other)?;
        self.write(SUMMARY_FILE, &json)
    }
}

fn unique_dir(runs_root: &Path, name: &str) -> io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    for n in 0u32.. {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let dir = runs_root.join(format!("{name}-{stamp}{suffix}"));
        match fs::create_dir_all(runs_root).and_then(|_| fs::create_dir(&dir)) {
            Ok(()) => return Ok(dir),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    unreachable!("u32 range of suffixes exhausted")
}

/// The most recently modified run directory under `runs_root` that has a summary.
pub fn latest_run(runs_root: &Path) -> Option<PathBuf> {
    fs::read_dir(runs_root)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(SUMMARY_FILE).is_file())
        .max_by_key(|p| {
            fs::metadata(p.join(SUMMARY_FILE))
                .and_then(|m| m.modified())
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_unique_dirs_and_refuses_non_empty_explicit_dir() {
        let root = tempfile::tempdir().unwrap();
        let a = RunDir::create(root.path(), "demo", None).unwrap().quiet();
        let b = RunDir::create(root.path(), "demo", None).unwrap().quiet();
        assert_ne!(a.root(), b.root());
        assert!(a.root().join("checkpoints").is_dir());
        a.log("hello");
        a.metric(&serde_json::json!({"step": 1})).unwrap();
        assert!(fs::read_to_string(a.root().join(LOG_FILE))
            .unwrap()
            .ends_with("hello\n"));
        assert_eq!(
            fs::read_to_string(a.root().join(METRICS_FILE)).unwrap(),
            "{\"step\":1}\n"
        );
        let err = RunDir::create(root.path(), "x", Some(a.root()))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("is not empty (use --resume"), "{err}");
    }
}
