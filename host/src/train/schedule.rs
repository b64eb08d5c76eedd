//! The learning-rate schedule: linear warmup, then linear decay to zero — the schedule of
//! Hugging Face's `get_linear_schedule_with_warmup`, as a pure function of the step.

/// Linear warmup over `warmup_steps`, then linear decay to 0 at `total_steps`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearSchedule {
    pub base_lr: f64,
    pub warmup_steps: u64,
    pub total_steps: u64,
}

impl LinearSchedule {
    /// `warmup_ratio` of `total_steps`, rounded up as HF's `get_warmup_steps` does.
    pub fn new(base_lr: f64, warmup_ratio: f64, total_steps: u64) -> Self {
        let warmup_steps = (warmup_ratio * total_steps as f64).ceil() as u64;
        LinearSchedule {
            base_lr,
            warmup_steps,
            total_steps,
        }
    }

    /// The learning rate for optimizer step `step` (0-based).
    pub fn lr_at(&self, step: u64) -> f64 {
        let factor = if step < self.warmup_steps {
            step as f64 / self.warmup_steps.max(1) as f64
        } else {
            let remaining = self.total_steps.saturating_sub(step) as f64;
            let span = self.total_steps.saturating_sub(self.warmup_steps).max(1) as f64;
            (remaining / span).max(0.0)
        };
        self.base_lr * factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from transformers' `get_linear_schedule_with_warmup(opt, 2, 10)` with
    /// lr 1.0: [0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125].
    #[test]
    fn matches_transformers_linear_schedule() {
        let s = LinearSchedule {
            base_lr: 1.0,
            warmup_steps: 2,
            total_steps: 10,
        };
        let got: Vec<f64> = (0..10).map(|i| s.lr_at(i)).collect();
        assert_eq!(
            got,
            vec![0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]
        );
    }

    #[test]
    fn no_warmup_starts_at_base_lr() {
        let s = LinearSchedule::new(2e-4, 0.0, 100);
        assert_eq!(s.lr_at(0), 2e-4);
        assert_eq!(s.lr_at(100), 0.0);
    }
}
