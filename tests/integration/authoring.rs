//! Integration tests of the plugin authoring kit: `clora-host plugins new` scaffolds of
//! every kind in Rust and Python build and pass `plugins check` as written; a
//! Python-written regularizer trains a tiny run exactly like the Rust `l2` it mirrors;
//! the Python examples (`plugins/python/examples`) reproduce their Rust twins through
//! the host; the Python SDK's native tests pass; bad requests are refused.
//!
//! Rust scaffolds build into one shared target dir
//! (`~/.cache/clora-host/scaffold-target`, or under the system temp dir without HOME),
//! so repeated runs are incremental. Python builds use the project venv's
//! `componentize-py` (`host/scripts/setup.sh` installs it). Every test writes its
//! projects, components and the compiled-component cache under its own tempdir.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clora_host::data::synthetic::{rows, write_demo_dataset, Dataset, DemoSizes, Schema};
use clora_host::model::tiny::{write_tiny_model, TinySpec};
use clora_host::plugin::conformance::probe_layers;
use clora_host::plugin::{LogLevel, PluginKind, PluginRuntime, RuntimeOptions};
use clora_host::scaffold::{self, Lang, NewPlugin, ScaffoldError};
use serde_json::Value;
use tch::{Device, Kind, Tensor};

use crate::support::{host_binary, plugin_wasm, repo_root, venv_python};

const KINDS: [&str; 3] = ["regularizer", "grad-processor", "preprocessor"];

/// The target dir shared by every Rust scaffold build of every test run.
fn scaffold_target_dir() -> PathBuf {
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".cache/clora-host/scaffold-target"),
        None => std::env::temp_dir().join("clora-host-scaffold-target"),
    }
}

fn componentize_py() -> PathBuf {
    let tool = repo_root().join(".venv/bin/componentize-py");
    assert!(
        tool.exists(),
        "{} is missing: run host/scripts/setup.sh (host/scripts/requirements.txt pins it)",
        tool.display()
    );
    tool
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run_ok(mut cmd: Command) -> Output {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "command failed: {cmd:?}\nstdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// `clora-host plugins new` through the binary.
fn plugins_new(parent: &Path, name: &str, kind: &str, lang: &str) -> Output {
    let mut cmd = Command::new(host_binary());
    cmd.args(["plugins", "new", "--kind", kind, "--lang", lang, "--dir"])
        .arg(parent)
        .arg(name);
    cmd.output().unwrap()
}

/// The project's `check.sh`, with this test's binary, the shared scaffold target dir and
/// a compiled-component cache under `cache`.
fn check_script(project: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(project.join("check.sh"));
    cmd.env("CLORA_HOST", host_binary())
        .env("CARGO_TARGET_DIR", scaffold_target_dir())
        .env("XDG_CACHE_HOME", cache)
        .env_remove("VIRTUAL_ENV");
    cmd
}

fn assert_passed(output: &Output, name: &str, kind: &str) {
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!("passed: {name} conforms to the {kind} contract")),
        "{stdout}\n{}",
        text(&output.stderr)
    );
}

#[test]
fn rust_scaffolds_of_every_kind_test_build_and_pass_check() {
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        let name = format!("rs-{kind}");
        let made = plugins_new(dir.path(), &name, kind, "rust");
        assert!(made.status.success(), "{}", text(&made.stderr));
        assert!(
            text(&made.stdout).contains(&format!("created {name} (rust {kind} plugin)")),
            "{}",
            text(&made.stdout)
        );
        let project = dir.path().join(&name);
        let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
        assert!(readme.contains(&format!("clora-host plugins check {name}.wasm")));
        let output = run_ok(check_script(&project, &dir.path().join("cache")));
        // The native unit tests ran (cargo test --quiet prints its summary) ...
        assert!(
            text(&output.stdout).contains("test result: ok."),
            "{}",
            text(&output.stdout)
        );
        // ... then the component was built and passed the host's probe.
        assert!(project.join(format!("{name}.wasm")).is_file());
        assert_passed(&output, &name, kind);
    }
}

