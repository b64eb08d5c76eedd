"""`py-commonsense-qa`: the CommonsenseQA preprocessor written in Python, the twin of
plugins/builtin/commonsense-qa (same parameters, same examples for the same seed):
"question + correct answer" → 1 and "question + one wrong answer drawn from (seed, row)"
→ 0, from the original JSONL or the Hub parquet layout.

Build (from the repository root):
    .venv/bin/componentize-py -d wit -w preprocessor-plugin componentize --stub-wasi \
        -p plugins/python/examples/commonsense_qa -p plugins/python plugin -o py-commonsense-qa.wasm
"""

from clora_plugin import ParamDecl, preprocessor
from clora_plugin.data import MultipleChoice, RowRng, Template


class CommonsenseQa:
    NAME = "py-commonsense-qa"
    DESCRIPTION = "CommonsenseQA → (question + correct answer, 1), (question + random wrong answer, 0)."
    PARAMS = [
        ParamDecl.text(
            "template",
            "Question: {question} Answer: {answer}",
            "Example text; placeholders {question} and {answer} ({{ and }} are literal braces).",
        ),
        ParamDecl.integer("seed", 42, "Seeds the choice of the wrong answer, per row.", min=0),
    ]

    def __init__(self, params):
        self.template = Template(params["template"], ["question", "answer"])
        self.seed = params["seed"]

    def convert(self, row, record):
        question = MultipleChoice.from_record(record)
        return question.binary_examples(self.template, RowRng(self.seed, row))


Preprocessor = preprocessor(CommonsenseQa)
