//! The epoch loop: optimizer steps over deterministic batches, periodic metrics and
//! checkpoints, validation each epoch with the best adapter kept, and the final
//! evaluation on every split.
//!
//! Determinism: the batch order of an epoch is a pure function of (seed, epoch), dropout
//! is re-seeded from (seed, step) before every step and the learning rate is a function
//! of the step, so a run resumed from a checkpoint continues exactly as the uninterrupted
//! run would have.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use crate::config::Config;
use crate::eval::{self, SplitEvaluation};

use super::checkpoint::{self, Position};
use super::progress::Progress;
use super::run_dir::RunDir;
use super::schedule::LinearSchedule;
use super::session::{named_trainable, Session};
use super::step::{apply_step, backward_micro_batch, LossParts};
use super::TrainError;

/// How far the loop got.
pub struct LoopOutcome {
    pub position: Position,
    pub final_train_loss: Option<f64>,
    pub train_seconds: f64,
    pub examples_seen: u64,
}

/// Optimizer steps in the whole run.
pub fn total_steps(config: &Config, batches_per_epoch: u64) -> u64 {
    let per_epoch = batches_per_epoch.div_ceil(config.train.grad_accum.max(1));
    match config.train.max_steps {
        0 => per_epoch * config.train.epochs,
        n => n,
    }
}

/// Trains from `start` until the schedule ends (or `stop` is raised).
pub fn run_loop(
    config: &Config,
    session: &mut Session,
    run: &RunDir,
    mut position: Position,
    stop: Arc<AtomicBool>,
) -> Result<LoopOutcome, TrainError> {
    let t = &config.train;
    let batches_per_epoch = session.feeds.train()?.batches_per_epoch();
    let total = total_steps(config, batches_per_epoch);
    let schedule = LinearSchedule::new(t.lr, t.warmup_ratio, total);
    let accum = t.grad_accum.max(1);
    let progress = Progress::new(total, "train", "steps");
    progress.set_position(position.step);
    let started = Instant::now();
    let mut window = Window {
        since: Some(Instant::now()),
        ..Window::default()
    };
    let mut last_loss = None;
    let mut examples_seen = 0u64;

    'epochs: while position.step < total {
        let epoch = position.epoch;
        let mut micro = 0u64;
        let mut parts = LossParts::default();
        while position.batch_in_epoch < batches_per_epoch && position.step < total {
            if micro == 0 {
                // Dropout randomness as a function of the step: resumable without
                // saving libtorch's generator state.
                tch::manual_seed((config.seed ^ position.step.wrapping_mul(0x9E37_79B9)) as i64);
            }
            let batch =
                session
                    .feeds
                    .train()?
                    .batch(epoch, position.batch_in_epoch, session.device)?;
            let n = batch.labels.size()[0] as u64;
            let lp = backward_micro_batch(
                &session.model,
                &batch,
                session.regularizer.as_mut().map(|(p, l)| (p, *l)),
                position.step,
                accum,
            )?;
            parts.cross_entropy += lp.cross_entropy / accum as f64;
            parts.penalty += lp.penalty / accum as f64;
            examples_seen += n;
            window.examples += n;
            position.batch_in_epoch += 1;
            micro += 1;
            let epoch_done = position.batch_in_epoch == batches_per_epoch;
            if micro < accum && !epoch_done {
                continue;
            }
            let lr = schedule.lr_at(position.step);
            let grad_norm = apply_step(
                &session.model,
                session.grad_processor.as_mut(),
                &mut session.optimizer,
                t.max_grad_norm,
                lr,
                position.step,
            )?;
            position.step += 1;
            let lambda = session.regularizer.as_ref().map_or(0.0, |(_, l)| *l);
            let loss = parts.cross_entropy + lambda * parts.penalty;
            last_loss = Some(loss);
            window.add(parts);
            micro = 0;
            parts = LossParts::default();
            progress.set_position(position.step);
            progress.set_message(format!("loss {loss:.4}"));
            if position.step.is_multiple_of(t.log_every) || position.step == total {
                let record = window.drain(position.step, epoch, lr, grad_norm);
                run.metric(&record).map_err(super::error::io_err(
                    "cannot append to",
                    run.root().join("metrics.jsonl"),
                ))?;
                progress.suspend(|| run.log(&format_step(&record)));
            }
            if t.checkpoint_every > 0 && position.step.is_multiple_of(t.checkpoint_every) {
                save_checkpoint(session, run, &position, t.keep_checkpoints)?;
            }
            if stop.load(Ordering::SeqCst) {
                save_checkpoint(session, run, &position, t.keep_checkpoints)?;
                progress.finish();
                return Err(TrainError::Interrupted {
                    step: position.step,
                });
            }
        }
        if position.batch_in_epoch < batches_per_epoch {
            break 'epochs; // max_steps reached mid-epoch
        }
        // End of epoch: validate, keep the best adapter, checkpoint.
        if t.eval_each_epoch {
            let validation = progress.suspend(|| evaluate_split(session, "validation", run))?;
            let accuracy = validation.metrics.accuracy;
            run.metric(&json!({"epoch": epoch, "step": position.step, "validation": validation.metrics, "validation_loss": validation.loss}))
                .map_err(super::error::io_err("cannot append to", run.root().join("metrics.jsonl")))?;
            if position.best_accuracy.is_none_or(|best| accuracy > best) {
                position.best_accuracy = Some(accuracy);
                position.best_epoch = Some(epoch);
                session.model.save_adapter(&run.best_adapter())?;
                progress.suspend(|| run.log(&format!("epoch {epoch}: validation accuracy {accuracy:.4} (best so far; adapter saved to best/)")));
            } else {
                progress.suspend(|| {
                    run.log(&format!("epoch {epoch}: validation accuracy {accuracy:.4}"))
                });
            }
        }
        position.epoch += 1;
        position.batch_in_epoch = 0;
        save_checkpoint(session, run, &position, t.keep_checkpoints)?;
    }
    progress.finish();
    Ok(LoopOutcome {
        position,
        final_train_loss: last_loss,
        train_seconds: started.elapsed().as_secs_f64(),
        examples_seen,
    })
}

