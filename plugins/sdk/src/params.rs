//! Parameter schemas: declare a plugin's parameters once, as a `const` slice of
//! [`ParamDecl`]; the SDK turns it into `describe()`'s schema and, at `init`, into
//! [`Params`] with typed getters.
//!
//! ```ignore
//! const PARAMS: &[ParamDecl] = &[
//!     ParamDecl::int("k", 128, "Subspace dimension.").min(1.0),
//!     ParamDecl::choice("reduction", "mean", &["mean", "sum"], "How layers combine."),
//! ];
//! // in init:  let k = params.uint("k")?;
//! ```
//!
//! The host validates user values against the schema before calling `init`; [`Params`]
//! checks again (unknown names, types, bounds, choices) so that a plugin never runs on
//! a value its schema rules out, and fills in defaults for anything missing.

use crate::bindings::regularizer_world::clora::plugin::types::{
    Param, ParamSpec, ParamType, ParamValue,
};
use crate::error::{Error, Result};

/// The default value of a declared parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A text (also the default of a choice).
    Text(&'static str),
}

/// The declared type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` / `false`.
    Bool,
    /// A signed 64-bit integer.
    Int,
    /// A 64-bit float (integers are accepted and converted).
    Float,
    /// Free text.
    Text,
    /// Text restricted to [`ParamDecl::choices`].
    Choice,
}

/// One declared parameter. Build it with the `const` constructors and refine it with
/// [`ParamDecl::min`] / [`ParamDecl::max`].
#[derive(Debug, Clone, Copy)]
pub struct ParamDecl {
    /// The name users write in config files and `--set`.
    pub name: &'static str,
    /// The type.
    pub kind: Kind,
    /// The value used when the user gives none.
    pub default: Default,
    /// Inclusive lower bound (int and float).
    pub min: Option<f64>,
    /// Inclusive upper bound (int and float).
    pub max: Option<f64>,
    /// The allowed values of a choice.
    pub choices: &'static [&'static str],
    /// One or two sentences for `clora-host plugins describe`.
    pub doc: &'static str,
}

impl ParamDecl {
    const fn new(name: &'static str, kind: Kind, default: Default, doc: &'static str) -> Self {
        ParamDecl {
            name,
            kind,
            default,
            min: None,
            max: None,
            choices: &[],
            doc,
        }
    }

    /// A boolean parameter.
    pub const fn bool(name: &'static str, default: bool, doc: &'static str) -> Self {
        Self::new(name, Kind::Bool, Default::Bool(default), doc)
    }

    /// An integer parameter.
    pub const fn int(name: &'static str, default: i64, doc: &'static str) -> Self {
        Self::new(name, Kind::Int, Default::Int(default), doc)
    }

    /// A float parameter.
    pub const fn float(name: &'static str, default: f64, doc: &'static str) -> Self {
        Self::new(name, Kind::Float, Default::Float(default), doc)
    }

    /// A free-text parameter.
    pub const fn text(name: &'static str, default: &'static str, doc: &'static str) -> Self {
        Self::new(name, Kind::Text, Default::Text(default), doc)
    }

    /// A text parameter restricted to `choices`.
    pub const fn choice(
        name: &'static str,
        default: &'static str,
        choices: &'static [&'static str],
        doc: &'static str,
    ) -> Self {
        let mut decl = Self::new(name, Kind::Choice, Default::Text(default), doc);
        decl.choices = choices;
        decl
    }

    /// Sets the inclusive lower bound.
    pub const fn min(mut self, min: f64) -> Self {
        self.min = Some(min);
        self
    }

    /// Sets the inclusive upper bound.
    pub const fn max(mut self, max: f64) -> Self {
        self.max = Some(max);
        self
    }

    /// The WIT schema entry for `describe()`.
    pub fn spec(&self) -> ParamSpec {
        ParamSpec {
            name: self.name.to_string(),
            type_: match self.kind {
                Kind::Bool => ParamType::Boolean,
                Kind::Int => ParamType::Integer,
                Kind::Float => ParamType::Float,
                Kind::Text => ParamType::Text,
                Kind::Choice => ParamType::Choice,
            },
            default: default_value(self.default),
            min: self.min,
            max: self.max,
            choices: self.choices.iter().map(|c| c.to_string()).collect(),
            doc: self.doc.to_string(),
        }
    }

    /// Checks a value against this declaration, converting an integer to a float where
    /// a float is declared.
    fn check(&self, value: ParamValue) -> Result<Value> {
        let name = self.name;
        let value = match (self.kind, value) {
            (Kind::Bool, ParamValue::Boolean(b)) => Value::Bool(b),
            (Kind::Int, ParamValue::Integer(i)) => Value::Int(i),
            (Kind::Float, ParamValue::Float(f)) => Value::Float(f),
            (Kind::Float, ParamValue::Integer(i)) => Value::Float(i as f64),
            (Kind::Text | Kind::Choice, ParamValue::Text(t)) => Value::Text(t),
            (kind, other) => {
                return Err(Error::new(format!(
                    "parameter `{name}`: expected {}, got {}",
                    kind_name(kind),
                    value_name(&other)
                )))
            }
        };
        let number = match value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        };
        if let Some(x) = number {
            if !x.is_finite() {
                return Err(Error::new(format!("parameter `{name}`: {x} is not finite")));
            }
            if let Some(min) = self.min.filter(|min| x < *min) {
                return Err(Error::new(format!(
                    "parameter `{name}`: {x} is below the minimum {min}"
                )));
            }
            if let Some(max) = self.max.filter(|max| x > *max) {
                return Err(Error::new(format!(
                    "parameter `{name}`: {x} is above the maximum {max}"
                )));
            }
        }
        if let (Kind::Choice, Value::Text(t)) = (self.kind, &value) {
            if !self.choices.contains(&t.as_str()) {
                return Err(Error::new(format!(
                    "parameter `{name}`: \"{t}\" is not one of {}",
                    self.choices.join(", ")
                )));
            }
        }
        Ok(value)
    }
}

