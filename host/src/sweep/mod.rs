//! Sweeps: many training runs from one sweep file, validated up front, launched locally
//! or on Slurm, and summarised in a report.
//!
//! ```text
//! clora-host sweep configs/k-sweep.toml --jobs 2          # local, 2 runs at once
//! clora-host sweep configs/k-sweep.toml --launcher slurm  # one Slurm job array
//! clora-host sweep configs/k-sweep.toml --resume          # only what is missing
//! clora-host sweep report runs/sweeps/k-sweep             # REPORT.md, results.csv, plots
//! ```
//!
//! - [`spec`]: the sweep file (base configs and overrides, matrix, explicit runs);
//! - [`plan`]: every run's configuration resolved with [`crate::config::resolve`] and its
//!   plugins checked, before anything runs;
//! - [`layout`]: the sweep directory; [`status`]: `status.json`;
//! - [`attempt`], [`launch`]: one attempt at a run, retries, what both launchers share;
//! - [`local`] (with [`gpu`], [`logs`], [`signals`]) and [`slurm`]: the launchers;
//! - [`results`], [`report`], [`plot`]: REPORT.md, results.csv and the PNG plots.
pub mod attempt;
mod error;
pub mod gpu;
pub mod launch;
pub mod layout;
pub mod local;
pub mod logs;
pub mod plan;
pub mod plot;
pub mod report;
pub mod results;
pub mod signals;
pub mod slurm;
pub mod spec;
pub mod status;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

pub use error::SweepError;
pub use launch::{LaunchEnd, LaunchOptions, LauncherKind};
pub use layout::SweepDir;
pub use plan::{plan, Plan, PlannedRun, RunInfo};
pub use report::ReportFiles;

use error::io_err;
use results::SavedPlan;
use status::{RunRecord, RunState, StatusBook, SweepStatus};

/// Default retries of a failed run.
pub const DEFAULT_RETRIES: u32 = 1;
/// Default poll interval of the local launcher.
pub const DEFAULT_LOCAL_POLL_MS: u64 = 250;
/// Default poll interval of the Slurm launcher (squeue is not free).
pub const DEFAULT_SLURM_POLL_MS: u64 = 5_000;

/// How to run a planned sweep. `None`s fall back to the sweep file's `[launcher]`, then
/// to the defaults.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub launcher: LauncherKind,
    pub jobs: Option<usize>,
    pub retries: Option<u32>,
    pub gpu_memory_mib: Option<u64>,
    pub poll_ms: Option<u64>,
    /// Continue the sweep in the directory, skipping completed runs.
    pub resume: bool,
    /// The sweep directory (default: the plan's `<output.dir>/sweeps/<name>`).
    pub output_dir: Option<PathBuf>,
    /// The `clora-host` binary the runs execute.
    pub exe: PathBuf,
    /// Echo the runs' output to stderr.
    pub echo: bool,
}

/// How a sweep ended.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    pub dir: PathBuf,
    pub end: LaunchEnd,
    /// Runs skipped because an earlier invocation completed them.
    pub skipped: usize,
    pub report: ReportFiles,
}

impl SweepOutcome {
    pub fn count(&self, state: RunState) -> usize {
        self.report
            .results
            .iter()
            .filter(|r| r.state == state)
            .count()
    }
}

impl SweepOptions {
    /// The sweep directory for `plan`.
    pub fn dir(&self, plan: &Plan) -> SweepDir {
        SweepDir::new(
            self.output_dir
                .clone()
                .unwrap_or_else(|| plan.default_dir.clone()),
        )
    }
}

/// Runs a validated sweep: prepares the directory, launches what is not completed yet,
/// then writes the report.
pub fn run(plan: &Plan, options: &SweepOptions) -> Result<SweepOutcome, SweepError> {
    let dir = options.dir(plan);
    let status = prepare_dir(plan, &dir, options)?;
    let pending: Vec<local::Job> = plan
        .runs
        .iter()
        .enumerate()
        .filter(|(_, run)| {
            status
                .get(&run.info.name)
                .is_none_or(|r| r.state != RunState::Completed)
        })
        .map(|(index, run)| local::Job {
            index,
            info: run.info.clone(),
        })
        .collect();
    let skipped = plan.runs.len() - pending.len();
    if skipped > 0 {
        local::note(&format!(
            "{skipped} of {} runs already completed; running the other {}",
            plan.runs.len(),
            pending.len()
        ));
    }
    let book = StatusBook::new(dir.status_file(), status);
    let launch = launch_options(plan, options);
    let end = if pending.is_empty() {
        LaunchEnd::Finished
    } else {
        match options.launcher {
            LauncherKind::Local => local::run(&dir, &pending, &book, &launch)?,
            LauncherKind::Slurm => {
                slurm::run(&dir, &pending, &book, &launch, &plan.launcher.slurm)?
            }
        }
    };
    let report = report::write(&dir)?;
    Ok(SweepOutcome {
        dir: dir.root().to_path_buf(),
        end,
        skipped,
        report,
    })
}

fn launch_options(plan: &Plan, options: &SweepOptions) -> LaunchOptions {
    let default_poll = match options.launcher {
        LauncherKind::Local => DEFAULT_LOCAL_POLL_MS,
        LauncherKind::Slurm => DEFAULT_SLURM_POLL_MS,
    };
    // Locally one run at a time by default; on Slurm as many as the cluster allows.
    let default_jobs = match options.launcher {
        LauncherKind::Local => 1,
        LauncherKind::Slurm => 0,
    };
    LaunchOptions {
        exe: options.exe.clone(),
        jobs: options.jobs.or(plan.launcher.jobs).unwrap_or(default_jobs),
        retries: options
            .retries
            .or(plan.launcher.retries)
            .unwrap_or(DEFAULT_RETRIES),
        gpu_memory_mib: options.gpu_memory_mib.or(plan.launcher.gpu_memory_mib),
        poll: Duration::from_millis(
            options
                .poll_ms
                .or(plan.launcher.poll_ms)
                .unwrap_or(default_poll)
                .max(10),
        ),
        echo: options.echo,
    }
}

