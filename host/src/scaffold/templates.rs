//! The embedded project templates (files under `templates/`) and which of them make up a
//! project of each language and kind.
use std::path::Path;

use super::error::ScaffoldError;
use super::render::{render, Vars};
use super::Lang;
use crate::plugin::PluginKind;

const RUST_CARGO_TOML: &str = include_str!("templates/rust/Cargo.toml");
const RUST_CARGO_CONFIG: &str = include_str!("templates/rust/cargo-config.toml");
const RUST_GITIGNORE: &str = include_str!("templates/rust/gitignore");
const RUST_CHECK: &str = include_str!("templates/rust/check.sh");
const RUST_README: &str = include_str!("templates/rust/README.md");
const RUST_REGULARIZER: &str = include_str!("templates/rust/regularizer.rs");
const RUST_GRAD_PROCESSOR: &str = include_str!("templates/rust/grad_processor.rs");
const RUST_PREPROCESSOR: &str = include_str!("templates/rust/preprocessor.rs");

const PY_BUILD: &str = include_str!("templates/python/build.sh");
const PY_CHECK: &str = include_str!("templates/python/check.sh");
const PY_GITIGNORE: &str = include_str!("templates/python/gitignore");
const PY_README: &str = include_str!("templates/python/README.md");
const PY_REGULARIZER: &str = include_str!("templates/python/regularizer.py");
const PY_GRAD_PROCESSOR: &str = include_str!("templates/python/grad_processor.py");
const PY_PREPROCESSOR: &str = include_str!("templates/python/preprocessor.py");
const PY_TEST_REGULARIZER: &str = include_str!("templates/python/test_regularizer.py");
const PY_TEST_GRAD_PROCESSOR: &str = include_str!("templates/python/test_grad_processor.py");
const PY_TEST_PREPROCESSOR: &str = include_str!("templates/python/test_preprocessor.py");

/// One file of a project, rendered.
#[derive(Debug, Clone)]
pub struct ProjectFile {
    /// Relative to the project directory.
    pub path: &'static str,
    pub contents: String,
    pub executable: bool,
}

/// What the starting point of each kind does, for the project's README.
pub fn what(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::Regularizer => {
            "The starting point is a penalty the host adds, times λ, to the training loss: \
             scale × (‖A‖²_F + ‖B‖²_F) over the LoRA layers (mean or sum). Parameters: \
             `scale` (1.0), `reduction` (mean | sum)."
        }
        PluginKind::GradProcessor => {
            "The starting point rewrites every LoRA gradient after backward: each gradient \
             matrix is clipped to a maximum Frobenius norm. Parameter: `max_norm` (1.0)."
        }
        PluginKind::Preprocessor => {
            "The starting point turns dataset rows like `{\"text\": \"...\", \"label\": 1}` into \
             `(text, label)` examples. Parameters: `text_field` (\"text\"), `label_field` \
             (\"label\"), `template` (\"{text}\")."
        }
    }
}

/// How to use the built component, for the project's README.
pub fn usage(kind: PluginKind, wasm: &str) -> String {
    match kind {
        PluginKind::Regularizer => format!(
            "# any --config / --set of a normal run works; the plugin's parameters are regularizer.<name>\n\
             clora-host train --regularizer {wasm} --lambda 0.1 --set regularizer.scale=0.5"
        ),
        PluginKind::GradProcessor => format!(
            "# any --config / --set of a normal run works; the plugin's parameters are grad_processor.<name>\n\
             clora-host train --grad-processor {wasm} --set grad_processor.max_norm=0.5"
        ),
        PluginKind::Preprocessor => format!(
            "# in a config file, for each split the plugin converts (here: train), e.g. my-data.toml:\n\
             #   [data.train]\n\
             #   dataset = \"my-data\"\n\
             #   source = \"local\"\n\
             #   files = [\"my-data/train.jsonl\"]\n\
             #   preprocessor = \"{wasm}\"\n\
             #   params = {{ template = \"Review: {{text}}\" }}\n\
             clora-host data inspect --config my-data.toml --set data.root=DIR --split train\n\
             clora-host train --config my-data.toml --set data.root=DIR"
        ),
    }
}

fn file(
    path: &'static str,
    template: &'static str,
    text: &str,
    vars: &Vars,
    executable: bool,
) -> Result<ProjectFile, ScaffoldError> {
    Ok(ProjectFile {
        path,
        contents: render(template, text, vars)?,
        executable,
    })
}

