//! [`Template`]: text with `{name}` placeholders, checked once at `init` against the
//! names a plugin supplies, then rendered per row without allocation beyond the output.
//! `{{` and `}}` stand for literal braces.

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Slot(usize),
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text`; every `{name}` must be one of `names` (the order `render` expects
    /// values in).
    pub fn parse(text: &str, names: &[&str]) -> Result<Self> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(['{', '}']) {
            literal.push_str(&rest[..i]);
            let tail = &rest[i..];
            if tail.starts_with("{{") || tail.starts_with("}}") {
                literal.push_str(&tail[..1]);
                rest = &tail[2..];
            } else if tail.starts_with('}') {
                return Err(Error::new(format!(
                    "template {text:?}: unmatched `}}` (write `}}}}` for a literal brace)"
                )));
            } else {
                let end = tail
                    .find('}')
                    .ok_or_else(|| Error::new(format!("template {text:?}: unclosed `{{`")))?;
                let name = &tail[1..end];
                let slot = names.iter().position(|n| *n == name).ok_or_else(|| {
                    let known: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
                    Error::new(format!(
                        "template {text:?}: unknown placeholder {{{name}}} (known: {})",
                        known.join(", ")
                    ))
                })?;
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Slot(slot));
                rest = &tail[end + 1..];
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template { pieces })
    }

    /// Fills the placeholders; `values[i]` replaces `{names[i]}` of [`Template::parse`].
    pub fn render(&self, values: &[&str]) -> String {
        let len: usize = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Slot(i) => values.get(*i).map_or(0, |v| v.len()),
            })
            .sum();
        let mut out = String::with_capacity(len);
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Slot(i) => out.push_str(values.get(*i).copied().unwrap_or("")),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_and_escaped_braces() {
        let t = Template::parse("Q: {question} {{A}}: {answer}", &["question", "answer"]).unwrap();
        assert_eq!(t.render(&["why?", "because"]), "Q: why? {A}: because");
    }

    #[test]
    fn rejects_unknown_and_unbalanced_placeholders() {
        let err = |s| Template::parse(s, &["question"]).unwrap_err().to_string();
        assert_eq!(
            err("{answer}"),
            "template \"{answer}\": unknown placeholder {answer} (known: {question})"
        );
        assert_eq!(err("{question"), "template \"{question\": unclosed `{`");
        assert_eq!(
            err("a } b"),
            "template \"a } b\": unmatched `}` (write `}}` for a literal brace)"
        );
    }
}
