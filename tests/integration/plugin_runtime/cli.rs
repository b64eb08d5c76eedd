//! `clora-host plugins describe|check` on fixture components, each run with its own
//! compiled-component cache (XDG_CACHE_HOME in a temp dir).
use std::process::{Command, Output};

use super::fixtures::fixture;
use crate::support::host_binary;

fn clora_host(args: &[&str]) -> (Output, String, String) {
    let cache = tempfile::tempdir().unwrap();
    let output = Command::new(host_binary())
        .args(args)
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

#[test]
fn describe_prints_identity_and_documented_parameters() {
    let wasm = fixture("fx-penalty");
    let (output, stdout, stderr) = clora_host(&["plugins", "describe", wasm.to_str().unwrap()]);
    assert!(output.status.success(), "{stderr}");
    for expected in [
        "fx-penalty 0.3.1\n",
        "  kind:      regularizer\n",
        "  contract:  clora:plugin@0.1.0\n",
        &format!("  sha256:    {}\n", clora_host::plugin::wasm_digest(&wasm).unwrap()),
        "  k      integer  default 4; range [1, 4096]\n         Projector columns.\n",
        "  scale  float    default 1.0; range [0, inf]\n",
        "  mode   choice   default \"sumsq\"; one of: sumsq, ops, oversized, flood, nan, vector, stale-handle\n",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
}

#[test]
fn check_passes_conforming_plugins_of_every_kind() {
    let penalty = fixture("fx-penalty");
    let (output, stdout, stderr) = clora_host(&[
        "plugins",
        "check",
        penalty.to_str().unwrap(),
        "--set",
        "k=16",
        "--set",
        "seed=3",
    ]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("params  calls = 0, k = 16, mode = \"sumsq\", scale = 1.0, seed = 3"),
        "{stdout}"
    );
    assert!(stdout.contains("step 2: penalty "), "{stdout}");
    assert!(
        stdout.contains("gradients reach A in 4/4 and B in 4/4 layers"),
        "{stdout}"
    );
    assert!(
        stdout.contains("passed: fx-penalty conforms to the regularizer contract"),
        "{stdout}"
    );

    let grads = fixture("fx-grads");
    let (output, stdout, stderr) = clora_host(&[
        "plugins",
        "check",
        grads.to_str().unwrap(),
        "--set",
        "components=2",
    ]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("step 0: 8 gradients back with the right shapes, all finite (8 changed)"),
        "{stdout}"
    );

    let hostile = fixture("fx-hostile");
    let (output, stdout, stderr) = clora_host(&["plugins", "check", hostile.to_str().unwrap()]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("record 5: 1 examples (labels 1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("record 0: rejected: missing field `text`"),
        "{stdout}"
    );
}

#[test]
fn check_fails_clearly_on_bad_parameters_and_bad_behaviour() {
    let penalty = fixture("fx-penalty");
    let (output, _, stderr) = clora_host(&[
        "plugins",
        "check",
        penalty.to_str().unwrap(),
        "--set",
        "k=0",
        "--set",
        "depth=3",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("parameter `k`: 0 is outside the valid range [1, 4096]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown parameter `depth`; valid parameters: k, seed, scale, mode, calls"),
        "{stderr}"
    );

    let (output, _, stderr) = clora_host(&[
        "plugins",
        "check",
        penalty.to_str().unwrap(),
        "--set",
        "mode=nan",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("failed its check: plugin `fx-penalty`, `compute-penalty`: the penalty is not finite (NaN)"), "{stderr}");

    let hostile = fixture("fx-hostile");
    let (output, _, stderr) = clora_host(&[
        "plugins",
        "check",
        hostile.to_str().unwrap(),
        "--record",
        "{\"nothing\": 1}",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("none of the 1 probe records was converted"),
        "{stderr}"
    );

    let (output, _, stderr) =
        clora_host(&["plugins", "describe", fixture("fx-fs").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr
            .contains("`wasi:filesystem/preopens@0.2.6`, which the plugin sandbox does not grant"),
        "{stderr}"
    );
}
