//! Evaluation: classification metrics and the update-capacity / output-change metrics
//! of the CLoRA paper (Table 4).
pub mod capacity;
#[cfg(feature = "trainer-wip")]
pub mod evaluate;
pub mod metrics;

pub use capacity::{update_capacity, PerLayer};
pub use metrics::{ClassificationMetrics, Confusion};
#[cfg(feature = "trainer-wip")]
pub use evaluate::{evaluate, SplitEvaluation};
