//! `boolq`: BoolQ (Clark et al. 2019): passage + yes/no question → answer (1 = true,
//! 0 = false), one example per row. Deterministic, so it has no seed.
//!
//! Reads the original JSONL (`{question, title, answer, passage}`) and the Hub's
//! `google/boolq` parquet rows (`{question, answer, passage}`).
//!
//! Parameters: `template` ("Passage: {passage} Question: {question}?").

use clora_plugin_sdk::prelude::*;

struct BoolQ {
    template: Template,
}

impl Preprocessor for BoolQ {
    const NAME: &'static str = "boolq";
    const DESCRIPTION: &'static str = "BoolQ → (passage + question, answer as 1/0).";
    const PARAMS: &'static [ParamDecl] = &[ParamDecl::text(
        "template",
        "Passage: {passage} Question: {question}?",
        "Example text; placeholders {passage} and {question} (BoolQ questions have no \
         question mark; {{ and }} are literal braces).",
    )];

    fn init(params: &Params) -> Result<Self> {
        Ok(BoolQ {
            template: Template::parse(params.text("template")?, &["passage", "question"])?,
        })
    }

    fn convert(&self, _row: u64, record: &Record) -> Result<Vec<Example>> {
        let question = record.get("question")?.str()?;
        let passage = record.get("passage")?.str()?;
        let answer = record.get("answer")?.bool()?;
        Ok(vec![Example::new(
            self.template.render(&[passage, question]),
            u32::from(answer),
        )])
    }
}

register_preprocessor!(BoolQ);
