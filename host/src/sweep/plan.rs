//! Validation of a whole sweep before anything runs: every run's configuration is
//! resolved with [`config::resolve`] (the sweep's overrides become layers whose origin
//! names the sweep file, the run and the key), and every plugin a run names is described
//! once and its parameters are checked against the schema it declares.
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Value;

use super::error::SweepError;
use super::spec::{leaves, LauncherSection, Override, OverrideSource, RunSpec, SweepFile};
use crate::config::{self, Config, Layer, Overrides, PluginSection, Resolved};
use crate::plugin::{validate_params, PluginInfo, PluginKind, PluginRuntime, RuntimeOptions};

/// A validated sweep.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    /// The sweep file.
    pub source: PathBuf,
    /// Its text, copied into the sweep directory.
    pub source_text: String,
    pub runs: Vec<PlannedRun>,
    /// The overrides every run shares (`[base]`), as `key = value`.
    pub base: Vec<String>,
    pub launcher: LauncherSection,
    /// `<output.dir>/sweeps/<name>`, used without `--output-dir`.
    pub default_dir: PathBuf,
}

/// One run with its resolved configuration.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    pub info: RunInfo,
    pub resolved: Resolved,
}

/// What the report needs to know about a run without re-resolving it; saved in the
/// sweep directory (`sweep.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub name: String,
    /// `lora`, `clora`, `lora+pca-grad`, ...: the plugins' file stems.
    pub mode: String,
    /// The regularizer's `k` parameter, when it has one.
    pub k: Option<i64>,
    /// The run's own overrides (`set`, then matrix values) as `key = value` (TOML
    /// values), in the order applied; `[base]` comes before them.
    pub overrides: Vec<String>,
    pub configs: Vec<PathBuf>,
    pub env: BTreeMap<String, String>,
    /// The resolved `device` (decides whether the run waits for GPU memory).
    pub device: String,
    pub batch_size: u64,
    pub max_length: u64,
    pub model_source: String,
}

/// Reads, expands and validates a sweep file; `sets` (`key=value`, as `train --set`)
/// apply to every run, last. The first invalid run is an error naming the run and the
/// key.
pub fn plan(path: &Path, sets: &[String]) -> Result<Plan, SweepError> {
    let file = SweepFile::load(path)?;
    let source_text = std::fs::read_to_string(path).unwrap_or_default();
    plan_file(&file, path, source_text, sets)
}

/// [`plan`] for a sweep file already parsed.
pub fn plan_file(
    file: &SweepFile,
    path: &Path,
    source_text: String,
    sets: &[String],
) -> Result<Plan, SweepError> {
    let mut command_line = Vec::new();
    for arg in sets {
        let layer = Layer::from_set::<Config>(arg)?;
        command_line.extend(
            leaves(&layer.table)
                .into_iter()
                .map(|(key, value)| Override {
                    key,
                    value,
                    source: OverrideSource::CommandLine,
                }),
        );
    }
    let mut specs = file.expand(path)?;
    for spec in &mut specs {
        spec.overrides.extend(command_line.iter().cloned());
    }
    let mut plugins = PluginCheck::new();
    let mut runs = Vec::with_capacity(specs.len());
    for spec in specs {
        let resolved = resolve_run(&spec, path)?;
        plugins.check(
            &spec.name,
            "regularizer",
            &resolved.config.regularizer,
            PluginKind::Regularizer,
        )?;
        plugins.check(
            &spec.name,
            "grad_processor",
            &resolved.config.grad_processor,
            PluginKind::GradProcessor,
        )?;
        let info = run_info(&spec, &resolved);
        runs.push(PlannedRun { info, resolved });
    }
    let name = file.name_or(path);
    let output_dir = runs
        .first()
        .map(|r| r.resolved.config.output.dir.clone())
        .unwrap_or_else(|| "runs".to_string());
    Ok(Plan {
        default_dir: Path::new(&output_dir).join("sweeps").join(&name),
        name,
        source: path.to_path_buf(),
        source_text,
        runs,
        base: leaves(&file.base)
            .into_iter()
            .map(|(key, value)| format!("{key} = {value}"))
            .chain(
                command_line
                    .iter()
                    .map(|o| format!("{} = {} (--set)", o.key, o.value)),
            )
            .collect(),
        launcher: file.launcher.clone(),
    })
}

