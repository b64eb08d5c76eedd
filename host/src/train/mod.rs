//! The training loop: optimizer, schedule, checkpoints and the run directory.
pub mod adamw;
pub mod checkpoint;
pub mod progress;
pub mod run_dir;
pub mod schedule;
