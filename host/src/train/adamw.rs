//! AdamW matching `torch.optim.AdamW`, with its state exportable for checkpoints.
//!
//! tch's built-in optimizer keeps its state inside libtorch where it cannot be saved, so
//! this is written out. Per step, for each parameter p with gradient g (the
//! single-tensor path of `torch/optim/adamw.py`, amsgrad/maximize off):
//!
//! ```text
//! step += 1
//! p      *= 1 - lr·weight_decay
//! m      = lerp(m, g, 1 - β1)
//! v      = β2·v + (1 - β2)·g²
//! denom  = √v / √(1 - β2^step) + eps
//! p      -= (lr / (1 - β1^step)) · m / denom
//! ```
//!
//! The state of a parameter `name` is exported as the tensors `name.step` (a float32
//! scalar, as torch keeps it), `name.exp_avg` and `name.exp_avg_sq`.
//!
//! The parameters, their gradients and the moments are packed into one flat buffer each
//! ([`super::flat`]) when they share a kind and device, so that a step is the same dozen
//! libtorch calls over all parameters at once (torch's `foreach` implementation does the
//! same with multi-tensor kernels). Parameters with different step counts (a restored
//! state where some had not been stepped) or a missing gradient fall back to the
//! per-parameter loop, on the same views; the arithmetic is identical either way.
use std::collections::HashMap;

use tch::Tensor;

use super::flat::FlatLayout;

/// Hyper-parameters; defaults are torch's except `weight_decay`, 0.0 like HF Trainer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// An error importing optimizer state.
#[derive(Debug, thiserror::Error)]
pub enum AdamWError {
    #[error("optimizer state has no tensor `{0}`")]
    Missing(String),
    #[error("optimizer state `{name}` has shape {found:?}, the parameter needs {expected:?}")]
    Shape {
        name: String,
        expected: Vec<i64>,
        found: Vec<i64>,
    },
    #[error("optimizer state has tensor `{0}` for no known parameter")]
    Unknown(String),
    #[error("libtorch: {0}")]
    Torch(String),
}

impl From<tch::TchError> for AdamWError {
    fn from(err: tch::TchError) -> Self {
        AdamWError::Torch(
            err.to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    }
}

struct Moments {
    step: f64,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
}

struct Param {
    name: String,
    tensor: Tensor,
    state: Option<Moments>,
}

/// AdamW over named parameters.
pub struct AdamW {
    config: AdamWConfig,
    params: Vec<Param>,
    flat: Option<Flat>,
}

/// The packed buffers: parameter values, the two moments, and (after the first backward
/// has created them) the gradients.
struct Flat {
    layout: FlatLayout,
    values: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    grads: Option<Tensor>,
}

const STATE_SUFFIXES: [&str; 3] = ["step", "exp_avg", "exp_avg_sq"];

impl AdamW {
    /// An optimizer for `params` (sorted by name so that the order never depends on a
    /// hash map).
    pub fn new(mut params: Vec<(String, Tensor)>, config: AdamWConfig) -> Self {
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let params = params
            .into_iter()
            .map(|(name, tensor)| Param {
                name,
                tensor,
                state: None,
            })
            .collect();
        let mut optimizer = AdamW {
            config,
            params,
            flat: None,
        };
        optimizer.flat = optimizer.pack().unwrap_or(None);
        optimizer
    }

    /// Moves the parameters into one buffer and allocates the packed moments; `None`
    /// when they cannot share one (then every step runs per parameter).
    fn pack(&mut self) -> Result<Option<Flat>, tch::TchError> {
        let mut tensors: Vec<Tensor> = self
            .params
            .iter()
            .map(|p| p.tensor.shallow_clone())
            .collect();
        let Some(layout) = FlatLayout::of(&tensors) else {
            return Ok(None);
        };
        let values = layout.adopt(&mut tensors)?;
        Ok(Some(Flat {
            exp_avg: layout.zeros()?,
            exp_avg_sq: layout.zeros()?,
            values,
            grads: None,
            layout,
        }))
    }

    /// Fresh (zero) moments of parameter `index`: views of the packed moments, or new
    /// tensors when nothing is packed.
    fn fresh_moments(&self, index: usize) -> Result<Moments, tch::TchError> {
        let param = &self.params[index];
        let (exp_avg, exp_avg_sq) = match &self.flat {
            Some(flat) => {
                let mut m = flat.layout.views(&flat.exp_avg)?.swap_remove(index);
                let mut v = flat.layout.views(&flat.exp_avg_sq)?.swap_remove(index);
                let _ = m.f_zero_()?;
                let _ = v.f_zero_()?;
                (m, v)
            }
            None => (param.tensor.f_zeros_like()?, param.tensor.f_zeros_like()?),
        };
        Ok(Moments {
            step: 0.0,
            exp_avg,
            exp_avg_sq,
        })
    }

