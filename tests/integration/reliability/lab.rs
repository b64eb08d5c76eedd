//! Shared setup of the reliability tests: fixture components (built on first use), a
//! "lab" directory tree holding a tiny GPT-2, a small synthetic dataset, the caches and
//! the process's HOME / TMPDIR / working directory, the `train` command over it, and
//! helpers to inspect what a run left behind.
#![allow(dead_code)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::SystemTime;

use clora_host::data::synthetic::{write_demo_dataset, DemoSizes};
use clora_host::model::tiny::{write_tiny_model, TinySpec};
use serde_json::Value;

use crate::support::{host_binary, repo_root};

/// `plugins/fixtures/<name>.wasm`, rebuilt first when missing or older than its
/// sources (its crate, `fx-abi`, `wit/`). The build runs in plugins/ with its own target
/// dir; the component is replaced atomically, so a concurrent reader sees the old or
/// the new file, never half of one.
pub fn fixture(name: &str) -> PathBuf {
    static BUILD: Mutex<()> = Mutex::new(());
    let plugins = repo_root().join("plugins");
    let wasm = plugins.join("fixtures").join(format!("{name}.wasm"));
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let built = std::fs::metadata(&wasm).and_then(|m| m.modified()).ok();
    let sources = [
        plugins.join("fixtures").join(name),
        plugins.join("fixtures").join("fx-abi"),
        repo_root().join("wit"),
    ];
    let newest = sources.iter().map(|s| newest_mtime(s)).max().unwrap();
    if built.is_some_and(|built| built >= newest) {
        return wasm;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(&cargo)
        .current_dir(&plugins)
        .env_remove("CARGO_TARGET_DIR")
        .args(["build", "--release", "--quiet", "-p", name])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        output.status.success(),
        "building fixture {name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let artifact = plugins
        .join("target/wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    let tmp = wasm.with_extension(format!("wasm.{}.tmp", std::process::id()));
    std::fs::copy(&artifact, &tmp).unwrap_or_else(|e| panic!("{}: {e}", artifact.display()));
    std::fs::rename(&tmp, &wasm).unwrap();
    wasm
}

fn newest_mtime(path: &Path) -> SystemTime {
    let Ok(meta) = std::fs::metadata(path) else {
        return SystemTime::UNIX_EPOCH;
    };
    let own = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    if !meta.is_dir() {
        return own;
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| newest_mtime(&entry.path()))
        .fold(own, SystemTime::max)
}

/// Rows per synthetic file: 40 CSQA train rows → 80 examples → 10 batches of 8.
pub const SIZES: DemoSizes = DemoSizes {
    train: 40,
    validation: 12,
    boolq: 8,
    arc: 8,
    hellaswag: 8,
};

/// A directory tree for one test. Every command runs with its working directory,
/// HOME, XDG_CACHE_HOME (the compiled-component cache) and TMPDIR inside it, so that
/// anything a run writes anywhere shows up in [`snapshot`].
pub struct Lab {
    pub dir: tempfile::TempDir,
    pub model: PathBuf,
    pub data: PathBuf,
    /// `data.cache_dir`.
    pub cache: PathBuf,
    pub home: PathBuf,
    pub tmp: PathBuf,
    pub cwd: PathBuf,
}

impl Lab {
    pub fn new() -> Lab {
        Self::with_model(TinySpec {
            n_layer: 2,
            n_head: 2,
            n_embd: 32,
            n_positions: 128,
        })
    }

    pub fn with_model(spec: TinySpec) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let model = root.join("tiny-gpt2");
        write_tiny_model(&model, &spec, 7).unwrap();
        let data = root.join("data");
        write_demo_dataset(&data, 3, SIZES).unwrap();
        let [home, tmp, cwd] = ["home", "tmp", "cwd"].map(|d| root.join(d));
        for d in [&home, &tmp, &cwd] {
            std::fs::create_dir_all(d).unwrap();
        }
        Lab {
            cache: root.join("cache"),
            model,
            data,
            home,
            tmp,
            cwd,
            dir,
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// `clora-host <args>` inside the lab.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_via(&[], args)
    }

    /// [`Lab::command`] started through `wrapper`: a program and its arguments, to which
    /// the binary's path and `args` are appended (e.g. a shell that sets a resource
    /// limit and then `exec`s it).
    pub fn command_via(&self, wrapper: &[&str], args: &[&str]) -> Command {
        let mut cmd = match wrapper.split_first() {
            None => Command::new(host_binary()),
            Some((program, rest)) => {
                let mut cmd = Command::new(program);
                cmd.args(rest).arg(host_binary());
                cmd
            }
        };
        cmd.current_dir(&self.cwd)
            .env("HOME", &self.home)
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("TMPDIR", &self.tmp)
            .env("HF_HUB_OFFLINE", "1")
            .args(args);
        cmd
    }

    /// The `--set`s that point a command at the lab's data and cache, with absolute
    /// preprocessor paths (the default `plugins/<dataset>.wasm` is relative to the
    /// working directory, which is the lab's).
    pub fn data_sets(&self) -> Vec<String> {
        let quoted = |path: &Path| format!("{:?}", path.display().to_string());
        let mut sets = vec![
            format!("data.root={}", quoted(&self.data)),
            format!("data.cache_dir={}", quoted(&self.cache)),
            "data.max_length=48".to_string(),
            "device=\"cpu\"".to_string(),
        ];
        for (split, dataset) in [
            ("train", "commonsense-qa"),
            ("validation", "commonsense-qa"),
            ("test.arc_challenge", "arc"),
            ("test.boolq", "boolq"),
            ("test.hellaswag", "hellaswag"),
        ] {
            let wasm = crate::support::plugin_wasm(dataset);
            sets.push(format!("data.{split}.preprocessor={}", quoted(&wasm)));
        }
        sets
    }

    /// `clora-host train` over the lab's assets into `out`, with `extra` arguments
    /// (plugin paths must be absolute: the working directory is the lab's).
    pub fn train(&self, out: &Path, extra: &[&str]) -> Command {
        self.train_model(&self.model, out, extra)
    }

    /// [`Lab::train`] with another model (`--model`).
    pub fn train_model(&self, model: &Path, out: &Path, extra: &[&str]) -> Command {
        let local = repo_root().join("configs/local.toml");
        let mut cmd = self.command(&["train", "--config", local.to_str().unwrap()]);
        let mut sets = self.data_sets();
        sets.extend(
            [
                "train.batch_size=8",
                "train.eval_batch_size=32",
                "train.lr=3e-3",
                "train.log_every=2",
            ]
            .map(String::from),
        );
        for set in sets {
            cmd.arg("--set").arg(set);
        }
        cmd.arg("--model")
            .arg(model)
            .arg("--output-dir")
            .arg(out)
            .args(extra);
        cmd
    }

    /// `clora-host train --resume <run>` inside the lab.
    pub fn resume(&self, run: &Path) -> Command {
        let mut cmd = self.command(&["train", "--resume"]);
        cmd.arg(run);
        cmd
    }
}

/// What a finished command returned.
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    command: String,
}

impl Outcome {
    /// Asserts the command exited with the failure code 1 (an error it reported, not a
    /// crash or a signal).
    pub fn assert_failed_cleanly(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(1),
            "expected a clean failure (exit code 1) of {}\nstderr:\n{}",
            self.command,
            self.stderr
        );
        self
    }

    /// The `error: …` line the CLI printed last.
    pub fn error_line(&self) -> &str {
        self.stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("no error line in:\n{}", self.stderr))
    }

    /// Asserts stderr contains every part.
    pub fn assert_stderr_has(&self, parts: &[&str]) -> &Self {
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "stderr of {} lacks {part:?}:\n{}",
                self.command,
                self.stderr
            );
        }
        self
    }
}

