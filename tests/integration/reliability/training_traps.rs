//! A training run whose plugin misbehaves mid-run (fixture `fx-step-trap`, a regularizer
//! that panics, loops, allocates, exits or returns an infinite penalty from a given
//! step) stops with exit code 1 and a message naming the plugin and the cause; its
//! newest checkpoint is intact; after the user's fix (the saved config edited) it
//! resumes with `--resume` and ends exactly where an undisturbed run ends; and nothing is
//! written outside its run directory.
use std::path::Path;
use std::time::{Duration, Instant};

use clora_host::train::checkpoint;

use super::lab::{
    assert_same_results, assert_unchanged, checkpoint_entries, edit_run_config, fixture, run,
    run_ok, snapshot, summary, Lab, Outcome,
};

/// `train` with fx-step-trap misbehaving (`behaviour`) from step `fail_at` (-1: never).
fn train_with_trap(
    lab: &Lab,
    out: &Path,
    behaviour: &str,
    fail_at: i64,
    extra: &[&str],
) -> Outcome {
    let wasm = fixture("fx-step-trap");
    let mut args = vec![
        "--regularizer".to_string(),
        wasm.display().to_string(),
        "--set".to_string(),
        format!("regularizer.behaviour=\"{behaviour}\""),
        "--set".to_string(),
        format!("regularizer.fail_at_step={fail_at}"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(lab.train(out, &args))
}

/// What a stopped run must look like: no summary or final adapter, exactly the
/// expected complete checkpoints (no `.partial-*`), the newest loading with its checksum
/// verified, and the stop explained in train.log with the resume command.
fn assert_stopped_with_intact_checkpoint(run: &Path, checkpoints: &[&str], cause: &str) {
    assert!(
        !run.join("summary.json").exists(),
        "no summary for a stopped run"
    );
    assert!(
        !run.join("adapter").exists(),
        "no final adapter for a stopped run"
    );
    assert_eq!(checkpoint_entries(run), checkpoints);
    let newest = checkpoint::load_latest(&run.join("checkpoints")).unwrap();
    assert!(newest.skipped.is_empty(), "{:?}", newest.skipped);
    assert_eq!(
        newest.dir.file_name().unwrap().to_str(),
        checkpoints.last().copied()
    );
    let log = std::fs::read_to_string(run.join("train.log")).unwrap();
    assert!(log.contains(&format!("training stopped: {cause}")), "{log}");
    assert!(
        log.contains(&format!(
            "continue with: clora-host train --resume {}",
            run.display()
        )),
        "{log}"
    );
}

#[test]
fn a_plugin_panicking_mid_run_stops_it_cleanly_writing_nothing_outside_and_it_resumes_exactly() {
    let lab = Lab::new();
    let steps = [
        "--set",
        "train.max_steps=8",
        "--set",
        "train.checkpoint_every=4",
    ];
    // The undisturbed run; it also warms the data and compiled-component caches, so the
    // run below has no reason to write anywhere but its run directory.
    let reference = lab.path("reference");
    let out = train_with_trap(&lab, &reference, "panic", -1, &steps);
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    let run_dir = lab.path("run");
    let before = snapshot(lab.dir.path(), &run_dir);
    let cause = "plugin `fx-step-trap` trapped in `compute-penalty`: panicked at ";
    train_with_trap(&lab, &run_dir, "panic", 6, &steps)
        .assert_failed_cleanly()
        .assert_stderr_has(&[
            &format!("error: {cause}"),
            "fx-step-trap was told to panic at step 6",
            "(wasm trap: wasm `unreachable` instruction executed)",
        ]);
    assert_unchanged(&before, &snapshot(lab.dir.path(), &run_dir));
    assert_stopped_with_intact_checkpoint(&run_dir, &["step-000000004"], cause);

    // The user fixes the cause and resumes: the run continues from step 4 and ends
    // exactly where the undisturbed one did.
    edit_run_config(&run_dir, "regularizer", "fail_at_step", (-1).into());
    let resumed = run_ok(lab.resume(&run_dir));
    assert!(
        resumed.stderr.contains(&format!(
            "resuming from {} (step 4)",
            run_dir.join("checkpoints/step-000000004").display()
        )),
        "{}",
        resumed.stderr
    );
    let s = summary(&run_dir);
    assert_eq!(s["training"]["resumed_from_step"], 4);
    assert_eq!(s["training"]["steps"], 8);
    assert_same_results(&reference, &run_dir);
}

/// One misbehaviour from step 2 (checkpoints every 2 steps): a clean stop with `cause`
/// in the error and train.log, the step-2 checkpoint intact, and the run resumable.
fn stops_cleanly(behaviour: &str, extra: &[&str], cause: &str) -> Duration {
    let lab = Lab::new();
    let run_dir = lab.path("run");
    let mut args = vec![
        "--set",
        "train.max_steps=4",
        "--set",
        "train.checkpoint_every=2",
    ];
    args.extend(extra);
    let started = Instant::now();
    let out = train_with_trap(&lab, &run_dir, behaviour, 2, &args);
    let elapsed = started.elapsed();
    out.assert_failed_cleanly()
        .assert_stderr_has(&[&format!("error: {cause}")]);
    assert_stopped_with_intact_checkpoint(&run_dir, &["step-000000002"], cause);
    edit_run_config(&run_dir, "regularizer", "fail_at_step", (-1).into());
    run_ok(lab.resume(&run_dir));
    assert_eq!(summary(&run_dir)["training"]["resumed_from_step"], 2);
    elapsed
}

#[test]
fn an_endless_loop_mid_run_is_stopped_by_the_call_deadline() {
    let elapsed = stops_cleanly(
        "spin",
        &["--set", "plugins.call_timeout_ms=300"],
        "plugin `fx-step-trap` exceeded its deadline of 300ms in `compute-penalty` and was stopped",
    );
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
}

#[test]
fn unbounded_allocation_mid_run_is_stopped_by_the_memory_cap() {
    stops_cleanly(
        "alloc",
        &["--set", "plugins.memory_mib=32"],
        "plugin `fx-step-trap` exceeded its memory limit of 33554432 bytes in `compute-penalty` (it asked for ",
    );
}

#[test]
fn exit_mid_run_is_a_trap_not_the_end_of_the_host() {
    stops_cleanly(
        "exit",
        &[],
        "plugin `fx-step-trap` trapped in `compute-penalty`: the plugin called exit with a failure status",
    );
}

#[test]
fn an_infinite_penalty_mid_run_is_refused() {
    stops_cleanly(
        "inf",
        &[],
        "plugin `fx-step-trap`, `compute-penalty`: the penalty is not finite (inf)",
    );
}

/// The runtime's tensor limits and result checks (see `plugin_runtime::sandbox` and
/// `::autograd` for each one in isolation) stop a training run at its first step with
/// the plugin and the cause named, leaving a run directory without checkpoints.
#[test]
fn tensor_abuse_and_malformed_results_stop_training_at_the_first_step() {
    let lab = Lab::new();
    let cases: [(&str, &str, &str, &str); 8] = [
        (
            "--regularizer",
            "fx-penalty",
            "oversized",
            "plugin `fx-penalty` failed in `compute-penalty`: tensor of 1099511627776 elements refused: the cap is 33554432 elements per tensor",
        ),
        (
            "--regularizer",
            "fx-penalty",
            "flood",
            "tensors at step 0: too many live handles: the plugin holds 4096 and the cap is 4096 per plugin",
        ),
        (
            "--regularizer",
            "fx-penalty",
            "nan",
            "plugin `fx-penalty`, `compute-penalty`: the penalty is not finite (NaN)",
        ),
        (
            "--regularizer",
            "fx-penalty",
            "vector",
            "plugin `fx-penalty`, `compute-penalty`: the penalty must have one element, it has shape [2]",
        ),
        (
            "--regularizer",
            "fx-penalty",
            "stale-handle",
            "plugin `fx-penalty` trapped in `compute-penalty`: ",
        ),
        (
            "--grad-processor",
            "fx-grads",
            "transpose",
            "plugin `fx-grads`, `process-grads`: grad_a[0] has shape [32, 8], expected [8, 32]",
        ),
        (
            "--grad-processor",
            "fx-grads",
            "nan",
            "plugin `fx-grads`, `process-grads`: grad_a[0] has non-finite values (NaN or infinity)",
        ),
        (
            "--grad-processor",
            "fx-grads",
            "missing",
            "plugin `fx-grads`, `process-grads`: returned 1 gradients for a, expected 2 (one per layer)",
        ),
    ];
    for (i, (flag, name, mode, cause)) in cases.into_iter().enumerate() {
        let run_dir = lab.path(&format!("run-{i}-{name}-{mode}"));
        let wasm = fixture(name);
        let section = flag.trim_start_matches("--").replace('-', "_");
        let mode_set = format!("{section}.mode=\"{mode}\"");
        let out = run(lab.train(
            &run_dir,
            &[
                flag,
                wasm.to_str().unwrap(),
                "--set",
                &mode_set,
                "--set",
                "train.max_steps=2",
            ],
        ));
        out.assert_failed_cleanly().assert_stderr_has(&[cause]);
        assert!(!run_dir.join("summary.json").exists(), "{name} {mode}");
        assert!(checkpoint_entries(&run_dir).is_empty(), "{name} {mode}");
        let log = std::fs::read_to_string(run_dir.join("train.log")).unwrap();
        assert!(log.contains("training stopped: "), "{log}");
        assert!(log.contains(cause), "{log}");
    }
}
