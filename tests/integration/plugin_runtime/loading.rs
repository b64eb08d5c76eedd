//! Loading: describe, the compiled-component cache, refusals at load (contract version,
//! forbidden imports, wrong kind, bad parameters), and use from several threads.
use std::time::Instant;

use clora_host::plugin::{
    CacheOutcome, ParamType, ParamValue, PluginError, PluginKind, PluginRuntime,
    PreprocessorPlugin, RegularizerPlugin,
};

use super::fixtures::{factors, fixture, layers, options, runtime, table, CPU};

/// Proves the runtime still works: loads the good regularizer and computes a penalty.
pub fn good_plugin_still_works(runtime: &PluginRuntime) {
    let mut plugin = runtime
        .load_regularizer(&fixture("fx-penalty"), &table(""), &layers(), CPU)
        .unwrap();
    let (a, b) = factors();
    let penalty = plugin.compute_penalty(0, &a, &b).unwrap();
    assert!(penalty.double_value(&[]) > 0.0);
}

#[test]
fn describe_reports_kind_identity_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let info = runtime(dir.path())
        .describe(&fixture("fx-penalty"))
        .unwrap();
    assert_eq!(
        (info.name.as_str(), info.version.as_str(), info.kind),
        ("fx-penalty", "0.3.1", PluginKind::Regularizer)
    );
    assert_eq!(info.contract, "0.1.0");
    let names: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["k", "seed", "scale", "mode", "calls"]);
    let k = info.param("k").unwrap();
    assert_eq!(
        (k.ty, &k.default, k.min, k.max),
        (
            ParamType::Integer,
            &ParamValue::Integer(4),
            Some(1.0),
            Some(4096.0)
        )
    );
    assert_eq!(info.param("mode").unwrap().choices[..2], ["sumsq", "ops"]);
    let grads = runtime(dir.path()).describe(&fixture("fx-grads")).unwrap();
    assert_eq!(grads.kind, PluginKind::GradProcessor);
}