    /// The gradients of all parameters, for the norm and clipping: the one packed buffer
    /// once it exists, else each defined gradient. The first call after the first
    /// backward moves the gradients into the packed buffer, where later backwards
    /// accumulate in place.
    pub fn gradients(&mut self) -> Result<Vec<Tensor>, AdamWError> {
        let mut grads: Vec<Tensor> = self.params.iter().map(|p| p.tensor.grad()).collect();
        if let Some(flat) = &mut self.flat {
            if flat.grads.is_none() && flat.layout.fits(&grads) {
                flat.grads = Some(flat.layout.adopt(&mut grads)?);
            }
            if let Some(packed) = &flat.grads {
                return Ok(vec![packed.shallow_clone()]);
            }
        }
        Ok(grads.into_iter().filter(|g| g.defined()).collect())
    }

    pub fn config(&self) -> AdamWConfig {
        self.config
    }

    pub fn lr(&self) -> f64 {
        self.config.lr
    }

    pub fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    /// The parameters' names, in the optimizer's order.
    pub fn names(&self) -> Vec<&str> {
        self.params.iter().map(|p| p.name.as_str()).collect()
    }

    /// One update of every parameter that has a gradient.
    ///
    /// Panics only if libtorch fails on tensors whose shapes it already checked; see
    /// [`Self::try_step`].
    pub fn step(&mut self) {
        if let Err(err) = self.try_step() {
            panic!("AdamW::step: {err}");
        }
    }

    /// [`Self::step`] returning libtorch errors.
    pub fn try_step(&mut self) -> Result<(), AdamWError> {
        tch::no_grad(|| {
            for index in 0..self.params.len() {
                if self.params[index].state.is_none() && self.params[index].tensor.grad().defined()
                {
                    self.params[index].state = Some(self.fresh_moments(index)?);
                }
            }
            if self.try_packed_step()? {
                return Ok(());
            }
            let c = self.config;
            for param in &mut self.params {
                let grad = param.tensor.grad();
                if !grad.defined() {
                    continue;
                }
                let state = param.state.as_mut().expect("moments created above");
                state.step += 1.0;
                update(
                    &mut param.tensor,
                    &grad,
                    &mut state.exp_avg,
                    &mut state.exp_avg_sq,
                    state.step,
                    c,
                )?;
            }
            Ok(())
        })
    }

    /// The step over the packed buffers, when every parameter has its gradient in the
    /// packed gradient buffer and all share one step count. Returns whether it ran.
    fn try_packed_step(&mut self) -> Result<bool, AdamWError> {
        let Some(flat) = &mut self.flat else {
            return Ok(false);
        };
        let Some(grads) = &flat.grads else {
            return Ok(false);
        };
        let steps: Vec<f64> = self
            .params
            .iter()
            .map(|p| p.state.as_ref().map_or(f64::NAN, |s| s.step))
            .collect();
        if steps.iter().any(|s| s.is_nan() || *s != steps[0]) {
            return Ok(false);
        }
        let step = steps[0] + 1.0;
        update(
            &mut flat.values,
            grads,
            &mut flat.exp_avg,
            &mut flat.exp_avg_sq,
            step,
            self.config,
        )?;
        for param in &mut self.params {
            param.state.as_mut().expect("checked above").step = step;
        }
        Ok(true)
    }

    /// Zeroes every parameter's gradient.
    pub fn zero_grad(&mut self) {
        if let Some(grads) = self.flat.as_ref().and_then(|f| f.grads.as_ref()) {
            let _ = grads.shallow_clone().zero_();
            return;
        }
        for param in &mut self.params {
            param.tensor.zero_grad();
        }
    }

    /// The state as named tensors (copies): `name.step`, `name.exp_avg`,
    /// `name.exp_avg_sq` for every parameter that has been stepped.
    pub fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for param in &self.params {
            if let Some(state) = &param.state {
                let step = Tensor::from(state.step as f32);
                out.push((format!("{}.step", param.name), step));
                out.push((
                    format!("{}.exp_avg", param.name),
                    state.exp_avg.detach().copy(),
                ));
                out.push((
                    format!("{}.exp_avg_sq", param.name),
                    state.exp_avg_sq.detach().copy(),
                ));
            }
        }
        out
    }

