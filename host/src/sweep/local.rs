//! The local launcher: up to `jobs` runs at once as child processes of this binary
//! (`clora-host train …`), each in its own process group.
//!
//! - On CUDA a run starts only while a GPU has the memory it needs (see [`super::gpu`]),
//!   pinned to that GPU with `CUDA_VISIBLE_DEVICES`.
//! - Output goes to the run's live logs and, prefixed, to stderr ([`super::logs`]).
//! - A failed run is retried; it never stops the others.
//! - The first SIGINT/SIGTERM is forwarded as SIGINT (train checkpoints and stops), a
//!   second one kills the children; unfinished runs are marked `interrupted`.
use std::collections::{HashSet, VecDeque};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

use super::attempt::{self, AttemptKind};
use super::error::SweepError;
use super::gpu::{self, Gpu, GpuPicker};
use super::launch::{self, AfterAttempt, LaunchEnd, LaunchOptions};
use super::layout::SweepDir;
use super::logs::{self, Echo};
use super::plan::RunInfo;
use super::signals;
use super::status::{now, RunState, StatusBook};

/// How long memory promised to a starting run is counted against its GPU.
const GPU_PROMISE_HOLD: Duration = Duration::from_secs(60);

/// One run to execute, with its position in the sweep (for its colour).
#[derive(Debug, Clone)]
pub struct Job {
    pub index: usize,
    pub info: RunInfo,
}

struct Running {
    job: usize,
    child: Child,
    readers: Vec<JoinHandle<()>>,
    started: Instant,
}

/// Where a run may start now.
enum Slot {
    /// Start it (pinned to this GPU, or not pinned).
    Start(Option<u32>),
    /// Not enough GPU memory yet.
    Wait(String),
}

/// Runs `jobs` to the end (or until interrupted), updating `book`.
pub fn run(
    dir: &SweepDir,
    jobs: &[Job],
    book: &StatusBook,
    options: &LaunchOptions,
) -> Result<LaunchEnd, SweepError> {
    let mut launcher = Local {
        dir,
        jobs,
        book,
        options,
        running: Vec::new(),
        tries: vec![0; jobs.len()],
        gpus: GpuState::detect(jobs, options),
        waiting_logged: HashSet::new(),
    };
    let result = launcher.schedule();
    if result.is_err() {
        launcher.shutdown();
    }
    result
}

struct Local<'a> {
    dir: &'a SweepDir,
    jobs: &'a [Job],
    book: &'a StatusBook,
    options: &'a LaunchOptions,
    running: Vec<Running>,
    /// Attempts started in this invocation, per job.
    tries: Vec<u32>,
    gpus: GpuState,
    waiting_logged: HashSet<usize>,
}

