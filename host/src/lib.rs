//! clora-host: fine-tunes GPT-2 for binary sequence classification with LoRA and CLoRA.
//!
//! The heavy lifting (model, autograd, optimizer, data) runs natively on libtorch; the
//! variable parts (regularizers, gradient processors, dataset preprocessors) are
//! sandboxed WebAssembly components loaded through the `clora:plugin@0.1.0` WIT contract
//! (`wit/plugin.wit`).
//!
//! Modules, one job each:
//! - [`config`]: the TOML configuration, `--set` overrides, validation.
//! - [`plugin`]: the Wasm runtime: sandbox, host tensors, the three plugin kinds.
//! - [`model`]: GPT-2 for sequence classification with LoRA, PEFT adapters, model sources.
//! - [`hub`]: files from the Hugging Face Hub and its local cache.
//! - [`data`]: dataset sources, preprocessing through plugins, tokenization, caching.
//! - [`train`]: the training loop, checkpoints, run directories.
//! - [`eval`]: metrics and evaluation of trained adapters.
//! - [`sweep`]: many runs from one sweep file, local or on Slurm, with a report.
//! - [`scaffold`]: new plugin projects (`clora-host plugins new`), Rust or Python.
//! - [`fsutil`]: crash-safe writes and digests.
//! - [`cli`]: the `clora-host` command line.
pub mod cli;
pub mod config;
pub mod data;
pub mod eval;
pub mod fsutil;
pub mod hub;
pub mod model;
pub mod plugin;
pub mod scaffold;
pub mod sweep;
pub mod train;
