//! Python plugins against their Rust twins (see BENCHMARKS.md, "Python plugins"):
//! `plugins/python/examples/l2` (`py-l2`) vs `plugins/l2.wasm`, and
//! `plugins/python/examples/commonsense_qa` (`py-commonsense-qa`) vs
//! `plugins/commonsense-qa.wasm`.
//!
//! 1. build: `componentize-py` (the venv's) for the Python ones; size of every component;
//! 2. load: cold (compile, no cache) and cached (compiled component from the cache), with
//!    the host's own split into compile / instantiate+describe / params+init;
//! 3. per call: `compute-penalty` on 12 GPT-2-small `c_attn` layers (768 → 2304, r 8),
//!    the call alone and with its backward, Rust and Python interleaved;
//! 4. preprocessing throughput (rows/s through `process-batch`, 1024 rows per call) on
//!    the real CommonsenseQA train file, or on synthetic rows when it is absent.
//!
//! ```text
//! export CARGO_TARGET_DIR=$HOME/.cache/clora-host/target
//! host/scripts/build-plugins.sh
//! cargo bench --bench python_plugins
//! CLORA_DATA=DIR CLORA_BENCH_COLD=3 CLORA_BENCH_SAMPLES=200 cargo bench --bench python_plugins
//! ```
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clora_host::data::source::RowReader;
use clora_host::data::synthetic::{rows, Dataset, Schema};
use clora_host::plugin::{LayerSpec, LoadStats, PluginRuntime, RuntimeOptions};
use tch::{Device, Kind, Tensor};

mod common;
use common::{env_usize, median, repo_root};

const LAYERS: usize = 12;
const IN: i64 = 768;
const OUT: i64 = 2304;
const RANK: i64 = 8;
const PREPROCESS_BATCH: usize = 1024;

fn ms(seconds: f64) -> String {
    format!("{:.2} ms", seconds * 1e3)
}

fn runtime(cache: Option<&Path>) -> PluginRuntime {
    PluginRuntime::new(RuntimeOptions {
        cache_dir: cache.map(Path::to_path_buf),
        ..RuntimeOptions::default()
    })
    .expect("plugin runtime")
}

/// Builds a Python example; returns the component and the build's wall time.
fn componentize(example: &str, world: &str, out: &Path) -> (PathBuf, f64) {
    let root = repo_root();
    let started = Instant::now();
    let status = Command::new(root.join(".venv/bin/componentize-py"))
        .current_dir(&root)
        .env_remove("VIRTUAL_ENV")
        .args([
            "-q",
            "-d",
            "wit",
            "-w",
            world,
            "componentize",
            "--stub-wasi",
            "-p",
        ])
        .arg(root.join("plugins/python/examples").join(example))
        .args(["-p", "plugins/python", "plugin", "-o"])
        .arg(out)
        .status()
        .expect("run componentize-py (host/scripts/setup.sh installs it)");
    assert!(status.success(), "componentize-py failed for {example}");
    (out.to_path_buf(), started.elapsed().as_secs_f64())
}

fn layers() -> Vec<LayerSpec> {
    (0..LAYERS)
        .map(|i| LayerSpec {
            name: format!("transformer.h.{i}.attn.c_attn"),
            in_features: IN as usize,
            out_features: OUT as usize,
            rank: RANK as usize,
            base_weight: Tensor::zeros([OUT, IN], (Kind::Float, Device::Cpu)),
        })
        .collect()
}

/// Loads `wasm` as its kind; returns the host's load statistics and the wall time.
fn load(rt: &PluginRuntime, wasm: &Path, preprocessor: bool) -> (LoadStats, f64) {
    let specs = if preprocessor { Vec::new() } else { layers() };
    let started = Instant::now();
    let stats = if preprocessor {
        rt.load_preprocessor(wasm, &toml::Table::new())
            .expect("load")
            .load_stats()
    } else {
        rt.load_regularizer(wasm, &toml::Table::new(), &specs, Device::Cpu)
            .expect("load")
            .load_stats()
    };
    (stats, started.elapsed().as_secs_f64())
}

