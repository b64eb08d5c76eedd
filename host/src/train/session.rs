//! Everything a run needs, built from a resolved config: the device, the model with its
//! LoRA adapters, the plugins (loaded and parameter-checked before any training), the
//! optimizer and the data feeds.
use std::path::Path;

use tch::Device;

use crate::config::Config;
use crate::model::{self, SequenceClassifier};
use crate::plugin::{
    GradProcessorPlugin, LayerSpec, PluginInfo, PluginRuntime, RegularizerPlugin, RuntimeOptions,
};

use super::adamw::{AdamW, AdamWConfig};
use super::data_feed::{self, Feeds};
use super::run_dir::RunDir;
use super::summary::PluginIdentity;
use super::TrainError;

/// A run's live state.
pub struct Session {
    pub device: Device,
    pub model: SequenceClassifier,
    pub regularizer: Option<(RegularizerPlugin, f64)>,
    pub grad_processor: Option<GradProcessorPlugin>,
    pub optimizer: AdamW,
    pub feeds: Feeds,
    pub plugin_identities: Vec<(String, PluginIdentity)>,
}

/// Sandbox options from the `[plugins]` section; plugin log lines go to the run's log
/// when there is a run.
pub fn runtime_options(config: &Config, run: Option<&RunDir>) -> RuntimeOptions {
    let mut options = RuntimeOptions::default();
    if let Some(run) = run {
        options.log_sink = run.plugin_log_sink();
    }
    options.memory_limit_bytes = (config.plugins.memory_mib as usize) << 20;
    options.call_timeout = std::time::Duration::from_millis(config.plugins.call_timeout_ms);
    options.init_timeout = options.call_timeout * 10;
    options
}

impl Session {
    pub fn build(config: &Config, run: &RunDir) -> Result<Session, TrainError> {
        let device = model::parse_device(&config.device)?;
        tch::manual_seed(config.seed as i64);
        apply_threads(config);
        run.log(&format!(
            "device: {device:?}; resolving model {}",
            config.model.source
        ));
        let files = model::resolve_model(&config.model.source, Some(&config.model.revision))?;
        let model = SequenceClassifier::load(&files, &config.lora, device, config.seed)?;
        let runtime = PluginRuntime::new(runtime_options(config, Some(run)))?;
        let layers: Vec<LayerSpec> = model
            .lora_layers()
            .into_iter()
            .map(|l| LayerSpec {
                name: l.name,
                in_features: l.in_features as usize,
                out_features: l.out_features as usize,
                rank: l.rank as usize,
                base_weight: l.base_weight,
            })
            .collect();
        let mut identities = Vec::new();
        let regularizer = match &config.regularizer.path {
            None => None,
            Some(path) => {
                let plugin = runtime.load_regularizer(
                    Path::new(path),
                    &config.regularizer.params,
                    &layers,
                    device,
                )?;
                let id = identity(
                    path,
                    plugin.info(),
                    plugin.digest(),
                    plugin.resolved_params(),
                );
                let lambda = config.regularizer.lambda.unwrap_or(0.0);
                run.log(&format!(
                    "regularizer: {} {} (λ = {lambda})",
                    id.name, id.version
                ));
                identities.push(("regularizer".to_string(), id));
                Some((plugin, lambda))
            }
        };
        let grad_processor = match &config.grad_processor.path {
            None => None,
            Some(path) => {
                let plugin = runtime.load_grad_processor(
                    Path::new(path),
                    &config.grad_processor.params,
                    &layers,
                    device,
                )?;
                let id = identity(
                    path,
                    plugin.info(),
                    plugin.digest(),
                    plugin.resolved_params(),
                );
                run.log(&format!("gradient processor: {} {}", id.name, id.version));
                identities.push(("grad_processor".to_string(), id));
                Some(plugin)
            }
        };
        let feeds = data_feed::prepare(
            config,
            &files.dir,
            &runtime,
            run,
            data_feed::Needs::Training,
            None,
        )?;
        let t = &config.train;
        let optimizer = AdamW::new(
            named_trainable(&model),
            AdamWConfig {
                lr: t.lr,
                beta1: t.adam_beta1,
                beta2: t.adam_beta2,
                eps: t.adam_eps,
                weight_decay: t.weight_decay,
            },
        );
        Ok(Session {
            device,
            model,
            regularizer,
            grad_processor,
            optimizer,
            feeds,
            plugin_identities: identities,
        })
    }
}

/// Sets libtorch's intra-op thread count when the config asks for one.
pub fn apply_threads(config: &Config) {
    if config.threads > 0 {
        tch::set_num_threads(config.threads as i32);
    }
}

/// The trainable variables by name, in a stable (sorted) order.
pub fn named_trainable(model: &SequenceClassifier) -> Vec<(String, tch::Tensor)> {
    let mut vars: Vec<(String, tch::Tensor)> = model.trainable().variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

fn identity(path: &str, info: &PluginInfo, digest: &str, resolved: &toml::Table) -> PluginIdentity {
    PluginIdentity {
        path: path.to_string(),
        name: info.name.clone(),
        version: info.version.clone(),
        sha256: digest.to_string(),
        params: serde_json::to_value(resolved).unwrap_or_default(),
    }
}
