//! [`MultipleChoice`]: a question with labelled choices and an answer key, read from
//! either layout the CommonsenseQA and ARC datasets ship in:
//!
//! - original JSONL: `{"question": {"stem": "...", "choices": [{"label","text"}, ...]},
//!   "answerKey": "B"}`;
//! - Hugging Face Hub parquet (as JSON): `{"question": "...", "choices": {"label": [...],
//!   "text": [...]}, "answerKey": "B"}`.
//!
//! Labels are matched exactly (`A`.., or `1`.. in some ARC rows).

use crate::bindings::regularizer_world::clora::plugin::types::Example;
use crate::data::json::{Field, Record};
use crate::data::rng::RowRng;
use crate::data::template::Template;
use crate::error::{Error, Result};

/// One answer option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<'a> {
    /// Its label, e.g. `C` or `3`.
    pub label: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// A labelled multiple-choice question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipleChoice<'a> {
    /// The question text.
    pub question: &'a str,
    /// The options in file order.
    pub choices: Vec<Choice<'a>>,
    /// The index of the correct option in `choices`.
    pub answer: usize,
}

impl<'a> MultipleChoice<'a> {
    /// Reads a question in either layout (see the module docs).
    pub fn from_record(record: &'a Record) -> Result<Self> {
        let question_field = record.get("question")?;
        let (question, choices_field) = if question_field.is_object() {
            (
                question_field.get("stem")?.str()?,
                question_field.get("choices")?,
            )
        } else {
            (question_field.str()?, record.get("choices")?)
        };
        let choices = parse_choices(&choices_field)?;
        if choices.len() < 2 {
            return Err(Error::new(format!(
                "field `{}` needs at least 2 choices, got {}",
                choices_field.path(),
                choices.len()
            )));
        }
        let key = record.get("answerKey")?.str()?;
        if key.trim().is_empty() {
            return Err(Error::new(
                "field `answerKey` is empty (an unlabelled split?)",
            ));
        }
        let answer = choices
            .iter()
            .position(|c| c.label == key.trim())
            .ok_or_else(|| {
                let labels: Vec<&str> = choices.iter().map(|c| c.label).collect();
                Error::new(format!(
                    "answerKey {key:?} is not one of the choice labels {}",
                    labels.join(", ")
                ))
            })?;
        Ok(MultipleChoice {
            question,
            choices,
            answer,
        })
    }

    /// The correct option.
    pub fn correct(&self) -> &Choice<'a> {
        &self.choices[self.answer]
    }

    /// The experiment's binary conversion: the question with the correct option →
    /// label 1, then the question with one other option drawn uniformly by `rng` →
    /// label 0. `template` takes the values (question, option text) in that order.
    pub fn binary_examples(&self, template: &Template, rng: &mut RowRng) -> Vec<Example> {
        let mut examples = vec![Example::new(
            template.render(&[self.question, self.correct().text]),
            1,
        )];
        if let Some(wrong) = rng.pick_other(self.choices.len(), self.answer) {
            examples.push(Example::new(
                template.render(&[self.question, self.choices[wrong].text]),
                0,
            ));
        }
        examples
    }
}

/// Choices as a list of `{label, text}` objects or as `{label: [...], text: [...]}`.
fn parse_choices<'a>(field: &Field<'a>) -> Result<Vec<Choice<'a>>> {
    if field.is_object() {
        let labels_field = field.get("label")?;
        let texts_field = field.get("text")?;
        let labels = labels_field.str_array()?;
        let texts = texts_field.str_array()?;
        if labels.len() != texts.len() {
            return Err(Error::new(format!(
                "field `{}` has {} entries but `{}` has {}",
                labels_field.path(),
                labels.len(),
                texts_field.path(),
                texts.len()
            )));
        }
        Ok(labels
            .into_iter()
            .zip(texts)
            .map(|(label, text)| Choice { label, text })
            .collect())
    } else {
        field
            .array()?
            .iter()
            .map(|c| {
                Ok(Choice {
                    label: c.get("label")?.str()?,
                    text: c.get("text")?.str()?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (question, [(label, text)], answer index).
    type Parsed = (String, Vec<(String, String)>, usize);

    fn mc(json: &str) -> Result<Parsed> {
        let record = Record::parse(json)?;
        let q = MultipleChoice::from_record(&record)?;
        let choices = q
            .choices
            .iter()
            .map(|c| (c.label.to_string(), c.text.to_string()))
            .collect();
        Ok((q.question.to_string(), choices, q.answer))
    }

    #[test]
    fn both_layouts_give_the_same_question() {
        let original = r#"{"answerKey":"B","question":{"stem":"Q?","choices":[{"label":"A","text":"x"},{"label":"B","text":"y"}]}}"#;
        let hub =
            r#"{"question":"Q?","choices":{"label":["A","B"],"text":["x","y"]},"answerKey":"B"}"#;
        assert_eq!(mc(original).unwrap(), mc(hub).unwrap());
        assert_eq!(mc(hub).unwrap().2, 1);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |json| mc(json).unwrap_err().to_string();
        assert_eq!(
            err(r#"{"question":"Q","choices":{"label":["A","B"],"text":["x"]},"answerKey":"A"}"#),
            "field `choices.label` has 2 entries but `choices.text` has 1"
        );
        assert_eq!(
            err(
                r#"{"question":"Q","choices":{"label":["A","B"],"text":["x","y"]},"answerKey":"E"}"#
            ),
            "answerKey \"E\" is not one of the choice labels A, B"
        );
        assert_eq!(
            err(
                r#"{"question":"Q","choices":{"label":["A","B"],"text":["x","y"]},"answerKey":""}"#
            ),
            "field `answerKey` is empty (an unlabelled split?)"
        );
        assert_eq!(
            err(r#"{"question":{"stem":"Q","choices":[{"label":"A"}]},"answerKey":"A"}"#),
            "missing field `question.choices[0].text`"
        );
    }
}
