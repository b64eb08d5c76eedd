//! One attempt at a run, as both launchers see it: whether it starts over or continues
//! from a checkpoint, the `train` arguments, and how its end is judged (a run is
//! completed only when it exited successfully *and* left a completed `summary.json`).
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::Path;

use super::error::{io_err, SweepError};
use super::layout::SweepDir;
use super::status::now;
use crate::train::checkpoint;
use crate::train::run_dir::CONFIG_FILE;
use crate::train::summary::{RunStatus, Summary};

/// How an attempt starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// `train --config <sweep>/configs/<run>.toml --output-dir <sweep>/runs/<run>`.
    Fresh,
    /// `train --resume <sweep>/runs/<run>`: the run directory has a checkpoint.
    Resume,
}

impl AttemptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Fresh => "fresh",
            AttemptKind::Resume => "resume",
        }
    }
}

/// Decides how attempt `attempt` (1-based, over all invocations) of `run` starts. A run
/// directory with a config and an intact-looking checkpoint is resumed; any other
/// leftover directory is moved to `attempts/<run>.<n>` so that a fresh start finds the
/// directory empty (and nothing is lost).
pub fn prepare(dir: &SweepDir, run: &str, attempt: u32) -> Result<AttemptKind, SweepError> {
    let run_dir = dir.run_dir(run);
    if !run_dir.exists() {
        return Ok(AttemptKind::Fresh);
    }
    if has_checkpoint(&run_dir) {
        return Ok(AttemptKind::Resume);
    }
    let attempts = dir.attempts_dir();
    fs::create_dir_all(&attempts).map_err(io_err("cannot create", &attempts))?;
    let mut n = attempt.saturating_sub(1).max(1);
    let target = loop {
        let candidate = attempts.join(format!("{run}.{n}"));
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    fs::rename(&run_dir, &target).map_err(io_err("cannot move aside", &run_dir))?;
    Ok(AttemptKind::Fresh)
}

/// Whether a run directory can be continued with `train --resume`.
pub fn has_checkpoint(run_dir: &Path) -> bool {
    run_dir.join(CONFIG_FILE).is_file()
        && !checkpoint::list(&run_dir.join("checkpoints")).is_empty()
}

/// The `train` arguments of an attempt.
pub fn train_args(dir: &SweepDir, run: &str, kind: AttemptKind) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["train".into()];
    match kind {
        AttemptKind::Fresh => {
            args.push("--config".into());
            args.push(dir.config_file(run).into_os_string());
            args.push("--output-dir".into());
            args.push(dir.run_dir(run).into_os_string());
        }
        AttemptKind::Resume => {
            args.push("--resume".into());
            args.push(dir.run_dir(run).into_os_string());
        }
    }
    args
}

/// Appends the attempt's header to both live logs.
pub fn log_header(
    dir: &SweepDir,
    run: &str,
    attempt: u32,
    kind: AttemptKind,
) -> Result<(), SweepError> {
    let line = format!(
        "=== attempt {attempt} ({}) started {} ===\n",
        kind.as_str(),
        now()
    );
    for stream in ["stdout", "stderr"] {
        let path = dir.log_file(run, stream);
        append(&path, line.as_bytes())?;
    }
    Ok(())
}

/// Appends bytes to a file, creating it (and its directory).
pub fn append(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err("cannot create", parent))?;
    }
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(io_err("cannot append to", path))
}

/// Whether the run left a completed `summary.json`.
pub fn summary_completed(dir: &SweepDir, run: &str) -> bool {
    read_summary(&dir.summary_file(run)).is_some_and(|s| s.status == RunStatus::Completed)
}

/// The run's summary, when it exists and parses.
pub fn read_summary(path: &Path) -> Option<Summary> {
    let bytes = fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Copies the live logs into the run directory (`stdout.log`, `stderr.log`), creating it
/// when the attempt left none (train removes the directory of a run that failed before
/// training), so every run directory holds its full logs. A later fresh attempt moves
/// such a directory aside like any other.
pub fn copy_logs(dir: &SweepDir, run: &str) {
    let run_dir = dir.run_dir(run);
    if fs::create_dir_all(&run_dir).is_err() {
        return;
    }
    for stream in ["stdout", "stderr"] {
        let from = dir.log_file(run, stream);
        if from.is_file() {
            let _ = fs::copy(&from, run_dir.join(format!("{stream}.log")));
        }
    }
}

/// The last non-empty line of the run's stderr log: why it failed, usually.
pub fn last_error_line(dir: &SweepDir, run: &str) -> Option<String> {
    let text = fs::read_to_string(dir.log_file(run, "stderr")).ok()?;
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("=== attempt"))
        .map(|l| l.chars().take(500).collect())
}

/// Judges an attempt that has ended: `Ok(())` when completed, else why not.
pub fn judge(dir: &SweepDir, run: &str, exit_code: Option<i32>) -> Result<(), String> {
    let completed = summary_completed(dir, run);
    match exit_code {
        Some(0) if completed => Ok(()),
        Some(0) => Err("exited without a completed summary.json".to_string()),
        Some(code) => Err(last_error_line(dir, run).unwrap_or_else(|| format!("exit code {code}"))),
        None => Err("killed by a signal".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_directories_without_checkpoint_are_moved_aside() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SweepDir::new(tmp.path());
        assert_eq!(prepare(&dir, "a", 1).unwrap(), AttemptKind::Fresh);
        fs::create_dir_all(dir.run_dir("a")).unwrap();
        fs::write(dir.run_dir("a").join(CONFIG_FILE), "x").unwrap();
        assert_eq!(prepare(&dir, "a", 2).unwrap(), AttemptKind::Fresh);
        assert!(!dir.run_dir("a").exists());
        assert!(dir.attempts_dir().join("a.1").join(CONFIG_FILE).is_file());
        fs::create_dir_all(dir.run_dir("a")).unwrap();
        assert_eq!(prepare(&dir, "a", 2).unwrap(), AttemptKind::Fresh);
        assert!(dir.attempts_dir().join("a.2").is_dir());
    }

    #[test]
    fn an_attempt_needs_exit_zero_and_a_summary() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SweepDir::new(tmp.path());
        append(
            &dir.log_file("a", "stderr"),
            b"=== attempt 1 (fresh) ===\nerror: no such file\n\n",
        )
        .unwrap();
        assert_eq!(
            judge(&dir, "a", Some(1)),
            Err("error: no such file".to_string())
        );
        assert_eq!(
            judge(&dir, "a", Some(0)),
            Err("exited without a completed summary.json".to_string())
        );
        assert_eq!(
            judge(&dir, "a", None),
            Err("killed by a signal".to_string())
        );
        let args = train_args(&dir, "a", AttemptKind::Resume);
        assert_eq!(args[0], "train");
        assert_eq!(args[1], "--resume");
    }
}
