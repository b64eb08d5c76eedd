//! `clora-host sweep`: run many trainings from one sweep file (validated first), locally
//! or as a Slurm job array, and write the report; `sweep report DIR` regenerates it.
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use crate::sweep::status::RunState;
use crate::sweep::{self, report, signals, LaunchEnd, LauncherKind, SweepDir, SweepOptions};

/// Run a sweep: every run's config is validated before anything starts.
///
/// Examples:
///   clora-host sweep configs/k-sweep.toml --dry-run          # list runs and overrides
///   clora-host sweep configs/k-sweep.toml --jobs 2           # two runs at once
///   clora-host sweep configs/k-sweep.toml --resume           # only what is missing
///   clora-host sweep configs/k-sweep.toml --launcher slurm   # one Slurm job array
///   clora-host sweep report runs/sweeps/k-sweep              # REPORT.md, results.csv, plots
///
/// The sweep directory (default <output.dir>/sweeps/<name>) holds status.json, each
/// run's directory under runs/, live logs under logs/, and the report.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    /// The sweep file (see configs/k-sweep.toml).
    #[arg(value_name = "FILE.toml", required = true)]
    pub file: Option<PathBuf>,
    /// Override a config key in every run, applied after the sweep file, e.g.
    /// `--set data.root=../shared/data` or `--set device=cuda`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Runs at once (local default 1; on Slurm, the array's %N throttle, default none).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Where runs execute.
    #[arg(long, value_enum, default_value_t = LauncherArg::Local)]
    pub launcher: LauncherArg,
    /// Continue the sweep in its directory: completed runs are skipped, interrupted ones
    /// continue from their checkpoints.
    #[arg(long)]
    pub resume: bool,
    /// Validate and list each run with its overrides; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The sweep directory (default <output.dir>/sweeps/<name>).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Retries of a failed run (default 1).
    #[arg(long, value_name = "R")]
    pub retries: Option<u32>,
    /// GPU memory a run needs before it starts, in MiB (default: estimated from the
    /// model size and batch).
    #[arg(long, value_name = "MIB")]
    pub gpu_memory: Option<u64>,
    /// Only regenerate the report of this sweep's directory.
    #[arg(long, conflicts_with_all = ["resume", "dry_run"])]
    pub report_only: bool,
    /// Do not echo the runs' output (it still goes to the logs).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Regenerate REPORT.md, results.csv and the plots of a sweep directory.
    Report {
        #[arg(value_name = "SWEEP_DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LauncherArg {
    /// Child processes on this machine.
    Local,
    /// A Slurm job array (sbatch, squeue, scancel on PATH).
    Slurm,
}

pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    if let Some(SweepCommand::Report { dir }) = &args.command {
        return write_report(&SweepDir::new(dir.clone()));
    }
    let file = args.file.clone().context("a sweep file is required")?;
    let plan = sweep::plan(&file, &args.sets)
        .with_context(|| format!("invalid sweep {}", file.display()))?;
    let options = SweepOptions {
        launcher: match args.launcher {
            LauncherArg::Local => LauncherKind::Local,
            LauncherArg::Slurm => LauncherKind::Slurm,
        },
        jobs: args.jobs,
        retries: args.retries,
        gpu_memory_mib: args.gpu_memory,
        poll_ms: None,
        resume: args.resume,
        output_dir: args.output_dir.clone(),
        exe: std::env::current_exe().context("cannot find the clora-host binary")?,
        echo: !args.quiet,
    };
    let dir = options.dir(&plan);
    if args.report_only {
        return write_report(&dir);
    }
    if args.dry_run {
        print!("{}", sweep::dry_run_text(&plan, &dir, &options));
        return Ok(());
    }
    signals::install();
    let outcome = sweep::run(&plan, &options)?;
    let total = outcome.report.results.len();
    let (completed, failed) = (
        outcome.count(RunState::Completed),
        outcome.count(RunState::Failed),
    );
    eprintln!(
        "sweep: {total} runs: {completed} completed ({} skipped as already done), {failed} failed",
        outcome.skipped
    );
    print_files(&outcome.report, &outcome.dir);
    if outcome.end == LaunchEnd::Interrupted {
        let sets: String = args.sets.iter().map(|s| format!(" --set {s}")).collect();
        anyhow::bail!(
            "interrupted with {} run(s) unfinished; continue with: clora-host sweep {} --resume --output-dir {}{sets}",
            total - completed - failed,
            file.display(),
            outcome.dir.display()
        );
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {total} runs failed (see {})",
            outcome.report.report.display()
        );
    }
    Ok(())
}

fn write_report(dir: &SweepDir) -> anyhow::Result<()> {
    let files = report::write(dir)?;
    print_files(&files, dir.root());
    Ok(())
}

fn print_files(files: &report::ReportFiles, dir: &std::path::Path) {
    println!("SWEEP_DIR: {}", dir.display());
    println!("REPORT_FILE: {}", files.report.display());
    println!("RESULTS_FILE: {}", files.csv.display());
    for plot in &files.plots {
        println!("PLOT: {}", plot.display());
    }
}
