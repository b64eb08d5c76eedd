//! JSON records with typed field access whose errors name the field:
//! `missing field `question.stem``, `field `answer` must be a boolean, got a string`.
//!
//! The host passes JSONL lines as they are and parquet rows converted to JSON objects
//! (struct columns become objects, list columns arrays).

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One record: a JSON object.
#[derive(Debug, Clone)]
pub struct Record {
    object: Map<String, Value>,
}

impl Record {
    /// Parses a record; anything but a JSON object is an error.
    pub fn parse(text: &str) -> Result<Self> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => Ok(Record { object }),
            Ok(other) => Err(Error::new(format!(
                "a record must be a JSON object, got {}",
                type_name(&other)
            ))),
            Err(e) => Err(Error::new(format!("invalid JSON: {e}"))),
        }
    }

    /// A top-level field.
    pub fn get(&self, key: &str) -> Result<Field<'_>> {
        self.get_opt(key).ok_or_else(|| missing(key))
    }

    /// A top-level field, `None` when absent or null.
    pub fn get_opt(&self, key: &str) -> Option<Field<'_>> {
        match self.object.get_key_value(key) {
            None | Some((_, Value::Null)) => None,
            Some((key, value)) => Some(Field {
                value,
                path: Path::ROOT.push(Segment::Key(key)),
            }),
        }
    }
}

/// One step of a path: an object key or an array index.
#[derive(Debug, Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Deeper paths keep their first segments and end in `…` (no dataset nests this deep).
const MAX_DEPTH: usize = 6;

/// Where a value sits in its record, kept without allocating (paths are only rendered
/// for error messages).
#[derive(Debug, Clone, Copy)]
struct Path<'a> {
    segments: [Segment<'a>; MAX_DEPTH],
    len: usize,
    truncated: bool,
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path {
        segments: [Segment::Index(0); MAX_DEPTH],
        len: 0,
        truncated: false,
    };

    fn push(mut self, segment: Segment<'a>) -> Path<'a> {
        if self.len < MAX_DEPTH {
            self.segments[self.len] = segment;
            self.len += 1;
        } else {
            self.truncated = true;
        }
        self
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments[..self.len].iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// A value inside a record, with its path for error messages (`question.choices[2].label`).
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    value: &'a Value,
    path: Path<'a>,
}

impl<'a> Field<'a> {
    /// The dotted path of this value inside the record.
    pub fn path(&self) -> String {
        self.path.to_string()
    }

    /// The raw JSON value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// A field of this object.
    pub fn get(&self, key: &str) -> Result<Field<'a>> {
        self.object()?;
        self.get_opt(key)
            .ok_or_else(|| missing(&format!("{}.{key}", self.path)))
    }

    /// A field of this object, `None` when absent, null, or when this is no object.
    pub fn get_opt(&self, key: &str) -> Option<Field<'a>> {
        match self.value.as_object()?.get_key_value(key) {
            None | Some((_, Value::Null)) => None,
            Some((key, value)) => Some(Field {
                value,
                path: self.path.push(Segment::Key(key)),
            }),
        }
    }

    /// Whether this is a JSON object.
    pub fn is_object(&self) -> bool {
        self.value.is_object()
    }

    /// Whether this is a JSON string.
    pub fn is_str(&self) -> bool {
        self.value.is_string()
    }

    fn object(&self) -> Result<&'a Map<String, Value>> {
        self.value
            .as_object()
            .ok_or_else(|| self.wrong("an object"))
    }

    /// This value as a string.
    pub fn str(&self) -> Result<&'a str> {
        self.value.as_str().ok_or_else(|| self.wrong("a string"))
    }

    /// This value as a boolean.
    pub fn bool(&self) -> Result<bool> {
        self.value.as_bool().ok_or_else(|| self.wrong("a boolean"))
    }

    /// This value as an integer; also accepts a string holding a decimal integer (the
    /// Hub's HellaSwag stores `label` as `"2"`).
    pub fn int_or_numeric_str(&self) -> Result<i64> {
        match self.value {
            Value::Number(n) => n.as_i64().ok_or_else(|| {
                Error::new(format!("field `{}` must be an integer, got {n}", self.path))
            }),
            Value::String(s) => s.trim().parse::<i64>().map_err(|_| {
                Error::new(format!(
                    "field `{}` must be an integer, got the string {s:?}",
                    self.path
                ))
            }),
            _ => Err(self.wrong("an integer")),
        }
    }

    /// The elements of this array.
    pub fn array(&self) -> Result<Vec<Field<'a>>> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.wrong("an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Field {
                value,
                path: self.path.push(Segment::Index(i)),
            })
            .collect())
    }

    /// The elements of this array of strings.
    pub fn str_array(&self) -> Result<Vec<&'a str>> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.wrong("an array"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, value)| {
                value.as_str().ok_or_else(|| {
                    Field {
                        value,
                        path: self.path.push(Segment::Index(i)),
                    }
                    .wrong("a string")
                })
            })
            .collect()
    }

    fn wrong(&self, expected: &str) -> Error {
        Error::new(format!(
            "field `{}` must be {expected}, got {}",
            self.path,
            type_name(self.value)
        ))
    }
}

fn missing(path: &str) -> Error {
    Error::new(format!("missing field `{path}`"))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_path() {
        let r =
            Record::parse(r#"{"question": {"stem": 3, "choices": [{"label": "A"}]}, "x": null}"#)
                .unwrap();
        let q = r.get("question").unwrap();
        assert_eq!(
            q.get("stem").unwrap().str().unwrap_err().to_string(),
            "field `question.stem` must be a string, got a number"
        );
        let choice = &q.get("choices").unwrap().array().unwrap()[0];
        assert_eq!(
            choice.get("text").unwrap_err().to_string(),
            "missing field `question.choices[0].text`"
        );
        assert_eq!(r.get("x").unwrap_err().to_string(), "missing field `x`");
        assert_eq!(
            r.get("answer").unwrap_err().to_string(),
            "missing field `answer`"
        );
    }

    #[test]
    fn bad_json_and_non_objects_are_rejected() {
        assert!(Record::parse("{")
            .unwrap_err()
            .to_string()
            .starts_with("invalid JSON: "));
        assert_eq!(
            Record::parse("[1]").unwrap_err().to_string(),
            "a record must be a JSON object, got an array"
        );
    }

    #[test]
    fn integers_may_be_numeric_strings() {
        let r = Record::parse(r#"{"a": 2, "b": "3", "c": "x", "d": 1.5}"#).unwrap();
        assert_eq!(r.get("a").unwrap().int_or_numeric_str().unwrap(), 2);
        assert_eq!(r.get("b").unwrap().int_or_numeric_str().unwrap(), 3);
        assert_eq!(
            r.get("c")
                .unwrap()
                .int_or_numeric_str()
                .unwrap_err()
                .to_string(),
            "field `c` must be an integer, got the string \"x\""
        );
        assert_eq!(
            r.get("d")
                .unwrap()
                .int_or_numeric_str()
                .unwrap_err()
                .to_string(),
            "field `d` must be an integer, got 1.5"
        );
    }
}
