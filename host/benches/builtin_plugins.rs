//! The built-in plugins' costs (see BENCHMARKS.md, "Built-in plugins"):
//!
//! 1. the CLoRA penalty over 12 GPT-2-small `c_attn` layers (768 → 2304, r 8, k 128),
//!    forward + backward, through `plugins/clora.wasm` vs the same math native in the
//!    host (interleaved samples, same threads; medians, minima and their ratios);
//! 2. preprocessor throughput (rows/s) on the real CommonsenseQA train file, plus the
//!    example counts of every real evaluation file (a manual check of the conversions).
//!
//! ```text
//! export CARGO_TARGET_DIR=$HOME/.cache/clora-host/target
//! host/scripts/build-plugins.sh
//! cargo bench --bench builtin_plugins
//! CLORA_DATA=DIR CLORA_BENCH_THREADS=1 CLORA_BENCH_SAMPLES=1000 cargo bench --bench builtin_plugins
//! ```
//! `CLORA_DATA` defaults to `../shared/data` beside the repository (see SOURCES.md there).
use std::path::{Path, PathBuf};
use std::time::Instant;

use clora_host::data::source::RowReader;
use clora_host::plugin::{LayerSpec, PluginRuntime, RuntimeOptions};
use tch::{Device, Kind, Tensor};

mod common;
use common::{env_usize, median, repo_root};

const LAYERS: usize = 12;
const IN: i64 = 768;
const OUT: i64 = 2304;
const RANK: i64 = 8;
const K: i64 = 128;
/// Timed penalty evaluations per implementation (interleaved one by one).
const SAMPLES: usize = 400;
/// Rows per `process-batch` call (the data pipeline's batch size is of this order).
const PREPROCESS_BATCH: usize = 1024;

fn runtime() -> PluginRuntime {
    PluginRuntime::new(RuntimeOptions {
        cache_dir: None,
        ..RuntimeOptions::default()
    })
    .expect("plugin runtime")
}

/// Seconds for one call of `step` plus its backward, after zeroing the gradients.
fn time_once(leaves: &[Tensor], step: &mut impl FnMut() -> Tensor) -> f64 {
    for leaf in leaves {
        let mut g = leaf.grad();
        if g.defined() {
            let _ = g.zero_();
        }
    }
    let start = Instant::now();
    step().backward();
    start.elapsed().as_secs_f64()
}

fn bench_clora(samples: usize) {
    let rt = runtime();
    let specs: Vec<LayerSpec> = (0..LAYERS)
        .map(|i| LayerSpec {
            name: format!("transformer.h.{i}.attn.c_attn"),
            in_features: IN as usize,
            out_features: OUT as usize,
            rank: RANK as usize,
            base_weight: Tensor::zeros([OUT, IN], (Kind::Float, Device::Cpu)),
        })
        .collect();
    let params: toml::Table = format!("k = {K}").parse().expect("params");
    let mut plugin = rt
        .load_regularizer(
            &repo_root().join("plugins/clora.wasm"),
            &params,
            &specs,
            Device::Cpu,
        )
        .expect("load clora");

    let opts = (Kind::Float, Device::Cpu);
    let a: Vec<Tensor> = (0..LAYERS)
        .map(|_| (Tensor::randn([RANK, IN], opts) * 0.05).set_requires_grad(true))
        .collect();
    let b: Vec<Tensor> = (0..LAYERS)
        .map(|_| (Tensor::randn([OUT, RANK], opts) * 0.05).set_requires_grad(true))
        .collect();
    let leaves: Vec<Tensor> = a.iter().chain(&b).map(Tensor::shallow_clone).collect();
    // Native: the plugin's formula (per layer ‖A·P_in‖² and ‖P_outᵀ·B‖², all terms
    // stacked and summed, times 1/layers) with orthonormal projectors of the same shapes
    // (the cost does not depend on their values).
    let orthonormal = |dim: i64| {
        Tensor::linalg_qr(&Tensor::randn([dim, K], opts), "reduced")
            .0
            .contiguous()
    };
    let p_in: Vec<Tensor> = (0..LAYERS).map(|_| orthonormal(IN)).collect();
    let p_out_t: Vec<Tensor> = (0..LAYERS).map(|_| orthonormal(OUT).tr()).collect();
    let native = || {
        let terms: Vec<Tensor> = (0..LAYERS)
            .flat_map(|l| {
                let on_a = a[l].matmul(&p_in[l]).square().sum(Kind::Float);
                let on_b = p_out_t[l].matmul(&b[l]).square().sum(Kind::Float);
                [on_a, on_b]
            })
            .collect();
        Tensor::stack(&terms, 0).sum(Kind::Float) * (1.0 / LAYERS as f64)
    };

    let mut through_plugin = || plugin.compute_penalty(0, &a, &b).expect("penalty");
    let (pv, nv) = (
        through_plugin().double_value(&[]),
        native().double_value(&[]),
    );
    println!("clora penalty (one value each, different P): plugin {pv:.6}, native {nv:.6}");
    let mut native = native;
    for _ in 0..20 {
        time_once(&leaves, &mut through_plugin);
        time_once(&leaves, &mut native);
    }
    // Interleaved samples, so load from other processes hits both alike.
    let (mut plugin_s, mut native_s) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        plugin_s.push(time_once(&leaves, &mut through_plugin));
        native_s.push(time_once(&leaves, &mut native));
    }
    let (p, n) = (median(plugin_s.clone()), median(native_s.clone()));
    let (p_min, n_min) = (
        plugin_s.iter().copied().fold(f64::MAX, f64::min),
        native_s.iter().copied().fold(f64::MAX, f64::min),
    );
    println!(
        "clora penalty fwd+bwd, {LAYERS} layers {IN}->{OUT} r{RANK} k{K}: median plugin {:.1} µs, native {:.1} µs, ratio {:.3}x; minimum {:.1} vs {:.1} µs, ratio {:.3}x ({samples} interleaved samples)",
        p * 1e6,
        n * 1e6,
        p / n,
        p_min * 1e6,
        n_min * 1e6,
        p_min / n_min
    );
}

