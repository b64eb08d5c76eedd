//! The Slurm launcher: the runs still to do are submitted as one job array
//! (`sbatch --array=0-N%jobs`); each array task runs one `clora-host train` with the same
//! arguments as the local launcher. The launcher follows the tasks through marker files
//! the task scripts write (`task-<i>.started`, `task-<i>.exit`) and `squeue` (a task that
//! left the queue without an exit file was cancelled or timed out), so no accounting
//! database is needed. Failed runs are retried in a further array, up to `retries`.
//!
//! Ctrl-C cancels the array's pending tasks and sends SIGINT to the running ones (train
//! checkpoints and stops); `--resume` continues them later.
//!
//! ```text
//! <sweep>/slurm/round-<r>/array.sh        the batch script (#SBATCH lines)
//! <sweep>/slurm/round-<r>/task-<i>.sh     one run: cd, env, train, exit code
//! <sweep>/slurm/round-<r>/task-<i>.out    Slurm's own output of the task
//! ```
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::attempt::{self, AttemptKind};
use super::error::{io_err, SweepError};
use super::launch::{self, AfterAttempt, LaunchEnd, LaunchOptions};
use super::layout::SweepDir;
use super::local::{note, Job};
use super::signals;
use super::spec::SlurmSection;
use super::status::{now, RunState, StatusBook};

/// How long a task may be gone from `squeue` without an exit file before it counts as
/// ended (the file is written just before the task exits).
const EXIT_FILE_GRACE: Duration = Duration::from_secs(10);

/// One array task of a round.
struct Task {
    job: usize,
    index: usize,
    attempt: u32,
    kind: AttemptKind,
    started: bool,
    ended: bool,
}

/// Runs `jobs` as Slurm job arrays until every run completed or failed (or the sweep is
/// interrupted).
pub fn run(
    dir: &SweepDir,
    jobs: &[Job],
    book: &StatusBook,
    options: &LaunchOptions,
    slurm: &SlurmSection,
) -> Result<LaunchEnd, SweepError> {
    let mut todo: Vec<usize> = (0..jobs.len()).collect();
    let mut tries = vec![0u32; jobs.len()];
    let mut round = 0;
    let first_round = next_round(dir);
    while !todo.is_empty() {
        round += 1;
        let round_dir = dir
            .slurm_dir()
            .join(format!("round-{}", first_round + round - 1));
        std::fs::create_dir_all(&round_dir).map_err(io_err("cannot create", &round_dir))?;
        let mut tasks = Vec::new();
        for (index, &job) in todo.iter().enumerate() {
            let name = &jobs[job].info.name;
            let attempt_no = book.record(name).map_or(0, |r| r.attempts) + 1;
            tries[job] += 1;
            let kind = attempt::prepare(dir, name, attempt_no)?;
            let task = Task {
                job,
                index,
                attempt: attempt_no,
                kind,
                started: false,
                ended: false,
            };
            write_task_script(dir, &round_dir, &task, &jobs[job], &options.exe)?;
            tasks.push(task);
        }
        let array = write_array_script(dir, &round_dir, tasks.len(), options.jobs, slurm)?;
        let job_id = submit(&array)?;
        note(&format!(
            "submitted Slurm job array {job_id} ({} task(s)) from {}",
            tasks.len(),
            array.display()
        ));
        for task in &tasks {
            let name = &jobs[task.job].info.name;
            book.update(name, |r| {
                r.state = RunState::Pending;
                r.resumed = task.kind == AttemptKind::Resume;
                r.slurm_job = Some(format!("{job_id}_{}", task.index));
                r.gpu = None;
                r.started = None;
                r.ended = None;
                r.exit_code = None;
            })?;
        }
        let (retry, interrupted) = follow(
            dir, jobs, book, options, &round_dir, &job_id, &mut tasks, &tries,
        )?;
        if interrupted {
            return Ok(LaunchEnd::Interrupted);
        }
        todo = retry;
    }
    Ok(LaunchEnd::Finished)
}

/// The next free round number (a resumed sweep keeps the earlier rounds' files).
fn next_round(dir: &SweepDir) -> usize {
    (1..)
        .find(|r| !dir.slurm_dir().join(format!("round-{r}")).exists())
        .unwrap_or(1)
}

