//! The fixture components (plugins/fixtures/<name>/ → plugins/fixtures/<name>.wasm),
//! built on first use when missing or older than their sources, and helpers every
//! plugin-runtime test shares (a runtime with its own cache dir and a log recorder).
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use clora_host::plugin::{LogLevel, PluginRuntime, RuntimeOptions};
use tch::{Device, Kind, Tensor};

use crate::support::repo_root;

/// Every fixture component.
pub const FIXTURES: [&str; 5] = [
    "fx-penalty",
    "fx-grads",
    "fx-hostile",
    "fx-fs",
    "fx-contract-v2",
];

/// `plugins/fixtures/<name>.wasm`, built if needed.
pub fn fixture(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    assert!(FIXTURES.contains(&name), "unknown fixture {name}");
    if let Err(message) = BUILT.get_or_init(build_stale_fixtures) {
        panic!("cannot build the plugin fixtures: {message}");
    }
    wasm_path(name)
}

fn plugins_dir() -> PathBuf {
    repo_root().join("plugins")
}

fn wasm_path(name: &str) -> PathBuf {
    plugins_dir().join("fixtures").join(format!("{name}.wasm"))
}

fn newest_mtime(path: &Path) -> SystemTime {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(_) => return SystemTime::UNIX_EPOCH,
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

fn is_stale(name: &str) -> bool {
    let built = match std::fs::metadata(wasm_path(name)).and_then(|m| m.modified()) {
        Ok(time) => time,
        Err(_) => return true,
    };
    let fixtures = plugins_dir().join("fixtures");
    let sources = [
        fixtures.join(name),
        fixtures.join("fx-abi"),
        repo_root().join("wit"),
    ];
    sources.iter().any(|source| newest_mtime(source) > built)
}

/// Runs `cargo build --release -p <fixture>...` in plugins/ (its own target dir, so it
/// never waits on the lock of the running test build) and copies the components.
fn build_stale_fixtures() -> Result<(), String> {
    let stale: Vec<&str> = FIXTURES
        .iter()
        .copied()
        .filter(|name| is_stale(name))
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(&cargo);
    command
        .current_dir(plugins_dir())
        .env_remove("CARGO_TARGET_DIR")
        .args(["build", "--release", "--quiet"]);
    for name in &stale {
        command.args(["-p", name]);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build` in plugins/ failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let target = plugins_dir()
        .join("target")
        .join("wasm32-wasip2")
        .join("release");
    for name in stale {
        let built = target.join(format!("{}.wasm", name.replace('-', "_")));
        let dest = wasm_path(name);
        let bytes = std::fs::read(&built).map_err(|e| format!("{}: {e}", built.display()))?;
        if std::fs::read(&dest).ok().as_deref() == Some(bytes.as_slice()) {
            // Same component: mark it fresh so the next run does not rebuild.
            let file = std::fs::File::options()
                .append(true)
                .open(&dest)
                .map_err(|e| e.to_string())?;
            file.set_modified(SystemTime::now())
                .map_err(|e| e.to_string())?;
            continue;
        }
        let tmp = dest.with_extension(format!("wasm.{}.tmp", std::process::id()));
        std::fs::write(&tmp, &bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    Ok(())
}

/// Log lines a runtime forwarded: (plugin, level, message).
pub type LogLines = Arc<Mutex<Vec<(String, LogLevel, String)>>>;

/// Options for a test: the cache in `dir`, log lines recorded.
pub fn options(dir: &Path) -> (RuntimeOptions, LogLines) {
    let lines: LogLines = Arc::default();
    let sink = lines.clone();
    let options = RuntimeOptions {
        cache_dir: Some(dir.join("components")),
        log_sink: Arc::new(move |plugin, level, message| {
            sink.lock()
                .unwrap()
                .push((plugin.to_string(), level, message.to_string()))
        }),
        ..RuntimeOptions::default()
    };
    (options, lines)
}

pub fn runtime(dir: &Path) -> PluginRuntime {
    PluginRuntime::new(options(dir).0).unwrap()
}

pub fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

/// A deterministic (rows × cols) float32 matrix with values in [-1, 1].
pub fn matrix(rows: i64, cols: i64, salt: f64) -> Tensor {
    let values: Vec<f64> = (0..rows * cols)
        .map(|i| ((i as f64 * 0.61 + salt) * 1.3).sin())
        .collect();
    Tensor::from_slice(&values)
        .to_kind(Kind::Float)
        .reshape([rows, cols])
}

/// Small GPT-2-like layers: (name, in, out, rank).
pub fn layers() -> Vec<clora_host::plugin::LayerSpec> {
    [("h.0.attn.c_attn", 16, 48, 4), ("h.0.mlp.c_fc", 16, 64, 4)]
        .into_iter()
        .enumerate()
        .map(
            |(i, (name, inp, out, rank))| clora_host::plugin::LayerSpec {
                name: name.to_string(),
                in_features: inp,
                out_features: out,
                rank,
                base_weight: matrix(out as i64, inp as i64, 100.0 + i as f64),
            },
        )
        .collect()
}

/// Trainable LoRA factors for [`layers`]: A (rank × in) and B (out × rank), with grads.
pub fn factors() -> (Vec<Tensor>, Vec<Tensor>) {
    layers()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let a = matrix(l.rank as i64, l.in_features as i64, i as f64).set_requires_grad(true);
            let b = matrix(l.out_features as i64, l.rank as i64, 10.0 + i as f64)
                .set_requires_grad(true);
            (a, b)
        })
        .unzip()
}

pub fn assert_close(actual: &Tensor, expected: &Tensor, tolerance: f64) {
    assert_eq!(actual.size(), expected.size(), "shapes");
    let scale = expected.abs().max().double_value(&[]).max(1.0);
    let diff = (actual.to_kind(Kind::Double) - expected.to_kind(Kind::Double))
        .abs()
        .max()
        .double_value(&[]);
    assert!(
        diff <= tolerance * scale,
        "max abs difference {diff} > {tolerance} × {scale}"
    );
}

pub const CPU: Device = Device::Cpu;
