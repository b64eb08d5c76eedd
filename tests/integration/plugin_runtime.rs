//! Integration tests: the Wasm plugin runtime (host/src/plugin), through real guest
//! components built from plugins/fixtures/ (see `fixtures`).
//!
//! - `loading`: describe, the compiled-component cache, contract and import checks,
//!   parameter validation, threads;
//! - `sandbox`: deadlines, memory cap, panics, exit, tensor and handle caps, rebuild after
//!   a trap; after each failure a good plugin still loads and runs;
//! - `autograd`: penalties and gradient processing through a guest against native tch;
//! - `cli`: `clora-host plugins describe|check`.
mod autograd;
mod cli;
mod fixtures;
mod loading;
mod sandbox;
