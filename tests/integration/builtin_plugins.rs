//! Integration tests of the built-in plugins (`plugins/builtin/*`, built to
//! `plugins/<name>.wasm` by `host/scripts/build-plugins.sh`), run through the real
//! runtime: numerics against native tch, preprocessors on synthetic fixtures in both
//! dataset schemas, and `clora-host plugins check` on every component.
//!
//! Run: `cargo test --release --test integration builtin_plugins::`
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clora_host::plugin::{LayerSpec, LogLevel, PluginRuntime, RuntimeOptions};
use tch::{Device, Kind, Tensor};

use crate::support;

mod check_cli;
mod clora;
mod l2_lora_plus;
mod pca_grad;
mod preprocessors;

/// Every built-in plugin.
const BUILTIN: &[&str] = &[
    "clora",
    "l2",
    "pca-grad",
    "lora-plus",
    "commonsense-qa",
    "arc",
    "boolq",
    "hellaswag",
];

/// GPT-2 small: 12 `c_attn` layers, 768 → 2304, LoRA rank 8.
const GPT2_LAYERS: usize = 12;
const GPT2_IN: usize = 768;
const GPT2_OUT: usize = 2304;
const GPT2_RANK: usize = 8;

/// The built component `plugins/<name>.wasm`, or a panic saying how to build it.
fn wasm(name: &str) -> PathBuf {
    let path = support::plugin_wasm(name);
    assert!(
        path.is_file(),
        "{} is missing: run host/scripts/build-plugins.sh",
        path.display()
    );
    path
}

/// `host.log` lines a runtime received: (plugin, level, message).
type Logs = Arc<Mutex<Vec<(String, LogLevel, String)>>>;

/// A runtime without the on-disk component cache, whose log lines are collected.
fn runtime() -> (PluginRuntime, Logs) {
    let logs: Logs = Arc::default();
    let sink = logs.clone();
    let options = RuntimeOptions {
        cache_dir: None,
        log_sink: Arc::new(move |plugin: &str, level: LogLevel, message: &str| {
            sink.lock()
                .unwrap()
                .push((plugin.to_string(), level, message.to_string()))
        }),
        ..RuntimeOptions::default()
    };
    (PluginRuntime::new(options).expect("runtime"), logs)
}

/// Parameters from TOML text.
fn params(text: &str) -> toml::Table {
    text.parse().expect("parameter TOML")
}

/// `count` layers of the given shape with a random base weight.
fn layers(count: usize, in_features: usize, out_features: usize, rank: usize) -> Vec<LayerSpec> {
    (0..count)
        .map(|i| LayerSpec {
            name: format!("transformer.h.{i}.attn.c_attn"),
            in_features,
            out_features,
            rank,
            base_weight: Tensor::randn(
                [out_features as i64, in_features as i64],
                (Kind::Float, Device::Cpu),
            ),
        })
        .collect()
}

/// Random LoRA factors for `layers`: A (r × in) and B (out × r), as leaves that
/// require gradients. B is random too (not LoRA's zero init) so both terms matter.
fn factors(layers: &[LayerSpec], kind: Kind) -> (Vec<Tensor>, Vec<Tensor>) {
    let make = |rows: usize, cols: usize| {
        (Tensor::randn([rows as i64, cols as i64], (kind, Device::Cpu)) * 0.05)
            .set_requires_grad(true)
    };
    let a = layers.iter().map(|l| make(l.rank, l.in_features)).collect();
    let b = layers
        .iter()
        .map(|l| make(l.out_features, l.rank))
        .collect();
    (a, b)
}

/// ‖x − y‖_F / ‖y‖_F in f64 (0 when both are zero).
fn rel_err(x: &Tensor, y: &Tensor) -> f64 {
    let x = x.to_kind(Kind::Double);
    let y = y.to_kind(Kind::Double);
    let diff = (&x - &y).norm().double_value(&[]);
    let scale = y.norm().double_value(&[]);
    if scale == 0.0 {
        diff
    } else {
        diff / scale
    }
}

/// The gradients of `value` with respect to `leaves` (cleared first).
fn grads(value: &Tensor, leaves: &[&Tensor]) -> Vec<Tensor> {
    for leaf in leaves {
        let mut g = leaf.grad();
        if g.defined() {
            let _ = g.zero_();
        }
    }
    value.backward();
    leaves.iter().map(|l| l.grad().detach().copy()).collect()
}
