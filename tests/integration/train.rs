//! Integration tests: `clora-host train`, `eval` and `--resume` end to end, through the
//! binary, on a tiny random-init GPT-2 and synthetic data in the real schemas.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use clora_host::data::synthetic::{write_demo_dataset, DemoSizes};
use clora_host::model::tiny::{write_tiny_model, TinySpec};
use serde_json::Value;

use crate::support::{host_binary, repo_root};

/// A tiny model and a small synthetic dataset under `dir`.
struct Assets {
    model: PathBuf,
    data: PathBuf,
    cache: PathBuf,
}

fn assets(dir: &Path) -> Assets {
    let model = dir.join("tiny-gpt2");
    write_tiny_model(
        &model,
        &TinySpec {
            n_layer: 2,
            n_head: 2,
            n_embd: 32,
            n_positions: 128,
        },
        7,
    )
    .unwrap();
    let data = dir.join("data");
    let sizes = DemoSizes {
        train: 200,
        validation: 40,
        boolq: 24,
        arc: 24,
        hellaswag: 24,
    };
    write_demo_dataset(&data, 3, sizes).unwrap();
    Assets {
        model,
        data,
        cache: dir.join("cache"),
    }
}

/// `clora-host train` over the assets with `extra` arguments.
fn train_command(a: &Assets, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(host_binary());
    cmd.current_dir(repo_root())
        .arg("train")
        .arg("--config")
        .arg("configs/local.toml");
    for set in [
        format!("data.root={:?}", a.data.display().to_string()),
        format!("data.cache_dir={:?}", a.cache.display().to_string()),
        "data.max_length=64".to_string(),
        "device=\"cpu\"".to_string(),
        "train.batch_size=8".to_string(),
        "train.eval_batch_size=32".to_string(),
        "train.lr=3e-3".to_string(),
        "train.log_every=5".to_string(),
    ] {
        cmd.arg("--set").arg(set);
    }
    cmd.arg("--model")
        .arg(&a.model)
        .arg("--output-dir")
        .arg(out)
        .args(extra);
    cmd
}