    /// Restores state written by [`Self::state_tensors`]. A parameter without state
    /// tensors starts fresh (it had not been stepped); a tensor for an unknown parameter
    /// or of the wrong shape is an error, and nothing is changed then.
    pub fn load_state_tensors(&mut self, tensors: &[(String, Tensor)]) -> Result<(), AdamWError> {
        let mut by_name: HashMap<&str, &Tensor> =
            tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let mut restored = Vec::with_capacity(self.params.len());
        for param in &self.params {
            let key = |suffix: &str| format!("{}.{suffix}", param.name);
            if !by_name.contains_key(key("step").as_str()) {
                restored.push(None);
                continue;
            }
            let mut take = |suffix: &str| {
                by_name
                    .remove(key(suffix).as_str())
                    .ok_or_else(|| AdamWError::Missing(key(suffix)))
            };
            let step = take("step")?.f_double_value(&[])?;
            let mut moments = Vec::new();
            for suffix in ["exp_avg", "exp_avg_sq"] {
                let value = take(suffix)?;
                if value.size() != param.tensor.size() {
                    return Err(AdamWError::Shape {
                        name: key(suffix),
                        expected: param.tensor.size(),
                        found: value.size(),
                    });
                }
                moments.push(
                    value
                        .f_to_kind(param.tensor.kind())?
                        .f_to_device(param.tensor.device())?,
                );
            }
            restored.push(Some((step, moments)));
        }
        if let Some(extra) = by_name
            .keys()
            .find(|k| STATE_SUFFIXES.iter().any(|s| k.ends_with(s)))
        {
            return Err(AdamWError::Unknown((*extra).to_string()));
        }
        for (index, state) in restored.into_iter().enumerate() {
            self.params[index].state = match state {
                None => None,
                Some((step, values)) => {
                    let mut moments = self.fresh_moments(index)?;
                    moments.step = step;
                    tch::no_grad(|| -> Result<(), tch::TchError> {
                        moments.exp_avg.f_copy_(&values[0])?;
                        moments.exp_avg_sq.f_copy_(&values[1])
                    })?;
                    Some(moments)
                }
            };
        }
        Ok(())
    }
}

/// One AdamW update of `param` (in place), the single-tensor path of
/// `torch/optim/adamw.py`; `step` is the count including this update.
fn update(
    param: &mut Tensor,
    grad: &Tensor,
    exp_avg: &mut Tensor,
    exp_avg_sq: &mut Tensor,
    step: f64,
    c: AdamWConfig,
) -> Result<(), tch::TchError> {
    if c.weight_decay != 0.0 {
        let _decayed = param.f_mul_scalar_(1.0 - c.lr * c.weight_decay)?;
    }
    let _m = exp_avg.f_lerp_(grad, 1.0 - c.beta1)?;
    let _v = exp_avg_sq.f_mul_scalar_(c.beta2)?;
    let _v = exp_avg_sq.f_add_(&grad.f_mul_scalar(1.0 - c.beta2)?.f_mul(grad)?)?;
    let bias_correction1 = 1.0 - c.beta1.powf(step);
    let bias_correction2 = 1.0 - c.beta2.powf(step);
    let step_size = c.lr / bias_correction1;
    let denom = exp_avg_sq
        .f_sqrt()?
        .f_div_scalar(bias_correction2.sqrt())?
        .f_add_scalar(c.eps)?;
    // torch's addcdiv_(m, denom, value=-step_size) computes (value·m)/denom.
    let _p = param.f_add_(&exp_avg.f_mul_scalar(-step_size)?.f_div(&denom)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    /// One step from zero state moves each coordinate by lr·g/(|g|+eps) (bias
    /// correction cancels), after decoupled weight decay.
    #[test]
    fn first_step_is_sign_like() {
        let p = Tensor::from_slice(&[1.0f32, -2.0]).set_requires_grad(true);
        (&p * Tensor::from_slice(&[3.0f32, -0.5]))
            .sum(Kind::Float)
            .backward();
        let config = AdamWConfig {
            lr: 0.1,
            weight_decay: 0.5,
            ..AdamWConfig::default()
        };
        let mut opt = AdamW::new(vec![("p".into(), p.shallow_clone())], config);
        opt.step();
        let got = Vec::<f32>::try_from(&p.detach()).unwrap();
        let expect = [1.0 * 0.95 - 0.1, -2.0 * 0.95 + 0.1];
        for (g, e) in got.iter().zip(expect) {
            assert!((f64::from(*g) - e).abs() < 1e-6, "{got:?}");
        }
    }

    #[test]
    fn state_round_trips_and_rejects_bad_shapes() {
        let p = Tensor::from_slice(&[1.0f32, 2.0]).set_requires_grad(true);
        p.sum(Kind::Float).backward();
        let mut opt = AdamW::new(
            vec![("w".into(), p.shallow_clone())],
            AdamWConfig::default(),
        );
        opt.step();
        let state = opt.state_tensors();
        assert_eq!(
            state.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["w.step", "w.exp_avg", "w.exp_avg_sq"]
        );
        let mut other = AdamW::new(
            vec![("w".into(), p.shallow_clone())],
            AdamWConfig::default(),
        );
        other.load_state_tensors(&state).unwrap();
        assert_eq!(other.state_tensors()[0].1.double_value(&[]), 1.0);
        let bad = vec![
            ("w.step".to_string(), Tensor::from(1.0f32)),
            (
                "w.exp_avg".to_string(),
                Tensor::zeros([3], (Kind::Float, tch::Device::Cpu)),
            ),
            (
                "w.exp_avg_sq".to_string(),
                Tensor::zeros([2], (Kind::Float, tch::Device::Cpu)),
            ),
        ];
        let err = other.load_state_tensors(&bad).unwrap_err().to_string();
        assert!(err.contains("w.exp_avg") && err.contains("[3]"), "{err}");
    }
}
