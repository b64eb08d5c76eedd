//! `{{name}}`: a dataset preprocessor for clora-host: raw records (one JSON object per
//! JSONL line or parquet row) in, `(text, label)` classification examples out.
//!
//! This starting point reads rows like `{"text": "...", "label": 1}` (the field names are
//! parameters) and renders `template`. A row that fails (missing field, bad label) is
//! rejected with the message, and the host skips or stops as `data.bad_rows` says.
//!
//! Build, test and check: `./check.sh` (see README.md).

use clora_plugin_sdk::prelude::*;

struct {{type}} {
    text_field: String,
    label_field: String,
    template: Template,
}

impl Preprocessor for {{type}} {
    const NAME: &'static str = "{{name}}";
    const DESCRIPTION: &'static str = "Rows with a text and a 0/1 label → (text, label) examples.";
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl::text("text_field", "text", "The field holding the text."),
        ParamDecl::text("label_field", "label", "The field holding the label (0 or 1)."),
        ParamDecl::text(
            "template",
            "{text}",
            "Example text; placeholder {text} ({{ and }} are literal braces).",
        ),
    ];

    /// Called once with checked parameters.
    fn init(params: &Params) -> Result<Self> {
        Ok({{type}} {
            text_field: params.text("text_field")?.to_string(),
            label_field: params.text("label_field")?.to_string(),
            template: Template::parse(params.text("template")?, &["text"])?,
        })
    }

    /// `row` is the record's 0-based index in its split: seed any randomness from it
    /// (`RowRng::new(seed, row)`) so the output does not depend on batching.
    fn convert(&self, _row: u64, record: &Record) -> Result<Vec<Example>> {
        let text = record.get(&self.text_field)?.str()?;
        let label = record.get(&self.label_field)?.int_or_numeric_str()?;
        if !(0..=1).contains(&label) {
            bail!("field `{}` must be 0 or 1, got {label}", self.label_field);
        }
        Ok(vec![Example::new(self.template.render(&[text]), label as u32)])
    }
}

register_preprocessor!({{type}});

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(json: &str) -> Result<Vec<(String, u32)>> {
        let plugin = {{type}}::init(&Params::resolve({{type}}::PARAMS, Vec::new())?)?;
        let examples = plugin.convert(0, &Record::parse(json)?)?;
        Ok(examples.into_iter().map(|e| (e.text, e.label)).collect())
    }

    #[test]
    fn a_text_and_label_row_becomes_one_example() {
        let examples = convert(r#"{"text": "A fine day.", "label": 1}"#).unwrap();
        assert_eq!(examples, [("A fine day.".to_string(), 1)]);
        let examples = convert(r#"{"text": "Rain.", "label": "0"}"#).unwrap();
        assert_eq!(examples, [("Rain.".to_string(), 0)]);
    }

    #[test]
    fn bad_rows_are_rejected_with_the_reason() {
        let err = convert(r#"{"text": "x", "label": 2}"#).unwrap_err();
        assert_eq!(err.to_string(), "field `label` must be 0 or 1, got 2");
        let err = convert(r#"{"label": 1}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `text`"), "{err}");
    }
}