fn run_ok(mut cmd: Command) -> Output {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "command failed: {cmd:?}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn summary(run: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn train_writes_run_dir_with_every_metric_and_script_lines() {
    let dir = tempfile::tempdir().unwrap();
    let a = assets(dir.path());
    let out = dir.path().join("run");
    let output = run_ok(train_command(
        &a,
        &out,
        &[
            "--regularizer",
            "plugins/clora.wasm",
            "--set",
            "regularizer.k=4",
            "--set",
            "train.max_steps=12",
        ],
    ));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last: Vec<&str> = stdout.lines().rev().take(3).collect();
    assert_eq!(
        last[2],
        format!("MODEL_PATH: {}", out.join("adapter").display()),
        "{stdout}"
    );
    assert_eq!(last[1], format!("OUTPUT_DIR: {}", out.display()));
    assert_eq!(
        last[0],
        format!("SUMMARY_FILE: {}", out.join("summary.json").display())
    );
    for file in [
        "config.toml",
        "metrics.jsonl",
        "train.log",
        "summary.json",
        "adapter/adapter_config.json",
        "adapter/adapter_model.safetensors",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let s = summary(&out);
    for split in [
        "validation",
        "test.arc_challenge",
        "test.boolq",
        "test.hellaswag",
    ] {
        for key in ["accuracy", "precision", "recall", "f1"] {
            let v = s["splits"][split][key].as_f64().unwrap_or(-1.0);
            assert!((0.0..=1.0).contains(&v), "{split}.{key} = {v}");
        }
    }
    assert_eq!(s["training"]["steps"], 12);
    assert_eq!(s["plugins"]["regularizer"]["name"], "clora");
    assert_eq!(s["plugins"]["regularizer"]["params"]["k"], 4);
    assert_eq!(
        s["capacity"]["update_capacity"]["layers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // metrics.jsonl: one line per log interval with both loss parts.
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let steps: Vec<Value> = metrics
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v.get("loss_ce").is_some())
        .collect();
    assert_eq!(
        steps
            .iter()
            .map(|v| v["step"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![5, 10, 12]
    );
    assert!(
        steps.iter().all(|v| v["penalty"].as_f64().unwrap() > 0.0),
        "CLoRA penalty logged"
    );
}

#[test]
fn unknown_set_key_fails_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let a = assets(dir.path());
    let out = dir.path().join("run");
    let output = train_command(&a, &out, &["--set", "train.epoch=2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--set train.epoch=2: unknown field `epoch`, expected one of `epochs`"),
        "{stderr}"
    );
    assert!(!out.exists(), "no run directory for an invalid config");
}

#[test]
fn unknown_plugin_parameter_is_refused_with_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    let a = assets(dir.path());
    let output = train_command(
        &a,
        &dir.path().join("run"),
        &[
            "--regularizer",
            "plugins/clora.wasm",
            "--set",
            "regularizer.rank=3",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rank") && stderr.contains("k"), "{stderr}");
}

/// Final metrics of a run, as numbers, for exact comparisons.
fn final_numbers(s: &Value) -> Vec<f64> {
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

/// A run killed with SIGKILL mid-epoch and resumed with `--resume` ends with the same
/// metrics as the uninterrupted run (same seed, CPU) within 1e-5.
#[test]
fn sigkill_then_resume_matches_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let a = assets(dir.path());
    // 200 CSQA rows → 400 examples → 50 batches per epoch; 2 epochs, checkpoints every 10 steps.
    let args = [
        "--regularizer",
        "plugins/clora.wasm",
        "--set",
        "regularizer.k=4",
        "--epochs",
        "2",
        "--set",
        "train.checkpoint_every=10",
    ];
    let straight = dir.path().join("straight");
    run_ok(train_command(&a, &straight, &args));

    let killed = dir.path().join("killed");
    let mut child = train_command(&a, &killed, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // Kill as soon as the step-30 checkpoint exists (mid-epoch 0: 50 batches per epoch).
    let marker = killed
        .join("checkpoints")
        .join("step-000000030")
        .join("checkpoint.json");
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no checkpoint appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!killed.join("summary.json").exists());

    let mut resume = Command::new(host_binary());
    resume
        .current_dir(repo_root())
        .arg("train")
        .arg("--resume")
        .arg(&killed);
    let output = run_ok(resume);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("resuming from"), "{log}");
    let (x, y) = (
        final_numbers(&summary(&straight)),
        final_numbers(&summary(&killed)),
    );
    for (i, (p, q)) in x.iter().zip(&y).enumerate() {
        assert!(
            (p - q).abs() <= 1e-5,
            "value {i}: uninterrupted {p} vs resumed {q}"
        );
    }
    assert!(
        summary(&killed)["training"]["resumed_from_step"]
            .as_u64()
            .unwrap()
            >= 30
    );
}

/// The CLoRA paper's claim on a small scale: with a large λ the CLoRA penalty keeps the
/// update smaller — lower ‖ΔW‖₂ and lower output change F than plain LoRA on the same
/// data and seed.
#[test]
fn clora_with_large_lambda_lowers_update_capacity_and_output_change() {
    let dir = tempfile::tempdir().unwrap();
    let a = assets(dir.path());
    let common = ["--epochs", "1", "--set", "train.max_grad_norm=0.0"];
    let lora = dir.path().join("lora");
    run_ok(train_command(&a, &lora, &common));
    let clora = dir.path().join("clora");
    let mut args = common.to_vec();
    args.extend([
        "--regularizer",
        "plugins/clora.wasm",
        "--set",
        "regularizer.k=8",
        "--lambda",
        "50",
    ]);
    run_ok(train_command(&a, &clora, &args));
    let (l, c) = (summary(&lora), summary(&clora));
    let cap = |s: &Value| s["capacity"]["update_capacity"]["mean"].as_f64().unwrap();
    let f = |s: &Value| s["capacity"]["output_change"]["mean"].as_f64().unwrap();
    assert!(
        cap(&c) < cap(&l),
        "‖ΔW‖₂: CLoRA {} vs LoRA {}",
        cap(&c),
        cap(&l)
    );
    assert!(f(&c) < f(&l), "F: CLoRA {} vs LoRA {}", f(&c), f(&l));
}

#[test]
fn eval_reproduces_the_runs_validation_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let a = assets(dir.path());
    let out = dir.path().join("run");
    run_ok(train_command(&a, &out, &["--set", "train.max_steps=8"]));
    let json = dir.path().join("eval.json");
    let mut cmd = Command::new(host_binary());
    cmd.current_dir(repo_root())
        .args(["eval", "--run"])
        .arg(&out)
        .args(["--datasets", "validation", "--output"])
        .arg(&json);
    run_ok(cmd);
    let e: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let s = summary(&out);
    assert_eq!(e["splits"].as_object().unwrap().len(), 1);
    for key in ["accuracy", "f1", "loss"] {
        let (x, y) = (
            e["splits"]["validation"][key].as_f64().unwrap(),
            s["splits"]["validation"][key].as_f64().unwrap(),
        );
        assert!((x - y).abs() < 1e-6, "{key}: eval {x} vs run {y}");
    }
}

/// The README's first command runs `clora-host demo`; one epoch of it must already learn:
/// the logged cross-entropy falls and validation accuracy ends above chance.
#[test]
fn demo_learns_in_one_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(host_binary());
    cmd.current_dir(repo_root())
        .args(["demo", "--workdir"])
        .arg(dir.path())
        .args(["--set", "train.epochs=1", "--set"])
        .arg(format!(
            "data.cache_dir={:?}",
            dir.path().join("cache").display().to_string()
        ));
    let output = run_ok(cmd);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary_file = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SUMMARY_FILE: "))
        .expect("summary line");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(summary_file).unwrap()).unwrap();
    let accuracy = s["splits"]["validation"]["accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.58, "validation accuracy {accuracy}");
    let run = Path::new(summary_file).parent().unwrap();
    let losses: Vec<f64> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()?
                .get("loss_ce")?
                .as_f64()
        })
        .collect();
    assert!(losses.len() >= 5, "{losses:?}");
    let head = losses[..2].iter().sum::<f64>() / 2.0;
    let tail = losses[losses.len() - 2..].iter().sum::<f64>() / 2.0;
    assert!(tail < head, "cross-entropy should fall: {losses:?}");
    assert_eq!(s["plugins"]["regularizer"]["name"], "clora");
}
