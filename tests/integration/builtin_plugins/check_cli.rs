//! Every built-in plugin passes `clora-host plugins check plugins/<name>.wasm`.
use std::process::Command;

use super::{wasm, BUILTIN};
use crate::support;

#[test]
fn every_builtin_plugin_passes_plugins_check() {
    for name in BUILTIN {
        let output = Command::new(support::host_binary())
            .args(["plugins", "check"])
            .arg(wasm(name))
            .output()
            .expect("run clora-host");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "plugins check {name} failed:\n{text}"
        );
        assert!(
            text.contains(name),
            "plugins check {name} does not name the plugin:\n{text}"
        );
    }
}
