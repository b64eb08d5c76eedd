//! Human-readable tables of a run's results, printed at the end of `train`, `demo`
//! and `eval`.
use crate::train::summary::Summary;

/// Per-split metrics and the capacity metrics as an aligned text table.
pub fn summary_table(summary: &Summary) -> String {
    let mut out = format!(
        "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
        "split", "examples", "accuracy", "precision", "recall", "f1"
    );
    for (name, eval) in &summary.splits {
        let m = &eval.metrics;
        out.push_str(&format!(
            "{:<22} {:>9} {:>9.4} {:>9.4} {:>9.4} {:>9.4}\n",
            name, m.examples, m.accuracy, m.precision, m.recall, m.f1
        ));
    }
    out.push_str(&format!(
        "update capacity ‖ΔW‖₂ (mean over {} layers): {:.4}\nrelative output change F (validation): {:.4}\n",
        summary.capacity.update_capacity.layers.len(),
        summary.capacity.update_capacity.mean,
        summary.capacity.output_change.mean
    ));
    out
}
