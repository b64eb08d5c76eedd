//! Forgetting and capacity metrics of the CLoRA paper (Table 4): the update capacity
//! ‖ΔW‖₂ (spectral norm of each LoRA update) and the relative output change
//! F = mean ‖ΔW·x‖/‖x‖ over real inputs (accumulated by the model during evaluation).
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::model::{OutputChangeStat, SequenceClassifier};

/// One value per adapted layer and their mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerLayer {
    pub layers: Vec<(String, f64)>,
    pub mean: f64,
}

impl PerLayer {
    pub fn new(layers: Vec<(String, f64)>) -> PerLayer {
        let mean = if layers.is_empty() {
            0.0
        } else {
            layers.iter().map(|(_, v)| v).sum::<f64>() / layers.len() as f64
        };
        PerLayer { layers, mean }
    }
}

/// ‖ΔW‖₂ = the largest singular value of ΔW = scaling·B·A, per layer.
pub fn update_capacity(model: &SequenceClassifier) -> Result<PerLayer, tch::TchError> {
    let mut layers = Vec::new();
    for (name, delta) in model.delta_ws() {
        layers.push((name, spectral_norm(&delta)?));
    }
    Ok(PerLayer::new(layers))
}

/// The largest singular value of a matrix.
pub fn spectral_norm(matrix: &Tensor) -> Result<f64, tch::TchError> {
    let (_, singular, _) = matrix.to_kind(Kind::Double).f_svd(true, false)?;
    singular.f_max()?.f_double_value(&[])
}

/// F per layer from the model's output-change accumulators.
pub fn output_change(stats: &[OutputChangeStat]) -> PerLayer {
    PerLayer::new(
        stats
            .iter()
            .map(|s| (s.name.clone(), if s.count > 0 { s.mean() } else { 0.0 }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// numpy: `np.linalg.norm(np.array([[3., 0.], [4., 5.]]), 2)` = 6.708203932499369.
    #[test]
    fn spectral_norm_matches_numpy() {
        let m = Tensor::from_slice(&[3.0f32, 0.0, 4.0, 5.0]).reshape([2, 2]);
        assert!((spectral_norm(&m).unwrap() - 6.708203932499369).abs() < 1e-6);
    }

    #[test]
    fn mean_over_layers() {
        let p = PerLayer::new(vec![("a".into(), 1.0), ("b".into(), 3.0)]);
        assert_eq!(p.mean, 2.0);
        assert_eq!(PerLayer::new(vec![]).mean, 0.0);
    }
}
