//! The sweep directory:
//!
//! ```text
//! <sweep>/sweep.toml            the sweep file as it was run
//! <sweep>/sweep.json            the planned runs (name, mode, k, overrides)
//! <sweep>/status.json           each run's state, attempts, times (atomic writes)
//! <sweep>/configs/<run>.toml    each run's resolved configuration (what `train` gets)
//! <sweep>/runs/<run>/           each run's run directory (+ stdout.log, stderr.log)
//! <sweep>/logs/<run>.{stdout,stderr}.log   live logs of every attempt
//! <sweep>/attempts/<run>.<n>/   run directories of failed attempts that started over
//! <sweep>/slurm/                job scripts, task lists and exit codes (Slurm launcher)
//! <sweep>/REPORT.md, results.csv, *.png    the report
//! ```
use std::path::{Path, PathBuf};

pub const STATUS_FILE: &str = "status.json";
pub const PLAN_FILE: &str = "sweep.json";
pub const SWEEP_TOML: &str = "sweep.toml";
pub const REPORT_FILE: &str = "REPORT.md";
pub const RESULTS_FILE: &str = "results.csv";

/// Paths inside one sweep directory.
#[derive(Debug, Clone)]
pub struct SweepDir {
    root: PathBuf,
}

impl SweepDir {
    pub fn new(root: impl Into<PathBuf>) -> SweepDir {
        SweepDir { root: root.into() }
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn status_file(&self) -> PathBuf {
        self.root.join(STATUS_FILE)
    }
    pub fn plan_file(&self) -> PathBuf {
        self.root.join(PLAN_FILE)
    }
    pub fn sweep_toml(&self) -> PathBuf {
        self.root.join(SWEEP_TOML)
    }
    pub fn config_file(&self, run: &str) -> PathBuf {
        self.root.join("configs").join(format!("{run}.toml"))
    }
    pub fn run_dir(&self, run: &str) -> PathBuf {
        self.root.join("runs").join(run)
    }
    pub fn summary_file(&self, run: &str) -> PathBuf {
        self.run_dir(run).join(crate::train::run_dir::SUMMARY_FILE)
    }
    /// Live log of a run's stream ("stdout" or "stderr"), all attempts appended.
    pub fn log_file(&self, run: &str, stream: &str) -> PathBuf {
        self.root.join("logs").join(format!("{run}.{stream}.log"))
    }
    pub fn attempts_dir(&self) -> PathBuf {
        self.root.join("attempts")
    }
    pub fn slurm_dir(&self) -> PathBuf {
        self.root.join("slurm")
    }
    pub fn report_file(&self) -> PathBuf {
        self.root.join(REPORT_FILE)
    }
    pub fn results_file(&self) -> PathBuf {
        self.root.join(RESULTS_FILE)
    }
}
