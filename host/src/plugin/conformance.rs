//! The conformance probe behind `clora-host plugins check`: loads a plugin, then
//! exercises it the way training would, with synthetic GPT-2-shaped inputs, and checks
//! what it returns. Regularizer: a finite one-element penalty whose gradients reach the
//! LoRA factors. Gradient processor: replacement gradients of the right shapes, finite
//! (the host checks both on every call). Preprocessor: one well-formed entry per probe
//! record and at least one record converted.
use std::path::Path;
use std::time::{Duration, Instant};

use tch::{Device, Kind, Tensor};

use super::error::PluginError;
use super::info::PluginKind;
use super::rng::GeneratorRep;
use super::{tensor_ops, LayerSpec, LoadStats, PluginInfo, PluginRuntime};

/// Steps each tensor plugin is called for (a first call can differ from later ones,
/// e.g. a projector refreshed every T steps).
pub const PROBE_STEPS: u64 = 3;

/// LoRA rank of the probe layers.
pub const PROBE_RANK: usize = 8;

/// GPT-2 small's attention projections, two blocks: (name, in, out).
pub const PROBE_LAYERS: [(&str, usize, usize); 4] = [
    ("transformer.h.0.attn.c_attn", 768, 2304),
    ("transformer.h.0.attn.c_proj", 768, 768),
    ("transformer.h.1.attn.c_attn", 768, 2304),
    ("transformer.h.1.attn.c_proj", 768, 768),
];

/// Records in the schemas the project's datasets use (CommonsenseQA JSONL and Hub,
/// BoolQ, ARC, HellaSwag) plus a plain `{text, label}` row.
pub const PROBE_RECORDS: [&str; 6] = [
    r#"{"id":"probe-csqa","question":{"stem":"Where would you put a plate after washing it?","choices":[{"label":"A","text":"cupboard"},{"label":"B","text":"river"},{"label":"C","text":"oven"},{"label":"D","text":"garden"},{"label":"E","text":"roof"}]},"answerKey":"A"}"#,
    r#"{"id":"probe-csqa-hub","question":"Where would you put a plate after washing it?","question_concept":"plate","choices":{"label":["A","B","C","D","E"],"text":["cupboard","river","oven","garden","roof"]},"answerKey":"A"}"#,
    r#"{"question":"is the sky blue on a clear day","answer":true,"passage":"On a clear day the sky looks blue because air scatters blue light more than red light."}"#,
    r#"{"id":"probe-arc","question":{"stem":"Which gas do plants take in for photosynthesis?","choices":[{"text":"carbon dioxide","label":"A"},{"text":"helium","label":"B"},{"text":"neon","label":"C"},{"text":"argon","label":"D"}]},"answerKey":"A"}"#,
    r#"{"ind":0,"activity_label":"Cooking","ctx_a":"A man cracks eggs into a bowl.","ctx_b":"he","ctx":"A man cracks eggs into a bowl. he","endings":["whisks them with a fork.","paints the ceiling.","drives to the moon.","plants a tree in the bowl."],"label":"0","split":"val"}"#,
    r#"{"text":"A probe sentence.","label":1}"#,
];

/// Why a plugin failed the probe.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error("conformance check failed for `{plugin}`: {message}")]
    Failed { plugin: String, message: String },
}

/// One probe call: what was checked and how long the plugin took.
#[derive(Debug, Clone)]
pub struct CheckStep {
    pub what: String,
    pub took: Duration,
}

/// A passed probe.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub info: PluginInfo,
    pub resolved: toml::Table,
    pub digest: String,
    pub stats: LoadStats,
    pub steps: Vec<CheckStep>,
}

/// The probe layers with seeded random base weights on `device`.
pub fn probe_layers(device: Device) -> Vec<LayerSpec> {
    let mut generator = GeneratorRep::new(0x5EED);
    PROBE_LAYERS
        .iter()
        .map(|&(name, inp, out)| LayerSpec {
            name: name.to_string(),
            in_features: inp,
            out_features: out,
            rank: PROBE_RANK,
            base_weight: random(&mut generator, out, inp, 0.02, device),
        })
        .collect()
}

