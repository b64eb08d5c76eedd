//! What a plugin says about itself (`describe`): the host-side types [`PluginInfo`],
//! [`ParamSpec`] and friends, converted from the WIT bindings, plus a consistency check
//! of the schema so that a broken `describe` is refused at load.
use std::fmt;

use super::bindings::types as wit;

/// The contract version this host implements (the WIT package version).
pub const CONTRACT_VERSION: &str = "0.1.0";

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginKind {
    Regularizer,
    GradProcessor,
    Preprocessor,
}

impl PluginKind {
    /// The WIT interface name the plugin exports (`regularizer`, ...).
    pub fn interface(self) -> &'static str {
        match self {
            PluginKind::Regularizer => "regularizer",
            PluginKind::GradProcessor => "grad-processor",
            PluginKind::Preprocessor => "preprocessor",
        }
    }

    /// The kind whose exported interface is `name` (`grad-processor`, ...).
    pub fn from_interface(name: &str) -> Option<PluginKind> {
        [
            PluginKind::Regularizer,
            PluginKind::GradProcessor,
            PluginKind::Preprocessor,
        ]
        .into_iter()
        .find(|kind| kind.interface() == name)
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.interface())
    }
}

/// A parameter value as the plugin declares it (defaults) or receives it.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Boolean(bool),
    Integer(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Boolean(v) => write!(f, "{v}"),
            ParamValue::Integer(v) => write!(f, "{v}"),
            ParamValue::Float(v) => write!(f, "{v:?}"),
            ParamValue::Text(v) => write!(f, "{v:?}"),
        }
    }
}

/// The type a parameter accepts; `Choice` is text restricted to [`ParamSpec::choices`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Boolean,
    Integer,
    Float,
    Text,
    Choice,
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParamType::Boolean => "boolean",
            ParamType::Integer => "integer",
            ParamType::Float => "float",
            ParamType::Text => "text",
            ParamType::Choice => "choice",
        })
    }
}

/// One entry of a plugin's parameter schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ParamType,
    pub default: ParamValue,
    /// Inclusive bounds (integer and float parameters).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Allowed values (choice parameters).
    pub choices: Vec<String>,
    pub doc: String,
}

/// What `describe` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub kind: PluginKind,
    /// The contract version the plugin says it was built against.
    pub contract: String,
    pub description: String,
    pub params: Vec<ParamSpec>,
}

impl PluginInfo {
    /// The declared parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Checks the schema itself: unique names, defaults of the declared type, within
    /// their bounds and among their choices. Returns every problem found.
    pub fn schema_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (i, spec) in self.params.iter().enumerate() {
            if self.params[..i].iter().any(|p| p.name == spec.name) {
                problems.push(format!("parameter `{}` is declared twice", spec.name));
            }
            if spec.ty == ParamType::Choice && spec.choices.is_empty() {
                problems.push(format!("choice parameter `{}` has no choices", spec.name));
            }
            if let (Some(min), Some(max)) = (spec.min, spec.max) {
                if min > max {
                    problems.push(format!(
                        "parameter `{}` has min {min} > max {max}",
                        spec.name
                    ));
                }
            }
            if let Err(message) = super::params::check_value(spec, &spec.default) {
                problems.push(format!("default of parameter `{}`: {message}", spec.name));
            }
        }
        problems
    }
}

impl From<wit::PluginKind> for PluginKind {
    fn from(kind: wit::PluginKind) -> Self {
        match kind {
            wit::PluginKind::Regularizer => PluginKind::Regularizer,
            wit::PluginKind::GradProcessor => PluginKind::GradProcessor,
            wit::PluginKind::Preprocessor => PluginKind::Preprocessor,
        }
    }
}

impl From<wit::ParamValue> for ParamValue {
    fn from(value: wit::ParamValue) -> Self {
        match value {
            wit::ParamValue::Boolean(v) => ParamValue::Boolean(v),
            wit::ParamValue::Integer(v) => ParamValue::Integer(v),
            wit::ParamValue::Float(v) => ParamValue::Float(v),
            wit::ParamValue::Text(v) => ParamValue::Text(v),
        }
    }
}

impl From<ParamValue> for wit::ParamValue {
    fn from(value: ParamValue) -> Self {
        match value {
            ParamValue::Boolean(v) => wit::ParamValue::Boolean(v),
            ParamValue::Integer(v) => wit::ParamValue::Integer(v),
            ParamValue::Float(v) => wit::ParamValue::Float(v),
            ParamValue::Text(v) => wit::ParamValue::Text(v),
        }
    }
}

impl From<wit::ParamType> for ParamType {
    fn from(ty: wit::ParamType) -> Self {
        match ty {
            wit::ParamType::Boolean => ParamType::Boolean,
            wit::ParamType::Integer => ParamType::Integer,
            wit::ParamType::Float => ParamType::Float,
            wit::ParamType::Text => ParamType::Text,
            wit::ParamType::Choice => ParamType::Choice,
        }
    }
}

impl From<wit::PluginInfo> for PluginInfo {
    fn from(info: wit::PluginInfo) -> Self {
        PluginInfo {
            name: info.name,
            version: info.version,
            kind: info.kind.into(),
            contract: info.contract,
            description: info.description,
            params: info
                .params
                .into_iter()
                .map(|p| ParamSpec {
                    name: p.name,
                    ty: p.type_.into(),
                    default: p.default.into(),
                    min: p.min,
                    max: p.max,
                    choices: p.choices,
                    doc: p.doc,
                })
                .collect(),
        }
    }
}