/// Polls the tasks of one array until all ended; returns the jobs to retry and whether
/// the sweep was interrupted.
#[allow(clippy::too_many_arguments)]
fn follow(
    dir: &SweepDir,
    jobs: &[Job],
    book: &StatusBook,
    options: &LaunchOptions,
    round_dir: &Path,
    job_id: &str,
    tasks: &mut [Task],
    tries: &[u32],
) -> Result<(Vec<usize>, bool), SweepError> {
    let mut retry = Vec::new();
    let mut signals_seen = signals::received();
    let mut stopping = false;
    let mut gone_since: Option<Instant> = None;
    loop {
        let received = signals::received();
        if received > signals_seen {
            signals_seen = received;
            note(&format!("interrupt: cancelling Slurm job {job_id} (running tasks get SIGINT and checkpoint)"));
            cancel(job_id, !stopping);
            stopping = true;
        }
        for task in tasks.iter_mut().filter(|t| !t.ended) {
            let name = &jobs[task.job].info.name;
            let marker = |ext: &str| round_dir.join(format!("task-{}.{ext}", task.index));
            if !task.started && marker("started").exists() {
                task.started = true;
                book.update(name, |r| {
                    r.state = RunState::Running;
                    r.attempts = task.attempt;
                    r.started = Some(now());
                })?;
                note(&format!(
                    "{name}: attempt {} ({}) running as Slurm task {job_id}_{}",
                    task.attempt,
                    task.kind.as_str(),
                    task.index
                ));
            }
            let exit = std::fs::read_to_string(marker("exit"))
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok());
            let vanished = gone_since.is_some_and(|t| t.elapsed() >= EXIT_FILE_GRACE);
            if exit.is_none() && !vanished {
                continue;
            }
            task.ended = true;
            if exit.is_none() && !task.started && stopping {
                book.update(name, |r| r.state = RunState::Pending)?;
                continue;
            }
            if !task.started {
                // It ended (or vanished) before this launcher saw it start.
                book.update(name, |r| r.attempts = task.attempt)?;
            }
            if exit.is_none() {
                attempt::append(
                    &dir.log_file(name, "stderr"),
                    format!(
                        "Slurm task {job_id}_{} ended without an exit status (cancelled, timed out or node failure); see {}\n",
                        task.index,
                        marker("out").display()
                    )
                    .as_bytes(),
                )?;
            }
            let after = launch::end_attempt(
                dir,
                book,
                name,
                exit,
                tries[task.job],
                options.retries,
                stopping,
            )?;
            note(&format!(
                "{name}: {}",
                launch::describe(&after, tries[task.job], options.retries)
            ));
            if matches!(after, AfterAttempt::Retry(_)) {
                retry.push(task.job);
            }
        }
        if tasks.iter().all(|t| t.ended) {
            return Ok((retry, stopping));
        }
        if gone_since.is_none() && !in_queue(job_id) {
            gone_since = Some(Instant::now());
        }
        std::thread::sleep(options.poll);
    }
}

/// Whether any task of the array is still pending or running. An `squeue` that fails
/// (the job was purged) counts as "no".
fn in_queue(job_id: &str) -> bool {
    Command::new("squeue")
        .args(["-h", "-j", job_id, "-o", "%i"])
        .output()
        .map(|o| o.status.success() && !String::from_utf8_lossy(&o.stdout).trim().is_empty())
        .unwrap_or(false)
}

/// First call: cancels pending tasks and sends SIGINT to running ones. Later calls
/// cancel everything (SIGTERM, then SIGKILL after Slurm's KillWait).
fn cancel(job_id: &str, gently: bool) {
    let run = |args: &[&str]| {
        if let Err(e) = Command::new("scancel").args(args).status() {
            note(&format!("warning: cannot run scancel: {e}"));
        }
    };
    if gently {
        run(&["--state=PENDING", job_id]);
        run(&["--signal=INT", "--full", job_id]);
    } else {
        run(&[job_id]);
    }
}

/// `sbatch --parsable` → the job id.
fn submit(script: &Path) -> Result<String, SweepError> {
    let output = Command::new("sbatch")
        .arg("--parsable")
        .arg(script)
        .output()
        .map_err(|e| {
            SweepError::Launcher(format!(
                "cannot run sbatch: {e} (is Slurm installed and on PATH?)"
            ))
        })?;
    if !output.status.success() {
        return Err(SweepError::Launcher(format!(
            "sbatch {} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(SweepError::Launcher(format!(
            "sbatch printed no job id: `{}`",
            text.trim()
        )));
    }
    Ok(id)
}

