//! Integration tests: reliability and security (issue 10). Each test drives the real
//! binary or library on a tiny model and synthetic data, and asserts both the message
//! a user sees and the state left on disk.
//!
//! - `hostile_plugins`: what the sandbox shows a plugin (no environment, arguments or
//!   stdin; stdout discarded) and refusals at load (files, sockets, clocks, randomness);
//!   the runtime's per-limit tests are in `plugin_runtime::sandbox`;
//! - `training_traps`: a training run whose plugin panics, loops, allocates, exits or
//!   returns garbage mid-run stops cleanly, its last checkpoint intact, resumable, and
//!   nothing is written outside its run directory;
//! - `bad_input`: malformed configs through the CLI, missing or unreadable files and
//!   models, an adapter from another model size, bad data rows, a damaged cache entry,
//!   a damaged checkpoint;
//! - `faults`: SIGKILL while checkpoints are being written, and a full disk during a
//!   checkpoint write.
//!
//! `lab` holds the shared setup (fixtures, a tiny model with data, the `train` command).
mod bad_input;
mod faults;
mod hostile_plugins;
mod lab;
mod training_traps;
