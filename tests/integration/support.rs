//! Helpers shared by the integration tests: repository paths and the project venv.
#![allow(dead_code)]
use std::path::PathBuf;

/// The repository root (the directory holding the workspace Cargo.toml).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A built plugin component, `plugins/<name>.wasm`.
pub fn plugin_wasm(name: &str) -> PathBuf {
    repo_root().join("plugins").join(format!("{name}.wasm"))
}

/// The project venv's Python, used by parity tests that compare against PyTorch/PEFT.
pub fn venv_python() -> PathBuf {
    repo_root().join(".venv").join("bin").join("python")
}

/// The built `clora-host` binary under test.
pub fn host_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_clora-host"))
}