pub fn run(mut cmd: Command) -> Outcome {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    Outcome {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        command: format!("{cmd:?}"),
    }
}

pub fn run_ok(cmd: Command) -> Outcome {
    let outcome = run(cmd);
    assert_eq!(
        outcome.code,
        Some(0),
        "command failed: {}\nstderr:\n{}",
        outcome.command,
        outcome.stderr
    );
    outcome
}

pub fn summary(run: &Path) -> Value {
    let text = std::fs::read_to_string(run.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A run's final losses and accuracies on every split, ‖ΔW‖₂ and F.
pub fn final_numbers(run: &Path) -> Vec<f64> {
    let s = summary(run);
    let mut v = Vec::new();
    for split in [
        "validation",
        "test.arc_challenge",
        "test.boolq",
        "test.hellaswag",
    ] {
        v.push(s["splits"][split]["loss"].as_f64().unwrap());
        v.push(s["splits"][split]["accuracy"].as_f64().unwrap());
    }
    v.push(s["capacity"]["update_capacity"]["mean"].as_f64().unwrap());
    v.push(s["capacity"]["output_change"]["mean"].as_f64().unwrap());
    v
}

/// Both runs ended with the same metrics (1e-5: same seed, CPU, resumed exactly).
pub fn assert_same_results(reference: &Path, other: &Path) {
    let (x, y) = (final_numbers(reference), final_numbers(other));
    for (i, (p, q)) in x.iter().zip(&y).enumerate() {
        assert!(
            (p - q).abs() <= 1e-5,
            "value {i}: {} has {p}, {} has {q}",
            reference.display(),
            other.display()
        );
    }
}

/// Every entry of `<run>/checkpoints/`, sorted (complete ones and `.partial-*`).
pub fn checkpoint_entries(run: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(run.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Sets `[section] key = value` in a run's saved config.toml (what `--resume` reads):
/// the user's fix before resuming.
pub fn edit_run_config(run: &Path, section: &str, key: &str, value: toml::Value) {
    let path = run.join("config.toml");
    let mut config: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    config
        .get_mut(section)
        .and_then(toml::Value::as_table_mut)
        .unwrap_or_else(|| panic!("no [{section}] in {}", path.display()))
        .insert(key.to_string(), value);
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
}

/// Every file and directory under `root` except `skip`, with each file's size and
/// SHA-256: two equal snapshots mean nothing was created, changed or removed.
pub fn snapshot(root: &Path, skip: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(dir: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path == skip {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.insert(path.clone(), "dir".to_string());
                walk(&path, skip, out);
            } else {
                let digest = clora_host::fsutil::sha256_file(&path).unwrap_or_default();
                out.insert(path, format!("{} bytes, sha256 {digest}", meta.len()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, skip, &mut out);
    out
}

/// Asserts two snapshots are equal, listing what differs.
pub fn assert_unchanged(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>) {
    let mut differences = Vec::new();
    for (path, state) in after {
        match before.get(path) {
            None => differences.push(format!("created {} ({state})", path.display())),
            Some(old) if old != state => {
                differences.push(format!("changed {} ({old} → {state})", path.display()))
            }
            _ => {}
        }
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        differences.push(format!("removed {}", path.display()));
    }
    assert!(
        differences.is_empty(),
        "written outside the run directory:\n{}",
        differences.join("\n")
    );
}
