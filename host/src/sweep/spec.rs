//! The sweep file and its expansion into runs.
//!
//! ```toml
//! name = "k-sweep"                    # the sweep directory is <output.dir>/sweeps/<name>
//! configs = ["configs/local.toml"]    # config files under every run, in order
//!
//! [base]                              # overrides for every run (any config key)
//! train.epochs = 20
//!
//! [[runs]]                            # explicit runs: a name and overrides ...
//! name = "clora"
//! set = { "regularizer.path" = "plugins/clora.wasm", "regularizer.lambda" = 0.1 }
//! matrix = { "regularizer.k" = [1, 4, 8] }   # ... optionally expanded: clora-k1, clora-k4, ...
//!
//! [[runs]]
//! name = "lora"
//! set = { "train.batch_size" = 64 }
//! ```
//!
//! A top-level `[matrix]` is a cartesian product over keys → value lists. Alone it makes
//! one run per combination (named by `run_name`, e.g. `"lr{train.lr}"`, or after the
//! values); together with `[[runs]]` every explicit run is crossed with it (e.g. seeds).
//! A run's overrides apply in this order: `configs`, the run's own `configs`, `[base]`,
//! the run's `set`, then its matrix values. Paths are relative to the working directory,
//! like every path in a config.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Table, Value};

use super::error::SweepError;

/// A sweep file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// Name of the sweep (default: the file's stem).
    #[serde(default)]
    pub name: Option<String>,
    /// Config files every run starts from, in order.
    #[serde(default)]
    pub configs: Vec<PathBuf>,
    /// Overrides for every run.
    #[serde(default)]
    pub base: Table,
    /// Cartesian product over keys → lists of values.
    #[serde(default)]
    pub matrix: Table,
    /// Name template of the top-level matrix's runs: `{key}` is replaced by the value.
    #[serde(default)]
    pub run_name: Option<String>,
    /// Explicit runs.
    #[serde(default)]
    pub runs: Vec<RunEntry>,
    /// Launcher settings (flags override them).
    #[serde(default)]
    pub launcher: LauncherSection,
}

/// One `[[runs]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunEntry {
    /// Run name; with a `matrix`, a template (`{key}` placeholders) or a prefix.
    pub name: String,
    /// Extra config files for this run, after the sweep's `configs`.
    #[serde(default)]
    pub configs: Vec<PathBuf>,
    /// Overrides for this run (dotted keys or nested tables).
    #[serde(default)]
    pub set: Table,
    /// Expands this entry into one run per combination.
    #[serde(default)]
    pub matrix: Table,
    /// Environment variables for the run's process.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// `[launcher]`: defaults for the command-line flags.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LauncherSection {
    /// Runs at once (`--jobs`).
    pub jobs: Option<usize>,
    /// Retries of a failed run (`--retries`).
    pub retries: Option<u32>,
    /// GPU memory a run needs before it starts, in MiB (`--gpu-memory`).
    pub gpu_memory_mib: Option<u64>,
    /// How often launchers poll children, GPUs and Slurm, in milliseconds.
    pub poll_ms: Option<u64>,
    pub slurm: SlurmSection,
}

/// `[launcher.slurm]`: `sbatch` options for the job array.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlurmSection {
    pub partition: Option<String>,
    /// Time limit per run, e.g. "02:00:00".
    pub time: Option<String>,
    pub cpus_per_task: Option<u32>,
    /// Memory per run, e.g. "16G".
    pub mem: Option<String>,
    /// Generic resources per run, e.g. "gpu:1".
    pub gres: Option<String>,
    /// Further `sbatch` arguments, verbatim.
    pub extra_args: Vec<String>,
}

/// Which part of the sweep file set an override (for messages and `--dry-run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideSource {
    Base,
    Set,
    Matrix,
    /// `clora-host sweep --set key=value`: every run, applied last.
    CommandLine,
}

impl OverrideSource {
    pub fn label(self) -> &'static str {
        match self {
            OverrideSource::Base => "[base]",
            OverrideSource::Set => "set",
            OverrideSource::Matrix => "matrix",
            OverrideSource::CommandLine => "--set",
        }
    }
}

/// One config key a run overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub key: String,
    pub value: Value,
    pub source: OverrideSource,
}

/// A run as the sweep file describes it, before its configuration is resolved.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub name: String,
    pub configs: Vec<PathBuf>,
    pub overrides: Vec<Override>,
    pub env: BTreeMap<String, String>,
}

