//! Training runs: optimizer, schedule, checkpoints, the run directory and the loop.
//!
//! - [`run`]: [`train`] and [`resume`], the entry points;
//! - [`session`] builds the model, plugins, optimizer and data feeds ([`data_feed`]);
//! - [`trainer`] is the epoch loop; [`step`] one optimizer step;
//! - [`checkpoint`], [`run_dir`], [`summary`], [`schedule`], [`adamw`], [`progress`].
pub mod adamw;
pub mod checkpoint;
#[cfg(feature = "trainer-wip")]
pub mod data_feed;
#[cfg(feature = "trainer-wip")]
mod error;
pub mod progress;
#[cfg(feature = "trainer-wip")]
pub mod run;
pub mod run_dir;
pub mod schedule;
#[cfg(feature = "trainer-wip")]
pub mod session;
#[cfg(feature = "trainer-wip")]
pub mod step;
#[cfg(feature = "trainer-wip")]
pub mod summary;
#[cfg(feature = "trainer-wip")]
pub mod trainer;

#[cfg(feature = "trainer-wip")]
pub use error::TrainError;
#[cfg(feature = "trainer-wip")]
pub use run::{resume, train, RunOutcome, TrainOptions};
