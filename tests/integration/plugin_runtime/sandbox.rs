//! Sandbox limits, each with its exact error, and the host (and the plugin, rebuilt)
//! working after each: deadline, memory cap, panic, exit, tensor element cap, handle cap,
//! stale handles, malformed results.
use std::time::{Duration, Instant};

use clora_host::plugin::{
    LogLevel, PluginError, PluginRuntime, PreprocessorPlugin, RuntimeOptions,
};

use super::fixtures::{factors, fixture, layers, options, table, LogLines, CPU};
use super::loading::good_plugin_still_works;

fn runtime_with(
    dir: &std::path::Path,
    tweak: impl FnOnce(&mut RuntimeOptions),
) -> (PluginRuntime, LogLines) {
    let (mut options, log) = options(dir);
    tweak(&mut options);
    (PluginRuntime::new(options).unwrap(), log)
}

fn hostile(runtime: &PluginRuntime, params: &str) -> PreprocessorPlugin {
    runtime
        .load_preprocessor(&fixture("fx-hostile"), &table(params))
        .unwrap()
}

fn records(first: usize, n: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| format!(r#"{{"text": "row {i}", "label": {}}}"#, i % 2))
        .collect()
}

#[test]
fn an_infinite_loop_is_stopped_by_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |o| o.call_timeout = Duration::from_millis(300));
    let mut plugin = hostile(&runtime, "behaviour = \"spin\"");
    let started = Instant::now();
    let err = plugin.process_batch(0, &records(0, 2)).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped after {:?}",
        started.elapsed()
    );
    assert!(matches!(err, PluginError::Deadline { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "plugin `fx-hostile` exceeded its deadline of 300ms in `process-batch` and was stopped"
    );
    // The instance was discarded; the next call rebuilds it (and spins again).
    assert!(matches!(
        plugin.process_batch(2, &records(2, 1)),
        Err(PluginError::Deadline { .. })
    ));
    good_plugin_still_works(&runtime);
}

#[test]
fn a_loop_in_init_is_stopped_by_the_init_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |o| o.init_timeout = Duration::from_millis(200));
    let err = runtime
        .load_preprocessor(
            &fixture("fx-hostile"),
            &table("behaviour = \"spin\"\nstage = \"init\""),
        )
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "plugin `fx-hostile` exceeded its deadline of 200ms in `init` and was stopped"
    );
}

#[test]
fn a_memory_bomb_is_stopped_by_the_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |o| o.memory_limit_bytes = 64 << 20);
    let mut plugin = hostile(&runtime, "behaviour = \"alloc\"");
    let err = plugin.process_batch(0, &records(0, 1)).unwrap_err();
    let PluginError::Memory {
        limit_bytes,
        requested_bytes,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*limit_bytes, 64 << 20);
    assert!(*requested_bytes > 64 << 20);
    let message = err.to_string();
    assert!(
        message.starts_with("plugin `fx-hostile` exceeded its memory limit of 67108864 bytes in `process-batch` (it asked for "),
        "{message}"
    );
    good_plugin_still_works(&runtime);
}

#[test]
fn a_panic_message_is_surfaced_and_the_instance_is_rebuilt_with_the_same_init() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, log) = runtime_with(dir.path(), |_| ());
    let mut plugin = hostile(&runtime, "fail_row = 5");
    assert_eq!(plugin.process_batch(0, &records(0, 4)).unwrap().len(), 4);
    let err = plugin.process_batch(4, &records(4, 4)).unwrap_err();
    assert!(matches!(err, PluginError::Trap { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("plugin `fx-hostile` trapped in `process-batch`: panicked at "),
        "{message}"
    );
    assert!(
        message.contains(
            "fx-hostile fails on row 5 (wasm trap: wasm `unreachable` instruction executed)"
        ),
        "{message}"
    );
    let out = plugin.process_batch(8, &records(8, 4)).unwrap();
    assert_eq!(out[1].as_ref().unwrap()[0].text, "row 9");
    let inits: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.2.starts_with("init"))
        .map(|l| l.2.clone())
        .collect();
    assert_eq!(
        inits,
        [
            "init behaviour=ok fail_row=5",
            "init behaviour=ok fail_row=5"
        ],
        "init re-ran once, same params"
    );
    assert_eq!(log.lock().unwrap()[0].0, "fx-hostile");
    assert_eq!(log.lock().unwrap()[0].1, LogLevel::Info);
}

#[test]
fn a_panic_after_much_stderr_keeps_the_panic_message() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |_| ());
    let err = hostile(&runtime, "behaviour = \"chatty-panic\"")
        .process_batch(0, &records(0, 1))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("fx-hostile panicked after chatting (wasm trap:"),
        "{}",
        &message[message.len().saturating_sub(300)..]
    );
    assert!(
        message.len() < 3000,
        "the quoted stderr is bounded ({} bytes)",
        message.len()
    );
}

