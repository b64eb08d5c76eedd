//! Validation of user parameters (a TOML table) against a plugin's schema, before
//! anything runs, and their conversion into the values `init` receives.
use super::bindings::types as wit;
use super::error::PluginError;
use super::info::{ParamSpec, ParamType, ParamValue, PluginInfo};

/// Checks `params` against `info`'s schema and returns the resolved table: every
/// declared parameter, defaults filled in, floats given as integers widened. Unknown
/// names, wrong types, values out of range and text outside the choices are all
/// reported (each naming the parameter and what is valid) in one [`PluginError::Params`].
pub fn validate_params(
    info: &PluginInfo,
    params: &toml::Table,
) -> Result<toml::Table, PluginError> {
    let mut problems = Vec::new();
    for name in params.keys() {
        if info.param(name).is_none() {
            problems.push(format!(
                "unknown parameter `{name}`; valid parameters: {}",
                valid_names(info)
            ));
        }
    }
    let mut resolved = toml::Table::new();
    for spec in &info.params {
        let value = match params.get(&spec.name) {
            None => spec.default.clone(),
            Some(given) => {
                match from_toml(spec, given).and_then(|v| check_value(spec, &v).map(|()| v)) {
                    Ok(value) => value,
                    Err(message) => {
                        problems.push(format!("parameter `{}`: {message}", spec.name));
                        continue;
                    }
                }
            }
        };
        resolved.insert(spec.name.clone(), to_toml(&value));
    }
    if problems.is_empty() {
        Ok(resolved)
    } else {
        Err(PluginError::Params {
            plugin: info.name.clone(),
            message: problems.join("; "),
        })
    }
}

/// Checks one value against its spec: type, bounds, choices.
pub fn check_value(spec: &ParamSpec, value: &ParamValue) -> Result<(), String> {
    match (spec.ty, value) {
        (ParamType::Boolean, ParamValue::Boolean(_)) | (ParamType::Text, ParamValue::Text(_)) => {
            Ok(())
        }
        (ParamType::Integer, ParamValue::Integer(v)) => {
            check_range(spec, *v as f64, &v.to_string())
        }
        (ParamType::Float, ParamValue::Float(v)) => {
            if !v.is_finite() {
                return Err(format!("{v} is not a finite number"));
            }
            check_range(spec, *v, &format!("{v:?}"))
        }
        (ParamType::Choice, ParamValue::Text(v)) => {
            if spec.choices.iter().any(|c| c == v) {
                Ok(())
            } else {
                Err(format!("{v:?} is not one of: {}", spec.choices.join(", ")))
            }
        }
        (ty, value) => Err(format!(
            "expected {}, got {}",
            describe_type(spec, ty),
            describe_value(value)
        )),
    }
}

fn check_range(spec: &ParamSpec, v: f64, shown: &str) -> Result<(), String> {
    let below = spec.min.is_some_and(|min| v < min);
    let above = spec.max.is_some_and(|max| v > max);
    if below || above {
        return Err(format!(
            "{shown} is outside the valid range {}",
            range_text(spec)
        ));
    }
    Ok(())
}

/// `[min, max]` with open ends shown as `-inf`/`inf`.
pub fn range_text(spec: &ParamSpec) -> String {
    let bound = |b: Option<f64>, open: &str| b.map_or(open.to_string(), |b| b.to_string());
    format!("[{}, {}]", bound(spec.min, "-inf"), bound(spec.max, "inf"))
}