/// Bytes of the files directly in `dir` (0 when it does not exist).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn bench_load(name: &str, wasm: &Path, preprocessor: bool, cold_runs: usize, cache: &Path) {
    let size = std::fs::metadata(wasm).expect("component").len();
    let cold: Vec<(LoadStats, f64)> = (0..cold_runs)
        .map(|_| load(&runtime(None), wasm, preprocessor))
        .collect();
    let before = dir_bytes(cache);
    load(&runtime(Some(cache)), wasm, preprocessor);
    println!(
        "cache entry {name}: {:.1} MiB of compiled code",
        (dir_bytes(cache) - before) as f64 / (1 << 20) as f64
    );
    let cached: Vec<(LoadStats, f64)> = (0..7)
        .map(|_| load(&runtime(Some(cache)), wasm, preprocessor))
        .collect();
    let med = |runs: &[(LoadStats, f64)], f: &dyn Fn(&(LoadStats, f64)) -> f64| {
        median(runs.iter().map(f).collect())
    };
    for (label, runs) in [("cold", &cold), ("cached", &cached)] {
        println!(
            "load {name} ({:.1} MiB) {label}: total {}, compile/cache read {}, instantiate+describe {}, params+init {} (median of {})",
            size as f64 / (1 << 20) as f64,
            ms(med(runs, &|r| r.1)),
            ms(med(runs, &|r| r.0.compile.as_secs_f64())),
            ms(med(runs, &|r| r.0.describe.as_secs_f64())),
            ms(med(runs, &|r| r.0.init.as_secs_f64())),
            runs.len()
        );
    }
}

fn zero_grads(leaves: &[Tensor]) {
    for leaf in leaves {
        let mut g = leaf.grad();
        if g.defined() {
            let _ = g.zero_();
        }
    }
}

fn bench_penalty(rust: &Path, python: &Path, samples: usize) {
    let rt = runtime(None);
    let specs = layers();
    let sum: toml::Table = "reduction = \"sum\"".parse().expect("params");
    let mut rs = rt
        .load_regularizer(rust, &sum, &specs, Device::Cpu)
        .expect("load l2");
    let mut py = rt
        .load_regularizer(python, &sum, &specs, Device::Cpu)
        .expect("load py-l2");
    let opts = (Kind::Float, Device::Cpu);
    let leaf = |shape: [i64; 2]| (Tensor::randn(shape, opts) * 0.05).set_requires_grad(true);
    let a: Vec<Tensor> = (0..LAYERS).map(|_| leaf([RANK, IN])).collect();
    let b: Vec<Tensor> = (0..LAYERS).map(|_| leaf([OUT, RANK])).collect();
    let leaves: Vec<Tensor> = a.iter().chain(&b).map(Tensor::shallow_clone).collect();
    let (rv, pv) = (
        rs.compute_penalty(0, &a, &b).expect("l2").double_value(&[]),
        py.compute_penalty(0, &a, &b)
            .expect("py-l2")
            .double_value(&[]),
    );
    println!("penalty: l2 {rv:.6}, py-l2 {pv:.6}");
    // (call alone, call + backward) per sample, Rust and Python interleaved.
    let time = |plugin: &mut clora_host::plugin::RegularizerPlugin| {
        zero_grads(&leaves);
        let started = Instant::now();
        let penalty = plugin.compute_penalty(0, &a, &b).expect("penalty");
        let call = started.elapsed().as_secs_f64();
        penalty.backward();
        (call, started.elapsed().as_secs_f64())
    };
    for _ in 0..20 {
        time(&mut rs);
        time(&mut py);
    }
    let (mut r, mut p) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        r.push(time(&mut rs));
        p.push(time(&mut py));
    }
    let calls = |xs: &[(f64, f64)]| median(xs.iter().map(|x| x.0).collect());
    let full = |xs: &[(f64, f64)]| median(xs.iter().map(|x| x.1).collect());
    println!(
        "compute-penalty, {LAYERS} layers {IN}->{OUT} r{RANK}: call median l2 {:.1} µs, py-l2 {:.1} µs (+{:.1} µs); \
         call+backward l2 {:.1} µs, py-l2 {:.1} µs, ratio {:.2}x ({samples} interleaved samples)",
        calls(&r) * 1e6,
        calls(&p) * 1e6,
        (calls(&p) - calls(&r)) * 1e6,
        full(&r) * 1e6,
        full(&p) * 1e6,
        full(&p) / full(&r)
    );
}