fn random(
    generator: &mut GeneratorRep,
    rows: usize,
    cols: usize,
    std: f64,
    device: Device,
) -> Tensor {
    let values = generator
        .normals(rows * cols)
        .into_iter()
        .map(|x| x * std)
        .collect();
    tensor_ops::from_samples(values, &[rows as u64, cols as u64], device)
        .expect("probe tensors are small")
}

/// LoRA factors for the probe layers: A (rank × in) ~ N(0, 1/in), B (out × rank) small
/// but non-zero so that gradients through either factor are visible.
fn probe_factors(layers: &[LayerSpec], seed: u64, device: Device) -> (Vec<Tensor>, Vec<Tensor>) {
    let mut generator = GeneratorRep::new(seed);
    layers
        .iter()
        .map(|l| {
            let a = random(
                &mut generator,
                l.rank,
                l.in_features,
                1.0 / (l.in_features as f64).sqrt(),
                device,
            );
            let b = random(&mut generator, l.out_features, l.rank, 0.01, device);
            (a, b)
        })
        .unzip()
}

/// Loads `wasm` with `params` and runs the probe for its kind.
pub fn check(
    runtime: &PluginRuntime,
    wasm: &Path,
    params: &toml::Table,
    records: Option<&[String]>,
    device: Device,
) -> Result<CheckReport, CheckError> {
    let kind = runtime.describe(wasm)?.kind;
    match kind {
        PluginKind::Regularizer => check_regularizer(runtime, wasm, params, device),
        PluginKind::GradProcessor => check_grad_processor(runtime, wasm, params, device),
        PluginKind::Preprocessor => check_preprocessor(runtime, wasm, params, records),
    }
}

