//! The `clora-host` binary: parses the command line and reports errors; all work lives
//! in the library (`clora_host::cli`).
use std::process::ExitCode;

fn main() -> ExitCode {
    clora_host::cli::main()
}