fn read_rows(path: &Path) -> Vec<String> {
    let mut reader = RowReader::open(&[path.to_path_buf()], 0).expect("open rows");
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row().expect("read row") {
        rows.push(row.record.expect("row text"));
    }
    rows
}

/// Converts a file; returns (examples, rejected rows, seconds in `process-batch`).
fn preprocess(rt: &PluginRuntime, plugin: &str, rows: &[String]) -> (usize, usize, f64) {
    let mut p = rt
        .load_preprocessor(
            &repo_root().join(format!("plugins/{plugin}.wasm")),
            &toml::Table::new(),
        )
        .expect("load");
    let start = Instant::now();
    let (mut examples, mut rejected) = (0, 0);
    for (i, chunk) in rows.chunks(PREPROCESS_BATCH).enumerate() {
        for result in p
            .process_batch((i * PREPROCESS_BATCH) as u64, chunk)
            .expect("process_batch")
        {
            match result {
                Ok(e) => examples += e.len(),
                Err(_) => rejected += 1,
            }
        }
    }
    (examples, rejected, start.elapsed().as_secs_f64())
}

fn bench_preprocessors(data: &Path, repeats: usize) {
    let rt = runtime();
    let train = data.join("commonsense_qa/train_rand_split.jsonl");
    if !train.is_file() {
        println!(
            "preprocessors: {} not found, skipped (set CLORA_DATA)",
            train.display()
        );
        return;
    }
    let rows = read_rows(&train);
    let times: Vec<f64> = (0..repeats)
        .map(|_| preprocess(&rt, "commonsense-qa", &rows).2)
        .collect();
    let t = median(times);
    println!(
        "commonsense-qa on {}: {} rows in {:.1} ms = {:.0} rows/s (batches of {PREPROCESS_BATCH})",
        train.display(),
        rows.len(),
        t * 1e3,
        rows.len() as f64 / t
    );
    let files = [
        ("commonsense-qa", "commonsense_qa/train_rand_split.jsonl"),
        ("commonsense-qa", "commonsense_qa/dev_rand_split.jsonl"),
        ("arc", "ai2_arc/ARC-Challenge-Dev.jsonl"),
        ("boolq", "boolq/dev.jsonl"),
        ("hellaswag", "hellaswag/hellaswag_val.jsonl.gz"),
    ];
    for (plugin, file) in files {
        let path = data.join(file);
        if path.is_file() {
            let rows = read_rows(&path);
            let (examples, rejected, _) = preprocess(&rt, plugin, &rows);
            println!(
                "{plugin:>15} {file}: {} rows -> {examples} examples, {rejected} rejected",
                rows.len()
            );
        }
    }
}

fn main() {
    if let Some(threads) = std::env::var("CLORA_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        tch::set_num_threads(threads);
    }
    let samples = env_usize("CLORA_BENCH_SAMPLES", SAMPLES);
    println!("threads: {}", tch::get_num_threads());
    bench_clora(samples);
    let data = std::env::var_os("CLORA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"));
    bench_preprocessors(&data, 5);
}
