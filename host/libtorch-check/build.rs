//! Runs before `torch-sys`'s build script (it has no build dependencies, so cargo gets to
//! it first) and turns a missing libtorch into one readable error instead of a wall of
//! C++ compiler and linker errors.
use std::path::PathBuf;

const SETUP_HINT: &str =
    "run `host/scripts/setup.sh` from the repository root: it creates the venv \
with PyTorch 2.13.0 and the `.venv/libtorch` link that `.cargo/config.toml` points at";

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_USE_PYTORCH");
    if std::env::var_os("LIBTORCH_USE_PYTORCH").is_some() {
        return;
    }
    let Some(libtorch) = std::env::var_os("LIBTORCH").map(PathBuf::from) else {
        panic!("\n\nLIBTORCH is not set.\nFix: {SETUP_HINT}.\n\n");
    };
    let marker = libtorch.join("lib").join("libtorch_cpu.so");
    println!("cargo:rerun-if-changed={}", marker.display());
    if !marker.exists() {
        panic!(
            "\n\nlibtorch not found: {} does not exist.\nFix: {SETUP_HINT}.\n\n",
            marker.display()
        );
    }
}