fn default_value(default: Default) -> ParamValue {
    match default {
        Default::Bool(b) => ParamValue::Boolean(b),
        Default::Int(i) => ParamValue::Integer(i),
        Default::Float(f) => ParamValue::Float(f),
        Default::Text(t) => ParamValue::Text(t.to_string()),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Bool => "a boolean",
        Kind::Int => "an integer",
        Kind::Float => "a float",
        Kind::Text | Kind::Choice => "a text",
    }
}

fn value_name(value: &ParamValue) -> String {
    match value {
        ParamValue::Boolean(b) => format!("the boolean {b}"),
        ParamValue::Integer(i) => format!("the integer {i}"),
        ParamValue::Float(f) => format!("the float {f}"),
        ParamValue::Text(t) => format!("the text \"{t}\""),
    }
}

/// A checked parameter value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// The parameters `init` received, checked against the schema, defaults filled in.
#[derive(Debug, Clone)]
pub struct Params {
    values: Vec<(&'static str, Value)>,
}

impl Params {
    /// Checks `given` against `schema`: every name must be declared, with a value of the
    /// declared type inside its bounds; undeclared names are errors; missing ones take
    /// their defaults.
    pub fn resolve(schema: &'static [ParamDecl], given: Vec<Param>) -> Result<Self> {
        let mut values: Vec<(&'static str, Value)> = Vec::with_capacity(schema.len());
        for param in given {
            let Some(decl) = schema.iter().find(|d| d.name == param.name) else {
                let known: Vec<&str> = schema.iter().map(|d| d.name).collect();
                return Err(Error::new(format!(
                    "unknown parameter `{}` (known: {})",
                    param.name,
                    known.join(", ")
                )));
            };
            if values.iter().any(|(n, _)| *n == decl.name) {
                return Err(Error::new(format!("parameter `{}` given twice", decl.name)));
            }
            values.push((decl.name, decl.check(param.value)?));
        }
        for decl in schema {
            if !values.iter().any(|(n, _)| *n == decl.name) {
                values.push((decl.name, decl.check(default_value(decl.default))?));
            }
        }
        Ok(Params { values })
    }

    fn get(&self, name: &str) -> Result<&Value> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| Error::new(format!("parameter `{name}` is not declared")))
    }

    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> Result<bool> {
        match self.get(name)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(Error::new(format!("parameter `{name}` is not a boolean"))),
        }
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> Result<i64> {
        match self.get(name)? {
            Value::Int(i) => Ok(*i),
            _ => Err(Error::new(format!("parameter `{name}` is not an integer"))),
        }
    }

    /// A non-negative integer parameter.
    pub fn uint(&self, name: &str) -> Result<u64> {
        let i = self.int(name)?;
        u64::try_from(i).map_err(|_| Error::new(format!("parameter `{name}`: {i} is negative")))
    }

    /// A float parameter.
    pub fn float(&self, name: &str) -> Result<f64> {
        match self.get(name)? {
            Value::Float(f) => Ok(*f),
            _ => Err(Error::new(format!("parameter `{name}` is not a float"))),
        }
    }

    /// A text or choice parameter.
    pub fn text(&self, name: &str) -> Result<&str> {
        match self.get(name)? {
            Value::Text(t) => Ok(t),
            _ => Err(Error::new(format!("parameter `{name}` is not a text"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &[ParamDecl] = &[
        ParamDecl::int("k", 128, "k").min(1.0),
        ParamDecl::float("scale", 1.0, "s"),
        ParamDecl::choice("reduction", "mean", &["mean", "sum"], "r"),
    ];

    fn p(name: &str, value: ParamValue) -> Param {
        Param {
            name: name.into(),
            value,
        }
    }

    #[test]
    fn defaults_fill_missing_values_and_ints_become_floats() {
        let params = Params::resolve(SCHEMA, vec![p("scale", ParamValue::Integer(2))]).unwrap();
        assert_eq!(params.uint("k").unwrap(), 128);
        assert_eq!(params.float("scale").unwrap(), 2.0);
        assert_eq!(params.text("reduction").unwrap(), "mean");
    }

    #[test]
    fn violations_are_named() {
        let err = |given| Params::resolve(SCHEMA, given).unwrap_err().to_string();
        assert_eq!(
            err(vec![p("k", ParamValue::Integer(0))]),
            "parameter `k`: 0 is below the minimum 1"
        );
        assert_eq!(
            err(vec![p("k", ParamValue::Float(2.0))]),
            "parameter `k`: expected an integer, got the float 2"
        );
        assert_eq!(
            err(vec![p("reduction", ParamValue::Text("max".into()))]),
            "parameter `reduction`: \"max\" is not one of mean, sum"
        );
        assert_eq!(
            err(vec![p("lambda", ParamValue::Float(1.0))]),
            "unknown parameter `lambda` (known: k, scale, reduction)"
        );
        let params = Params::resolve(SCHEMA, vec![]).unwrap();
        assert_eq!(
            params.int("nope").unwrap_err().to_string(),
            "parameter `nope` is not declared"
        );
    }
}