fn csqa_rows(data: &Path) -> (Vec<String>, String) {
    let train = data.join("commonsense_qa/train_rand_split.jsonl");
    if train.is_file() {
        let mut reader = RowReader::open(std::slice::from_ref(&train), 0).expect("open rows");
        let mut out = Vec::new();
        while let Some(row) = reader.next_row().expect("read row") {
            out.push(row.record.expect("row text"));
        }
        return (out, train.display().to_string());
    }
    let synthetic = rows(Dataset::CommonsenseQa, Schema::Original, 10_000, 1, "train");
    (
        synthetic.iter().map(|r| r.to_string()).collect(),
        "10,000 synthetic CommonsenseQA rows (set CLORA_DATA for the real file)".to_string(),
    )
}

fn bench_preprocess(name: &str, wasm: &Path, rows: &[String], repeats: usize) {
    let rt = runtime(None);
    let mut plugin = rt
        .load_preprocessor(wasm, &toml::Table::new())
        .expect("load");
    let mut examples = 0;
    let times: Vec<f64> = (0..repeats)
        .map(|_| {
            examples = 0;
            let started = Instant::now();
            for (i, chunk) in rows.chunks(PREPROCESS_BATCH).enumerate() {
                let out = plugin
                    .process_batch((i * PREPROCESS_BATCH) as u64, chunk)
                    .expect("process_batch");
                examples += out.iter().flatten().map(Vec::len).sum::<usize>();
            }
            started.elapsed().as_secs_f64()
        })
        .collect();
    let t = median(times);
    println!(
        "preprocess {name}: {} rows → {examples} examples in {} ({:.0} rows/s, median of {repeats})",
        rows.len(),
        ms(t),
        rows.len() as f64 / t
    );
}

fn main() {
    tch::set_num_threads(env_usize("CLORA_BENCH_THREADS", 1) as i32);
    let cold_runs = env_usize("CLORA_BENCH_COLD", 3);
    let samples = env_usize("CLORA_BENCH_SAMPLES", 200);
    let data = std::env::var_os("CLORA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"));
    let work = tempfile::tempdir().expect("tempdir");
    let root = repo_root();

    let (py_l2, t_l2) = componentize("l2", "regularizer-plugin", &work.path().join("py-l2.wasm"));
    let (py_csqa, t_csqa) = componentize(
        "commonsense_qa",
        "preprocessor-plugin",
        &work.path().join("py-commonsense-qa.wasm"),
    );
    println!(
        "componentize-py build: py-l2 {:.1} s, py-commonsense-qa {:.1} s",
        t_l2, t_csqa
    );
    let (l2, csqa) = (
        root.join("plugins/l2.wasm"),
        root.join("plugins/commonsense-qa.wasm"),
    );
    let cache = work.path().join("cache");
    for (name, wasm, pre) in [
        ("l2", &l2, false),
        ("py-l2", &py_l2, false),
        ("commonsense-qa", &csqa, true),
        ("py-commonsense-qa", &py_csqa, true),
    ] {
        bench_load(name, wasm, pre, cold_runs, &cache);
    }
    bench_penalty(&l2, &py_l2, samples);
    let (rows, source) = csqa_rows(&data);
    println!("preprocess input: {source}");
    bench_preprocess("commonsense-qa", &csqa, &rows, 3);
    bench_preprocess("py-commonsense-qa", &py_csqa, &rows, 3);
}