impl Local<'_> {
    fn schedule(&mut self) -> Result<LaunchEnd, SweepError> {
        let mut queue: VecDeque<usize> = (0..self.jobs.len()).collect();
        let mut signals_seen = signals::received();
        let mut stopping = false;
        loop {
            let received = signals::received();
            if received > signals_seen {
                signals_seen = received;
                let signal = if stopping {
                    libc::SIGKILL
                } else {
                    libc::SIGINT
                };
                note(&format!(
                    "{} {} running run(s){}",
                    if stopping {
                        "killing"
                    } else {
                        "interrupt: asking"
                    },
                    self.running.len(),
                    if stopping {
                        ""
                    } else {
                        " to checkpoint and stop (again to kill)"
                    }
                ));
                stopping = true;
                for running in &self.running {
                    signals::signal_group(running.child.id(), signal);
                }
            }
            self.reap(&mut queue, stopping)?;
            if stopping {
                if self.running.is_empty() {
                    return Ok(LaunchEnd::Interrupted);
                }
            } else {
                while self.running.len() < self.options.jobs.max(1) {
                    let Some(&next) = queue.front() else { break };
                    match self.slot(next) {
                        Slot::Wait(why) => {
                            if self.waiting_logged.insert(next) {
                                note(&format!("{}: {why}", self.jobs[next].info.name));
                            }
                            break;
                        }
                        Slot::Start(gpu) => {
                            queue.pop_front();
                            self.start(next, gpu, &mut queue)?;
                        }
                    }
                }
                if queue.is_empty() && self.running.is_empty() {
                    return Ok(LaunchEnd::Finished);
                }
            }
            std::thread::sleep(self.options.poll);
        }
    }

    /// Collects children that exited and decides what follows for each.
    fn reap(&mut self, queue: &mut VecDeque<usize>, stopping: bool) -> Result<(), SweepError> {
        let mut i = 0;
        while i < self.running.len() {
            let exit = match self.running[i].child.try_wait() {
                Ok(None) => {
                    i += 1;
                    continue;
                }
                Ok(Some(status)) => status.code(),
                Err(_) => None,
            };
            let mut done = self.running.swap_remove(i);
            for reader in done.readers.drain(..) {
                let _ = reader.join();
            }
            let job = &self.jobs[done.job];
            let tries = self.tries[done.job];
            let after = launch::end_attempt(
                self.dir,
                self.book,
                &job.info.name,
                exit,
                tries,
                self.options.retries,
                stopping,
            )?;
            note(&format!(
                "{}: {} ({:.1} s)",
                job.info.name,
                launch::describe(&after, tries, self.options.retries),
                done.started.elapsed().as_secs_f64()
            ));
            if matches!(after, AfterAttempt::Retry(_)) {
                queue.push_back(done.job);
            }
        }
        Ok(())
    }

    /// Whether job `next` can start now, and on which GPU.
    fn slot(&mut self, next: usize) -> Slot {
        let info = &self.jobs[next].info;
        let GpuState::Available(picker) = &mut self.gpus else {
            return Slot::Start(None);
        };
        if info.device == "cpu" {
            return Slot::Start(None);
        }
        let need = self
            .options
            .gpu_memory_mib
            .unwrap_or_else(|| gpu::estimate_mib(info));
        let gpus: Vec<Gpu> = match gpu::query() {
            Ok(gpus) if !gpus.is_empty() => gpus,
            Ok(_) => return Slot::Start(None),
            Err(e) => return Slot::Wait(format!("cannot query GPUs ({e}); waiting")),
        };
        let wanted = gpu::requested_index(&info.device);
        match picker.pick(&gpus, need, wanted) {
            Some(index) => Slot::Start(Some(index)),
            None => Slot::Wait(format!(
                "waiting for {need} MiB of free GPU memory (free now: {})",
                gpus.iter()
                    .map(|g| format!("GPU {} {} MiB", g.index, g.free_mib))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn start(
        &mut self,
        job_index: usize,
        gpu: Option<u32>,
        queue: &mut VecDeque<usize>,
    ) -> Result<(), SweepError> {
        let job = &self.jobs[job_index];
        let name = job.info.name.as_str();
        let attempt_no = self.book.record(name).map_or(0, |r| r.attempts) + 1;
        self.tries[job_index] += 1;
        let kind = attempt::prepare(self.dir, name, attempt_no)?;
        attempt::log_header(self.dir, name, attempt_no, kind)?;
        let mut command = Command::new(&self.options.exe);
        command
            .args(attempt::train_args(self.dir, name, kind))
            .envs(&job.info.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // `cuda:N` runs keep their device; others are pinned to the GPU picked for them.
        let pinned = gpu.filter(|_| gpu::requested_index(&job.info.device).is_none());
        if let Some(index) = pinned {
            command
                .env("CUDA_VISIBLE_DEVICES", index.to_string())
                .env("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
        }
        self.book.update(name, |r| {
            r.state = RunState::Running;
            r.attempts = attempt_no;
            r.started = Some(now());
            r.ended = None;
            r.exit_code = None;
            r.resumed = kind == AttemptKind::Resume;
            r.gpu = gpu;
            r.slurm_job = None;
        })?;
        let pin_text = pinned.map_or(String::new(), |g| format!(" on GPU {g}"));
        note(&format!(
            "{name}: attempt {attempt_no} ({}){pin_text}",
            kind.as_str()
        ));
        let echo = Echo::new(name, job.index, self.options.echo);
        match command.spawn() {
            Ok(mut child) => {
                let mut readers = Vec::new();
                if let Some(out) = child.stdout.take() {
                    readers.push(logs::forward(
                        out,
                        &self.dir.log_file(name, "stdout"),
                        echo.clone(),
                    ));
                }
                if let Some(err) = child.stderr.take() {
                    readers.push(logs::forward(err, &self.dir.log_file(name, "stderr"), echo));
                }
                self.running.push(Running {
                    job: job_index,
                    child,
                    readers,
                    started: Instant::now(),
                });
            }
            Err(e) => {
                attempt::append(
                    &self.dir.log_file(name, "stderr"),
                    format!("cannot start {}: {e}\n", self.options.exe.display()).as_bytes(),
                )?;
                let tries = self.tries[job_index];
                let after = launch::end_attempt(
                    self.dir,
                    self.book,
                    name,
                    Some(-1),
                    tries,
                    self.options.retries,
                    false,
                )?;
                note(&format!(
                    "{name}: {}",
                    launch::describe(&after, tries, self.options.retries)
                ));
                if matches!(after, AfterAttempt::Retry(_)) {
                    queue.push_back(job_index);
                }
            }
        }
        Ok(())
    }

    /// Stops every child (after an error in the launcher itself).
    fn shutdown(&mut self) {
        for running in &self.running {
            signals::signal_group(running.child.id(), libc::SIGINT);
        }
        for running in &mut self.running {
            let _ = running.child.wait();
            for reader in running.readers.drain(..) {
                let _ = reader.join();
            }
        }
        self.running.clear();
    }
}

/// Whether runs are scheduled by GPU memory.
enum GpuState {
    /// No GPU (or only CPU runs): runs start as slots free up.
    Absent,
    Available(GpuPicker),
}

impl GpuState {
    fn detect(jobs: &[Job], options: &LaunchOptions) -> GpuState {
        if jobs.iter().all(|j| j.info.device == "cpu") {
            return GpuState::Absent;
        }
        match gpu::query() {
            Ok(gpus) if !gpus.is_empty() => {
                let list: Vec<String> = gpus
                    .iter()
                    .map(|g| {
                        format!(
                            "GPU {} ({} of {} MiB free)",
                            g.index, g.free_mib, g.total_mib
                        )
                    })
                    .collect();
                let need = match options.gpu_memory_mib {
                    Some(mib) => format!("{mib} MiB per run (--gpu-memory)"),
                    None => {
                        "an estimate per run from model size and batch (--gpu-memory to set it)"
                            .to_string()
                    }
                };
                note(&format!(
                    "{}; a run starts when a GPU has {need}",
                    list.join(", ")
                ));
                GpuState::Available(GpuPicker::new(GPU_PROMISE_HOLD))
            }
            Ok(_) => GpuState::Absent,
            Err(e) => {
                note(&format!("warning: {e}; runs are not pinned to GPUs"));
                GpuState::Absent
            }
        }
    }
}

/// A line of the sweep's own log (stderr).
pub fn note(message: &str) {
    eprintln!("sweep: {message}");
}
