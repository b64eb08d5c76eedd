//! Starting and resuming runs: [`train`] creates a run directory from a resolved config,
//! [`resume`] continues an interrupted one from its newest intact checkpoint; both end
//! with the final evaluation on every split and `summary.json`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::config::{self, Config, Overrides};
use crate::plugin::{validate_params, PluginKind, PluginRuntime};

use super::checkpoint::Position;
use super::run_dir::RunDir;
use super::session::Session;
use super::summary::{Capacity, ModelInfo, RunStatus, Summary, Timings, TrainingInfo, Versions};
use super::{checkpoint, error, run_dir, session, trainer, TrainError};
use crate::eval;

/// Options that are not part of the config.
#[derive(Debug, Clone, Default)]
pub struct TrainOptions {
    /// Write the run here instead of `<output.dir>/<name>-<timestamp>/`.
    pub output_dir: Option<PathBuf>,
}

/// Where a finished run left its results.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub run_dir: PathBuf,
    /// The adapter the final evaluation used (PEFT format).
    pub adapter_dir: PathBuf,
    pub summary_file: PathBuf,
    pub summary: Summary,
}

/// Trains a new run.
pub fn train(
    resolved: &config::Resolved,
    options: &TrainOptions,
) -> Result<RunOutcome, TrainError> {
    let config = &resolved.config;
    preflight(resolved)?;
    let run = RunDir::create(
        Path::new(&config.output.dir),
        &config.name,
        options.output_dir.as_deref(),
    )
    .map_err(error::io_err(
        "cannot create run directory in",
        &config.output.dir,
    ))?;
    run.write(run_dir::CONFIG_FILE, resolved.to_toml().as_bytes())
        .map_err(error::io_err(
            "cannot write",
            run.root().join(run_dir::CONFIG_FILE),
        ))?;
    run.log(&format!("run directory: {}", run.root().display()));
    execute(config, run, None)
}

/// Checks what can be checked before a run directory exists: each configured plugin
/// loads, is of the right kind, and accepts its parameters. Errors say which config key
/// (and where it was set) is wrong.
pub fn preflight(resolved: &config::Resolved) -> Result<(), TrainError> {
    let config = &resolved.config;
    let runtime = PluginRuntime::new(session::runtime_options(config, None))?;
    for (section, kind, plugin) in [
        ("regularizer", PluginKind::Regularizer, &config.regularizer),
        (
            "grad_processor",
            PluginKind::GradProcessor,
            &config.grad_processor,
        ),
    ] {
        let Some(path) = &plugin.path else { continue };
        let origin = resolved.origin_of(&format!("{section}.path"));
        let info = runtime.describe(Path::new(path)).map_err(|err| {
            TrainError::Invalid(format!("{origin}: `{section}.path` = {path}: {err}"))
        })?;
        if info.kind != kind {
            return Err(TrainError::Invalid(format!(
                "{origin}: `{section}.path` = {path} is a {} plugin, not a {}",
                info.kind, kind
            )));
        }
        validate_params(&info, &plugin.params).map_err(|err| {
            let set_at: Vec<String> = plugin
                .params
                .keys()
                .map(|k| {
                    format!(
                        "`{section}.{k}` from {}",
                        resolved.origin_of(&format!("{section}.{k}"))
                    )
                })
                .collect();
            TrainError::Invalid(format!("{err} (parameters given: {})", set_at.join(", ")))
        })?;
    }
    Ok(())
}

/// Continues the run in `run_dir` from its newest intact checkpoint, with its saved config.
pub fn resume(run_dir: &Path) -> Result<RunOutcome, TrainError> {
    let config_file = run_dir.join(run_dir::CONFIG_FILE);
    if !config_file.is_file() {
        return Err(TrainError::Invalid(format!(
            "{} is not a run directory (no {})",
            run_dir.display(),
            run_dir::CONFIG_FILE
        )));
    }
    let resolved = config::resolve(&Overrides {
        files: vec![config_file],
        ..Default::default()
    })?;
    let run = RunDir::open(run_dir.to_path_buf())
        .map_err(error::io_err("cannot open run directory", run_dir))?;
    let loaded = checkpoint::load_latest(&run.checkpoints())?;
    for skipped in &loaded.skipped {
        run.log(&format!("warning: skipping damaged checkpoint {skipped}"));
    }
    run.log(&format!(
        "resuming from {} (step {})",
        loaded.dir.display(),
        loaded.position.step
    ));
    execute(
        &resolved.config,
        run,
        Some((loaded.position, loaded.tensors)),
    )
}