/// One tiny `clora-host train` run (2-layer GPT-2, synthetic CSQA, 4 steps) with
/// `regularizer`; returns the run directory.
fn tiny_train(dir: &Path, regularizer: &Path, run: &str, cache: &Path) -> PathBuf {
    let model = dir.join("tiny-gpt2");
    let data = dir.join("data");
    if !model.is_dir() {
        let spec = TinySpec {
            n_layer: 2,
            n_head: 2,
            n_embd: 32,
            n_positions: 128,
        };
        write_tiny_model(&model, &spec, 7).unwrap();
        let sizes = DemoSizes {
            train: 64,
            validation: 16,
            boolq: 8,
            arc: 8,
            hellaswag: 8,
        };
        write_demo_dataset(&data, 3, sizes).unwrap();
    }
    let out = dir.join(run);
    let mut cmd = Command::new(host_binary());
    cmd.current_dir(repo_root())
        .env("XDG_CACHE_HOME", cache)
        .args(["train", "--config", "configs/local.toml"]);
    for set in [
        format!("data.root={:?}", data.display().to_string()),
        format!(
            "data.cache_dir={:?}",
            dir.join("data-cache").display().to_string()
        ),
        "data.max_length=64".to_string(),
        "device=\"cpu\"".to_string(),
        "train.batch_size=8".to_string(),
        "train.eval_batch_size=32".to_string(),
        "train.lr=3e-3".to_string(),
        "train.log_every=1".to_string(),
        "train.max_steps=4".to_string(),
    ] {
        cmd.arg("--set").arg(set);
    }
    cmd.arg("--model")
        .arg(&model)
        .arg("--regularizer")
        .arg(regularizer)
        .args(["--lambda", "0.5", "--max-eval-samples", "8", "--output-dir"])
        .arg(&out);
    run_ok(cmd);
    out
}

