//! Forward + backward time of one training batch (8 × 128 tokens, LoRA on c_attn, r 8)
//! for clora-host vs transformers + PEFT, alternating in the same run with the same
//! thread count; prints the medians.
//!
//! ```text
//! export CARGO_TARGET_DIR=$HOME/.cache/clora-host/target
//! cargo bench --bench model            # random-init 124M GPT-2 written to a temp dir
//! CLORA_BENCH_MODEL=DIR CLORA_BENCH_THREADS=2 CLORA_BENCH_ITERS=7 cargo bench --bench model
//! ```
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use clora_host::model::{resolve_model, LoraConfig, SequenceClassifier};
use tch::{Device, Kind, Tensor};

mod common;
use common::{env_usize, median, repo_root};

const BATCH: i64 = 8;
const SEQ: i64 = 128;
const WARMUP: usize = 2;

fn write_gpt2(dir: &Path, python: &Path) {
    let status = Command::new(python)
        .arg(repo_root().join("tests/python/make_tiny_gpt2.py"))
        .arg(dir)
        .args([
            "--layout",
            "hub",
            "--n-layer",
            "12",
            "--n-head",
            "12",
            "--n-embd",
            "768",
        ])
        .args(["--n-positions", "1024", "--vocab-size", "50257"])
        .status()
        .expect("run make_tiny_gpt2.py");
    assert!(status.success(), "make_tiny_gpt2.py failed");
}

fn main() {
    let threads = env_usize(
        "CLORA_BENCH_THREADS",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    let iters = env_usize("CLORA_BENCH_ITERS", 7).max(5);
    let python = repo_root().join(".venv/bin/python");
    let tmp = tempfile::tempdir().expect("temp dir");
    let model_dir = match std::env::var("CLORA_BENCH_MODEL") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => {
            write_gpt2(tmp.path(), &python);
            tmp.path().to_path_buf()
        }
    };
    tch::set_num_threads(threads as i32);

    let files = resolve_model(model_dir.to_str().expect("utf-8 path"), None).expect("model files");
    let model =
        SequenceClassifier::load(&files, &LoraConfig::default(), Device::Cpu, 0).expect("load");
    let vocab = model.config().vocab_size;
    let ids: Vec<i64> = (0..BATCH)
        .flat_map(|b| (0..SEQ).map(move |t| (b * 131 + t * 31) % (vocab - 1)))
        .collect();
    let ids = Tensor::from_slice(&ids).reshape([BATCH, SEQ]);
    let mask = ids.ones_like();
    let labels = Tensor::from_slice(&(0..BATCH).map(|b| b % 2).collect::<Vec<i64>>());
    let variables: Vec<Tensor> = model.trainable().trainable_variables();
    let rust_step = || {
        let start = Instant::now();
        let loss = model
            .forward_t(&ids, &mask, true)
            .to_kind(Kind::Float)
            .cross_entropy_for_logits(&labels);
        loss.backward();
        for mut v in variables.iter().map(Tensor::shallow_clone) {
            v.zero_grad();
        }
        start.elapsed().as_secs_f64()
    };

    let mut child = Command::new(&python)
        .arg(repo_root().join("tests/python/bench_peft.py"))
        .arg(&model_dir)
        .args([
            "--threads",
            &threads.to_string(),
            "--batch",
            &BATCH.to_string(),
            "--seq",
            &SEQ.to_string(),
        ])
        .env("TRANSFORMERS_VERBOSITY", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start bench_peft.py");
    let mut to_python = child.stdin.take().expect("stdin");
    let mut from_python = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    from_python.read_line(&mut line).expect("python ready");
    assert_eq!(line.trim(), "ready", "bench_peft.py did not start");
    let mut python_step = || {
        writeln!(to_python, "step").expect("send step");
        to_python.flush().expect("flush");
        let mut line = String::new();
        from_python.read_line(&mut line).expect("python timing");
        line.trim().parse::<f64>().expect("seconds")
    };

    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for i in 0..WARMUP + iters {
        let (a, b) = (rust_step(), python_step());
        if i >= WARMUP {
            ours.push(a);
            theirs.push(b);
        }
    }
    let _quit = writeln!(to_python, "quit");
    drop(to_python);
    let _status = child.wait();

    let (ours, theirs) = (median(ours) * 1e3, median(theirs) * 1e3);
    println!("model: GPT-2 124M (random init), batch {BATCH} x {SEQ} tokens, LoRA c_attn r8, train mode, fp32 CPU");
    println!("threads: {threads}, iterations: {iters} each (alternating, after {WARMUP} warm-up)");
    println!("| implementation | forward+backward per batch (median) |");
    println!("|---|---|");
    println!("| clora-host (tch) | {ours:.0} ms |");
    println!("| transformers 5.24 + PEFT 0.21.2 | {theirs:.0} ms |");
    println!("ratio clora-host / PyTorch: {:.2}", ours / theirs);
}
