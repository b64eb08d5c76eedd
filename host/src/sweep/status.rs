//! `status.json`: the state of every run of a sweep, rewritten atomically
//! ([`fsutil::write_atomic`]) whenever a run starts or ends, so that another process (or
//! a person) can follow the sweep and `--resume` knows what is left.
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};

use super::error::{io_err, SweepError};
use crate::fsutil;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Not started yet (or waiting for a retry, a GPU, a Slurm node).
    Pending,
    Running,
    /// Exited successfully with a `summary.json`.
    Completed,
    /// Failed on every attempt (or exited without a summary).
    Failed,
    /// Stopped by Ctrl-C / SIGTERM; `--resume` continues it from its checkpoint.
    Interrupted,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Running => "running",
            RunState::Completed => "completed",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
        }
    }
}

/// One run's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub name: String,
    pub state: RunState,
    /// Attempts started, over every invocation of the sweep.
    pub attempts: u32,
    /// RFC 3339 times of the latest attempt.
    pub started: Option<String>,
    pub ended: Option<String>,
    /// Exit code of the latest attempt (none when killed by a signal).
    pub exit_code: Option<i32>,
    /// Whether the latest attempt continued from a checkpoint (`train --resume`).
    #[serde(default)]
    pub resumed: bool,
    /// The GPU the latest attempt was pinned to (`CUDA_VISIBLE_DEVICES`).
    pub gpu: Option<u32>,
    /// Slurm job id of the latest attempt (`<array job>_<task>`).
    pub slurm_job: Option<String>,
    /// Why the latest attempt failed (the last line of its stderr).
    pub message: Option<String>,
}

impl RunRecord {
    pub fn new(name: &str) -> RunRecord {
        RunRecord {
            name: name.to_string(),
            state: RunState::Pending,
            attempts: 0,
            started: None,
            ended: None,
            exit_code: None,
            resumed: false,
            gpu: None,
            slurm_job: None,
            message: None,
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepStatus {
    pub sweep: String,
    pub launcher: String,
    pub updated: String,
    pub runs: Vec<RunRecord>,
}

impl SweepStatus {
    /// Reads `status.json`; `None` when there is none.
    pub fn load(path: &Path) -> Result<Option<SweepStatus>, SweepError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| SweepError::Io {
                    what: "cannot parse",
                    path: path.to_path_buf(),
                    source: std::io::Error::other(e),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("cannot read", path)(e)),
        }
    }

    pub fn save(&mut self, path: &Path) -> Result<(), SweepError> {
        self.updated = now();
        let json = serde_json::to_vec_pretty(self).map_err(|e| SweepError::Io {
            what: "cannot serialize",
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        fsutil::write_atomic(path, &json).map_err(io_err("cannot write", path))
    }

    pub fn get(&self, run: &str) -> Option<&RunRecord> {
        self.runs.iter().find(|r| r.name == run)
    }

    pub fn count(&self, state: RunState) -> usize {
        self.runs.iter().filter(|r| r.state == state).count()
    }
}

/// The current time as RFC 3339 (UTC, milliseconds).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The status shared by a launcher's threads: every update is written at once.
pub struct StatusBook {
    path: PathBuf,
    status: Mutex<SweepStatus>,
}

impl StatusBook {
    pub fn new(path: PathBuf, status: SweepStatus) -> StatusBook {
        StatusBook {
            path,
            status: Mutex::new(status),
        }
    }

    /// Changes one run's record and writes the file.
    pub fn update(&self, run: &str, change: impl FnOnce(&mut RunRecord)) -> Result<(), SweepError> {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(record) = status.runs.iter_mut().find(|r| r.name == run) {
            change(record);
        }
        status.save(&self.path)
    }

    pub fn snapshot(&self) -> SweepStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn record(&self, run: &str) -> Option<RunRecord> {
        self.snapshot().get(run).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        assert_eq!(SweepStatus::load(&path).unwrap(), None);
        let status = SweepStatus {
            sweep: "s".into(),
            launcher: "local".into(),
            updated: String::new(),
            runs: vec![RunRecord::new("a"), RunRecord::new("b")],
        };
        let book = StatusBook::new(path.clone(), status);
        book.update("b", |r| {
            r.state = RunState::Failed;
            r.attempts = 2;
        })
        .unwrap();
        let loaded = SweepStatus::load(&path).unwrap().unwrap();
        assert_eq!(loaded.get("a").unwrap().state, RunState::Pending);
        assert_eq!(loaded.get("b").unwrap().state, RunState::Failed);
        assert_eq!(loaded.get("b").unwrap().attempts, 2);
        assert_eq!(loaded.count(RunState::Failed), 1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"state\": \"failed\""), "{text}");
    }
}
