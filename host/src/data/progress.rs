//! Progress of long data work on stderr: an indicatif bar with rows/s and ETA when stderr
//! is a terminal, plain lines otherwise (one every [`LINE_INTERVAL`] while a task runs,
//! one at its end), or nothing at all.
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain progress line is printed during one task.
pub const LINE_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Hidden,
    Lines,
    Bar,
}

/// Where progress and notes go.
#[derive(Debug, Clone)]
pub struct Progress {
    mode: Mode,
}

impl Progress {
    /// A bar when stderr is a terminal, plain lines otherwise.
    pub fn auto() -> Progress {
        let mode = if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        };
        Progress { mode }
    }

    /// Plain lines on stderr.
    pub fn lines() -> Progress {
        Progress { mode: Mode::Lines }
    }

    /// Nothing (tests, library callers that log themselves).
    pub fn hidden() -> Progress {
        Progress { mode: Mode::Hidden }
    }

    /// A note such as the bad-row summary (printed above a running bar).
    pub fn note(&self, message: &str) {
        if self.mode != Mode::Hidden {
            eprintln!("{message}");
        }
    }

    /// Starts a task measured in bytes of source (`total` = 0 when unknown).
    pub fn task(&self, label: &str, total: u64) -> ProgressTask {
        let bar = (self.mode == Mode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>16} [{bar:30}] {percent:>3}% {msg} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar
        });
        let now = Instant::now();
        ProgressTask {
            mode: self.mode,
            label: label.to_string(),
            bar,
            total,
            started: now,
            last_line: now,
        }
    }
}

/// One running task (a split being preprocessed or tokenized).
pub struct ProgressTask {
    mode: Mode,
    label: String,
    bar: Option<ProgressBar>,
    total: u64,
    started: Instant,
    last_line: Instant,
}

impl ProgressTask {
    /// `done` bytes of `total` processed, `rows` rows so far.
    pub fn update(&mut self, done: u64, rows: u64) {
        let rate = rows as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        match self.mode {
            Mode::Bar => {
                if let Some(bar) = &self.bar {
                    bar.set_position(done.min(self.total));
                    bar.set_message(format!("{rows} rows, {rate:.0} rows/s"));
                }
            }
            Mode::Lines if self.last_line.elapsed() >= LINE_INTERVAL => {
                self.last_line = Instant::now();
                let percent = 100.0 * done as f64 / self.total.max(1) as f64;
                eprintln!(
                    "{}: {rows} rows ({rate:.0} rows/s), {percent:.0}%",
                    self.label
                );
            }
            _ => {}
        }
    }

    /// Ends the task with a one-line summary; the elapsed time is appended.
    pub fn finish(self, summary: &str) {
        let secs = self.started.elapsed().as_secs_f64();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.mode != Mode::Hidden {
            eprintln!("{}: {summary} in {secs:.2} s", self.label);
        }
    }
}