/// The batch script of one array: `#SBATCH` options, then the task's own script.
fn write_array_script(
    dir: &SweepDir,
    round_dir: &Path,
    tasks: usize,
    jobs: usize,
    slurm: &SlurmSection,
) -> Result<PathBuf, SweepError> {
    let name = dir
        .root()
        .file_name()
        .map_or("sweep".into(), |n| n.to_string_lossy().into_owned());
    let throttle = if jobs > 0 {
        format!("%{jobs}")
    } else {
        String::new()
    };
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!("#SBATCH --job-name=clora-{name}"),
        format!("#SBATCH --array=0-{}{throttle}", tasks - 1),
        format!("#SBATCH --output={}/task-%a.out", round_dir.display()),
    ];
    let mut option = |flag: &str, value: &Option<String>| {
        if let Some(v) = value {
            lines.push(format!("#SBATCH --{flag}={v}"));
        }
    };
    option("partition", &slurm.partition);
    option("time", &slurm.time);
    option("cpus-per-task", &slurm.cpus_per_task.map(|c| c.to_string()));
    option("mem", &slurm.mem);
    option("gres", &slurm.gres);
    for extra in &slurm.extra_args {
        lines.push(format!("#SBATCH {extra}"));
    }
    lines.push(format!(
        "exec /bin/bash {}/task-\"$SLURM_ARRAY_TASK_ID\".sh",
        quote(&round_dir.display().to_string())
    ));
    let path = round_dir.join("array.sh");
    std::fs::write(&path, lines.join("\n") + "\n").map_err(io_err("cannot write", &path))?;
    Ok(path)
}

/// One task's script: the run's environment, a start marker, `clora-host train` with
/// its output appended to the run's live logs, SIGINT/SIGTERM forwarded to it as SIGINT
/// (so it checkpoints), and its exit code written last (atomically).
fn write_task_script(
    dir: &SweepDir,
    round_dir: &Path,
    task: &Task,
    job: &Job,
    exe: &Path,
) -> Result<(), SweepError> {
    let (index, kind) = (task.index, task.kind);
    let name = &job.info.name;
    let q = |p: &Path| quote(&p.display().to_string());
    let cwd = std::env::current_dir().map_err(io_err("cannot read", "the working directory"))?;
    let args: Vec<String> = attempt::train_args(dir, name, kind)
        .iter()
        .map(|a| quote(&a.to_string_lossy()))
        .collect();
    let marker = |ext: &str| q(&round_dir.join(format!("task-{index}.{ext}")));
    let mut script = vec![
        "#!/bin/bash".to_string(),
        "set -u".to_string(),
        format!("cd {}", q(&cwd)),
    ];
    for (key, value) in &job.info.env {
        script.push(format!("export {key}={}", quote(value)));
    }
    script.extend([
        format!(
            "header=\"=== attempt {} ({}) started $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) as Slurm task \
             ${{SLURM_ARRAY_JOB_ID:-?}}_${{SLURM_ARRAY_TASK_ID:-?}} ===\"",
            task.attempt,
            kind.as_str()
        ),
        format!(
            "echo \"$header\" >> {}; echo \"$header\" >> {}",
            q(&dir.log_file(name, "stdout")),
            q(&dir.log_file(name, "stderr"))
        ),
        format!("touch {}", marker("started")),
        format!(
            "{} {} >> {} 2>> {} &",
            q(exe),
            args.join(" "),
            q(&dir.log_file(name, "stdout")),
            q(&dir.log_file(name, "stderr"))
        ),
        "pid=$!".to_string(),
        "trap 'kill -INT \"$pid\" 2>/dev/null' INT TERM".to_string(),
        "wait \"$pid\"; code=$?".to_string(),
        "# wait returns early when a trapped signal arrives: wait for the real exit".to_string(),
        "while kill -0 \"$pid\" 2>/dev/null; do wait \"$pid\"; code=$?; done".to_string(),
        format!("echo \"$code\" > {}.tmp && mv {}.tmp {}", marker("exit"), marker("exit"), marker("exit")),
        "exit \"$code\"".to_string(),
    ]);
    let path = round_dir.join(format!("task-{index}.sh"));
    std::fs::write(&path, script.join("\n") + "\n").map_err(io_err("cannot write", &path))
}

/// Single-quotes a word for bash.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_bash() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
