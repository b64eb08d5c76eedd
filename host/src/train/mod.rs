//! The training loop: optimizer, schedule, checkpoints and the run directory.
pub mod adamw;
