//! Plugin runtime costs: a guest→host call, a `compute-penalty` round trip, rebuilding an
//! instance after a trap, and loading a component cold (compile) vs from the cache.
//! Uses the test fixtures (built on first use, like the integration tests).
//!
//! ```sh
//! export CARGO_TARGET_DIR=$HOME/.cache/clora-host/target
//! cargo bench --bench plugin_runtime
//! # options: CLORA_BENCH_CALLS=N (host calls timed, default 2000000), CLORA_BENCH_ITERS=N (default 7)
//! ```
use std::path::Path;
use std::time::{Duration, Instant};

use clora_host::plugin::{PluginRuntime, RuntimeOptions};

#[path = "../../tests/integration/plugin_runtime/fixtures.rs"]
mod fixtures;
#[path = "../../tests/integration/support.rs"]
mod support;

use fixtures::{factors, fixture, layers, table, CPU};

mod common;
use common::env_usize;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn runtime(cache: &Path) -> PluginRuntime {
    PluginRuntime::new(RuntimeOptions {
        cache_dir: Some(cache.to_path_buf()),
        log_sink: std::sync::Arc::new(|_, _, _| {}),
        ..RuntimeOptions::default()
    })
    .unwrap()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Median time of one `compute-penalty` whose guest makes `calls` extra `numel` host calls.
fn penalty_time(runtime: &PluginRuntime, calls: usize, iters: usize) -> Duration {
    let params = table(&format!("calls = {calls}"));
    let mut plugin = runtime
        .load_regularizer(&fixture("fx-penalty"), &params, &layers(), CPU)
        .unwrap();
    let (a, b) = factors();
    drop(plugin.compute_penalty(0, &a, &b).unwrap());
    median(
        (0..iters)
            .map(|step| {
                let started = Instant::now();
                drop(plugin.compute_penalty(step as u64, &a, &b).unwrap());
                started.elapsed()
            })
            .collect(),
    )
}

/// Median cold load (empty cache: compile) and warm load (cached), total and compile part.
fn load_times(name: &str, iters: usize) -> [Duration; 4] {
    let wasm = fixture(name);
    let load = |runtime: &PluginRuntime| {
        let started = Instant::now();
        let stats = match name {
            "fx-penalty" => runtime
                .load_regularizer(&wasm, &table(""), &layers(), CPU)
                .unwrap()
                .load_stats(),
            _ => runtime
                .load_preprocessor(&wasm, &table(""))
                .unwrap()
                .load_stats(),
        };
        (started.elapsed(), stats.compile)
    };
    let (mut cold, mut cold_compile, mut warm, mut warm_compile) = (vec![], vec![], vec![], vec![]);
    for _ in 0..iters {
        let dir = tempfile::tempdir().unwrap();
        let runtime = runtime(dir.path());
        let (total, compile) = load(&runtime);
        cold.push(total);
        cold_compile.push(compile);
        let (total, compile) = load(&runtime);
        warm.push(total);
        warm_compile.push(compile);
    }
    [
        median(cold),
        median(cold_compile),
        median(warm),
        median(warm_compile),
    ]
}

fn main() {
    let calls = env_usize("CLORA_BENCH_CALLS", 2_000_000);
    let iters = env_usize("CLORA_BENCH_ITERS", 7);
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());

    let base = penalty_time(&runtime, 0, iters);
    let with_calls = penalty_time(&runtime, calls, iters);
    let per_call = with_calls.saturating_sub(base).as_secs_f64() / calls as f64;
    println!("## guest→host calls (fx-penalty, `tensor.numel` in a guest loop)");
    println!("| what | median of {iters} |");
    println!("|---|---|");
    println!(
        "| compute-penalty, 2 layers, no extra calls | {} |",
        ms(base)
    );
    println!(
        "| compute-penalty with {calls} extra calls | {} |",
        ms(with_calls)
    );
    println!("| one guest→host call | {:.1} ns |", per_call * 1e9);

    let mut rebuilt = runtime
        .load_preprocessor(&fixture("fx-hostile"), &table("fail_row = 0"))
        .unwrap();
    let record = [r#"{"text": "x", "label": 1}"#.to_string()];
    let rebuild = median(
        (0..iters)
            .map(|_| {
                assert!(rebuilt.process_batch(0, &record).is_err());
                let started = Instant::now();
                rebuilt.process_batch(1, &record).unwrap();
                started.elapsed()
            })
            .collect(),
    );
    println!(
        "| process-batch right after a trap (instance rebuilt + init + call) | {} |",
        ms(rebuild)
    );

    println!();
    println!(
        "## plugin load (read + sha256 + compile or cache, instantiate, describe, params, init)"
    );
    println!("| component | cold load | of which compile | cached load | of which cache read |");
    println!("|---|---|---|---|---|");
    for name in ["fx-penalty", "fx-hostile"] {
        let size = std::fs::metadata(fixture(name)).unwrap().len();
        let [cold, cold_compile, warm, warm_compile] = load_times(name, iters);
        println!(
            "| {name}.wasm ({} KiB) | {} | {} | {} | {} |",
            size / 1024,
            ms(cold),
            ms(cold_compile),
            ms(warm),
            ms(warm_compile)
        );
    }
}
