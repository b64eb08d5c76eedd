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
use std::collections::HashMap;

use tch::{Kind, Tensor};

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
        AdamW { config, params }
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
        let c = self.config;
        tch::no_grad(|| {
            for param in &mut self.params {
                let grad = param.tensor.grad();
                if !grad.defined() {
                    continue;
                }
                let state = param.state.get_or_insert_with(|| Moments {
                    step: 0.0,
                    exp_avg: param.tensor.zeros_like(),
                    exp_avg_sq: param.tensor.zeros_like(),
                });
                state.step += 1.0;
                if c.weight_decay != 0.0 {
                    let _decayed = param.tensor.f_mul_scalar_(1.0 - c.lr * c.weight_decay)?;
                }
                let _m = state.exp_avg.f_lerp_(&grad, 1.0 - c.beta1)?;
                let _v = state.exp_avg_sq.f_mul_scalar_(c.beta2)?;
                let _v = state
                    .exp_avg_sq
                    .f_add_(&grad.f_mul_scalar(1.0 - c.beta2)?.f_mul(&grad)?)?;
                let bias_correction1 = 1.0 - c.beta1.powf(state.step);
                let bias_correction2 = 1.0 - c.beta2.powf(state.step);
                let step_size = c.lr / bias_correction1;
                let denom = state
                    .exp_avg_sq
                    .f_sqrt()?
                    .f_div_scalar(bias_correction2.sqrt())?
                    .f_add_scalar(c.eps)?;
                // torch's addcdiv_(m, denom, value=-step_size) computes (value·m)/denom.
                let _p = param
                    .tensor
                    .f_add_(&state.exp_avg.f_mul_scalar(-step_size)?.f_div(&denom)?)?;
            }
            Ok(())
        })
    }

    /// Zeroes every parameter's gradient.
    pub fn zero_grad(&mut self) {
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
                        .f_to_kind(Kind::Float)?
                        .f_to_device(param.tensor.device())?
                        .copy(),
                );
            }
            let exp_avg_sq = moments.pop().expect("two moments");
            let exp_avg = moments.pop().expect("two moments");
            restored.push(Some(Moments {
                step,
                exp_avg,
                exp_avg_sq,
            }));
        }
        if let Some(extra) = by_name
            .keys()
            .find(|k| STATE_SUFFIXES.iter().any(|s| k.ends_with(s)))
        {
            return Err(AdamWError::Unknown((*extra).to_string()));
        }
        for (param, state) in self.params.iter_mut().zip(restored) {
            param.state = state;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
