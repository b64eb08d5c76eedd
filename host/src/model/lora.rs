//! LoRA on GPT-2's `Conv1D` projections, as PEFT builds it: the configuration, PEFT's
//! target-module matching, the adapter's forward pass, ΔW, and the output-change
//! accumulator behind the forgetting metric F = mean ‖ΔW·x‖/‖x‖.
//!
//! Shapes follow PEFT: A is (r × in), B is (out × r) and ΔW = scaling·B·A (out × in).
//! GPT-2's `Conv1D` stores its weight as (in × out), so PEFT marks these layers
//! `fan_in_fan_out`; the LoRA path itself is `x·Aᵀ·Bᵀ·scaling` either way.
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tch::{nn, Kind, Tensor};

use super::dropout::{dropout, DropoutRng};
use super::init;

/// The projections LoRA can wrap, by their module path inside a GPT-2 block.
pub const TARGETABLE: [&str; 4] = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"];

/// `[lora]`: the adapter's hyper-parameters (PEFT's `LoraConfig` names in brackets).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LoraConfig {
    /// Rank (`r`).
    pub r: i64,
    /// Scale numerator (`lora_alpha`): scaling = alpha / r, or alpha / √r with rsLoRA.
    pub alpha: f64,
    /// Dropout on the adapter's input in training (`lora_dropout`).
    pub dropout: f64,
    /// Module names matched like PEFT does: a name matches a module whose path equals it
    /// or ends with `.` + name (`c_proj` matches both `attn.c_proj` and `mlp.c_proj`).
    pub target_modules: Vec<String>,
    /// rsLoRA scaling alpha / √r (`use_rslora`).
    pub use_rslora: bool,
}

impl Default for LoraConfig {
    fn default() -> Self {
        LoraConfig {
            r: 8,
            alpha: 16.0,
            dropout: 0.1,
            target_modules: vec!["c_attn".to_string()],
            use_rslora: false,
        }
    }
}

impl LoraConfig {
    /// The factor ΔW = scaling·B·A is multiplied by.
    pub fn scaling(&self) -> f64 {
        if self.use_rslora {
            self.alpha / (self.r as f64).sqrt()
        } else {
            self.alpha / self.r as f64
        }
    }

    /// Checks the values and that every target matches some GPT-2 projection.
    pub fn validate(&self) -> Result<(), String> {
        if self.r <= 0 {
            return Err(format!("lora.r must be positive, got {}", self.r));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(format!("lora.alpha must be positive, got {}", self.alpha));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!(
                "lora.dropout must be in [0, 1), got {}",
                self.dropout
            ));
        }
        if self.target_modules.is_empty() {
            return Err("lora.target_modules is empty".to_string());
        }
        for target in &self.target_modules {
            if !TARGETABLE
                .iter()
                .any(|module| peft_matches(&format!("transformer.h.0.{module}"), target))
            {
                return Err(format!(
                    "lora.target_modules: `{target}` matches no GPT-2 projection (use c_attn, c_proj, \
                     attn.c_proj, c_fc or mlp.c_proj)"
                ));
            }
        }
        Ok(())
    }

    /// True when the module at `path` (e.g. `transformer.h.3.mlp.c_proj`) gets LoRA.
    pub fn targets(&self, path: &str) -> bool {
        self.target_modules
            .iter()
            .any(|target| peft_matches(path, target))
    }
}

/// PEFT's rule for a list of target names: exact match or a `.`-separated suffix.
pub fn peft_matches(path: &str, target: &str) -> bool {
    path == target || path.ends_with(&format!(".{target}"))
}

/// Σ ‖ΔW·x‖/‖x‖ and the number of positions, accumulated on the device.
struct OutputChange {
    sum: Tensor,
    count: Tensor,
}

/// One LoRA adapter attached to a projection.
pub struct LoraAdapter {
    /// The wrapped module's HF path, e.g. `transformer.h.0.attn.c_attn`.
    pub name: String,
    pub in_features: i64,
    pub out_features: i64,
    pub rank: i64,
    pub scaling: f64,
    pub dropout: f64,
    /// (r × in), a variable of the trainable store.
    pub a: Tensor,
    /// (out × r), a variable of the trainable store.
    pub b: Tensor,
    tracking: Mutex<Option<OutputChange>>,
}