/// Evaluates one named split ("validation" or "test.<name>") with the current weights.
pub fn evaluate_split(
    session: &Session,
    name: &str,
    run: &RunDir,
) -> Result<SplitEvaluation, TrainError> {
    let feed = session
        .feeds
        .eval(name)
        .ok_or_else(|| TrainError::Invalid(format!("no split named {name}")))?;
    let started = Instant::now();
    let result = eval::evaluate(&session.model, feed.batches(session.device))?;
    run.log(&format!(
        "{name}: accuracy {:.4} f1 {:.4} ({} examples, {:.1}s)",
        result.metrics.accuracy,
        result.metrics.f1,
        result.metrics.examples,
        started.elapsed().as_secs_f64()
    ));
    Ok(result)
}

/// Writes the trainable tensors and the optimizer state.
pub fn save_checkpoint(
    session: &Session,
    run: &RunDir,
    position: &Position,
    keep: u64,
) -> Result<(), TrainError> {
    let mut tensors: Vec<(String, tch::Tensor)> = named_trainable(&session.model)
        .into_iter()
        .map(|(n, t)| (format!("model.{n}"), t.detach()))
        .collect();
    tensors.extend(
        session
            .optimizer
            .state_tensors()
            .into_iter()
            .map(|(n, t)| (format!("optim.{n}"), t)),
    );
    checkpoint::save(&run.checkpoints(), position, &tensors, keep as usize)?;
    Ok(())
}

/// Restores the trainable tensors and the optimizer state from a checkpoint.
pub fn restore_checkpoint(
    session: &mut Session,
    tensors: Vec<(String, tch::Tensor)>,
) -> Result<(), TrainError> {
    let vars: std::collections::HashMap<String, tch::Tensor> =
        named_trainable(&session.model).into_iter().collect();
    let mut optim = Vec::new();
    for (name, value) in tensors {
        if let Some(var_name) = name.strip_prefix("model.") {
            let mut var = vars
                .get(var_name)
                .ok_or_else(|| {
                    TrainError::Invalid(format!("checkpoint has unknown variable {var_name}"))
                })?
                .shallow_clone();
            tch::no_grad(|| var.f_copy_(&value.to_device(var.device())))?;
        } else if let Some(state_name) = name.strip_prefix("optim.") {
            optim.push((state_name.to_string(), value));
        }
    }
    session
        .optimizer
        .load_state_tensors(&optim)
        .map_err(|e| TrainError::Invalid(format!("checkpoint optimizer state: {e}")))?;
    Ok(())
}

/// Loss and throughput accumulated between two log lines.
#[derive(Default)]
struct Window {
    steps: u64,
    cross_entropy: f64,
    penalty: f64,
    examples: u64,
    since: Option<Instant>,
}

impl Window {
    fn add(&mut self, parts: LossParts) {
        self.steps += 1;
        self.cross_entropy += parts.cross_entropy;
        self.penalty += parts.penalty;
        self.since.get_or_insert_with(Instant::now);
    }

    fn drain(&mut self, step: u64, epoch: u64, lr: f64, grad_norm: f64) -> serde_json::Value {
        let steps = self.steps.max(1) as f64;
        let seconds = self
            .since
            .map_or(0.0, |s| s.elapsed().as_secs_f64())
            .max(1e-9);
        let record = json!({
            "step": step,
            "epoch": epoch,
            "loss_ce": self.cross_entropy / steps,
            "penalty": self.penalty / steps,
            "lr": lr,
            "grad_norm": grad_norm,
            "samples_per_s": self.examples as f64 / seconds,
        });
        *self = Window {
            since: Some(Instant::now()),
            ..Window::default()
        };
        record
    }
}

fn format_step(record: &serde_json::Value) -> String {
    format!(
        "step {} epoch {}: ce {:.4} penalty {:.4} lr {:.2e} grad-norm {:.3} {:.1} samples/s",
        record["step"],
        record["epoch"],
        record["loss_ce"].as_f64().unwrap_or(0.0),
        record["penalty"].as_f64().unwrap_or(0.0),
        record["lr"].as_f64().unwrap_or(0.0),
        record["grad_norm"].as_f64().unwrap_or(0.0),
        record["samples_per_s"].as_f64().unwrap_or(0.0),
    )
}