fn execute(
    config: &Config,
    run: RunDir,
    checkpoint: Option<(Position, Vec<(String, tch::Tensor)>)>,
) -> Result<RunOutcome, TrainError> {
    let started = Instant::now();
    let mut session = match Session::build(config, &run) {
        Ok(session) => session,
        Err(err) => {
            if checkpoint.is_none() {
                // Nothing was produced yet: leave no half-made run directory behind.
                let _ = std::fs::remove_dir_all(run.root());
            }
            return Err(err);
        }
    };
    let resumed_from = checkpoint.as_ref().map(|(p, _)| p.step);
    let position = match checkpoint {
        Some((position, tensors)) => {
            trainer::restore_checkpoint(&mut session, tensors)?;
            position
        }
        None => Position {
            step: 0,
            epoch: 0,
            batch_in_epoch: 0,
            best_accuracy: None,
            best_epoch: None,
        },
    };
    let setup_s = started.elapsed().as_secs_f64();
    let stop = interrupt_flag();
    let outcome = match trainer::run_loop(config, &mut session, &run, position, stop) {
        Ok(outcome) => outcome,
        Err(err) => {
            run.log(&format!(
                "training stopped: {err}\nthe newest checkpoint is intact; continue with: clora-host train --resume {}",
                run.root().display()
            ));
            return Err(err);
        }
    };
    session.model.save_adapter(&run.adapter())?;

    // Final evaluation with the best validation adapter when there is one.
    let eval_started = Instant::now();
    let use_best = outcome.position.best_epoch.is_some() && run.best_adapter().is_dir();
    if use_best {
        session.model.load_adapter(&run.best_adapter())?;
    }
    let mut splits = BTreeMap::new();
    for name in session.feeds.eval_names() {
        let evaluation = trainer::evaluate_split(&session, &name, &run)?;
        splits.insert(name, evaluation);
    }
    let update_capacity = eval::update_capacity(&session.model)?;
    let output_change = splits
        .get("validation")
        .map(|v| v.output_change.clone())
        .unwrap_or_else(|| eval::PerLayer::new(vec![]));
    let eval_s = eval_started.elapsed().as_secs_f64();

    let model_config = session.model.config();
    let summary = Summary {
        name: config.name.clone(),
        status: RunStatus::Completed,
        config: serde_json::to_value(config).unwrap_or_default(),
        model: ModelInfo {
            source: config.model.source.clone(),
            device: format!("{:?}", session.device),
            n_layer: model_config.n_layer,
            n_embd: model_config.n_embd,
            trainable_parameters: session::named_trainable(&session.model)
                .iter()
                .map(|(_, t)| t.numel() as i64)
                .sum(),
            adapted_layers: session.model.lora_layers().len(),
        },
        plugins: session.plugin_identities.iter().cloned().collect(),
        training: TrainingInfo {
            steps: outcome.position.step,
            epochs_completed: outcome.position.epoch,
            examples: session.feeds.train()?.examples(),
            best_epoch: outcome.position.best_epoch,
            best_validation_accuracy: outcome.position.best_accuracy,
            evaluated_adapter: if use_best { "best" } else { "last" }.to_string(),
            final_train_loss: outcome.final_train_loss,
            resumed_from_step: resumed_from,
        },
        splits,
        capacity: Capacity {
            update_capacity,
            output_change,
        },
        timings: Timings {
            setup_s,
            train_s: outcome.train_seconds,
            eval_s,
            total_s: started.elapsed().as_secs_f64(),
            train_samples_per_s: outcome.examples_seen as f64 / outcome.train_seconds.max(1e-9),
        },
        versions: Versions::current(),
    };
    run.write_summary(&summary)
        .map_err(error::io_err("cannot write", run.summary_path()))?;
    run.log(&format!(
        "summary written to {}",
        run.summary_path().display()
    ));
    Ok(RunOutcome {
        run_dir: run.root().to_path_buf(),
        adapter_dir: if use_best {
            run.best_adapter()
        } else {
            run.adapter()
        },
        summary_file: run.summary_path(),
        summary,
    })
}

/// A flag raised by Ctrl-C / SIGTERM; the loop checkpoints and stops at the next step.
fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    let flag = FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let handler_flag = flag.clone();
        // Installing fails only if another handler exists (e.g. in tests); then Ctrl-C
        // keeps its default behaviour, and checkpoints still bound what is lost.
        let _ = ctrlc::set_handler(move || handler_flag.store(true, Ordering::SeqCst));
        flag
    });
    flag.clone()
}
