//! Training runs: optimizer, schedule, checkpoints, the run directory and the loop.
//!
//! - [`run`]: [`train`] and [`resume`], the entry points;
//! - [`session`] builds the model, plugins, optimizer and data feeds ([`data_feed`]);
//! - [`trainer`] is the epoch loop; [`step`] one optimizer step;
//! - [`checkpoint`], [`run_dir`], [`summary`], [`schedule`], [`adamw`], [`progress`].
pub mod adamw;
pub mod checkpoint;
pub mod data_feed;
mod error;
mod flat;
pub mod progress;
pub mod run;
pub mod run_dir;
pub mod schedule;
pub mod session;
pub mod step;
pub mod summary;
pub mod trainer;

pub use error::{io_err, TrainError};
pub use run::{resume, train, RunOutcome, TrainOptions};
