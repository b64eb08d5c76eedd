//! Plugin names: the rules (one name serves as the plugin's `NAME`, the cargo package,
//! the project directory and `<name>.wasm`) and the identifiers derived from it.
use super::error::ScaffoldError;

/// Longest accepted name.
pub const MAX_NAME_LEN: usize = 64;

/// Names cargo or rustc refuse as a package or library name (Rust keywords, the
/// standard crates), and the crates every plugin depends on.
const RESERVED: &[&str] = &[
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
    "alloc",
    "core",
    "proc-macro",
    "proc_macro",
    "std",
    "test",
    "clora-plugin-sdk",
    "clora_plugin_sdk",
    "clora-plugin",
    "clora_plugin",
    "wit-bindgen",
    "wit_bindgen",
    "serde-json",
    "serde_json",
];

fn bad(name: &str, reason: impl Into<String>) -> ScaffoldError {
    ScaffoldError::BadName {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// Checks a plugin name: lowercase ASCII letters, digits, `-` and `_`, starting with a
/// letter, ending with a letter or digit, no two separators in a row, at most
/// [`MAX_NAME_LEN`] characters, and not a reserved word.
pub fn validate_name(name: &str) -> Result<(), ScaffoldError> {
    const RULE: &str =
        "use lowercase letters, digits, `-` and `_`, starting with a letter (e.g. `my-penalty`)";
    let first = name
        .chars()
        .next()
        .ok_or_else(|| bad(name, "it is empty"))?;
    if name.len() > MAX_NAME_LEN {
        return Err(bad(
            name,
            format!("it is longer than {MAX_NAME_LEN} characters"),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        return Err(bad(name, format!("{c:?} is not allowed; {RULE}")));
    }
    if !first.is_ascii_lowercase() {
        return Err(bad(name, format!("it must start with a letter; {RULE}")));
    }
    if name.ends_with(['-', '_']) {
        return Err(bad(name, "it must end with a letter or digit"));
    }
    if name.contains("--") || name.contains("__") || name.contains("-_") || name.contains("_-") {
        return Err(bad(name, "two separators in a row"));
    }
    if RESERVED.contains(&name) {
        return Err(bad(
            name,
            "it is reserved (a Rust keyword, a standard crate, or a crate plugins depend on)",
        ));
    }
    Ok(())
}

/// The cargo library name: `my-penalty` → `my_penalty` (also the `.wasm` cargo writes).
pub fn crate_ident(name: &str) -> String {
    name.replace('-', "_")
}

/// The type or class name: `my-penalty` → `MyPenalty`, `l2-decay` → `L2Decay`.
pub fn type_ident(name: &str) -> String {
    name.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(name: &str) -> String {
        validate_name(name).unwrap_err().to_string()
    }

    #[test]
    fn good_names_pass_and_derive_identifiers() {
        for name in ["my-penalty", "l2", "orth_v2", "a"] {
            validate_name(name).unwrap();
        }
        assert_eq!(crate_ident("my-penalty"), "my_penalty");
        assert_eq!(type_ident("my-penalty"), "MyPenalty");
        assert_eq!(type_ident("l2-decay_x"), "L2DecayX");
    }

    #[test]
    fn bad_names_say_why() {
        assert_eq!(reason(""), "invalid plugin name \"\": it is empty");
        assert!(
            reason("My").contains("'M' is not allowed"),
            "{}",
            reason("My")
        );
        assert!(reason("a b").contains("' ' is not allowed"));
        assert!(reason("../x").contains("'.' is not allowed"));
        assert!(reason("2x").contains("must start with a letter"));
        assert!(reason("x-").contains("must end with a letter or digit"));
        assert!(reason("a--b").contains("two separators in a row"));
        assert!(reason("test").contains("reserved"));
        assert!(reason("fn").contains("reserved"));
        assert!(reason(&"a".repeat(65)).contains("longer than 64"));
    }
}