#[test]
fn second_load_comes_from_the_cache_and_a_corrupted_entry_is_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());
    let wasm = fixture("fx-hostile");
    let load = || -> PreprocessorPlugin { runtime.load_preprocessor(&wasm, &table("")).unwrap() };
    let cold = load();
    assert_eq!(cold.load_stats().cache, CacheOutcome::Compiled);
    let started = Instant::now();
    let warm = load();
    let warm_time = started.elapsed();
    assert_eq!(warm.load_stats().cache, CacheOutcome::Hit);
    assert!(
        warm.load_stats().compile < cold.load_stats().compile,
        "{:?} vs {:?}",
        warm.load_stats(),
        cold.load_stats()
    );
    assert!(
        warm_time.as_millis() < 500,
        "cached load took {warm_time:?}"
    );
    assert_eq!(
        warm.digest(),
        clora_host::plugin::wasm_digest(&wasm).unwrap()
    );

    let entries: Vec<_> = std::fs::read_dir(dir.path().join("components"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(entries.len(), 1, "one entry, no temporary files left");
    let path = entries[0].path();
    assert!(path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(warm.digest()));
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&path, bytes).unwrap();
    let mut repaired = load();
    assert_eq!(repaired.load_stats().cache, CacheOutcome::Recompiled);
    let out = repaired
        .process_batch(0, &[r#"{"text": "a", "label": 1}"#.to_string()])
        .unwrap();
    assert_eq!(out[0].as_ref().unwrap()[0].label, 1);
    assert_eq!(load().load_stats().cache, CacheOutcome::Hit);
}

#[test]
fn bad_parameters_are_refused_before_anything_runs_naming_each() {
    let dir = tempfile::tempdir().unwrap();
    let (options, log) = options(dir.path());
    let runtime = PluginRuntime::new(options).unwrap();
    let params = table("k = 0\nmode = \"avg\"\nscale = \"big\"\nbogus = 1");
    let err = runtime
        .load_regularizer(&fixture("fx-penalty"), &params, &layers(), CPU)
        .err()
        .unwrap();
    assert!(matches!(err, PluginError::Params { .. }), "{err:?}");
    let message = err.to_string();
    for expected in [
        "invalid parameters for plugin `fx-penalty`",
        "unknown parameter `bogus`; valid parameters: k, seed, scale, mode, calls",
        "parameter `k`: 0 is outside the valid range [1, 4096]",
        "parameter `mode`: \"avg\" is not one of: sumsq, ops, oversized, flood, nan, vector, stale-handle",
        "parameter `scale`: expected a float, got text \"big\"",
    ] {
        assert!(message.contains(expected), "missing {expected:?} in: {message}");
    }
    assert!(log.lock().unwrap().is_empty(), "init must not have run");
    good_plugin_still_works(&runtime);
}

#[test]
fn a_component_built_against_another_contract_version_is_refused_with_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());
    let wasm = fixture("fx-contract-v2");
    let err = runtime.describe(&wasm).unwrap_err();
    assert!(matches!(err, PluginError::Contract { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("fx-contract-v2.wasm does not fit this host's contract"),
        "{message}"
    );
    assert!(
        message.contains("built against contract clora:plugin@0.2.0"),
        "{message}"
    );
    assert!(
        message.contains("this host implements clora:plugin@0.1.0"),
        "{message}"
    );
    let err = runtime.load_preprocessor(&wasm, &table("")).err().unwrap();
    assert!(err.to_string().contains("clora:plugin@0.2.0"), "{err}");
    good_plugin_still_works(&runtime);
}

#[test]
fn a_component_importing_the_filesystem_is_refused_naming_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());
    let err = runtime
        .load_preprocessor(&fixture("fx-fs"), &table(""))
        .err()
        .unwrap();
    assert!(matches!(err, PluginError::Load { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("cannot load plugin") && message.contains("fx-fs.wasm"),
        "{message}"
    );
    assert!(
        message
            .contains("it imports `wasi:clocks/wall-clock@0.2.6`, `wasi:filesystem/types@0.2.6`"),
        "{message}"
    );
    assert!(
        message
            .contains("`wasi:filesystem/preopens@0.2.6`, which the plugin sandbox does not grant"),
        "{message}"
    );
    assert!(message.contains("wasi:cli/* and wasi:io/*"), "{message}");
    good_plugin_still_works(&runtime);
}

#[test]
fn wrong_kind_missing_file_and_garbage_are_load_errors() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());
    let err = runtime
        .load_regularizer(&fixture("fx-hostile"), &table(""), &layers(), CPU)
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("it is a preprocessor plugin, but a regularizer is needed here"),
        "{err}"
    );
    let err = runtime.describe(&dir.path().join("nope.wasm")).unwrap_err();
    assert!(
        err.to_string().contains("nope.wasm: cannot read it:"),
        "{err}"
    );
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"\0asm not really").unwrap();
    let err = runtime.describe(&garbage).unwrap_err();
    assert!(
        err.to_string()
            .contains("garbage.wasm: it is not a valid WebAssembly component"),
        "{err}"
    );
    let mut wrong = layers();
    wrong[0].base_weight = wrong[0].base_weight.transpose(0, 1);
    let err = runtime
        .load_regularizer(&fixture("fx-penalty"), &table(""), &wrong, CPU)
        .err()
        .unwrap();
    assert!(
        err.to_string().contains(
            "base weight has shape [16, 48], expected [out_features, in_features] = [48, 16]"
        ),
        "{err}"
    );
    good_plugin_still_works(&runtime);
}

#[test]
fn runtime_and_plugins_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<PluginRuntime>();
    assert_send::<RegularizerPlugin>();
    assert_send::<PreprocessorPlugin>();
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let runtime = runtime.clone();
            std::thread::spawn(move || good_plugin_still_works(&runtime))
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    let plugin = runtime
        .load_regularizer(&fixture("fx-penalty"), &table(""), &layers(), CPU)
        .unwrap();
    std::thread::spawn(move || {
        let mut plugin = plugin;
        let (a, b) = factors();
        assert!(plugin.compute_penalty(1, &a, &b).unwrap().double_value(&[]) > 0.0);
    })
    .join()
    .unwrap();
}
