//! Reading a GPT-2 checkpoint (`model.safetensors`) under normalised HF names, and writing
//! named tensors as safetensors (used for PEFT adapters).
//!
//! Checkpoints come with and without the `transformer.` prefix (the Hub's `gpt2` has
//! none; a saved `GPT2ForSequenceClassification` has it); names are normalised to the
//! prefixed form. The causal-mask buffers `attn.bias`/`attn.masked_bias` of old
//! checkpoints and the tied `lm_head.weight` are skipped.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};
use tch::{Kind, Tensor};

use super::ModelError;

/// The tensors of one checkpoint, by normalised name, taken out one at a time.
pub struct Checkpoint {
    path: PathBuf,
    tensors: HashMap<String, Tensor>,
}

/// The normalised name of a checkpoint key, or `None` for keys the model does not use.
pub fn normalise_key(key: &str) -> Option<String> {
    let bare = key.strip_prefix("transformer.").unwrap_or(key);
    let skipped = bare.ends_with(".attn.bias")
        || bare.ends_with(".attn.masked_bias")
        || bare.ends_with(".crossattention.bias")
        || bare.ends_with(".crossattention.masked_bias")
        || bare.starts_with("lm_head.");
    if skipped {
        return None;
    }
    if bare.starts_with("score.") {
        Some(bare.to_string())
    } else {
        Some(format!("transformer.{bare}"))
    }
}

impl Checkpoint {
    /// Reads every tensor of a safetensors file.
    pub fn read(path: &Path) -> Result<Self, ModelError> {
        let tensors = read_safetensors(path)?
            .into_iter()
            .filter_map(|(key, tensor)| normalise_key(&key).map(|name| (name, tensor)))
            .collect();
        Ok(Checkpoint {
            path: path.to_path_buf(),
            tensors,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// Removes and returns `name`, checking its shape.
    pub fn take(&mut self, name: &str, dims: &[i64]) -> Result<Tensor, ModelError> {
        let tensor = self
            .tensors
            .remove(name)
            .ok_or_else(|| ModelError::Weights {
                path: self.path.clone(),
                message: format!("missing tensor `{name}` (expected shape {dims:?})"),
            })?;
        check_shape(&self.path, name, dims, &tensor)?;
        Ok(tensor)
    }
}

/// `ShapeMismatch` unless `tensor` has shape `dims`.
pub fn check_shape(
    path: &Path,
    name: &str,
    dims: &[i64],
    tensor: &Tensor,
) -> Result<(), ModelError> {
    let found = tensor.size();
    if found != dims {
        return Err(ModelError::ShapeMismatch {
            path: path.to_path_buf(),
            name: name.to_string(),
            expected: dims.to_vec(),
            found,
        });
    }
    Ok(())
}

/// Reads all tensors of a safetensors file (on the CPU, in their stored dtype).
pub fn read_safetensors(path: &Path) -> Result<Vec<(String, Tensor)>, ModelError> {
    let bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
    let file = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    file.tensors()
        .into_iter()
        .map(|(name, view)| {
            let kind = kind_of(view.dtype()).ok_or_else(|| ModelError::Weights {
                path: path.to_path_buf(),
                message: format!("tensor `{name}` has unsupported dtype {:?}", view.dtype()),
            })?;
            let dims: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
            Ok((name, Tensor::f_from_data_size(view.data(), &dims, kind)?))
        })
        .collect()
}

fn kind_of(dtype: Dtype) -> Option<Kind> {
    Some(match dtype {
        Dtype::F32 => Kind::Float,
        Dtype::F16 => Kind::Half,
        Dtype::BF16 => Kind::BFloat16,
        Dtype::F64 => Kind::Double,
        Dtype::I64 => Kind::Int64,
        Dtype::I32 => Kind::Int,
        Dtype::U8 => Kind::Uint8,
        Dtype::BOOL => Kind::Bool,
        _ => return None,
    })
}

/// Writes fp32 tensors as safetensors with `{"format": "pt"}` metadata (what
/// `safetensors.torch.save_file` and PEFT write).
pub fn write_safetensors(path: &Path, tensors: &[(String, Tensor)]) -> Result<(), ModelError> {
    let mut buffers = Vec::with_capacity(tensors.len());
    for (name, tensor) in tensors {
        let cpu = tensor
            .detach()
            .to_device(tch::Device::Cpu)
            .to_kind(Kind::Float)
            .contiguous();
        let values = Vec::<f32>::try_from(&cpu.flatten(0, -1))?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let shape: Vec<usize> = cpu.size().iter().map(|&d| d as usize).collect();
        buffers.push((name.clone(), shape, bytes));
    }
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
                .map_err(|e| ModelError::Weights {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::tensor::serialize_to_file(views, Some(metadata), path).map_err(|e| {
        ModelError::Weights {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_hub_and_classifier_keys() {
        assert_eq!(
            normalise_key("h.0.attn.c_attn.weight").as_deref(),
            Some("transformer.h.0.attn.c_attn.weight")
        );
        assert_eq!(
            normalise_key("transformer.h.0.attn.c_attn.bias").as_deref(),
            Some("transformer.h.0.attn.c_attn.bias")
        );
        assert_eq!(
            normalise_key("wte.weight").as_deref(),
            Some("transformer.wte.weight")
        );
        assert_eq!(
            normalise_key("score.weight").as_deref(),
            Some("score.weight")
        );
        assert_eq!(normalise_key("h.3.attn.bias"), None);
        assert_eq!(normalise_key("transformer.h.3.attn.masked_bias"), None);
        assert_eq!(normalise_key("lm_head.weight"), None);
    }

    #[test]
    fn round_trips_safetensors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.safetensors");
        let t = Tensor::from_slice(&[1.0f32, -2.0, 3.5, 0.25, 5.0, 6.0]).reshape([2, 3]);
        write_safetensors(&path, &[("a.b".to_string(), t.shallow_clone())]).unwrap();
        let back = read_safetensors(&path).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].0, "a.b");
        assert!(back[0].1.equal(&t));
    }
}
