//! Integration tests: the data pipeline (issue 5) with the built-in preprocessor plugins
//! (`plugins/<name>.wasm`, built by host/scripts/build-plugins.sh) on synthetic
//! fixtures: every source format and schema, the Hub path against a loopback server,
//! the bad-row policies, the cache (damage, reuse), batching, and `clora-host data`.
//! Parquet fixtures are written by the venv's pyarrow (tests/python/jsonl_to_parquet.py).
//!
//! Run: `cargo test --release --test integration data::`
mod batching;
mod cli;
mod common;
mod hub;
mod hub_server;
mod sources;
