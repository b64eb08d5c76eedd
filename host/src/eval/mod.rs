//! Evaluation: classification metrics and the update-capacity / output-change metrics
//! of the CLoRA paper (Table 4).
pub mod adapter_eval;
pub mod capacity;
pub mod evaluate;
pub mod metrics;

pub use capacity::{update_capacity, PerLayer};
pub use evaluate::{evaluate, SplitEvaluation};
pub use metrics::{ClassificationMetrics, Confusion};
