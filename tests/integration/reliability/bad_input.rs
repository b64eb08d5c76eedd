//! Bad input, through the binary: each case asserts the message (what is wrong and
//! where) and the state left behind (no half-made run directory, a cache rebuilt, a
//! checkpoint skipped).
use std::path::Path;

use clora_host::model::tiny::{write_tiny_model, TinySpec};

use super::lab::{
    assert_same_results, checkpoint_entries, edit_run_config, fixture, run, run_ok, summary, Lab,
};

/// `train --config FILE` with a malformed file: `error: FILE:LINE:COLUMN: …` naming the
/// valid choices, exit code 1, and no run directory.
#[test]
fn malformed_config_files_are_refused_at_file_line_column_with_the_valid_choices() {
    let lab = Lab::new();
    let cases = [
        (
            "[train]\nepochs = 2\nepoch = 3\n",
            "3:1: unknown field `epoch`, expected one of `epochs`, `max_steps`, `batch_size`",
        ),
        (
            "[train]\nbatch_size = \"large\"\n",
            "2:14: invalid type: string \"large\", expected u64",
        ),
        (
            "[train]\nweight_decay = -1.0\n",
            "2:1: `train.weight_decay` = -1 is out of range: ≥ 0",
        ),
        (
            "seed = 1\nname = \"my run!\"\n",
            "2:1: `name` = my run! is out of range: letters, digits, '-', '_' or '.'",
        ),
        (
            "[data]\nbad_rows = \"ignore\"\n",
            "2:12: unknown variant `ignore`, expected `skip` or `fail`",
        ),
        (
            "[plugins]\nmemory_mib = 8\n",
            "2:1: `plugins.memory_mib` = 8 is out of range: in [16, 65536]",
        ),
        ("[lora]\nr = 0\n", "2:1: `lora.r` = 0 is out of range: ≥ 1"),
        (
            "[lora]\ndropout = 1.5\n",
            "2:1: `lora.dropout` = 1.5 is out of range: in [0, 1)",
        ),
        ("[train\nlr = 1\n", "1:7: "),
    ];
    for (i, (text, expected)) in cases.into_iter().enumerate() {
        let file = lab.path(&format!("bad-{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let out_dir = lab.path(&format!("run-{i}"));
        let config = [
            "--config",
            file.to_str().unwrap(),
            "--set",
            "train.max_steps=1",
        ];
        let out = run(lab.train(&out_dir, &config));
        out.assert_failed_cleanly()
            .assert_stderr_has(&[&format!("error: {}:{expected}", file.display())]);
        assert!(!out_dir.exists(), "{text:?} left a run directory");
    }
    // The same mistakes through `--set` name the argument instead.
    for (set, expected) in [
        (
            "data.bad_rows=ignore",
            "error: --set data.bad_rows=ignore: unknown variant `ignore`, expected `skip` or `fail`",
        ),
        (
            "lora.r=0",
            "error: --set lora.r=0: `lora.r` = 0 is out of range: ≥ 1",
        ),
    ] {
        let out_dir = lab.path("run-set");
        run(lab.train(&out_dir, &["--set", set, "--set", "train.max_steps=1"]))
            .assert_failed_cleanly()
            .assert_stderr_has(&[expected]);
        assert!(!out_dir.exists());
    }
}

/// Missing or unreadable files: the config, the model, its weights and tokenizer, a data
/// file, a plugin. Each names the path and the cause; no run directory is left. (The
/// tests run as root, for whom permission bits do not stop a read, so "unreadable" is a
/// directory where a file should be.)
#[test]
fn missing_and_unreadable_inputs_are_named() {
    let lab = Lab::new();
    let out_dir = lab.path("run");
    let check_model = |model: &Path, extra: &[&str], expected: &[&str]| {
        let mut args = vec!["--set", "train.max_steps=1"];
        args.extend(extra);
        run(lab.train_model(model, &out_dir, &args))
            .assert_failed_cleanly()
            .assert_stderr_has(expected);
        assert!(!out_dir.exists(), "{extra:?} left a run directory");
    };
    let check = |extra: &[&str], expected: &[&str]| check_model(&lab.model, extra, expected);

    // The full message, each cause once.
    let missing = lab.path("missing.toml");
    let out = run(lab.train(&out_dir, &["--config", missing.to_str().unwrap()]));
    assert_eq!(
        out.assert_failed_cleanly().error_line(),
        format!(
            "error: cannot read config file {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    assert!(!out_dir.exists());
    let directory = lab.path("data");
    check(
        &["--config", directory.to_str().unwrap()],
        &[&format!(
            "error: cannot read config file {}: Is a directory",
            directory.display()
        )],
    );

    let no_model = lab.path("no-model");
    check_model(
        &no_model,
        &[],
        &[
            &no_model.display().to_string(),
            "neither an existing directory nor a Hugging Face Hub id",
        ],
    );
    // Truncated weights.
    let broken = lab.path("broken-model");
    copy_dir(&lab.model, &broken);
    let weights = broken.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 3]).unwrap();
    check_model(&broken, &[], &[&weights.display().to_string()]);
    // No tokenizer files.
    let bare = lab.path("bare-model");
    copy_dir(&lab.model, &bare);
    for name in ["tokenizer.json", "vocab.json", "merges.txt"] {
        let _ = std::fs::remove_file(bare.join(name));
    }
    check_model(&bare, &[], &[&bare.display().to_string(), "tokenizer"]);

    // A data file missing, then a directory in its place.
    let train_file = lab.data.join("commonsense_qa/train_rand_split.jsonl");
    let saved = std::fs::read(&train_file).unwrap();
    std::fs::remove_file(&train_file).unwrap();
    check(
        &[],
        &[
            &train_file.display().to_string(),
            "No such file or directory",
        ],
    );
    std::fs::create_dir(&train_file).unwrap();
    check(&[], &[&train_file.display().to_string(), "Is a directory"]);
    std::fs::remove_dir(&train_file).unwrap();
    std::fs::write(&train_file, saved).unwrap();

    // A plugin that is not there, or not a component.
    let wasm = lab.path("missing.wasm");
    check(
        &["--regularizer", wasm.to_str().unwrap()],
        &[&format!(
            "`regularizer.path` = {0}: cannot load plugin {0}: cannot read it: No such file or directory",
            wasm.display()
        )],
    );
    let garbage = lab.path("garbage.wasm");
    std::fs::write(&garbage, b"\0asm\x0d\0\x01\0 not a component").unwrap();
    check(
        &["--regularizer", garbage.to_str().unwrap()],
        &[&format!(
            "cannot load plugin {}: it is not a valid WebAssembly component",
            garbage.display()
        )],
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// `eval --adapter` with an adapter trained on a tiny model of another width: refused
/// naming the adapter file, the tensor and both shapes, not a crash inside libtorch.
#[test]
fn an_adapter_for_another_model_size_is_refused_with_both_shapes() {
    let lab = Lab::new();
    let trained = lab.path("run");
    run_ok(lab.train(&trained, &["--set", "train.max_steps=2"]));
    let wide = lab.path("wide-model");
    let spec = TinySpec {
        n_layer: 2,
        n_head: 2,
        n_embd: 48,
        n_positions: 128,
    };
    write_tiny_model(&wide, &spec, 7).unwrap();
    let local = crate::support::repo_root().join("configs/local.toml");
    let mut eval = lab.command(&["eval", "--config", local.to_str().unwrap()]);
    for set in lab.data_sets() {
        eval.arg("--set").arg(set);
    }
    eval.arg("--adapter")
        .arg(trained.join("adapter"))
        .arg("--model")
        .arg(&wide);
    let weights = trained.join("adapter/adapter_model.safetensors");
    run(eval).assert_failed_cleanly().assert_stderr_has(&[&format!(
        "error: {}: tensor `base_model.model.score.weight` has shape [2, 32], the model expects [2, 48]",
        weights.display()
    )]);
}

/// Bad data rows in a training run: `skip` trains on the rest and says which rows it
/// dropped and why (file:line); `fail` stops at the first, before any run directory.
#[test]
fn bad_training_rows_are_skipped_with_file_and_line_or_stop_the_run() {
    let lab = Lab::new();
    let file = lab.data.join("commonsense_qa/train_rand_split.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2] = "{\"question\": ".to_string();
    lines[4] = lines[4].replacen("\"answerKey\"", "\"answer_key\"", 1);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    let skipped = lab.path("skip");
    let out = run_ok(lab.train(&skipped, &["--set", "train.max_steps=2"]));
    for part in [
        "skipped 2 of 40 rows of train".to_string(),
        format!("e.g. {}:3: invalid JSON", file.display()),
        format!("e.g. {}:5: missing field `answerKey`", file.display()),
    ] {
        assert!(
            out.stderr.contains(&part),
            "{part:?} not in:\n{}",
            out.stderr
        );
    }
    assert_eq!(summary(&skipped)["training"]["examples"], 2 * 38);

    let failed = lab.path("fail");
    run(lab.train(&failed, &["--set", "data.bad_rows=\"fail\""]))
        .assert_failed_cleanly()
        .assert_stderr_has(&[&format!("{}:3: bad row: invalid JSON", file.display())]);
    assert!(!failed.exists());
}

/// Every cache entry damaged between two identical runs: the second run says so, rebuilds
/// them (byte for byte the same) and trains on the rebuilt data — its results equal the
/// first run's.
#[test]
fn damaged_cache_entries_are_rebuilt_not_used_by_training() {
    let lab = Lab::new();
    let first = lab.path("first");
    run_ok(lab.train(&first, &["--set", "train.max_steps=3"]));
    let mut entries: Vec<_> = walk_files(&lab.cache);
    entries.sort();
    assert!(entries.len() >= 10, "{entries:?}");
    let originals: Vec<Vec<u8>> = entries.iter().map(|p| std::fs::read(p).unwrap()).collect();
    for (path, bytes) in entries.iter().zip(&originals) {
        let mut damaged = bytes.clone();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0x20;
        std::fs::write(path, damaged).unwrap();
    }
    let second = lab.path("second");
    let out = run_ok(lab.train(&second, &["--set", "train.max_steps=3"]));
    assert!(
        out.stderr.contains("ignoring damaged entry") && out.stderr.contains("checksum"),
        "{}",
        out.stderr
    );
    for (path, bytes) in entries.iter().zip(&originals) {
        assert_eq!(
            &std::fs::read(path).unwrap(),
            bytes,
            "{} not rebuilt",
            path.display()
        );
    }
    assert_same_results(&first, &second);
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A damaged newest checkpoint: `--resume` warns (stderr and train.log), falls back to
/// the previous one and still ends exactly where an undisturbed run ends. With every
/// checkpoint damaged it refuses to resume, listing each and why.
#[test]
fn a_damaged_checkpoint_is_skipped_with_a_warning_and_the_previous_one_resumes() {
    let lab = Lab::new();
    let wasm = fixture("fx-step-trap");
    let train = |out: &Path, fail_at: i64| {
        let fail = format!("regularizer.fail_at_step={fail_at}");
        run(lab.train(
            out,
            &[
                "--regularizer",
                wasm.to_str().unwrap(),
                "--set",
                &fail,
                "--set",
                "train.max_steps=12",
                "--set",
                "train.checkpoint_every=4",
                "--set",
                "train.eval_each_epoch=false",
            ],
        ))
    };
    let reference = lab.path("reference");
    assert_eq!(train(&reference, -1).code, Some(0));
    let run_dir = lab.path("run");
    train(&run_dir, 9).assert_failed_cleanly();
    assert_eq!(
        checkpoint_entries(&run_dir),
        ["step-000000004", "step-000000008"]
    );

    let newest = run_dir.join("checkpoints/step-000000008");
    flip_byte(&newest.join("state.safetensors"));
    edit_run_config(&run_dir, "regularizer", "fail_at_step", (-1).into());
    let out = run_ok(lab.resume(&run_dir));
    let warning = format!(
        "warning: skipping damaged checkpoint {}: checksum mismatch: the state file is corrupted",
        newest.display()
    );
    let resuming = format!(
        "resuming from {} (step 4)",
        run_dir.join("checkpoints/step-000000004").display()
    );
    let log = std::fs::read_to_string(run_dir.join("train.log")).unwrap();
    for line in [&warning, &resuming] {
        assert!(
            out.stderr.contains(line.as_str()),
            "{line} not in:\n{}",
            out.stderr
        );
        assert!(
            log.contains(line.as_str()),
            "{line} not in train.log:\n{log}"
        );
    }
    assert_eq!(summary(&run_dir)["training"]["resumed_from_step"], 4);
    assert_same_results(&reference, &run_dir);

    // Nothing intact left: a clear refusal naming each checkpoint and its damage. (The
    // epoch ends at step 10 — 10 batches — with a checkpoint; two are kept.)
    let entries = checkpoint_entries(&run_dir);
    assert_eq!(entries, ["step-000000010", "step-000000012"]);
    let checkpoints = run_dir.join("checkpoints");
    flip_byte(&checkpoints.join("step-000000010/state.safetensors"));
    std::fs::write(
        checkpoints.join("step-000000012/checkpoint.json"),
        "{\"format",
    )
    .unwrap();
    run(lab.resume(&run_dir))
        .assert_failed_cleanly()
        .assert_stderr_has(&[
            &format!("error: no usable checkpoint in {}", checkpoints.display()),
            &format!(
                "{}: manifest is not valid JSON",
                checkpoints.join("step-000000012").display()
            ),
            &format!(
                "{}: checksum mismatch: the state file is corrupted",
                checkpoints.join("step-000000010").display()
            ),
        ]);
}

fn flip_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}