fn failed(info: &PluginInfo, message: String) -> CheckError {
    CheckError::Failed {
        plugin: info.name.clone(),
        message,
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = f();
    (value, started.elapsed())
}

/// Layers whose gradient `grads` reached with a finite value, or the first non-finite.
fn reached(grads: impl Iterator<Item = Tensor>) -> Result<usize, usize> {
    let mut count = 0;
    for (i, grad) in grads.enumerate() {
        if !grad.defined() {
            continue;
        }
        if !tensor_ops::all_finite(&grad).unwrap_or(false) {
            return Err(i);
        }
        let magnitude = grad
            .f_abs()
            .and_then(|g| g.f_sum(Kind::Double))
            .and_then(|g| g.f_double_value(&[]));
        count += usize::from(magnitude.unwrap_or(0.0) > 0.0);
    }
    Ok(count)
}

fn check_regularizer(
    runtime: &PluginRuntime,
    wasm: &Path,
    params: &toml::Table,
    device: Device,
) -> Result<CheckReport, CheckError> {
    let layers = probe_layers(device);
    let mut plugin = runtime.load_regularizer(wasm, params, &layers, device)?;
    let info = plugin.info().clone();
    let mut steps = Vec::new();
    for step in 0..PROBE_STEPS {
        let (a, b) = probe_factors(&layers, step, device);
        let (a, b): (Vec<Tensor>, Vec<Tensor>) = (
            a.into_iter().map(|t| t.set_requires_grad(true)).collect(),
            b.into_iter().map(|t| t.set_requires_grad(true)).collect(),
        );
        let (penalty, took) = timed(|| plugin.compute_penalty(step, &a, &b));
        let penalty = penalty?;
        if !penalty.requires_grad() {
            return Err(failed(
                &info,
                format!("step {step}: the penalty is not on the autograd tape (detached?)"),
            ));
        }
        penalty.backward();
        let (to_a, to_b) = (
            reached(a.iter().map(Tensor::grad)),
            reached(b.iter().map(Tensor::grad)),
        );
        let (to_a, to_b) = match (to_a, to_b) {
            (Err(i), _) => {
                return Err(failed(
                    &info,
                    format!("step {step}: the gradient of A[{i}] is not finite"),
                ))
            }
            (_, Err(i)) => {
                return Err(failed(
                    &info,
                    format!("step {step}: the gradient of B[{i}] is not finite"),
                ))
            }
            (Ok(to_a), Ok(to_b)) => (to_a, to_b),
        };
        if to_a + to_b == 0 {
            return Err(failed(
                &info,
                format!("step {step}: no gradient reaches A or B from the penalty"),
            ));
        }
        let value = tensor_ops::item(&penalty).unwrap_or(f64::NAN);
        let n = layers.len();
        steps.push(CheckStep {
            what: format!("step {step}: penalty {value:.6e}, finite scalar; gradients reach A in {to_a}/{n} and B in {to_b}/{n} layers"),
            took,
        });
    }
    Ok(CheckReport {
        resolved: plugin.resolved_params().clone(),
        digest: plugin.digest().to_string(),
        stats: plugin.load_stats(),
        info,
        steps,
    })
}

fn check_grad_processor(
    runtime: &PluginRuntime,
    wasm: &Path,
    params: &toml::Table,
    device: Device,
) -> Result<CheckReport, CheckError> {
    let layers = probe_layers(device);
    let mut plugin = runtime.load_grad_processor(wasm, params, &layers, device)?;
    let info = plugin.info().clone();
    let mut steps = Vec::new();
    for step in 0..PROBE_STEPS {
        let (ga, gb) = probe_factors(&layers, 100 + step, device);
        let (result, took) = timed(|| plugin.process_grads(step, &ga, &gb));
        let (na, nb) = result?;
        let changed = na
            .iter()
            .chain(&nb)
            .zip(ga.iter().chain(&gb))
            .filter(|(new, old)| !new.f_allclose(old, 1e-6, 1e-8, false).unwrap_or(false))
            .count();
        steps.push(CheckStep {
            what: format!(
                "step {step}: {} gradients back with the right shapes, all finite ({changed} changed)",
                na.len() + nb.len()
            ),
            took,
        });
    }
    Ok(CheckReport {
        resolved: plugin.resolved_params().clone(),
        digest: plugin.digest().to_string(),
        stats: plugin.load_stats(),
        info,
        steps,
    })
}

fn check_preprocessor(
    runtime: &PluginRuntime,
    wasm: &Path,
    params: &toml::Table,
    records: Option<&[String]>,
) -> Result<CheckReport, CheckError> {
    let mut plugin = runtime.load_preprocessor(wasm, params)?;
    let info = plugin.info().clone();
    let records: Vec<String> = match records {
        Some(records) => records.to_vec(),
        None => PROBE_RECORDS.iter().map(|r| r.to_string()).collect(),
    };
    let (results, took) = timed(|| plugin.process_batch(0, &records));
    let results = results?;
    let mut steps = Vec::new();
    let mut accepted = 0;
    for (i, result) in results.iter().enumerate() {
        let what = match result {
            Ok(examples) => {
                if let Some(e) = examples.iter().find(|e| e.text.trim().is_empty()) {
                    return Err(failed(
                        &info,
                        format!("record {i}: an example has empty text (label {})", e.label),
                    ));
                }
                accepted += 1;
                let labels: Vec<String> = examples.iter().map(|e| e.label.to_string()).collect();
                format!(
                    "record {i}: {} examples (labels {})",
                    examples.len(),
                    labels.join(", ")
                )
            }
            Err(reason) => format!("record {i}: rejected: {reason}"),
        };
        steps.push(CheckStep {
            what,
            took: Duration::ZERO,
        });
    }
    if accepted == 0 {
        return Err(failed(
            &info,
            format!(
                "none of the {} probe records was converted (pass one of its own with --record)",
                records.len()
            ),
        ));
    }
    steps.push(CheckStep {
        what: format!(
            "process-batch of {} records, {accepted} converted",
            records.len()
        ),
        took,
    });
    Ok(CheckReport {
        resolved: plugin.resolved_params().clone(),
        digest: plugin.digest().to_string(),
        stats: plugin.load_stats(),
        info,
        steps,
    })
}