/// Every file of a `lang` project of `kind`, rendered with `vars`. A Rust project also
/// gets the plugins workspace's `Cargo.lock`, so that it builds with the dependency
/// versions the built-ins use (and offline, once those are in cargo's cache).
pub fn project(
    lang: Lang,
    kind: PluginKind,
    repo: &Path,
    vars: &Vars,
) -> Result<Vec<ProjectFile>, ScaffoldError> {
    let mut files = match lang {
        Lang::Rust => {
            let (source_name, source) = match kind {
                PluginKind::Regularizer => ("rust/regularizer.rs", RUST_REGULARIZER),
                PluginKind::GradProcessor => ("rust/grad_processor.rs", RUST_GRAD_PROCESSOR),
                PluginKind::Preprocessor => ("rust/preprocessor.rs", RUST_PREPROCESSOR),
            };
            vec![
                file(
                    "Cargo.toml",
                    "rust/Cargo.toml",
                    RUST_CARGO_TOML,
                    vars,
                    false,
                )?,
                file(
                    ".cargo/config.toml",
                    "rust/cargo-config.toml",
                    RUST_CARGO_CONFIG,
                    vars,
                    false,
                )?,
                file(".gitignore", "rust/gitignore", RUST_GITIGNORE, vars, false)?,
                file("src/lib.rs", source_name, source, vars, false)?,
                file("README.md", "rust/README.md", RUST_README, vars, false)?,
                file("check.sh", "rust/check.sh", RUST_CHECK, vars, true)?,
            ]
        }
        Lang::Python => {
            let (plugin, test) = match kind {
                PluginKind::Regularizer => (
                    ("python/regularizer.py", PY_REGULARIZER),
                    ("python/test_regularizer.py", PY_TEST_REGULARIZER),
                ),
                PluginKind::GradProcessor => (
                    ("python/grad_processor.py", PY_GRAD_PROCESSOR),
                    ("python/test_grad_processor.py", PY_TEST_GRAD_PROCESSOR),
                ),
                PluginKind::Preprocessor => (
                    ("python/preprocessor.py", PY_PREPROCESSOR),
                    ("python/test_preprocessor.py", PY_TEST_PREPROCESSOR),
                ),
            };
            vec![
                file("plugin.py", plugin.0, plugin.1, vars, false)?,
                file("test_plugin.py", test.0, test.1, vars, false)?,
                file(".gitignore", "python/gitignore", PY_GITIGNORE, vars, false)?,
                file("README.md", "python/README.md", PY_README, vars, false)?,
                file("build.sh", "python/build.sh", PY_BUILD, vars, true)?,
                file("check.sh", "python/check.sh", PY_CHECK, vars, true)?,
            ]
        }
    };
    if lang == Lang::Rust {
        let lock = repo.join("plugins").join("Cargo.lock");
        if let Ok(contents) = std::fs::read_to_string(&lock) {
            files.push(ProjectFile {
                path: "Cargo.lock",
                contents,
                executable: false,
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_vars() -> Vars {
        [
            "name",
            "crate",
            "type",
            "kind",
            "world",
            "contract",
            "repo",
            "repo_sh",
            "repo_py",
            "sdk",
            "sdk_toml",
            "sdk_note",
            "host",
            "host_sh",
            "python",
            "componentize",
            "what",
            "use",
        ]
        .into_iter()
        .map(|k| (k, format!("<{k}>")))
        .collect()
    }

    #[test]
    fn every_template_renders_completely_for_every_kind_and_language() {
        let kinds = [
            PluginKind::Regularizer,
            PluginKind::GradProcessor,
            PluginKind::Preprocessor,
        ];
        for lang in [Lang::Rust, Lang::Python] {
            for kind in kinds {
                let files = project(lang, kind, Path::new("/nonexistent"), &all_vars()).unwrap();
                assert!(files.iter().any(|f| f.path == "check.sh" && f.executable));
                let source = files
                    .iter()
                    .find(|f| f.path == "src/lib.rs" || f.path == "plugin.py")
                    .unwrap();
                assert!(source.contents.contains("\"<name>\""), "{lang} {kind}");
                assert!(source.contents.contains("<type>"), "{lang} {kind}");
            }
        }
    }

    #[test]
    fn a_missing_variable_is_an_error_naming_it() {
        let mut vars = all_vars();
        vars.remove("sdk_toml");
        let err = project(Lang::Rust, PluginKind::Regularizer, Path::new("/x"), &vars).unwrap_err();
        assert_eq!(
            err.to_string(),
            "template rust/Cargo.toml has an unfilled placeholder {{sdk_toml}}"
        );
    }
}