impl SweepFile {
    /// Reads and parses a sweep file; syntax errors and unknown keys name line and column.
    pub fn load(path: &Path) -> Result<SweepFile, SweepError> {
        let text = std::fs::read_to_string(path).map_err(|source| SweepError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses sweep-file text (`path` is for messages).
    pub fn parse(text: &str, path: &Path) -> Result<SweepFile, SweepError> {
        toml::from_str(text).map_err(|err: toml::de::Error| {
            let (line, column) = err
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            SweepError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: err.message().trim().to_string(),
            }
        })
    }

    /// The sweep's name: `name`, else the file's stem.
    pub fn name_or(&self, path: &Path) -> String {
        self.name.clone().unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sweep".to_string())
        })
    }

    /// Expands the file into runs, in file order; names are checked for validity and
    /// uniqueness.
    pub fn expand(&self, path: &Path) -> Result<Vec<RunSpec>, SweepError> {
        let spec_err = |message: String| SweepError::Spec {
            path: path.to_path_buf(),
            message,
        };
        let base: Vec<Override> = leaves(&self.base)
            .into_iter()
            .map(|(key, value)| Override {
                key,
                value,
                source: OverrideSource::Base,
            })
            .collect();
        let top = combinations(&self.matrix, "[matrix]").map_err(spec_err)?;
        let mut runs = Vec::new();
        if self.runs.is_empty() {
            if self.matrix.is_empty() {
                return Err(spec_err(
                    "no runs: add a [matrix] table or [[runs]] entries".to_string(),
                ));
            }
            let template = self.run_name.clone().unwrap_or_default();
            for combo in &top {
                runs.push(RunSpec {
                    name: run_name(&template, combo),
                    configs: self.configs.clone(),
                    overrides: with_matrix(base.clone(), combo),
                    env: BTreeMap::new(),
                });
            }
        }
        for (index, entry) in self.runs.iter().enumerate() {
            let own =
                combinations(&entry.matrix, &format!("runs[{index}].matrix")).map_err(spec_err)?;
            let mut overrides = base.clone();
            overrides.extend(leaves(&entry.set).into_iter().map(|(key, value)| Override {
                key,
                value,
                source: OverrideSource::Set,
            }));
            let mut configs = self.configs.clone();
            configs.extend(entry.configs.iter().cloned());
            for combo in &own {
                let name = run_name(&entry.name, combo);
                for outer in &top {
                    let name = match outer.is_empty() {
                        true => name.clone(),
                        false => format!("{name}-{}", run_name("", outer)),
                    };
                    let mut all = combo.clone();
                    all.extend(outer.iter().cloned());
                    runs.push(RunSpec {
                        name,
                        configs: configs.clone(),
                        overrides: with_matrix(overrides.clone(), &all),
                        env: entry.env.clone(),
                    });
                }
            }
        }
        check_names(&runs).map_err(spec_err)?;
        Ok(runs)
    }
}

fn with_matrix(mut overrides: Vec<Override>, combo: &[(String, Value)]) -> Vec<Override> {
    overrides.extend(combo.iter().map(|(key, value)| Override {
        key: key.clone(),
        value: value.clone(),
        source: OverrideSource::Matrix,
    }));
    overrides
}

/// The leaves of a table as dotted keys: nested tables recurse, anything else (arrays
/// included) is a value. `"a.b" = 1` and `a.b = 1` give the same key.
pub fn leaves(table: &Table) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    collect_leaves(table, "", &mut out);
    out
}

fn collect_leaves(table: &Table, prefix: &str, out: &mut Vec<(String, Value)>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Table(inner) => collect_leaves(inner, &full, out),
            other => out.push((full, other.clone())),
        }
    }
}

/// The cartesian product of a matrix table: one `(key, value)` list per combination, in
/// key order with the last key varying fastest. An empty matrix gives one empty
/// combination.
fn combinations(matrix: &Table, what: &str) -> Result<Vec<Vec<(String, Value)>>, String> {
    let mut combos: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (key, values) in leaves(matrix) {
        let Value::Array(values) = values else {
            return Err(format!(
                "{what}: `{key}` must be a list of values, e.g. [1, 2]"
            ));
        };
        if values.is_empty() {
            return Err(format!("{what}: `{key}` is an empty list"));
        }
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                let key = &key;
                values.iter().map(move |value| {
                    let mut next = combo.clone();
                    next.push((key.clone(), value.clone()));
                    next
                })
            })
            .collect();
    }
    Ok(combos)
}

/// A run's name from a template and its matrix values. `{key}` placeholders are
/// replaced by the value; without placeholders, `-<last key segment><value>` is
/// appended for each matrix key (`clora` + k=4 → `clora-k4`).
pub fn run_name(template: &str, combo: &[(String, Value)]) -> String {
    let mut name = template.to_string();
    let mut placeholders = false;
    for (key, value) in combo {
        let placeholder = format!("{{{key}}}");
        if name.contains(&placeholder) {
            name = name.replace(&placeholder, &name_part(value));
            placeholders = true;
        }
    }
    if !placeholders {
        for (key, value) in combo {
            let short = key.rsplit('.').next().unwrap_or(key);
            let part = format!("{short}{}", name_part(value));
            name = if name.is_empty() {
                part
            } else {
                format!("{name}-{part}")
            };
        }
    }
    name
}