#[test]
fn panics_in_init_and_exit_are_traps_naming_the_function() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |_| ());
    let err = runtime
        .load_preprocessor(
            &fixture("fx-hostile"),
            &table("behaviour = \"panic\"\nstage = \"init\""),
        )
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(
        message.starts_with("plugin `fx-hostile` trapped in `init`: panicked at "),
        "{message}"
    );
    assert!(
        message.contains("fx-hostile was told to panic"),
        "{message}"
    );
    let err = hostile(&runtime, "behaviour = \"exit\"")
        .process_batch(0, &records(0, 1))
        .unwrap_err();
    assert_eq!(err.to_string(), "plugin `fx-hostile` trapped in `process-batch`: the plugin called exit with a failure status");
    good_plugin_still_works(&runtime);
}

#[test]
fn an_oversized_tensor_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |_| ());
    let mut plugin = runtime
        .load_regularizer(
            &fixture("fx-penalty"),
            &table("mode = \"oversized\""),
            &layers(),
            CPU,
        )
        .unwrap();
    let (a, b) = factors();
    let err = plugin.compute_penalty(0, &a, &b).unwrap_err();
    assert!(matches!(err, PluginError::Guest { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "plugin `fx-penalty` failed in `compute-penalty`: tensor of 1099511627776 elements refused: the cap is 33554432 elements per tensor"
    );
    good_plugin_still_works(&runtime);
}

#[test]
fn a_handle_flood_is_refused_and_the_handles_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |o| o.max_live_tensors = 64);
    let mut plugin = runtime
        .load_regularizer(
            &fixture("fx-penalty"),
            &table("mode = \"flood\""),
            &layers(),
            CPU,
        )
        .unwrap();
    let held = plugin.live_handles();
    assert_eq!(
        held,
        2 * 2,
        "two projectors per layer (base weights were dropped)"
    );
    let (a, b) = factors();
    let err = plugin.compute_penalty(7, &a, &b).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "plugin `fx-penalty` failed in `compute-penalty`: after {} tensors at step 7: too many live handles: \
             the plugin holds 64 and the cap is 64 per plugin (drop tensors you no longer need)",
            64 - held - 4
        )
    );
    assert_eq!(
        plugin.live_handles(),
        held,
        "the guest dropped its flood; lent inputs were released"
    );
    good_plugin_still_works(&runtime);
}

#[test]
fn a_stale_handle_traps_the_guest_not_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |_| ());
    let mut plugin = runtime
        .load_regularizer(
            &fixture("fx-penalty"),
            &table("mode = \"stale-handle\""),
            &layers(),
            CPU,
        )
        .unwrap();
    let (a, b) = factors();
    let err = plugin.compute_penalty(0, &a, &b).unwrap_err();
    assert!(matches!(err, PluginError::Trap { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("plugin `fx-penalty` trapped in `compute-penalty`: "),
        "{err}"
    );
    good_plugin_still_works(&runtime);
}

#[test]
fn malformed_results_are_refused_by_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _) = runtime_with(dir.path(), |_| ());
    let (a, b) = factors();
    let mut nan = runtime
        .load_regularizer(
            &fixture("fx-penalty"),
            &table("mode = \"nan\""),
            &layers(),
            CPU,
        )
        .unwrap();
    assert_eq!(
        nan.compute_penalty(0, &a, &b).unwrap_err().to_string(),
        "plugin `fx-penalty`, `compute-penalty`: the penalty is not finite (NaN)"
    );
    let mut vector = runtime
        .load_regularizer(
            &fixture("fx-penalty"),
            &table("mode = \"vector\""),
            &layers(),
            CPU,
        )
        .unwrap();
    assert_eq!(
        vector.compute_penalty(0, &a, &b).unwrap_err().to_string(),
        "plugin `fx-penalty`, `compute-penalty`: the penalty must have one element, it has shape [2]"
    );
    let err = vector.compute_penalty(0, &a[..1], &b[..1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `fx-penalty`, `compute-penalty`: the host passed 1 A and 1 B tensors for 2 layers"
    );
    let mut labels = hostile(&runtime, "label_offset = 2");
    assert_eq!(
        labels.process_batch(10, &records(10, 2)).unwrap_err().to_string(),
        "plugin `fx-hostile` returned a malformed result from `process-batch`: row 10: label 2 is not 0 or 1"
    );
    let rejected = hostile(&runtime, "")
        .process_batch(0, &["{\"label\": 1}".to_string()])
        .unwrap();
    assert_eq!(rejected, [Err("missing field `text`".to_string())]);
}
