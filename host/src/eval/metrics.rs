//! Binary classification metrics (positive class = label 1), accumulated batch by batch.
use serde::{Deserialize, Serialize};

/// Counts of a binary confusion matrix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub true_pos: u64,
    pub false_pos: u64,
    pub true_neg: u64,
    pub false_neg: u64,
}

impl Confusion {
    /// Adds one prediction.
    pub fn record(&mut self, predicted: i64, label: i64) {
        match (predicted == 1, label == 1) {
            (true, true) => self.true_pos += 1,
            (true, false) => self.false_pos += 1,
            (false, false) => self.true_neg += 1,
            (false, true) => self.false_neg += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.true_pos + self.false_pos + self.true_neg + self.false_neg
    }

    /// Accuracy, precision, recall and F1. Precision (recall) is 0 when nothing was
    /// predicted (labelled) positive, as scikit-learn does with `zero_division=0`.
    pub fn metrics(&self) -> ClassificationMetrics {
        let ratio = |num: u64, den: u64| {
            if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            }
        };
        let precision = ratio(self.true_pos, self.true_pos + self.false_pos);
        let recall = ratio(self.true_pos, self.true_pos + self.false_neg);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        ClassificationMetrics {
            accuracy: ratio(self.true_pos + self.true_neg, self.total()),
            precision,
            recall,
            f1,
            examples: self.total(),
            confusion: *self,
        }
    }
}

/// The per-split metrics written to `summary.json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub examples: u64,
    pub confusion: Confusion,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values worked by hand from scikit-learn's definitions
    /// (`accuracy_score`, `precision_recall_fscore_support(average='binary')`):
    /// `y_true=[1,1,1,0,0,0,0,1]`, `y_pred=[1,0,1,0,1,0,0,1]` →
    /// accuracy 0.75, precision 0.75, recall 0.75, f1 0.75;
    /// `y_pred=[1,1,1,1,1,1,1,1]` → accuracy 0.5, precision 0.5, recall 1.0, f1 2/3.
    #[test]
    fn matches_hand_computed_reference() {
        let truth = [1, 1, 1, 0, 0, 0, 0, 1];
        let mut c = Confusion::default();
        for (p, t) in [1, 0, 1, 0, 1, 0, 0, 1].iter().zip(truth) {
            c.record(*p, t);
        }
        let m = c.metrics();
        assert_eq!(
            (m.accuracy, m.precision, m.recall, m.f1),
            (0.75, 0.75, 0.75, 0.75)
        );
        let mut c = Confusion::default();
        for t in truth {
            c.record(1, t);
        }
        let m = c.metrics();
        assert_eq!((m.accuracy, m.precision, m.recall), (0.5, 0.5, 1.0));
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn no_positive_predictions_gives_zero_precision_not_nan() {
        let mut c = Confusion::default();
        c.record(0, 1);
        c.record(0, 0);
        let m = c.metrics();
        assert_eq!(
            (m.precision, m.recall, m.f1, m.accuracy),
            (0.0, 0.0, 0.0, 0.5)
        );
    }
}
