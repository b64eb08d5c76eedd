//! `clora-host plugins new`: scaffolds a plugin project that builds and passes
//! `clora-host plugins check` as written, in Rust (a crate on the guest SDK,
//! `plugins/sdk`) or in Python (a `componentize-py` project on `plugins/python`).
//!
//! ```no_run
//! # fn main() -> Result<(), clora_host::scaffold::ScaffoldError> {
//! use clora_host::plugin::PluginKind;
//! use clora_host::scaffold::{create, default_repo, Lang, NewPlugin};
//! let made = create(&NewPlugin {
//!     name: "my-penalty",
//!     kind: PluginKind::Regularizer,
//!     lang: Lang::Rust,
//!     parent: std::path::Path::new("/tmp/plugins"),
//!     repo: &default_repo(),
//!     host_binary: std::path::Path::new("clora-host"),
//! })?;
//! println!("{}: run {}", made.dir.display(), made.check_command);
//! # Ok(()) }
//! ```
//!
//! The project refers to the checkout's SDK (and, for Python, its `wit/`) by a relative
//! path when it lies inside that checkout, and by an absolute path otherwise. The
//! templates are files under `templates/`, embedded in the binary; [`render`] fills their
//! `{{placeholders}}`.
mod error;
mod name;
mod render;
mod templates;

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

pub use error::ScaffoldError;
pub use name::{crate_ident, type_ident, validate_name, MAX_NAME_LEN};

use crate::plugin::{PluginKind, CONTRACT_VERSION};
use render::{quoted_string, shell_quote, Vars};
use templates::ProjectFile;

/// The language of a scaffolded plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    Python,
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
        })
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rust" => Ok(Lang::Rust),
            "python" => Ok(Lang::Python),
            other => Err(format!("unknown language {other:?} (rust or python)")),
        }
    }
}

/// What to scaffold, and where.
#[derive(Debug, Clone, Copy)]
pub struct NewPlugin<'a> {
    /// The plugin's name: its `NAME`, the project directory and `<name>.wasm`.
    pub name: &'a str,
    pub kind: PluginKind,
    pub lang: Lang,
    /// The project is created as `<parent>/<name>/` (`parent` is created if missing).
    pub parent: &'a Path,
    /// The clora-host checkout whose SDK, Python SDK and `wit/` the plugin builds with.
    pub repo: &'a Path,
    /// The clora-host binary the project's scripts call when `CLORA_HOST` is unset.
    pub host_binary: &'a Path,
}

/// A scaffolded project.
#[derive(Debug, Clone)]
pub struct Scaffolded {
    /// The project directory.
    pub dir: PathBuf,
    /// The files written, relative to `dir`.
    pub files: Vec<PathBuf>,
    /// Where the build puts the component: `<dir>/<name>.wasm`.
    pub wasm: PathBuf,
    /// The command (run in `dir`) that tests, builds and checks it: `./check.sh`.
    pub check_command: String,
}

/// The checkout this binary was built from.
pub fn default_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Writes the project. Refuses a bad name, an existing directory, a destination inside
/// the plugins workspace's member folders and a `repo` that is not a checkout; on a
/// write error, removes what it wrote.
pub fn create(request: &NewPlugin) -> Result<Scaffolded, ScaffoldError> {
    validate_name(request.name)?;
    let repo = checked_repo(request.repo, request.lang)?;
    std::fs::create_dir_all(request.parent)
        .map_err(|e| ScaffoldError::io("create", request.parent, e))?;
    let parent = std::fs::canonicalize(request.parent)
        .map_err(|e| ScaffoldError::io("resolve", request.parent, e))?;
    let dir = parent.join(request.name);
    refuse_workspace_member(&repo, &parent, &dir)?;
    let vars = variables(request, &repo, &dir);
    let files = templates::project(request.lang, request.kind, &repo, &vars)?;
    write_project(&dir, &files)?;
    Ok(Scaffolded {
        wasm: dir.join(format!("{}.wasm", request.name)),
        files: files.iter().map(|f| PathBuf::from(f.path)).collect(),
        dir,
        check_command: "./check.sh".to_string(),
    })
}

/// The canonical checkout, after checking it holds what `lang` builds against.
fn checked_repo(repo: &Path, lang: Lang) -> Result<PathBuf, ScaffoldError> {
    let needed: &[&str] = match lang {
        Lang::Rust => &["plugins/sdk/Cargo.toml", "wit/plugin.wit"],
        Lang::Python => &["plugins/python/clora_plugin/__init__.py", "wit/plugin.wit"],
    };
    for file in needed {
        if !repo.join(file).is_file() {
            return Err(ScaffoldError::NoRepo {
                repo: repo.to_path_buf(),
                missing: file.to_string(),
            });
        }
    }
    std::fs::canonicalize(repo).map_err(|e| ScaffoldError::io("resolve", repo, e))
}

