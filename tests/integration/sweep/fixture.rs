//! A sweep fixture: a tempdir with a tiny random GPT-2 and small synthetic datasets (no
//! ../shared, no network), sweep files over them, and helpers to run `clora-host sweep`
//! and read what it wrote.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use clora_host::data::synthetic::{write_demo_dataset, DemoSizes};
use clora_host::model::tiny::{write_tiny_model, TinySpec};
use clora_host::sweep::status::{RunRecord, RunState, SweepStatus};

use crate::support::{host_binary, plugin_wasm, repo_root};

pub struct Fixture {
    pub tmp: tempfile::TempDir,
}

impl Fixture {
    /// Writes the model and the data (a second or so).
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        write_tiny_model(&tmp.path().join("model"), &TinySpec::default(), 11).unwrap();
        let sizes = DemoSizes {
            train: 48,
            validation: 16,
            boolq: 16,
            arc: 16,
            hellaswag: 16,
        };
        write_demo_dataset(&tmp.path().join("data"), 11, sizes).unwrap();
        Fixture { tmp }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The sweep directory the tests use.
    pub fn sweep_dir(&self) -> PathBuf {
        self.path().join("sweep")
    }

    /// A sweep file: configs/local.toml, the tiny model and data, very short training on
    /// the CPU (`max_steps` steps of 8 examples), then `runs` (TOML `[[runs]]` entries).
    pub fn sweep_file(&self, name: &str, max_steps: u32, runs: &str) -> PathBuf {
        let p = |path: &Path| format!("{:?}", path.display().to_string());
        let text = format!(
            r#"name = "{name}"
configs = [{local}]

[base]
device = "cpu"
"model.source" = {model}
"data.root" = {data}
"data.cache_dir" = {cache}
"data.max_length" = 64
"data.train.max_examples" = 32
"train.batch_size" = 8
"train.lr" = 5e-3
"train.max_steps" = {max_steps}
"train.max_eval_samples" = 16
"train.eval_batch_size" = 16
"train.log_every" = 1

{runs}
"#,
            local = p(&repo_root().join("configs/local.toml")),
            model = p(&self.path().join("model")),
            data = p(&self.path().join("data")),
            cache = p(&self.path().join("cache")),
        );
        let path = self.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `clora-host sweep FILE <args> --output-dir <sweep dir>`, run in the repository
    /// root (where the preprocessors' default paths, plugins/<dataset>.wasm, resolve);
    /// everything it writes goes to the tempdir.
    pub fn command(&self, file: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(host_binary());
        command
            .current_dir(repo_root())
            .arg("sweep")
            .arg(file)
            .args(args)
            .arg("--output-dir")
            .arg(self.sweep_dir());
        command
    }

    pub fn sweep(&self, file: &Path, args: &[&str]) -> Output {
        self.command(file, args).output().unwrap()
    }

    pub fn spawn(&self, file: &Path, args: &[&str], envs: &[(&str, String)]) -> Child {
        let mut command = self.command(file, args);
        command.envs(envs.iter().map(|(k, v)| (*k, v.as_str())));
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub fn status(&self) -> Option<SweepStatus> {
        SweepStatus::load(&self.sweep_dir().join("status.json"))
            .ok()
            .flatten()
    }

    pub fn record(&self, run: &str) -> RunRecord {
        self.status()
            .unwrap()
            .get(run)
            .cloned()
            .unwrap_or_else(|| panic!("no record for {run}"))
    }

    /// Waits (up to `limit`) until `ready` holds for the status file, while `sweep` runs.
    pub fn wait_for(
        &self,
        sweep: &mut Child,
        limit: Duration,
        what: &str,
        ready: impl Fn(&SweepStatus) -> bool,
    ) {
        let start = Instant::now();
        loop {
            if self.status().is_some_and(|s| ready(&s)) {
                return;
            }
            if let Ok(Some(exit)) = sweep.try_wait() {
                panic!(
                    "the sweep ended ({exit}) before {what}: {:?}",
                    self.status()
                );
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for {what}: {:?}",
                self.status()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn run_dir(&self, run: &str) -> PathBuf {
        self.sweep_dir().join("runs").join(run)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.sweep_dir().join(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"))
    }
}

/// A plugin path as a TOML string.
pub fn wasm(name: &str) -> String {
    format!("{:?}", plugin_wasm(name).display().to_string())
}

/// The four runs of the small test sweep: CLoRA k ∈ {2, 8}, LoRA, LoRA + PCA gradient.
pub fn four_runs() -> String {
    format!(
        r#"[[runs]]
name = "clora"
set = {{ "regularizer.path" = {clora}, "regularizer.lambda" = 0.1 }}
matrix = {{ "regularizer.k" = [2, 8] }}

[[runs]]
name = "lora"

[[runs]]
name = "lora-pca"
set = {{ "grad_processor.path" = {pca}, "grad_processor.components" = 2 }}
"#,
        clora = wasm("clora"),
        pca = wasm("pca-grad")
    )
}

pub fn text(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every record in `state`.
pub fn all_in(status: &SweepStatus, state: RunState) -> bool {
    status.runs.iter().all(|r| r.state == state)
}

/// Parses results.csv into a header and rows of cells (no quoting in these tests).
pub fn csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// A PNG's (width, height) after checking its signature and IHDR chunk.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (width, height)
}

/// Parses an RFC 3339 time of the status file.
pub fn time(text: &Option<String>) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(text.as_deref().expect("a time")).unwrap()
}