/// Resolves one run: defaults ⊕ config files ⊕ the sweep's overrides ⊕ `name` = the run
/// name. Each override is its own layer, labelled `<file>, <part> <key>` (part: `[base]`,
/// `set`, `matrix` or `--set`).
fn resolve_run(spec: &RunSpec, path: &Path) -> Result<Resolved, SweepError> {
    let file = path.display();
    let mut flags: Vec<(String, Value, String)> = spec
        .overrides
        .iter()
        .map(|o: &Override| {
            let label = format!("{file}, {} {}", o.source.label(), o.key);
            (o.key.clone(), o.value.clone(), label)
        })
        .collect();
    flags.push((
        "name".to_string(),
        Value::String(spec.name.clone()),
        format!("{file}, run name"),
    ));
    let overrides = Overrides {
        files: spec.configs.clone(),
        sets: Vec::new(),
        flags,
    };
    config::resolve(&overrides).map_err(|error| SweepError::RunConfig {
        run: spec.name.clone(),
        error: Box::new(error),
    })
}

fn run_info(spec: &RunSpec, resolved: &Resolved) -> RunInfo {
    let c = &resolved.config;
    let stem = |section: &PluginSection| {
        section.path.as_deref().map(|p| {
            Path::new(p)
                .file_stem()
                .map_or(p.to_string(), |s| s.to_string_lossy().into_owned())
        })
    };
    let mode = match (stem(&c.regularizer), stem(&c.grad_processor)) {
        (None, None) => "lora".to_string(),
        (Some(reg), None) => reg,
        (None, Some(gp)) => format!("lora+{gp}"),
        (Some(reg), Some(gp)) => format!("{reg}+{gp}"),
    };
    let k = c
        .regularizer
        .path
        .as_ref()
        .and_then(|_| c.regularizer.params.get("k")?.as_integer());
    RunInfo {
        name: spec.name.clone(),
        mode,
        k,
        overrides: spec
            .overrides
            .iter()
            .filter(|o| matches!(o.source, OverrideSource::Set | OverrideSource::Matrix))
            .map(|o| format!("{} = {}", o.key, o.value))
            .collect(),
        configs: spec.configs.clone(),
        env: spec.env.clone(),
        device: c.device.clone(),
        batch_size: c.train.batch_size,
        max_length: c.data.max_length as u64,
        model_source: c.model.source.clone(),
    }
}

/// Describes each plugin file once and checks every run's use of it.
struct PluginCheck {
    runtime: Option<PluginRuntime>,
    described: HashMap<PathBuf, Result<PluginInfo, String>>,
}

impl PluginCheck {
    fn new() -> Self {
        PluginCheck {
            runtime: None,
            described: HashMap::new(),
        }
    }

    fn check(
        &mut self,
        run: &str,
        section: &str,
        plugin: &PluginSection,
        kind: PluginKind,
    ) -> Result<(), SweepError> {
        let Some(path) = &plugin.path else {
            return Ok(());
        };
        let fail = |key: String, message: String| SweepError::RunPlugin {
            run: run.to_string(),
            key,
            message,
        };
        let file = PathBuf::from(path);
        if !file.is_file() {
            return Err(fail(
                format!("{section}.path"),
                format!("no plugin file {path}"),
            ));
        }
        let info = self
            .describe(&file)
            .map_err(|message| fail(format!("{section}.path"), message))?;
        if info.kind != kind {
            return Err(fail(
                format!("{section}.path"),
                format!(
                    "{path} is a {} plugin, not a {}",
                    info.kind.interface(),
                    kind.interface()
                ),
            ));
        }
        validate_params(&info, &plugin.params)
            .map_err(|err| fail(section.to_string(), err.to_string()))?;
        Ok(())
    }

    fn describe(&mut self, file: &Path) -> Result<PluginInfo, String> {
        if let Some(known) = self.described.get(file) {
            return known.clone();
        }
        if self.runtime.is_none() {
            self.runtime =
                Some(PluginRuntime::new(RuntimeOptions::default()).map_err(|e| e.to_string())?);
        }
        let runtime = self.runtime.as_ref().expect("created above");
        let info = runtime.describe(file).map_err(|e| e.to_string());
        self.described.insert(file.to_path_buf(), info.clone());
        info
    }
}