/// Creates (or, with `--resume`, checks) the sweep directory: the sweep file, the plan,
/// every run's resolved config, and the status with completed runs recognised by their
/// summaries.
fn prepare_dir(
    plan: &Plan,
    dir: &SweepDir,
    options: &SweepOptions,
) -> Result<SweepStatus, SweepError> {
    let previous = SweepStatus::load(&dir.status_file())?;
    if previous.is_some() && !options.resume {
        return Err(SweepError::Exists {
            dir: dir.root().to_path_buf(),
        });
    }
    for run in &plan.runs {
        check_unchanged(dir, run)?;
    }
    let root = dir.root();
    std::fs::create_dir_all(root.join("configs")).map_err(io_err("cannot create", root))?;
    std::fs::create_dir_all(root.join("runs")).map_err(io_err("cannot create", root))?;
    std::fs::create_dir_all(root.join("logs")).map_err(io_err("cannot create", root))?;
    let write = |path: PathBuf, bytes: &[u8]| {
        crate::fsutil::write_atomic(&path, bytes).map_err(io_err("cannot write", path))
    };
    write(dir.sweep_toml(), plan.source_text.as_bytes())?;
    let saved = SavedPlan {
        name: plan.name.clone(),
        source: plan.source.display().to_string(),
        base: plan.base.clone(),
        runs: plan.runs.iter().map(|r| r.info.clone()).collect(),
    };
    write(
        dir.plan_file(),
        &serde_json::to_vec_pretty(&saved).unwrap_or_default(),
    )?;
    for run in &plan.runs {
        write(
            dir.config_file(&run.info.name),
            run.resolved.to_toml().as_bytes(),
        )?;
    }
    let mut status = SweepStatus {
        sweep: plan.name.clone(),
        launcher: options.launcher.as_str().to_string(),
        updated: String::new(),
        runs: plan
            .runs
            .iter()
            .map(|run| {
                let name = &run.info.name;
                let mut record = previous
                    .as_ref()
                    .and_then(|p| p.get(name).cloned())
                    .unwrap_or_else(|| RunRecord::new(name));
                record.state = if attempt::summary_completed(dir, name) {
                    RunState::Completed
                } else {
                    RunState::Pending
                };
                record
            })
            .collect(),
    };
    status.save(&dir.status_file())?;
    Ok(status)
}

/// A run directory that already exists must hold the configuration the plan now gives
/// the run; otherwise `--resume` would mix two experiments under one name.
fn check_unchanged(dir: &SweepDir, run: &PlannedRun) -> Result<(), SweepError> {
    let name = &run.info.name;
    let saved = dir.run_dir(name).join(crate::train::run_dir::CONFIG_FILE);
    let Ok(text) = std::fs::read_to_string(&saved) else {
        return Ok(());
    };
    let planned = run.resolved.to_toml();
    if text == planned {
        return Ok(());
    }
    let detail = text
        .lines()
        .zip(planned.lines())
        .find(|(a, b)| a != b)
        .map(|(a, b)| {
            format!(
                "it ran with `{}`, the plan now says `{}`",
                a.trim(),
                b.trim()
            )
        })
        .unwrap_or_else(|| "the files differ in length".to_string());
    Err(SweepError::Changed {
        run: name.clone(),
        dir: dir.run_dir(name),
        detail,
    })
}

/// `--dry-run`: each run with its mode, k, overrides and the command that runs it.
pub fn dry_run_text(plan: &Plan, dir: &SweepDir, options: &SweepOptions) -> String {
    let launch = launch_options(plan, options);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sweep `{}`: {} runs, validated; directory {}; launcher {} ({} at once, {} retries)",
        plan.name,
        plan.runs.len(),
        dir.root().display(),
        options.launcher.as_str(),
        if launch.jobs == 0 {
            "unlimited".to_string()
        } else {
            launch.jobs.to_string()
        },
        launch.retries
    );
    if !plan.base.is_empty() {
        let _ = writeln!(out, "\nevery run ([base]):");
        for o in &plan.base {
            let _ = writeln!(out, "     {o}");
        }
    }
    for (index, run) in plan.runs.iter().enumerate() {
        let info = &run.info;
        let k = info.k.map_or(String::new(), |k| format!(", k {k}"));
        let _ = writeln!(out, "\n{:>3}. {} ({}{k})", index + 1, info.name, info.mode);
        if !info.configs.is_empty() {
            let files: Vec<String> = info
                .configs
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            let _ = writeln!(out, "     configs: {}", files.join(", "));
        }
        if info.overrides.is_empty() {
            let _ = writeln!(out, "     (no overrides of its own)");
        }
        for o in &info.overrides {
            let _ = writeln!(out, "     {o}");
        }
        for (key, value) in &info.env {
            let _ = writeln!(out, "     env {key}={value}");
        }
        let args: Vec<String> = attempt::train_args(dir, &info.name, attempt::AttemptKind::Fresh)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let _ = writeln!(out, "     $ {} {}", options.exe.display(), args.join(" "));
    }
    out
}