/// Cargo treats every folder under `plugins/builtin/` and `plugins/fixtures/` as a member
/// of the plugins workspace; a project there would break that workspace's builds.
fn refuse_workspace_member(repo: &Path, parent: &Path, dir: &Path) -> Result<(), ScaffoldError> {
    for members in ["plugins/builtin", "plugins/fixtures"] {
        if parent == repo.join(members) {
            return Err(ScaffoldError::BadDestination {
                path: dir.to_path_buf(),
                reason: format!(
                    "{members}/* are members of the plugins cargo workspace, and a scaffolded \
                     project is a workspace of its own; scaffold elsewhere and copy src/ into a \
                     crate laid out like the other built-ins"
                ),
            });
        }
    }
    Ok(())
}

/// `target` as a path relative to `from` when `target` is inside `root` and `from` too;
/// otherwise `target` itself (absolute).
fn portable_path(root: &Path, from: &Path, target: &Path) -> (String, bool) {
    match (from.strip_prefix(root), target.strip_prefix(root)) {
        (Ok(up), Ok(down)) => {
            let mut rel = PathBuf::new();
            for part in up.components() {
                if matches!(part, Component::Normal(_)) {
                    rel.push("..");
                }
            }
            if !down.as_os_str().is_empty() {
                rel.push(down);
            }
            let text = rel.to_string_lossy().into_owned();
            (
                if text.is_empty() {
                    ".".to_string()
                } else {
                    text
                },
                true,
            )
        }
        _ => (target.to_string_lossy().into_owned(), false),
    }
}

fn variables(request: &NewPlugin, repo: &Path, dir: &Path) -> Vars {
    let name = request.name;
    let (repo_path, relative) = portable_path(repo, dir, repo);
    let (sdk_path, _) = portable_path(repo, dir, &repo.join("plugins").join("sdk"));
    let sdk_note = match (request.lang, relative) {
        (_, true) => "a path relative to this project, which lies inside the checkout".to_string(),
        (Lang::Rust, false) => {
            "an absolute path: if the checkout moves, edit it in Cargo.toml".to_string()
        }
        (Lang::Python, false) => {
            "an absolute path: if the checkout moves, set CLORA_REPO or edit the scripts"
                .to_string()
        }
    };
    let wasm = dir.join(format!("{name}.wasm"));
    let venv_bin = format!("{repo_path}/.venv/bin");
    let world = format!("{}-plugin", request.kind.interface());
    let mut vars = Vars::new();
    vars.insert("name", name.to_string());
    vars.insert("crate", crate_ident(name));
    vars.insert("type", type_ident(name));
    vars.insert("kind", request.kind.interface().to_string());
    vars.insert("world", world);
    vars.insert("contract", CONTRACT_VERSION.to_string());
    vars.insert("repo", repo_path.clone());
    vars.insert("repo_sh", shell_quote(&repo_path));
    vars.insert("repo_py", quoted_string(&repo_path));
    vars.insert("sdk", sdk_path.clone());
    vars.insert("sdk_toml", quoted_string(&sdk_path));
    vars.insert("sdk_note", sdk_note);
    vars.insert("host", "clora-host".to_string());
    vars.insert(
        "host_sh",
        shell_quote(&request.host_binary.to_string_lossy()),
    );
    vars.insert("python", format!("{venv_bin}/python"));
    vars.insert("componentize", format!("{venv_bin}/componentize-py"));
    vars.insert("what", templates::what(request.kind).to_string());
    vars.insert(
        "use",
        templates::usage(request.kind, &wasm.to_string_lossy()),
    );
    vars
}

/// Creates `dir` (refusing an existing one) and writes `files`; removes `dir` again
/// when a write fails.
fn write_project(dir: &Path, files: &[ProjectFile]) -> Result<(), ScaffoldError> {
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(ScaffoldError::Exists(dir.to_path_buf()))
        }
        Err(e) => return Err(ScaffoldError::io("create", dir, e)),
    }
    let written = files.iter().try_for_each(|file| write_file(dir, file));
    if written.is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    written
}

fn write_file(dir: &Path, file: &ProjectFile) -> Result<(), ScaffoldError> {
    let path = dir.join(file.path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ScaffoldError::io("create", parent, e))?;
    }
    std::fs::write(&path, &file.contents).map_err(|e| ScaffoldError::io("write", &path, e))?;
    if file.executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| ScaffoldError::io("make executable", &path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_the_checkout_are_relative() {
        let root = Path::new("/repo");
        assert_eq!(
            portable_path(root, Path::new("/repo/a/b"), Path::new("/repo/plugins/sdk")),
            ("../../plugins/sdk".to_string(), true)
        );
        assert_eq!(
            portable_path(root, Path::new("/repo/x"), root),
            ("..".to_string(), true)
        );
        assert_eq!(
            portable_path(root, Path::new("/tmp/x"), Path::new("/repo/plugins/sdk")),
            ("/repo/plugins/sdk".to_string(), false)
        );
    }

    #[test]
    fn languages_parse() {
        assert_eq!("python".parse::<Lang>(), Ok(Lang::Python));
        assert_eq!(
            "go".parse::<Lang>().unwrap_err(),
            "unknown language \"go\" (rust or python)"
        );
    }
}