/// A value as part of a run name: strings that look like paths give their file stem;
/// characters outside `[A-Za-z0-9._-]` become `_`.
fn name_part(value: &Value) -> String {
    let raw = match value {
        Value::String(text) => {
            let path = Path::new(text);
            if text.contains('/') || path.extension().is_some_and(|e| e == "wasm" || e == "toml") {
                path.file_stem()
                    .map_or(text.clone(), |s| s.to_string_lossy().into_owned())
            } else {
                text.clone()
            }
        }
        Value::Float(x) => format!("{x}"),
        other => other.to_string(),
    };
    raw.chars()
        .map(|ch| if valid_name_char(ch) { ch } else { '_' })
        .collect()
}

fn valid_name_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')
}

/// Run names become directory names and config `name`s: non-empty, `[A-Za-z0-9._-]`,
/// not starting with '.', unique.
fn check_names(runs: &[RunSpec]) -> Result<(), String> {
    let mut seen = BTreeMap::new();
    for (index, run) in runs.iter().enumerate() {
        if run.name.is_empty()
            || run.name.starts_with('.')
            || !run.name.chars().all(valid_name_char)
        {
            return Err(format!(
                "run name `{}` is not valid: use letters, digits, '-', '_' or '.' (not first)",
                run.name
            ));
        }
        if let Some(first) = seen.insert(run.name.clone(), index) {
            return Err(format!(
                "two runs are named `{}` (runs #{} and #{}); give them distinct names",
                run.name,
                first + 1,
                index + 1
            ));
        }
    }
    Ok(())
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(text: &str) -> Result<Vec<RunSpec>, SweepError> {
        SweepFile::parse(text, Path::new("s.toml"))?.expand(Path::new("s.toml"))
    }

    fn keys(run: &RunSpec) -> Vec<String> {
        run.overrides
            .iter()
            .map(|o| format!("{}={}", o.key, o.value))
            .collect()
    }

    #[test]
    fn explicit_runs_with_their_own_matrix_expand_in_order() {
        let runs = expand(
            r#"
            [base]
            train.epochs = 2
            [[runs]]
            name = "clora"
            set = { "regularizer.path" = "plugins/clora.wasm" }
            matrix = { "regularizer.k" = [1, 4] }
            [[runs]]
            name = "lora"
            set.train.batch_size = 64
            "#,
        )
        .unwrap();
        let names: Vec<_> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["clora-k1", "clora-k4", "lora"]);
        assert_eq!(
            keys(&runs[1]),
            [
                "train.epochs=2",
                "regularizer.path=\"plugins/clora.wasm\"",
                "regularizer.k=4"
            ]
        );
        assert_eq!(keys(&runs[2]), ["train.epochs=2", "train.batch_size=64"]);
        assert_eq!(runs[1].overrides[2].source, OverrideSource::Matrix);
    }

    #[test]
    fn top_level_matrix_is_a_cartesian_product_and_crosses_explicit_runs() {
        let runs = expand("run_name = \"lr{train.lr}-s{seed}\"\n[matrix]\nseed = [1, 2]\n\"train.lr\" = [0.1, 0.2]\n").unwrap();
        let names: Vec<_> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["lr0.1-s1", "lr0.2-s1", "lr0.1-s2", "lr0.2-s2"]);
        let crossed =
            expand("[matrix]\nseed = [1, 2]\n[[runs]]\nname = \"a\"\n[[runs]]\nname = \"b\"\n")
                .unwrap();
        let names: Vec<_> = crossed.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a-seed1", "a-seed2", "b-seed1", "b-seed2"]);
    }

    #[test]
    fn plugin_paths_in_names_become_stems() {
        let runs = expand(
            "[matrix]\n\"regularizer.path\" = [\"plugins/clora.wasm\", \"plugins/l2.wasm\"]\n",
        )
        .unwrap();
        assert_eq!(runs[0].name, "pathclora");
        assert_eq!(runs[1].name, "pathl2");
    }

    #[test]
    fn bad_files_are_errors_that_say_where() {
        let err = expand("[base]\ntrain.epochs = 1\n[[runs]]\nnam = \"x\"\n").unwrap_err();
        assert!(err.to_string().starts_with("s.toml:4:1:"), "{err}");
        let err = expand("[matrix]\nseed = 3\n").unwrap_err();
        assert!(err.to_string().contains("`seed` must be a list"), "{err}");
        let err = expand("[matrix]\nseed = []\n").unwrap_err();
        assert!(err.to_string().contains("`seed` is an empty list"), "{err}");
        let err = expand("[[runs]]\nname = \"a\"\n[[runs]]\nname = \"a\"\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("two runs are named `a` (runs #1 and #2)"),
            "{err}"
        );
        let err = expand("[[runs]]\nname = \"a b\"\n").unwrap_err();
        assert!(
            err.to_string().contains("run name `a b` is not valid"),
            "{err}"
        );
        let err = expand("[base]\nseed = 1\n").unwrap_err();
        assert!(err.to_string().contains("no runs"), "{err}");
    }
}
