//! One contiguous buffer for a set of tensors: the trainable parameters, their
//! gradients and AdamW's moments are each packed into a single 1-D tensor whose slices
//! the individual tensors view.
//!
//! Why: a LoRA model has dozens of small trainable tensors (an A and a B per layer, the
//! score head). Updating them one by one costs about a dozen libtorch calls per tensor per
//! step, which dominates a step of a small model. Packed, the optimizer update, the
//! gradient norm, clipping and zeroing are a handful of calls over the whole set, whatever
//! the number of layers. The tensors keep their identity: a parameter is re-pointed at its
//! slice with `set_data`, so the model, autograd and checkpoints see the same variables.
use tch::{Kind, TchError, Tensor};

/// Where each tensor of a packed set lives in the flat buffer.
#[derive(Debug, Clone)]
pub struct FlatLayout {
    spans: Vec<Span>,
    total: i64,
    kind: Kind,
    device: tch::Device,
}

#[derive(Debug, Clone)]
struct Span {
    offset: i64,
    numel: i64,
    shape: Vec<i64>,
}

impl FlatLayout {
    /// The layout of `tensors` packed in order; `None` when there are none or they do not
    /// share one floating-point kind and device (then they cannot share a buffer).
    pub fn of(tensors: &[Tensor]) -> Option<FlatLayout> {
        let first = tensors.first()?;
        let (kind, device) = (first.kind(), first.device());
        if !first.is_floating_point()
            || tensors
                .iter()
                .any(|t| t.kind() != kind || t.device() != device)
        {
            return None;
        }
        let mut spans = Vec::with_capacity(tensors.len());
        let mut total = 0;
        for t in tensors {
            let numel = t.numel() as i64;
            spans.push(Span {
                offset: total,
                numel,
                shape: t.size(),
            });
            total += numel;
        }
        Some(FlatLayout {
            spans,
            total,
            kind,
            device,
        })
    }

    /// A zero buffer of this layout.
    pub fn zeros(&self) -> Result<Tensor, TchError> {
        Tensor::f_zeros([self.total], (self.kind, self.device))
    }

    /// The views of `flat` that the packed tensors are, in order.
    pub fn views(&self, flat: &Tensor) -> Result<Vec<Tensor>, TchError> {
        self.spans
            .iter()
            .map(|s| {
                flat.f_narrow(0, s.offset, s.numel)?
                    .f_view(s.shape.as_slice())
            })
            .collect()
    }

    /// Whether `tensors` match this layout's shapes (so that they can be adopted).
    pub fn fits(&self, tensors: &[Tensor]) -> bool {
        tensors.len() == self.spans.len()
            && tensors.iter().zip(&self.spans).all(|(t, s)| {
                t.defined()
                    && t.size() == s.shape
                    && t.kind() == self.kind
                    && t.device() == self.device
            })
    }

    /// Copies the values of `tensors` into a new buffer and re-points each tensor at its
    /// slice (every shallow clone of it, a `VarStore` entry, a parameter's `.grad`, sees
    /// the move). Returns the buffer.
    pub fn adopt(&self, tensors: &mut [Tensor]) -> Result<Tensor, TchError> {
        let flat = self.zeros()?;
        let views = self.views(&flat)?;
        tch::no_grad(|| -> Result<(), TchError> {
            for (tensor, mut view) in tensors.iter_mut().zip(views) {
                view.f_copy_(tensor)?;
                tensor.f_set_data(&view)?;
            }
            Ok(())
        })?;
        Ok(flat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adopted_parameters_share_the_buffer_and_gradients_accumulate_into_it() {
        let mut params = vec![
            Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0])
                .view([2, 2])
                .set_requires_grad(true),
            Tensor::from_slice(&[5.0f32]).set_requires_grad(true),
        ];
        let held: Vec<Tensor> = params.iter().map(|p| p.shallow_clone()).collect();
        let layout = FlatLayout::of(&params).unwrap();
        let flat = layout.adopt(&mut params).unwrap();
        assert_eq!(
            Vec::<f32>::try_from(&flat).unwrap(),
            [1.0, 2.0, 3.0, 4.0, 5.0]
        );
        // A write through the buffer is seen by every handle of the parameter.
        let _ = tch::no_grad(|| flat.shallow_clone().f_mul_scalar_(2.0).unwrap());
        assert_eq!(Vec::<f32>::try_from(&held[1].detach()).unwrap(), [10.0]);

        // First backward: fresh gradients, then moved into a flat gradient buffer.
        let loss =
            |ps: &[Tensor]| (ps[0].sum(Kind::Float) * 3.0 + ps[1].sum(Kind::Float)).backward();
        loss(&held);
        let mut grads: Vec<Tensor> = held.iter().map(|p| p.grad()).collect();
        assert!(layout.fits(&grads));
        let flat_grads = layout.adopt(&mut grads).unwrap();
        assert_eq!(
            Vec::<f32>::try_from(&flat_grads).unwrap(),
            [3.0, 3.0, 3.0, 3.0, 1.0]
        );
        // Later backwards accumulate in place, into the buffer.
        loss(&held);
        assert_eq!(
            Vec::<f32>::try_from(&flat_grads).unwrap(),
            [6.0, 6.0, 6.0, 6.0, 2.0]
        );
        assert_eq!(
            Vec::<f32>::try_from(&held[0].grad().view([-1])).unwrap(),
            [6.0; 4]
        );
    }

    #[test]
    fn mixed_kinds_are_not_packed() {
        let ts = [
            Tensor::zeros([2], (Kind::Float, tch::Device::Cpu)),
            Tensor::zeros([2], (Kind::Double, tch::Device::Cpu)),
        ];
        assert!(FlatLayout::of(&ts).is_none());
        assert!(FlatLayout::of(&[]).is_none());
        let ints = [Tensor::zeros([2], (Kind::Int64, tch::Device::Cpu))];
        assert!(FlatLayout::of(&ints).is_none());
    }
}