impl LoraAdapter {
    /// Creates A (PEFT's kaiming-uniform, seeded by name) and B (zeros) under `path`
    /// (the trainable store, at the module's path), named `lora_A.weight` and
    /// `lora_B.weight`.
    pub fn new(
        path: &nn::Path,
        name: &str,
        in_features: i64,
        out_features: i64,
        config: &LoraConfig,
        seed: u64,
    ) -> Self {
        let a_init = init::kaiming_uniform_sqrt5(
            seed,
            &format!("{name}.lora_A"),
            config.r,
            in_features,
            path.device(),
        );
        let a = path.sub("lora_A").var_copy("weight", &a_init);
        let b = path
            .sub("lora_B")
            .zeros("weight", &[out_features, config.r]);
        LoraAdapter {
            name: name.to_string(),
            in_features,
            out_features,
            rank: config.r,
            scaling: config.scaling(),
            dropout: config.dropout,
            a,
            b,
            tracking: Mutex::new(None),
        }
    }

    /// `base + B·A·dropout(x)·scaling` for `x` [rows, in] and `base` [rows, out], in
    /// `compute` precision, the adapter's product and the sum in one `addmm`. Dropout
    /// runs only in training (with `rng`). `real` ([rows] bool) marks the rows the
    /// output-change accumulator counts when it is on.
    pub fn add_to(
        &self,
        base: &Tensor,
        x: &Tensor,
        rng: Option<&DropoutRng>,
        compute: Kind,
        real: Option<&Tensor>,
    ) -> Tensor {
        if let Some(real) = real {
            self.track(x, real);
        }
        let dropped = dropout(x, self.dropout, rng);
        let xa = dropped
            .to_kind(compute)
            .matmul(&self.a.to_kind(compute).tr());
        let scaled_b = self.b.to_kind(compute) * self.scaling;
        base.addmm(&xa, &scaled_b.tr())
    }

    /// ΔW = scaling·B·A (out × in).
    pub fn delta_w(&self) -> Tensor {
        self.b.matmul(&self.a) * self.scaling
    }

    /// Starts (or restarts) accumulating ‖ΔW·x‖/‖x‖ over real positions.
    pub fn start_tracking(&self) {
        let device = self.a.device();
        let zero = || Tensor::zeros([], (Kind::Double, device));
        *self.lock() = Some(OutputChange {
            sum: zero(),
            count: zero(),
        });
    }

    /// Stops accumulating and forgets the sums.
    pub fn stop_tracking(&self) {
        *self.lock() = None;
    }

    pub fn is_tracking(&self) -> bool {
        self.lock().is_some()
    }

    /// (Σ ‖ΔW·x‖/‖x‖, number of positions) so far, if tracking.
    pub fn output_change(&self) -> Option<(f64, i64)> {
        self.lock().as_ref().map(|acc| {
            (
                acc.sum.double_value(&[]),
                acc.count.double_value(&[]) as i64,
            )
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<OutputChange>> {
        // A poisoned lock only means a panic elsewhere mid-update; the sums are still valid.
        self.tracking
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn track(&self, x: &Tensor, real: &Tensor) {
        let mut guard = self.lock();
        let Some(acc) = guard.as_mut() else { return };
        tch::no_grad(|| {
            let x = x.to_kind(Kind::Float);
            let delta = x.matmul(&self.a.tr()).matmul(&self.b.tr()) * self.scaling;
            let ratio = delta.norm_scalaropt_dim(2, [-1], false)
                / x.norm_scalaropt_dim(2, [-1], false).clamp_min(1e-12);
            let real = real.to_kind(Kind::Double);
            acc.sum += (ratio.to_kind(Kind::Double) * &real).sum(Kind::Double);
            acc.count += real.sum(Kind::Double);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peft_suffix_matching() {
        let c = LoraConfig {
            target_modules: vec!["c_proj".into()],
            ..LoraConfig::default()
        };
        assert!(c.targets("transformer.h.0.attn.c_proj"));
        assert!(c.targets("transformer.h.11.mlp.c_proj"));
        assert!(!c.targets("transformer.h.0.attn.c_attn"));
        let c = LoraConfig {
            target_modules: vec!["mlp.c_proj".into()],
            ..LoraConfig::default()
        };
        assert!(!c.targets("transformer.h.0.attn.c_proj"));
        assert!(c.targets("transformer.h.0.mlp.c_proj"));
        let c = LoraConfig {
            target_modules: vec!["attn".into()],
            ..LoraConfig::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .contains("matches no GPT-2 projection"));
        // `_attn` is not a `.`-suffix of `c_attn`.
        assert!(!peft_matches("transformer.h.0.attn.c_attn", "_attn"));
    }

    #[test]
    fn scaling_and_rslora() {
        let c = LoraConfig::default();
        assert_eq!(c.scaling(), 2.0);
        let c = LoraConfig {
            r: 16,
            use_rslora: true,
            ..LoraConfig::default()
        };
        assert_eq!(c.scaling(), 4.0);
    }
}
