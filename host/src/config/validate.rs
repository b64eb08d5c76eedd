//! Range checks on a well-typed configuration. Each failure names the key, the layer
//! that set it (file:line:column, `--set`, flag) and what would be valid.
use super::{ConfigError, Resolved};

/// One range rule: the dotted key, the value rendered for the message, whether it is
/// acceptable, and a description of the valid range.
struct Rule {
    key: &'static str,
    value: String,
    ok: bool,
    expected: &'static str,
}

fn rule(key: &'static str, value: impl ToString, ok: bool, expected: &'static str) -> Rule {
    Rule {
        key,
        value: value.to_string(),
        ok,
        expected,
    }
}

/// Checks every ranged key; the first failure is returned.
pub fn check(resolved: &Resolved) -> Result<(), ConfigError> {
    let c = &resolved.config;
    let t = &c.train;
    let device_ok = c.device == "auto"
        || c.device == "cpu"
        || c.device == "cuda"
        || c.device
            .strip_prefix("cuda:")
            .is_some_and(|n| n.parse::<u32>().is_ok());
    let rules = [
        rule(
            "name",
            &c.name,
            valid_name(&c.name),
            "letters, digits, '-', '_' or '.'",
        ),
        rule(
            "device",
            &c.device,
            device_ok,
            "\"auto\", \"cpu\", \"cuda\" or \"cuda:N\"",
        ),
        rule(
            "model.source",
            &c.model.source,
            !c.model.source.is_empty(),
            "a directory or a Hub id",
        ),
        rule("lora.r", c.lora.r, c.lora.r >= 1, "≥ 1"),
        rule(
            "lora.alpha",
            c.lora.alpha,
            c.lora.alpha > 0.0 && c.lora.alpha.is_finite(),
            "a finite number > 0",
        ),
        rule(
            "lora.dropout",
            c.lora.dropout,
            (0.0..1.0).contains(&c.lora.dropout),
            "in [0, 1)",
        ),
        rule(
            "data.max_length",
            c.data.max_length,
            c.data.max_length >= 1,
            "≥ 1",
        ),
        rule(
            "train.epochs",
            t.epochs,
            t.epochs >= 1 || t.max_steps >= 1,
            "≥ 1 (or set train.max_steps)",
        ),
        rule("train.batch_size", t.batch_size, t.batch_size >= 1, "≥ 1"),
        rule("train.grad_accum", t.grad_accum, t.grad_accum >= 1, "≥ 1"),
        rule(
            "train.lr",
            t.lr,
            t.lr > 0.0 && t.lr.is_finite(),
            "a finite number > 0",
        ),
        rule(
            "train.weight_decay",
            t.weight_decay,
            t.weight_decay >= 0.0,
            "≥ 0",
        ),
        rule(
            "train.adam_beta1",
            t.adam_beta1,
            (0.0..1.0).contains(&t.adam_beta1),
            "in [0, 1)",
        ),
        rule(
            "train.adam_beta2",
            t.adam_beta2,
            (0.0..1.0).contains(&t.adam_beta2),
            "in [0, 1)",
        ),
        rule("train.adam_eps", t.adam_eps, t.adam_eps > 0.0, "> 0"),
        rule(
            "train.warmup_ratio",
            t.warmup_ratio,
            (0.0..=1.0).contains(&t.warmup_ratio),
            "in [0, 1]",
        ),
        rule(
            "train.max_grad_norm",
            t.max_grad_norm,
            t.max_grad_norm >= 0.0,
            "≥ 0 (0 = no clipping)",
        ),
        rule(
            "train.eval_batch_size",
            t.eval_batch_size,
            t.eval_batch_size >= 1,
            "≥ 1",
        ),
        rule("train.log_every", t.log_every, t.log_every >= 1, "≥ 1"),
        rule(
            "train.keep_checkpoints",
            t.keep_checkpoints,
            t.keep_checkpoints >= 1,
            "≥ 1",
        ),
        rule(
            "regularizer.lambda",
            c.regularizer.lambda.unwrap_or(0.0),
            c.regularizer
                .lambda
                .is_none_or(|l| l >= 0.0 && l.is_finite()),
            "a finite number ≥ 0",
        ),
        rule(
            "plugins.memory_mib",
            c.plugins.memory_mib,
            (16..=65536).contains(&c.plugins.memory_mib),
            "in [16, 65536]",
        ),
        rule(
            "plugins.call_timeout_ms",
            c.plugins.call_timeout_ms,
            c.plugins.call_timeout_ms >= 1,
            "≥ 1",
        ),
    ];
    match rules.into_iter().find(|r| !r.ok) {
        None => Ok(()),
        Some(r) => Err(ConfigError::OutOfRange {
            origin: resolved.origin_of(r.key),
            key: r.key.to_string(),
            value: r.value,
            expected: r.expected.to_string(),
        }),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
}
