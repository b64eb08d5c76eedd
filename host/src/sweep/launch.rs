//! What both launchers share: their options, how a sweep's launch ended, and the
//! bookkeeping at the end of an attempt (completed, retried or failed).
use std::path::PathBuf;
use std::time::Duration;

use super::attempt;
use super::error::SweepError;
use super::layout::SweepDir;
use super::status::{now, RunState, StatusBook};

/// Which launcher runs the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LauncherKind {
    /// Child processes on this machine (`--jobs` at once).
    #[default]
    Local,
    /// A Slurm job array (`sbatch --array`), followed with `squeue`.
    Slurm,
}

impl LauncherKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LauncherKind::Local => "local",
            LauncherKind::Slurm => "slurm",
        }
    }
}

/// Options of a launch.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// The `clora-host` binary the runs execute (`std::env::current_exe()`).
    pub exe: PathBuf,
    /// Runs at once (0 = no limit; only the Slurm launcher allows it).
    pub jobs: usize,
    /// Retries of a failed run (so at most `retries + 1` attempts per invocation).
    pub retries: u32,
    /// GPU memory a run needs before it starts; `None` = estimated per run.
    pub gpu_memory_mib: Option<u64>,
    /// How often children, GPUs and Slurm are polled.
    pub poll: Duration,
    /// Echo the runs' output, prefixed, to stderr.
    pub echo: bool,
}

/// How a launch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchEnd {
    /// Every run ended (completed or failed).
    Finished,
    /// Stopped by SIGINT/SIGTERM; unfinished runs are `interrupted` or `pending`.
    Interrupted,
}

/// What to do after an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterAttempt {
    Completed,
    Retry(String),
    Failed(String),
    Interrupted,
}

/// Records the end of an attempt in the status file and says what comes next: a
/// successful exit with a completed summary is `completed`; a failure is retried while
/// `tries <= retries`; while the sweep is stopping, an unfinished run is `interrupted`.
pub fn end_attempt(
    dir: &SweepDir,
    book: &StatusBook,
    run: &str,
    exit_code: Option<i32>,
    tries: u32,
    retries: u32,
    stopping: bool,
) -> Result<AfterAttempt, SweepError> {
    attempt::copy_logs(dir, run);
    let verdict = attempt::judge(dir, run, exit_code);
    let after = match verdict {
        Ok(()) => AfterAttempt::Completed,
        Err(_) if stopping => AfterAttempt::Interrupted,
        Err(why) if tries <= retries => AfterAttempt::Retry(why),
        Err(why) => AfterAttempt::Failed(why),
    };
    book.update(run, |r| {
        r.ended = Some(now());
        r.exit_code = exit_code;
        match &after {
            AfterAttempt::Completed => {
                r.state = RunState::Completed;
                r.message = None;
            }
            AfterAttempt::Retry(why) => {
                r.state = RunState::Pending;
                r.message = Some(format!("attempt {} failed, retrying: {why}", r.attempts));
            }
            AfterAttempt::Failed(why) => {
                r.state = RunState::Failed;
                r.message = Some(why.clone());
            }
            AfterAttempt::Interrupted => {
                r.state = RunState::Interrupted;
                r.message = Some("interrupted; continue with --resume".to_string());
            }
        }
    })?;
    Ok(after)
}

/// One line telling how an attempt ended, for the sweep's own log.
pub fn describe(after: &AfterAttempt, tries: u32, retries: u32) -> String {
    match after {
        AfterAttempt::Completed => "completed".to_string(),
        AfterAttempt::Retry(why) => format!(
            "failed (attempt {tries} of {}): {why}; retrying",
            retries + 1
        ),
        AfterAttempt::Failed(why) => format!("failed after {tries} attempt(s): {why}"),
        AfterAttempt::Interrupted => "interrupted".to_string(),
    }
}
