//! Builds the resolved configuration from layers: the embedded defaults, then an optional
//! `--config` file, then `--set key=value` arguments, then dedicated flags. Each layer is
//! validated on its own first, so an unknown key or a wrong type is reported with the
//! layer's own position (file:line:column, or the `--set` argument).
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::error::{ConfigError, Origin};

/// One layer of configuration values with where they came from.
#[derive(Debug, Clone)]
pub struct Layer {
    pub table: Table,
    pub origin: Origin,
    /// The layer's source text, kept to locate keys (files only).
    pub text: Option<String>,
}

impl Layer {
    /// Parses TOML text from a file and validates it against `T` (whose sections all
    /// default, so a partial file is fine).
    pub fn from_file<T: DeserializeOwned>(path: &Path) -> Result<Layer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_text::<T>(&text, path)
    }

    /// Like [`Layer::from_file`] for text already read (`path` is for messages).
    pub fn from_text<T: DeserializeOwned>(text: &str, path: &Path) -> Result<Layer, ConfigError> {
        let file_error = |err: toml::de::Error| {
            let (line, column) = err
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            ConfigError::Invalid {
                origin: Origin::File {
                    path: path.to_path_buf(),
                    line,
                    column,
                },
                message: err.message().trim().to_string(),
            }
        };
        let table: Table = toml::from_str(text).map_err(file_error)?;
        toml::from_str::<T>(text).map_err(file_error)?;
        Ok(Layer {
            table,
            origin: Origin::File {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
            },
            text: Some(text.to_string()),
        })
    }

    /// One `--set key.path=value` argument. The value is read as TOML (numbers, booleans,
    /// arrays, quoted strings) and as a bare string when it is not valid TOML.
    pub fn from_set<T: DeserializeOwned>(arg: &str) -> Result<Layer, ConfigError> {
        let (key, raw) = arg
            .split_once('=')
            .filter(|(key, _)| !key.trim().is_empty())
            .ok_or_else(|| ConfigError::SetSyntax {
                arg: arg.to_string(),
            })?;
        let value = parse_set_value(raw.trim());
        Self::from_value::<T>(key.trim(), value, Origin::Set(arg.to_string()))
    }

    /// A single dotted key set by a dedicated flag (e.g. `--epochs` → `train.epochs`).
    pub fn from_flag<T: DeserializeOwned>(
        key: &str,
        value: Value,
        flag: &str,
    ) -> Result<Layer, ConfigError> {
        Self::from_value::<T>(key, value, Origin::Flag(flag.to_string()))
    }

    fn from_value<T: DeserializeOwned>(
        key: &str,
        value: Value,
        origin: Origin,
    ) -> Result<Layer, ConfigError> {
        let mut table = Table::new();
        insert_dotted(&mut table, key, value);
        Value::Table(table.clone())
            .try_into::<T>()
            .map_err(|err: toml::de::Error| ConfigError::Invalid {
                origin: origin.clone(),
                message: err.message().trim().to_string(),
            })?;
        Ok(Layer {
            table,
            origin,
            text: None,
        })
    }

    /// The origin of `dotted_key` in this layer, with its line and column for files;
    /// `None` when the layer does not set the key.
    pub fn origin_of(&self, dotted_key: &str) -> Option<Origin> {
        lookup(&self.table, dotted_key)?;
        match (&self.origin, &self.text) {
            (Origin::File { path, .. }, Some(text)) => {
                let (line, column) = locate_key(text, dotted_key).unwrap_or((1, 1));
                Some(Origin::File {
                    path: path.clone(),
                    line,
                    column,
                })
            }
            (origin, _) => Some(origin.clone()),
        }
    }
}

/// Merges `overlay` into `base`: tables merge key by key, anything else replaces.
pub fn merge(base: &mut Table, overlay: &Table) {
    for (key, value) in overlay {
        match (base.get_mut(key), value) {
            (Some(Value::Table(base_table)), Value::Table(over_table)) => {
                merge(base_table, over_table)
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The value at `a.b.c` in a table.
pub fn lookup<'t>(table: &'t Table, dotted_key: &str) -> Option<&'t Value> {
    let mut parts = dotted_key.split('.');
    let mut value = table.get(parts.next()?)?;
    for part in parts {
        value = value.as_table()?.get(part)?;
    }
    Some(value)
}

fn insert_dotted(table: &mut Table, dotted_key: &str, value: Value) {
    match dotted_key.split_once('.') {
        None => {
            table.insert(dotted_key.to_string(), value);
        }
        Some((head, rest)) => {
            let child = table
                .entry(head.to_string())
                .or_insert_with(|| Value::Table(Table::new()));
            if !child.is_table() {
                *child = Value::Table(Table::new());
            }
            if let Value::Table(child) = child {
                insert_dotted(child, rest, value);
            }
        }
    }
}

fn parse_set_value(raw: &str) -> Value {
    toml::from_str::<Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_string()))
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Finds where `a.b.c` is written in TOML text, following `[a.b]` headers and dotted
/// keys. Good enough for error messages; falls back to `None`.
fn locate_key(text: &str, dotted_key: &str) -> Option<(usize, usize)> {
    let mut section: Vec<String> = Vec::new();
    for (index, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim_start();
        let indent = raw_line.len() - line.len();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_start_matches('[');
            let name = header.split(']').next().unwrap_or("");
            section = name.split('.').map(|p| p.trim().to_string()).collect();
            continue;
        }
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        let mut full = section.clone();
        full.extend(
            key.split('.')
                .map(|p| p.trim().trim_matches('"').to_string()),
        );
        if full.join(".") == dotted_key {
            return Some((index + 1, indent + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_values_parse_as_toml_or_string() {
        assert_eq!(parse_set_value("3"), Value::Integer(3));
        assert_eq!(parse_set_value("1e-4"), Value::Float(1e-4));
        assert_eq!(parse_set_value("true"), Value::Boolean(true));
        assert_eq!(
            parse_set_value("plugins/clora.wasm"),
            Value::String("plugins/clora.wasm".into())
        );
        assert_eq!(
            parse_set_value(r#"["c_attn", "c_proj"]"#),
            Value::Array(vec!["c_attn".into(), "c_proj".into()])
        );
    }

    #[test]
    fn merge_is_deep_and_overlay_wins() {
        let mut base: Table = toml::from_str("[a]\nx = 1\ny = 2\n").unwrap();
        let over: Table = toml::from_str("[a]\ny = 3\n[b]\nz = 4\n").unwrap();
        merge(&mut base, &over);
        assert_eq!(lookup(&base, "a.x"), Some(&Value::Integer(1)));
        assert_eq!(lookup(&base, "a.y"), Some(&Value::Integer(3)));
        assert_eq!(lookup(&base, "b.z"), Some(&Value::Integer(4)));
    }

    #[test]
    fn keys_are_located_by_line_and_column() {
        let text = "name = \"x\"\n\n[train]\n  lr = 0.1\n[data.train]\nmax = 3\n";
        assert_eq!(locate_key(text, "name"), Some((1, 1)));
        assert_eq!(locate_key(text, "train.lr"), Some((4, 3)));
        assert_eq!(locate_key(text, "data.train.max"), Some((6, 1)));
        assert_eq!(locate_key(text, "train.epochs"), None);
    }
}
