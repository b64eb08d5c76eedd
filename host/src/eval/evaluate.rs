//! Runs a model over a split without gradients and collects the classification metrics
//! and, optionally, the per-layer output change F.
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::model::SequenceClassifier;
use crate::train::step::BatchTensors;

use super::capacity::{output_change, PerLayer};
use super::{ClassificationMetrics, Confusion};

/// What evaluating one split gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitEvaluation {
    #[serde(flatten)]
    pub metrics: ClassificationMetrics,
    /// Mean cross-entropy over the split.
    pub loss: f64,
    /// F = mean ‖ΔW·x‖/‖x‖ per adapted layer over this split's real tokens.
    pub output_change: PerLayer,
}

/// Evaluates `model` on `batches` (dropout off, no autograd).
pub fn evaluate<I>(model: &SequenceClassifier, batches: I) -> Result<SplitEvaluation, tch::TchError>
where
    I: IntoIterator<Item = BatchTensors>,
{
    let mut confusion = Confusion::default();
    let mut loss_sum = 0.0;
    let mut examples = 0u64;
    model.start_output_change();
    let result = tch::no_grad(|| -> Result<(), tch::TchError> {
        for batch in batches {
            let logits = model
                .forward_t(&batch.input_ids, &batch.attention_mask, false)
                .to_kind(Kind::Float);
            let n = batch.labels.size()[0] as u64;
            let loss = logits
                .f_cross_entropy_loss::<tch::Tensor>(
                    &batch.labels,
                    None,
                    tch::Reduction::Mean,
                    -100,
                    0.0,
                )?
                .f_double_value(&[])?;
            loss_sum += loss * n as f64;
            examples += n;
            let predicted =
                Vec::<i64>::try_from(&logits.f_argmax(-1, false)?.to_device(tch::Device::Cpu))?;
            let labels = Vec::<i64>::try_from(&batch.labels.to_device(tch::Device::Cpu))?;
            for (p, l) in predicted.iter().zip(labels) {
                confusion.record(*p, l);
            }
        }
        Ok(())
    });
    let stats = model.output_change();
    model.stop_output_change();
    result?;
    Ok(SplitEvaluation {
        metrics: confusion.metrics(),
        loss: if examples == 0 {
            0.0
        } else {
            loss_sum / examples as f64
        },
        output_change: output_change(&stats),
    })
}

/// Convenience for tests: logits of one batch as a CPU tensor.
pub fn logits(model: &SequenceClassifier, batch: &BatchTensors) -> Tensor {
    tch::no_grad(|| model.forward_t(&batch.input_ids, &batch.attention_mask, false))
}
