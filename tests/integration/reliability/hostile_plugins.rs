//! What the sandbox shows a plugin, and what it refuses before anything runs. The
//! runtime's own tests (`plugin_runtime::{loading, sandbox}`) cover the limits one by
//! one (deadline, memory, panic, exit, tensor and handle caps, stale handles, contract
//! version, `wasi:filesystem`); these add the capabilities a std Rust guest can reach
//! for: environment, arguments, stdin and stdout (linked, but empty or discarded), and
//! directory listing, sockets, name lookup, clocks and OS randomness (refused at load).
use std::sync::Arc;
use std::time::{Duration, Instant};

use clora_host::plugin::{Example, PluginError, PluginRuntime, RuntimeOptions};

use super::lab::{fixture, run, Lab};

fn runtime(dir: &std::path::Path) -> PluginRuntime {
    PluginRuntime::new(RuntimeOptions {
        cache_dir: Some(dir.join("components")),
        log_sink: Arc::new(|_, _, _| {}),
        ..RuntimeOptions::default()
    })
    .unwrap()
}

#[test]
fn a_plugin_sees_no_environment_arguments_or_stdin_and_its_stdout_goes_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());
    let params: toml::Table = "stdout_mib = 64".parse().unwrap();
    let mut plugin = runtime
        .load_preprocessor(&fixture("fx-env"), &params)
        .unwrap();
    assert!(
        std::env::var_os("PATH").is_some() && std::env::var_os("HOME").is_some(),
        "the host process has an environment to leak"
    );
    let started = Instant::now();
    let out = plugin
        .process_batch(0, &["{}".to_string(), "{}".to_string()])
        .unwrap();
    let seen = Example {
        text: "env=[] args=[] stdin=0".to_string(),
        label: 0,
    };
    assert_eq!(out, [Ok(vec![seen.clone()]), Ok(vec![seen])]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "64 MiB of stdout took {:?}",
        started.elapsed()
    );
}

const REFUSED_IMPORTS: [&str; 5] = [
    "`wasi:filesystem/types@",
    "`wasi:filesystem/preopens@",
    "`wasi:sockets/",
    "`wasi:clocks/",
    "`wasi:random/",
];

#[test]
fn a_plugin_reaching_for_files_sockets_clocks_or_randomness_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime(dir.path());
    let wasm = fixture("fx-escape");
    let err = runtime
        .load_preprocessor(&wasm, &toml::Table::new())
        .err()
        .unwrap();
    assert!(matches!(err, PluginError::Load { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot load plugin {}: it imports ",
            wasm.display()
        )),
        "{message}"
    );
    for import in REFUSED_IMPORTS {
        assert!(message.contains(import), "{import} not named: {message}");
    }
    assert!(
        message.contains("which the plugin sandbox does not grant"),
        "{message}"
    );
    // `describe` is refused the same way: nothing of the component runs.
    assert_eq!(runtime.describe(&wasm).unwrap_err().to_string(), message);

    // The CLI reports it and exits with its failure code.
    let lab = Lab::new();
    let out = run(lab.command(&["plugins", "check", wasm.to_str().unwrap()]));
    out.assert_failed_cleanly()
        .assert_stderr_has(&[&format!("error: {message}")]);
}