fn valid_names(info: &PluginInfo) -> String {
    if info.params.is_empty() {
        return "(this plugin takes none)".to_string();
    }
    info.params
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_type(spec: &ParamSpec, ty: ParamType) -> String {
    match ty {
        ParamType::Choice => format!("one of: {}", spec.choices.join(", ")),
        ParamType::Integer => "an integer".to_string(),
        ParamType::Boolean => "a boolean".to_string(),
        ParamType::Float => "a float".to_string(),
        ParamType::Text => "text".to_string(),
    }
}

fn describe_value(value: &ParamValue) -> String {
    match value {
        ParamValue::Boolean(v) => format!("boolean {v}"),
        ParamValue::Integer(v) => format!("integer {v}"),
        ParamValue::Float(v) => format!("float {v:?}"),
        ParamValue::Text(v) => format!("text {v:?}"),
    }
}

/// A TOML value as the spec's type; integers widen to floats, nothing else converts.
fn from_toml(spec: &ParamSpec, value: &toml::Value) -> Result<ParamValue, String> {
    Ok(match (spec.ty, value) {
        (_, toml::Value::Boolean(v)) => ParamValue::Boolean(*v),
        (ParamType::Float, toml::Value::Integer(v)) => ParamValue::Float(*v as f64),
        (_, toml::Value::Integer(v)) => ParamValue::Integer(*v),
        (_, toml::Value::Float(v)) => ParamValue::Float(*v),
        (_, toml::Value::String(v)) => ParamValue::Text(v.clone()),
        (ty, other) => {
            return Err(format!(
                "expected {}, got a TOML {}",
                describe_type(spec, ty),
                other.type_str()
            ));
        }
    })
}

fn to_toml(value: &ParamValue) -> toml::Value {
    match value {
        ParamValue::Boolean(v) => toml::Value::Boolean(*v),
        ParamValue::Integer(v) => toml::Value::Integer(*v),
        ParamValue::Float(v) => toml::Value::Float(*v),
        ParamValue::Text(v) => toml::Value::String(v.clone()),
    }
}

/// A command-line `--set name=value` value, typed by the schema: `true`/`false`,
/// integers and floats parse as such, anything else is text. Unknown names stay text so
/// that [`validate_params`] reports them with the valid names.
pub fn parse_cli_value(info: &PluginInfo, name: &str, raw: &str) -> toml::Value {
    let text = || toml::Value::String(raw.to_string());
    match info.param(name).map(|spec| spec.ty) {
        Some(ParamType::Boolean) => raw
            .parse()
            .map(toml::Value::Boolean)
            .unwrap_or_else(|_| text()),
        Some(ParamType::Integer) => raw
            .parse()
            .map(toml::Value::Integer)
            .unwrap_or_else(|_| text()),
        Some(ParamType::Float) => raw
            .parse()
            .map(toml::Value::Float)
            .unwrap_or_else(|_| text()),
        _ => text(),
    }
}

/// The resolved table as the `list<param>` `init` receives, in schema order.
pub(crate) fn to_wit_params(info: &PluginInfo, resolved: &toml::Table) -> Vec<wit::Param> {
    info.params
        .iter()
        .filter_map(|spec| {
            let value = from_toml(spec, resolved.get(&spec.name)?).ok()?;
            Some(wit::Param {
                name: spec.name.clone(),
                value: value.into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::info::PluginKind;

    fn info() -> PluginInfo {
        let spec = |name: &str, ty, default, min, max, choices: &[&str]| ParamSpec {
            name: name.to_string(),
            ty,
            default,
            min,
            max,
            choices: choices.iter().map(|c| c.to_string()).collect(),
            doc: String::new(),
        };
        PluginInfo {
            name: "demo".into(),
            version: "1.0.0".into(),
            kind: PluginKind::Regularizer,
            contract: "0.1.0".into(),
            description: String::new(),
            params: vec![
                spec(
                    "k",
                    ParamType::Integer,
                    ParamValue::Integer(128),
                    Some(1.0),
                    Some(4096.0),
                    &[],
                ),
                spec(
                    "scale",
                    ParamType::Float,
                    ParamValue::Float(1.0),
                    Some(0.0),
                    None,
                    &[],
                ),
                spec(
                    "reduction",
                    ParamType::Choice,
                    ParamValue::Text("mean".into()),
                    None,
                    None,
                    &["mean", "sum"],
                ),
                spec(
                    "verbose",
                    ParamType::Boolean,
                    ParamValue::Boolean(false),
                    None,
                    None,
                    &[],
                ),
            ],
        }
    }

    fn table(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    #[test]
    fn defaults_fill_missing_and_integers_widen_to_float() {
        let resolved = validate_params(&info(), &table("scale = 2\nk = 64")).unwrap();
        assert_eq!(resolved["k"], toml::Value::Integer(64));
        assert_eq!(resolved["scale"], toml::Value::Float(2.0));
        assert_eq!(resolved["reduction"], toml::Value::String("mean".into()));
        assert_eq!(resolved["verbose"], toml::Value::Boolean(false));
    }

    #[test]
    fn every_problem_is_named_with_the_valid_alternatives() {
        let err = validate_params(
            &info(),
            &table("kk = 1\nk = 0\nreduction = \"avg\"\nverbose = 3\nscale = \"x\""),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("invalid parameters for plugin `demo`"),
            "{err}"
        );
        assert!(
            err.contains("unknown parameter `kk`; valid parameters: k, scale, reduction, verbose"),
            "{err}"
        );
        assert!(
            err.contains("parameter `k`: 0 is outside the valid range [1, 4096]"),
            "{err}"
        );
        assert!(
            err.contains("parameter `reduction`: \"avg\" is not one of: mean, sum"),
            "{err}"
        );
        assert!(
            err.contains("parameter `verbose`: expected a boolean, got integer 3"),
            "{err}"
        );
        assert!(
            err.contains("parameter `scale`: expected a float, got text \"x\""),
            "{err}"
        );
    }

    #[test]
    fn floats_are_not_truncated_to_integers_and_nan_is_refused() {
        let err = validate_params(&info(), &table("k = 2.5"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("parameter `k`: expected an integer, got float 2.5"),
            "{err}"
        );
        let err = validate_params(&info(), &table("scale = nan"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("parameter `scale`: NaN is not a finite number"),
            "{err}"
        );
    }

    #[test]
    fn cli_values_follow_the_schema() {
        let info = info();
        assert_eq!(parse_cli_value(&info, "k", "12"), toml::Value::Integer(12));
        assert_eq!(
            parse_cli_value(&info, "scale", "0.5"),
            toml::Value::Float(0.5)
        );
        assert_eq!(
            parse_cli_value(&info, "verbose", "true"),
            toml::Value::Boolean(true)
        );
        assert_eq!(
            parse_cli_value(&info, "reduction", "sum"),
            toml::Value::String("sum".into())
        );
        assert_eq!(
            parse_cli_value(&info, "k", "many"),
            toml::Value::String("many".into())
        );
    }

    #[test]
    fn schema_problems_catch_bad_defaults() {
        let mut info = info();
        info.params[0].default = ParamValue::Integer(0);
        info.params[2].default = ParamValue::Text("median".into());
        let problems = info.schema_problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0]
            .contains("default of parameter `k`: 0 is outside the valid range [1, 4096]"));
        assert!(problems[1].contains("\"median\" is not one of: mean, sum"));
    }

    #[test]
    fn wit_params_follow_schema_order() {
        let info = info();
        let resolved = validate_params(&info, &table("verbose = true")).unwrap();
        let params = to_wit_params(&info, &resolved);
        let names: Vec<_> = params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["k", "scale", "reduction", "verbose"]);
        assert!(matches!(params[3].value, wit::ParamValue::Boolean(true)));
    }
}
