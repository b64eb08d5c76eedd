//! Evaluation: classification metrics and the update-capacity / output-change metrics.
