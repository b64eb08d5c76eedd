//! One optimizer step: forward and backward over the micro-batches (cross-entropy plus
//! λ × the regularizer's penalty), then the gradient processor, clipping and AdamW.
use tch::{Kind, Tensor};

use crate::model::SequenceClassifier;
use crate::plugin::{GradProcessorPlugin, RegularizerPlugin};

use super::adamw::AdamW;
use super::TrainError;

/// Token ids, attention mask and labels of one batch, on the model's device.
pub struct BatchTensors {
    pub input_ids: Tensor,
    pub attention_mask: Tensor,
    pub labels: Tensor,
}

/// The two parts of the loss of one micro-batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct LossParts {
    pub cross_entropy: f64,
    /// The regularizer's raw penalty (before λ); 0 without a regularizer.
    pub penalty: f64,
}

/// Forward + backward of one micro-batch; gradients accumulate into the trainable
/// variables, scaled by `1 / accum` so that `accum` micro-batches average.
pub fn backward_micro_batch(
    model: &SequenceClassifier,
    batch: &BatchTensors,
    regularizer: Option<(&mut RegularizerPlugin, f64)>,
    step: u64,
    accum: u64,
) -> Result<LossParts, TrainError> {
    let logits = model.try_forward_t(&batch.input_ids, &batch.attention_mask, true)?;
    let cross_entropy = logits.to_kind(Kind::Float).f_cross_entropy_loss::<Tensor>(
        &batch.labels,
        None,
        tch::Reduction::Mean,
        -100,
        0.0,
    )?;
    let mut loss = cross_entropy.shallow_clone();
    let mut penalty_value = 0.0;
    if let Some((plugin, lambda)) = regularizer {
        let layers = model.lora_layers();
        let a: Vec<Tensor> = layers.iter().map(|l| l.a.shallow_clone()).collect();
        let b: Vec<Tensor> = layers.iter().map(|l| l.b.shallow_clone()).collect();
        let penalty = plugin.compute_penalty(step, &a, &b)?;
        penalty_value = penalty.f_double_value(&[])?;
        if !penalty_value.is_finite() {
            return Err(TrainError::NotFinite {
                what: "regularizer penalty",
                step,
                value: penalty_value,
            });
        }
        loss = loss.f_add(&penalty.to_kind(Kind::Float).f_mul_scalar(lambda)?)?;
    }
    let ce_value = cross_entropy.f_double_value(&[])?;
    if !ce_value.is_finite() {
        return Err(TrainError::NotFinite {
            what: "cross-entropy loss",
            step,
            value: ce_value,
        });
    }
    loss.f_div_scalar(accum as f64)?.f_backward()?;
    Ok(LossParts {
        cross_entropy: ce_value,
        penalty: penalty_value,
    })
}

/// Runs the gradient processor on the LoRA gradients (replacing them in place), clips
/// the global gradient norm, and steps the optimizer at `lr`. Returns the gradient norm
/// before clipping.
pub fn apply_step(
    model: &SequenceClassifier,
    grad_processor: Option<&mut GradProcessorPlugin>,
    optimizer: &mut AdamW,
    max_grad_norm: f64,
    lr: f64,
    step: u64,
) -> Result<f64, TrainError> {
    if let Some(plugin) = grad_processor {
        let layers = model.lora_layers();
        let grad_a: Vec<Tensor> = layers.iter().map(|l| l.a.grad()).collect();
        let grad_b: Vec<Tensor> = layers.iter().map(|l| l.b.grad()).collect();
        let (new_a, new_b) = plugin.process_grads(step, &grad_a, &grad_b)?;
        for (mut target, value) in grad_a
            .into_iter()
            .zip(new_a)
            .chain(grad_b.into_iter().zip(new_b))
        {
            target.f_copy_(&value)?;
        }
    }
    // The optimizer's parameters are the trainable variables; their gradients come
    // packed into one buffer once the optimizer has adopted them.
    let grads = optimizer.gradients()?;
    let grad_norm = global_norm(&grads)?;
    if !grad_norm.is_finite() {
        return Err(TrainError::NotFinite {
            what: "gradient norm",
            step,
            value: grad_norm,
        });
    }
    if max_grad_norm > 0.0 {
        // torch.nn.utils.clip_grad_norm_: scale by max/(norm + 1e-6) when that is < 1.
        let coef = max_grad_norm / (grad_norm + 1e-6);
        if coef < 1.0 {
            for mut g in grads {
                let _ = g.f_mul_scalar_(coef)?;
            }
        }
    }
    optimizer.set_lr(lr);
    optimizer.step();
    optimizer.zero_grad();
    Ok(grad_norm)
}

/// √(Σ‖g‖²) over all gradients, as `clip_grad_norm_` computes it.
pub fn global_norm(grads: &[Tensor]) -> Result<f64, TrainError> {
    let mut total = 0.0;
    for g in grads {
        let n = g.f_norm()?.f_double_value(&[])?;
        total += n * n;
    }
    Ok(total.sqrt())
}
