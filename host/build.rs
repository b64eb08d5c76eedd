//! Puts libtorch on the binary's rpath so `clora-host` runs without `LD_LIBRARY_PATH`,
//! and force-links `libtorch_cuda` when the wheel ships it (otherwise the linker drops
//! it as unused and CUDA never registers its kernels).
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let Ok(lib_dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        // torch-sys did not export its lib dir (e.g. a docs-only build): nothing to add.
        return;
    };
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib_dir}");
    if Path::new(&lib_dir).join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
