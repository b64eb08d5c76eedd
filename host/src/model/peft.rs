//! Adapters in PEFT's on-disk format, so `PeftModel.from_pretrained` loads what
//! clora-host trains and clora-host loads what PEFT trains.
//!
//! A directory holds `adapter_config.json` (PEFT's `LoraConfig`, `task_type` SEQ_CLS,
//! `fan_in_fan_out` true for GPT-2's Conv1D) and `adapter_model.safetensors` with PEFT
//! 0.21's key names: `base_model.model.<module>.lora_A.weight` / `.lora_B.weight` and the
//! score head (a `modules_to_save` entry for SEQ_CLS) as `base_model.model.score.weight`.
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{json, Value};
use tch::Tensor;

use super::classifier::SequenceClassifier;
use super::lora::LoraConfig;
use super::weights::{check_shape, read_safetensors, write_safetensors};
use super::ModelError;

pub const ADAPTER_CONFIG_FILE: &str = "adapter_config.json";
pub const ADAPTER_WEIGHTS_FILE: &str = "adapter_model.safetensors";

/// Writes `adapter_config.json` and `adapter_model.safetensors` into `dir` (created if
/// needed).
pub fn save_adapter(model: &SequenceClassifier, dir: &Path) -> Result<(), ModelError> {
    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    let lora = model.lora_config();
    let alpha = if lora.alpha.fract() == 0.0 && lora.alpha.abs() < 1e15 {
        json!(lora.alpha as i64)
    } else {
        json!(lora.alpha)
    };
    let config = json!({
        "peft_type": "LORA",
        "task_type": "SEQ_CLS",
        "base_model_name_or_path": model.source(),
        "revision": null,
        "inference_mode": true,
        "r": lora.r,
        "lora_alpha": alpha,
        "lora_dropout": lora.dropout,
        "target_modules": lora.target_modules,
        "use_rslora": lora.use_rslora,
        "fan_in_fan_out": true,
        "bias": "none",
        "use_dora": false,
        "init_lora_weights": true,
        "modules_to_save": ["classifier", "score"],
        "layers_to_transform": null,
        "layers_pattern": null,
        "rank_pattern": {},
        "alpha_pattern": {},
        "lora_bias": false,
    });
    let path = dir.join(ADAPTER_CONFIG_FILE);
    let text = serde_json::to_string_pretty(&config).expect("a JSON value serialises");
    std::fs::write(&path, text + "\n").map_err(|e| ModelError::io(&path, e))?;
    write_safetensors(&dir.join(ADAPTER_WEIGHTS_FILE), &model.adapter_variables())
}

/// Reads a PEFT `adapter_config.json` as a [`LoraConfig`], refusing features clora-host
/// does not implement (DoRA, biases, per-layer ranks, regex targets…).
pub fn read_adapter_config(dir: &Path) -> Result<LoraConfig, ModelError> {
    let path = dir.join(ADAPTER_CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
    let value: Value = serde_json::from_str(&text).map_err(|source| ModelError::Json {
        path: path.clone(),
        source,
    })?;
    let bad = |message: String| ModelError::Lora(format!("{}: {message}", path.display()));
    let get = |key: &str| value.get(key).filter(|v| !v.is_null());
    if let Some(kind) = get("peft_type").and_then(Value::as_str) {
        if kind != "LORA" {
            return Err(bad(format!(
                "peft_type is {kind}, only LORA adapters are supported"
            )));
        }
    }
    for (key, unsupported) in [
        (
            "use_dora",
            get("use_dora").and_then(Value::as_bool) == Some(true),
        ),
        (
            "bias",
            get("bias")
                .and_then(Value::as_str)
                .is_some_and(|b| b != "none"),
        ),
        (
            "lora_bias",
            get("lora_bias").and_then(Value::as_bool) == Some(true),
        ),
        (
            "rank_pattern",
            get("rank_pattern")
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty()),
        ),
        (
            "alpha_pattern",
            get("alpha_pattern")
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty()),
        ),
        ("layers_to_transform", get("layers_to_transform").is_some()),
    ] {
        if unsupported {
            return Err(bad(format!(
                "`{key}` is set; clora-host supports plain LoRA adapters only"
            )));
        }
    }
    let r = get("r")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("missing integer `r`".into()))?;
    let alpha = get("lora_alpha")
        .and_then(Value::as_f64)
        .ok_or_else(|| bad("missing `lora_alpha`".into()))?;
    let dropout = get("lora_dropout").and_then(Value::as_f64).unwrap_or(0.0);
    let use_rslora = get("use_rslora").and_then(Value::as_bool).unwrap_or(false);
    let target_modules = match get("target_modules") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad("target_modules must hold strings".into()))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::String(pattern)) => {
            return Err(bad(format!(
                "target_modules is the regex `{pattern}`; only a list of module names is supported"
            )))
        }
        _ => return Err(bad("missing `target_modules`".into())),
    };
    let mut target_modules = target_modules;
    target_modules.sort();
    let config = LoraConfig {
        r,
        alpha,
        dropout,
        target_modules,
        use_rslora,
    };
    config.validate().map_err(bad)?;
    Ok(config)
}

/// Checks that an adapter fits a model built with `model` (same rank and same set of
/// wrapped modules).
pub fn check_compatible(
    model: &LoraConfig,
    adapter: &LoraConfig,
    dir: &Path,
) -> Result<(), ModelError> {
    let mut ours = model.target_modules.clone();
    ours.sort();
    if model.r != adapter.r || ours != adapter.target_modules {
        return Err(ModelError::Lora(format!(
            "{}: adapter has r={} on {:?}, the model was built with r={} on {:?}; load the model with the \
             adapter's LoRA settings (SequenceClassifier::load_with_adapter)",
            dir.display(),
            adapter.r,
            adapter.target_modules,
            model.r,
            ours
        )));
    }
    Ok(())
}

/// Pairs each adapter variable of `model` with its value from `dir`'s safetensors,
/// checking names and shapes. Keys with PEFT's adapter name (`lora_A.default.weight`,
/// `score.modules_to_save.default.weight`) are accepted too.
pub fn read_adapter_tensors(
    dir: &Path,
    model: &SequenceClassifier,
) -> Result<Vec<(Tensor, Tensor)>, ModelError> {
    let path = dir.join(ADAPTER_WEIGHTS_FILE);
    let mut stored: BTreeMap<String, Tensor> = read_safetensors(&path)?
        .into_iter()
        .map(|(key, tensor)| (canonical_key(&key), tensor))
        .collect();
    let mut pairs = Vec::new();
    let variables: HashMap<String, Tensor> = model.adapter_variables().into_iter().collect();
    let mut names: Vec<&String> = variables.keys().collect();
    names.sort();
    for name in names {
        let target = &variables[name];
        let value = stored.remove(name).ok_or_else(|| ModelError::Weights {
            path: path.clone(),
            message: format!("adapter lacks tensor `{name}`"),
        })?;
        check_shape(&path, name, &target.size(), &value)?;
        pairs.push((target.shallow_clone(), value.to_kind(tch::Kind::Float)));
    }
    if let Some(extra) = stored.keys().next() {
        return Err(ModelError::Weights {
            path,
            message: format!("adapter has tensor `{extra}` that this model has no place for"),
        });
    }
    Ok(pairs)
}

fn canonical_key(key: &str) -> String {
    key.replace(".lora_A.default.weight", ".lora_A.weight")
        .replace(".lora_B.default.weight", ".lora_B.weight")
        .replace(".modules_to_save.default.weight", ".weight")
}
