//! `hellaswag`: HellaSwag (Zellers et al. 2019) as binary classification: the context
//! with its gold ending → 1, and with one other ending drawn with a seed from
//! (seed, row) → 0.
//!
//! Reads the original JSONL (`label` an integer) and the Hub's `Rowan/hellaswag` parquet
//! rows (the same keys, `label` a string such as `"2"`). The context is the `ctx` field
//! (`ctx_a` + " " + `ctx_b`).
//!
//! Parameters: `template` ("Context: {context} Ending: {ending}"), `seed` (42).

use clora_plugin_sdk::data::Choice;
use clora_plugin_sdk::prelude::*;

struct HellaSwag {
    template: Template,
    seed: u64,
}

impl Preprocessor for HellaSwag {
    const NAME: &'static str = "hellaswag";
    const DESCRIPTION: &'static str =
        "HellaSwag → (context + gold ending, 1), (context + random wrong ending, 0).";
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl::text(
            "template",
            "Context: {context} Ending: {ending}",
            "Example text; placeholders {context} and {ending} ({{ and }} are literal braces).",
        ),
        ParamDecl::int("seed", 42, "Seeds the choice of the wrong ending, per row.").min(0.0),
    ];

    fn init(params: &Params) -> Result<Self> {
        Ok(HellaSwag {
            template: Template::parse(params.text("template")?, &["context", "ending"])?,
            seed: params.uint("seed")?,
        })
    }

    fn convert(&self, row: u64, record: &Record) -> Result<Vec<Example>> {
        let context = record.get("ctx")?.str()?;
        let endings = record.get("endings")?.str_array()?;
        if endings.len() < 2 {
            bail!(
                "field `endings` needs at least 2 endings, got {}",
                endings.len()
            );
        }
        let label = record.get("label")?.int_or_numeric_str()?;
        let gold = usize::try_from(label)
            .ok()
            .filter(|i| *i < endings.len())
            .ok_or_else(|| {
                Error::new(format!(
                    "field `label` = {label} is out of range for {} endings (0..={})",
                    endings.len(),
                    endings.len() - 1
                ))
            })?;
        let question = MultipleChoice {
            question: context,
            choices: endings
                .into_iter()
                .map(|text| Choice { label: "", text })
                .collect(),
            answer: gold,
        };
        Ok(question.binary_examples(&self.template, &mut RowRng::new(self.seed, row)))
    }
}

register_preprocessor!(HellaSwag);
