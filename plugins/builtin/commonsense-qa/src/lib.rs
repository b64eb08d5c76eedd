//! `commonsense-qa`: CommonsenseQA (Talmor et al. 2019) as binary classification. Each
//! question gives "question + correct answer" → 1 and "question + one wrong answer,
//! drawn with a seed from (seed, row)" → 0.
//!
//! Reads the original JSONL (`question: {stem, choices: [{label, text}]}`) and the Hub's
//! `tau/commonsense_qa` parquet rows (`question: "..."`, `choices: {label: [], text: []}`).
//!
//! Parameters: `template` ("Question: {question} Answer: {answer}"), `seed` (42).

use clora_plugin_sdk::prelude::*;

struct CommonsenseQa {
    template: Template,
    seed: u64,
}

impl Preprocessor for CommonsenseQa {
    const NAME: &'static str = "commonsense-qa";
    const DESCRIPTION: &'static str =
        "CommonsenseQA → (question + correct answer, 1), (question + random wrong answer, 0).";
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl::text(
            "template",
            "Question: {question} Answer: {answer}",
            "Example text; placeholders {question} and {answer} ({{ and }} are literal braces).",
        ),
        ParamDecl::int("seed", 42, "Seeds the choice of the wrong answer, per row.").min(0.0),
    ];

    fn init(params: &Params) -> Result<Self> {
        Ok(CommonsenseQa {
            template: Template::parse(params.text("template")?, &["question", "answer"])?,
            seed: params.uint("seed")?,
        })
    }

    fn convert(&self, row: u64, record: &Record) -> Result<Vec<Example>> {
        let question = MultipleChoice::from_record(record)?;
        Ok(question.binary_examples(&self.template, &mut RowRng::new(self.seed, row)))
    }
}

register_preprocessor!(CommonsenseQa);
