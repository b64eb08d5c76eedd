//! The configuration flags shared by `train`, `eval`, `data` and `sweep`: `--config`,
//! `--set key=value` (repeatable) and the dedicated flags for the knobs people reach for
//! most. They become [`Overrides`] layered over the embedded defaults.
use std::path::PathBuf;

use clap::Args;

use crate::config::{self, Overrides, Resolved};

#[derive(Debug, Clone, Args, Default)]
pub struct ConfigArgs {
    /// A TOML config file; only the keys it sets override the embedded defaults
    /// (`clora-host config defaults` prints them). Repeatable: later files win.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// Override any key of the resolved config, e.g. `--set train.lr=1e-4`,
    /// `--set regularizer.k=64`, `--set data.root=../shared/data`. Repeatable; applied
    /// after --config, in order. Unknown keys are errors.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The base model: a local directory in Hugging Face layout, or a Hub id
    /// (`model.source`).
    #[arg(long, value_name = "DIR|HUB_ID")]
    pub model: Option<String>,
    /// `device`: auto, cpu, cuda or cuda:N.
    #[arg(long)]
    pub device: Option<String>,
    /// `seed` for LoRA init, dropout, shuffling and preprocessing.
    #[arg(long)]
    pub seed: Option<i64>,
    /// `train.max_eval_samples`: evaluate on at most N examples per split (0 = all).
    #[arg(long, value_name = "N")]
    pub max_eval_samples: Option<i64>,
}

impl ConfigArgs {
    /// The overrides these flags stand for.
    pub fn overrides(&self) -> Overrides {
        let mut o = Overrides {
            files: self.config.clone(),
            sets: self.sets.clone(),
            ..Default::default()
        };
        o.flag("model.source", "--model", self.model.clone());
        o.flag("device", "--device", self.device.clone());
        o.flag("seed", "--seed", self.seed);
        o.flag(
            "train.max_eval_samples",
            "--max-eval-samples",
            self.max_eval_samples,
        );
        o
    }

    /// Resolves the configuration, with `extra` flags applied last.
    pub fn resolve(
        &self,
        extra: impl FnOnce(&mut Overrides),
    ) -> Result<Resolved, config::ConfigError> {
        let mut o = self.overrides();
        extra(&mut o);
        config::resolve(&o)
    }
}