/// `(step, penalty, loss_ce)` of every metrics line.
fn penalties(run: &Path) -> Vec<(u64, f64, f64)> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|m| m.get("penalty").is_some())
        .map(|m| {
            (
                m["step"].as_u64().unwrap(),
                m["penalty"].as_f64().unwrap(),
                m["loss_ce"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn python_scaffolds_of_every_kind_pass_check_and_the_regularizer_trains_like_rust_l2() {
    componentize_py();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    for kind in KINDS {
        let name = format!("py-{kind}");
        let made = plugins_new(dir.path(), &name, kind, "python");
        assert!(made.status.success(), "{}", text(&made.stderr));
        let project = dir.path().join(&name);
        let output = run_ok(check_script(&project, &cache));
        // test_plugin.py (numpy, no build) passed before the build.
        assert!(
            text(&output.stdout).contains("ok: "),
            "{}",
            text(&output.stdout)
        );
        assert_passed(&output, &name, kind);
    }

    // The scaffold regularizer is scale × mean over layers of ‖A‖² + ‖B‖²: with its
    // defaults, the built-in `l2` (Rust) with its defaults. Same seed, same data: the two
    // runs must log the same penalties and losses.
    let python = tiny_train(
        dir.path(),
        &dir.path().join("py-regularizer/py-regularizer.wasm"),
        "run-python",
        &cache,
    );
    let rust = tiny_train(dir.path(), &plugin_wasm("l2"), "run-rust", &cache);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(python.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(
        summary["plugins"]["regularizer"]["name"], "py-regularizer",
        "{summary}"
    );
    assert_eq!(
        summary["plugins"]["regularizer"]["params"]["reduction"],
        "mean"
    );
    let (py, rs) = (penalties(&python), penalties(&rust));
    assert_eq!(py.len(), 4, "{py:?}");
    assert_eq!(py.len(), rs.len());
    for ((step, p, loss), (rs_step, rp, rloss)) in py.iter().zip(&rs) {
        assert_eq!(step, rs_step);
        assert!(*p > 0.0 && p.is_finite(), "penalty {p} at step {step}");
        assert!(
            (p - rp).abs() <= 1e-6 * rp.abs(),
            "step {step}: penalty {p} vs {rp}"
        );
        assert!(
            (loss - rloss).abs() <= 1e-6 * rloss.abs(),
            "step {step}: loss {loss} vs {rloss}"
        );
    }
}

/// `plugins/python/examples/<example>` built with componentize-py into `out`.
fn build_example(example: &str, world: &str, out: &Path) -> PathBuf {
    let root = repo_root();
    let mut cmd = Command::new(componentize_py());
    cmd.current_dir(&root)
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
        .arg(out);
    run_ok(cmd);
    out.to_path_buf()
}

fn runtime(cache: &Path) -> PluginRuntime {
    PluginRuntime::new(RuntimeOptions {
        cache_dir: Some(cache.to_path_buf()),
        ..RuntimeOptions::default()
    })
    .unwrap()
}

fn params(text: &str) -> toml::Table {
    text.parse().unwrap()
}

#[test]
fn python_examples_reproduce_their_rust_twins_through_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let py_l2 = build_example("l2", "regularizer-plugin", &dir.path().join("py-l2.wasm"));
    let py_csqa = build_example(
        "commonsense_qa",
        "preprocessor-plugin",
        &dir.path().join("py-commonsense-qa.wasm"),
    );
    let runtime = runtime(&dir.path().join("cache"));

    // py-l2 vs l2: the same penalty and the same gradients on GPT-2-shaped factors.
    let layers = probe_layers(Device::Cpu);
    tch::manual_seed(11);
    let leaf = |rows: usize, cols: usize| {
        Tensor::randn([rows as i64, cols as i64], (Kind::Float, Device::Cpu))
            .set_requires_grad(true)
    };
    let a: Vec<Tensor> = layers.iter().map(|l| leaf(l.rank, l.in_features)).collect();
    let b: Vec<Tensor> = layers
        .iter()
        .map(|l| leaf(l.out_features, l.rank))
        .collect();
    let grads_of = |wasm: &Path| {
        let mut plugin = runtime
            .load_regularizer(wasm, &params("reduction = \"sum\""), &layers, Device::Cpu)
            .unwrap();
        for t in a.iter().chain(&b) {
            let mut g = t.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
        let penalty = plugin.compute_penalty(0, &a, &b).unwrap();
        penalty.backward();
        let grads: Vec<Tensor> = a.iter().chain(&b).map(|t| t.grad().copy()).collect();
        (penalty.double_value(&[]), grads)
    };
    let (py_value, py_grads) = grads_of(&py_l2);
    let (rs_value, rs_grads) = grads_of(&plugin_wasm("l2"));
    let expected: f64 = a
        .iter()
        .chain(&b)
        .map(|t| t.square().sum(Kind::Double).double_value(&[]))
        .sum();
    assert!(
        (py_value - expected).abs() <= 1e-5 * expected,
        "{py_value} vs {expected}"
    );
    assert!(
        (py_value - rs_value).abs() <= 1e-6 * rs_value,
        "{py_value} vs {rs_value}"
    );
    for (p, r) in py_grads.iter().zip(&rs_grads) {
        let diff = (p - r).abs().max().double_value(&[]);
        assert!(diff <= 1e-6, "gradients differ by {diff}");
    }

    // py-commonsense-qa vs commonsense-qa: the same examples, row for row, in both
    // schemas, with a non-default seed and template, across batch boundaries.
    let settings = params("seed = 9\ntemplate = \"Q: {question} / {answer}\"");
    let convert = |wasm: &Path, records: &[String]| {
        let mut plugin = runtime.load_preprocessor(wasm, &settings).unwrap();
        let mut out = Vec::new();
        for (i, batch) in records.chunks(37).enumerate() {
            out.extend(plugin.process_batch((i * 37) as u64, batch).unwrap());
        }
        out.into_iter()
            .map(|r| {
                r.map(|ex| {
                    ex.into_iter()
                        .map(|e| (e.text, e.label))
                        .collect::<Vec<_>>()
                })
            })
            .collect::<Vec<_>>()
    };
    for schema in [Schema::Original, Schema::Hub] {
        let mut records: Vec<String> = rows(Dataset::CommonsenseQa, schema, 120, 5, "train")
            .iter()
            .map(Value::to_string)
            .collect();
        records.push(r#"{"question": "no choices"}"#.to_string());
        let (py, rs) = (
            convert(&py_csqa, &records),
            convert(&plugin_wasm("commonsense-qa"), &records),
        );
        assert_eq!(py.len(), records.len());
        for (row, (p, r)) in py.iter().zip(&rs).enumerate() {
            match (p, r) {
                (Ok(p), Ok(r)) => assert_eq!(p, r, "{schema:?} row {row}"),
                (Err(p), Err(r)) => assert!(p.starts_with(r.as_str()), "{p} / {r}"),
                _ => panic!("{schema:?} row {row}: python {p:?}, rust {r:?}"),
            }
        }
        assert!(py[..120]
            .iter()
            .all(|r| r.as_ref().is_ok_and(|e| e.len() == 2)));
    }
}

#[test]
fn python_plugin_failures_reach_the_user_as_messages_and_prints_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    let wasm = dir.path().join("py-faults.wasm");
    let mut cmd = Command::new(componentize_py());
    cmd.current_dir(&root)
        .env_remove("VIRTUAL_ENV")
        .args([
            "-q",
            "-d",
            "wit",
            "-w",
            "regularizer-plugin",
            "componentize",
            "--stub-wasi",
        ])
        .args([
            "-p",
            "tests/python/py_faults",
            "-p",
            "plugins/python",
            "plugin",
            "-o",
        ])
        .arg(&wasm);
    run_ok(cmd);
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let runtime = PluginRuntime::new(RuntimeOptions {
        cache_dir: Some(dir.path().join("cache")),
        log_sink: std::sync::Arc::new(move |plugin: &str, level: LogLevel, message: &str| {
            sink.lock()
                .unwrap()
                .push(format!("[{plugin}] {level}: {message}"));
        }),
        ..RuntimeOptions::default()
    })
    .unwrap();
    let layers = probe_layers(Device::Cpu);
    let mut plugin = runtime
        .load_regularizer(&wasm, &toml::Table::new(), &layers, Device::Cpu)
        .unwrap();
    let a: Vec<Tensor> = layers
        .iter()
        .map(|l| {
            Tensor::ones(
                [l.rank as i64, l.in_features as i64],
                (Kind::Float, Device::Cpu),
            )
        })
        .collect();
    let b: Vec<Tensor> = layers
        .iter()
        .map(|l| {
            Tensor::ones(
                [l.out_features as i64, l.rank as i64],
                (Kind::Float, Device::Cpu),
            )
        })
        .collect();
    let expected: f64 = layers
        .iter()
        .map(|l| (l.rank * (l.in_features + l.out_features)) as f64)
        .sum();
    let penalty = plugin.compute_penalty(0, &a, &b).unwrap();
    assert_eq!(penalty.double_value(&[]), expected);
    let mut failure = |step: u64| {
        plugin
            .compute_penalty(step, &a, &b)
            .unwrap_err()
            .to_string()
    };
    let cases = [
        (
            1,
            "ZeroDivisionError: division by zero (at plugin.py:23 in compute_penalty)",
        ),
        (
            2,
            "open(): the plugin sandbox has no file system (at plugin.py:25 in compute_penalty)",
        ),
        (
            3,
            "time.time(): the plugin sandbox has no clock (at plugin.py:27 in compute_penalty)",
        ),
        (4, "os.urandom(): the plugin sandbox has no OS randomness"),
        (5, "(at plugin.py:31 in compute_penalty)"),
    ];
    for (step, message) in cases {
        let err = failure(step);
        assert!(
            err.contains("plugin `py-faults` failed in `compute-penalty`"),
            "{err}"
        );
        assert!(err.contains(message), "step {step}: {err}");
    }
    // An error is the call's `err`, not a trap: the instance lives on.
    assert_eq!(
        plugin.compute_penalty(0, &a, &b).unwrap().double_value(&[]),
        expected
    );
    let lines = lines.lock().unwrap();
    assert_eq!(lines[0], "[py-faults] info: init: 4 layers", "{lines:?}");
    assert_eq!(lines[1], "[py-faults] warn: step 0", "{lines:?}");
    assert_eq!(lines.len(), 1 + 7, "{lines:?}");
}

#[test]
fn python_sdk_native_tests_pass() {
    for part in ["pure", "regularizer", "preprocessor"] {
        let mut cmd = Command::new(venv_python());
        cmd.arg(repo_root().join("tests/python/test_clora_plugin.py"))
            .arg(part);
        let output = run_ok(cmd);
        assert_eq!(text(&output.stdout).trim(), format!("ok: {part}"));
    }
}

#[test]
fn plugins_new_refuses_bad_names_existing_directories_and_workspace_members() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |output: Output, expected: &str| {
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    };
    refused(
        plugins_new(dir.path(), "My Plugin", "regularizer", "rust"),
        "error: invalid plugin name \"My Plugin\": 'M' is not allowed",
    );
    refused(
        plugins_new(dir.path(), "2fast", "preprocessor", "python"),
        "it must start with a letter",
    );
    refused(
        plugins_new(dir.path(), "test", "regularizer", "rust"),
        "it is reserved",
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    std::fs::create_dir(dir.path().join("taken")).unwrap();
    std::fs::write(dir.path().join("taken/keep.txt"), "mine").unwrap();
    refused(
        plugins_new(dir.path(), "taken", "regularizer", "python"),
        &format!(
            "{} already exists; choose another name or --dir (nothing was written)",
            dir.path().canonicalize().unwrap().join("taken").display()
        ),
    );
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("taken"))
        .unwrap()
        .collect();
    assert_eq!(kept.len(), 1);

    // An unknown kind is a usage error (clap) listing the kinds.
    let output = plugins_new(dir.path(), "x", "optimizer", "rust");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr)
        .contains("[possible values: regularizer, grad-processor, preprocessor]"));

    // Inside the plugins workspace's member folders, a scaffold would break that workspace.
    let err = scaffold::create(&NewPlugin {
        name: "x",
        kind: PluginKind::Preprocessor,
        lang: Lang::Rust,
        parent: &repo_root().join("plugins/builtin"),
        repo: &repo_root(),
        host_binary: &host_binary(),
    })
    .unwrap_err();
    assert!(matches!(err, ScaffoldError::BadDestination { .. }), "{err}");
    assert!(!repo_root().join("plugins/builtin/x").exists());
}

/// A stand-in checkout with the files the scaffolder looks for.
fn fake_checkout(root: &Path) {
    for file in [
        "plugins/sdk/Cargo.toml",
        "plugins/python/clora_plugin/__init__.py",
        "wit/plugin.wit",
    ] {
        std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
        std::fs::write(root.join(file), "").unwrap();
    }
}

#[test]
fn projects_refer_to_the_checkout_relatively_inside_it_and_absolutely_outside() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("checkout");
    fake_checkout(&repo);
    let new = |parent: &Path, name: &'static str, lang: Lang| {
        scaffold::create(&NewPlugin {
            name,
            kind: PluginKind::Regularizer,
            lang,
            parent,
            repo: &repo,
            host_binary: Path::new("/opt/clora-host"),
        })
    };
    let inside = new(&repo.join("my-plugins"), "inner", Lang::Rust).unwrap();
    let cargo = std::fs::read_to_string(inside.dir.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains(r#"clora-plugin-sdk = { path = "../../plugins/sdk" }"#),
        "{cargo}"
    );
    let outside = new(&dir.path().join("elsewhere"), "outer", Lang::Python).unwrap();
    let build = std::fs::read_to_string(outside.dir.join("build.sh")).unwrap();
    let canonical = repo.canonicalize().unwrap();
    assert!(
        build.contains(&format!("DEFAULT_REPO='{}'", canonical.display())),
        "{build}"
    );
    assert_eq!(outside.wasm, outside.dir.join("outer.wasm"));
    let check = std::fs::read_to_string(outside.dir.join("check.sh")).unwrap();
    assert!(check.contains("DEFAULT_HOST='/opt/clora-host'"), "{check}");

    std::fs::remove_file(repo.join("plugins/sdk/Cargo.toml")).unwrap();
    let err = new(dir.path(), "nosdk", Lang::Rust).unwrap_err();
    assert!(
        err.to_string().contains(
            "is not a clora-host checkout (missing plugins/sdk/Cargo.toml); pass --repo DIR"
        ),
        "{err}"
    );
}
