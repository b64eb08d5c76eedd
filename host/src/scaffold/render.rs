//! Fills `{{key}}` placeholders in the embedded templates. A placeholder left unfilled
//! is an error, never silently written into a project.
use std::collections::BTreeMap;

use super::error::ScaffoldError;

/// Placeholder values by key (`name`, `crate`, `sdk_toml`, ...).
pub type Vars = BTreeMap<&'static str, String>;

/// `text` with every `{{key}}` of `vars` replaced.
pub fn render(template: &'static str, text: &str, vars: &Vars) -> Result<String, ScaffoldError> {
    let mut out = text.to_string();
    for (key, value) in vars {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    let mut rest = out.as_str();
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        let key = &rest[..end];
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(ScaffoldError::Template {
                template,
                placeholder: format!("{{{{{key}}}}}"),
            });
        }
    }
    Ok(out)
}

/// `value` as one single-quoted shell word.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `value` as a TOML basic string (also a valid Python string literal).
pub fn quoted_string(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_leftovers_refused() {
        let vars = Vars::from([("name", "x".to_string())]);
        assert_eq!(render("t", "a {{name}} b", &vars).unwrap(), "a x b");
        let err = render("t", "{{name}} {{other}}", &vars).unwrap_err();
        assert_eq!(
            err.to_string(),
            "template t has an unfilled placeholder {{other}}"
        );
        // Braces that are not placeholders stay (Python's "{{" escapes, Rust format strings).
        assert_eq!(render("t", "f\"{{x.y}}\"", &vars).unwrap(), "f\"{{x.y}}\"");
        assert!(render("t", "{{x.y}} {{late}}", &vars).is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(quoted_string(r#"C:\x "y""#), r#""C:\\x \"y\"""#);
    }
}
