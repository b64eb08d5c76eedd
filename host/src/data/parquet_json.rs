//! Parquet rows as JSON object text: column names become keys, struct columns objects,
//! list columns arrays, map columns objects (keys as text). Binary values become text
//! when they are UTF-8, else arrays of byte values; dates, times and decimals use the
//! parquet crate's display form.
use parquet::record::{Field, Row};
use serde_json::{Map, Number, Value};

/// One row as a JSON object string.
pub fn row_to_json(row: &Row) -> String {
    row_to_value(row).to_string()
}

fn row_to_value(row: &Row) -> Value {
    let mut object = Map::with_capacity(row.len());
    for (name, field) in row.get_column_iter() {
        object.insert(name.clone(), field_to_value(field));
    }
    Value::Object(object)
}

fn float(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

fn field_to_value(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(n) => Value::from(*n),
        Field::Short(n) => Value::from(*n),
        Field::Int(n) => Value::from(*n),
        Field::Long(n) => Value::from(*n),
        Field::UByte(n) => Value::from(*n),
        Field::UShort(n) => Value::from(*n),
        Field::UInt(n) => Value::from(*n),
        Field::ULong(n) => Value::from(*n),
        Field::Float16(n) => float(f64::from(*n)),
        Field::Float(n) => float(f64::from(*n)),
        Field::Double(n) => float(*n),
        Field::Str(s) => Value::String(s.clone()),
        Field::Bytes(bytes) => match std::str::from_utf8(bytes.data()) {
            Ok(text) => Value::String(text.to_string()),
            Err(_) => Value::Array(bytes.data().iter().map(|b| Value::from(*b)).collect()),
        },
        Field::Group(row) => row_to_value(row),
        Field::ListInternal(list) => {
            Value::Array(list.elements().iter().map(field_to_value).collect())
        }
        Field::MapInternal(map) => Value::Object(
            map.entries()
                .iter()
                .map(|(key, value)| {
                    let key = match field_to_value(key) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, field_to_value(value))
                })
                .collect(),
        ),
        Field::Decimal(_)
        | Field::Date(_)
        | Field::TimeMillis(_)
        | Field::TimeMicros(_)
        | Field::TimestampMillis(_)
        | Field::TimestampMicros(_) => Value::String(field.to_string().trim_matches('"').into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lists and maps are covered by the integration tests (pyarrow-written files): the
    // parquet crate has no public constructor for them.
    #[test]
    fn rows_and_groups_become_json_objects() {
        let inner = Row::new(vec![("text".into(), Field::Str("bank".into()))]);
        let row = Row::new(vec![
            ("id".into(), Field::Str("q1".into())),
            ("answer".into(), Field::Bool(true)),
            ("ind".into(), Field::Long(7)),
            ("score".into(), Field::Double(0.5)),
            ("nan".into(), Field::Double(f64::NAN)),
            ("missing".into(), Field::Null),
            ("choice".into(), Field::Group(inner)),
        ]);
        let json: Value = serde_json::from_str(&row_to_json(&row)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "q1", "answer": true, "ind": 7, "score": 0.5, "nan": null,
                "missing": null, "choice": {"text": "bank"}
            })
        );
    }
}
