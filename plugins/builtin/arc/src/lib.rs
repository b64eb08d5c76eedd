//! `arc`: the AI2 Reasoning Challenge (Clark et al. 2018) as binary classification. Each
//! question gives "question + correct answer" → 1 and "question + one wrong answer,
//! drawn with a seed from (seed, row)" → 0. Questions have 3–5 options labelled `A`..
//! or `1`..; the answer key is matched exactly.
//!
//! Reads the original JSONL (`question: {stem, choices: [{text, label}]}`) and the Hub's
//! `allenai/ai2_arc` parquet rows (`question: "..."`, `choices: {text: [], label: []}`).
//!
//! Parameters: `template` ("Question: {question} Answer: {answer}"), `seed` (42).

use clora_plugin_sdk::prelude::*;

struct Arc {
    template: Template,
    seed: u64,
}

impl Preprocessor for Arc {
    const NAME: &'static str = "arc";
    const DESCRIPTION: &'static str =
        "ARC → (question + correct answer, 1), (question + random wrong answer, 0).";
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl::text(
            "template",
            "Question: {question} Answer: {answer}",
            "Example text; placeholders {question} and {answer} ({{ and }} are literal braces).",
        ),
        ParamDecl::int("seed", 42, "Seeds the choice of the wrong answer, per row.").min(0.0),
    ];

    fn init(params: &Params) -> Result<Self> {
        Ok(Arc {
            template: Template::parse(params.text("template")?, &["question", "answer"])?,
            seed: params.uint("seed")?,
        })
    }

    fn convert(&self, row: u64, record: &Record) -> Result<Vec<Example>> {
        let question = MultipleChoice::from_record(record)?;
        Ok(question.binary_examples(&self.template, &mut RowRng::new(self.seed, row)))
    }
}

register_preprocessor!(Arc);
