"""`{{name}}`: a dataset preprocessor for clora-host, in Python: raw records (one JSON
object per JSONL line or parquet row) in, (text, label) classification examples out.

This starting point reads rows like {"text": "...", "label": 1} (the field names are
parameters) and renders `template`. A row that raises is rejected with the message, and
the host skips or stops as `data.bad_rows` says.

Build, test and check: ./check.sh (see README.md).
"""

from clora_plugin import Example, ParamDecl, PluginError, preprocessor
from clora_plugin.data import Template


class {{type}}:
    NAME = "{{name}}"
    VERSION = "0.1.0"
    DESCRIPTION = "Rows with a text and a 0/1 label → (text, label) examples."
    PARAMS = [
        ParamDecl.text("text_field", "text", "The field holding the text."),
        ParamDecl.text("label_field", "label", "The field holding the label (0 or 1)."),
        ParamDecl.text("template", "{text}", "Example text; placeholder {text} ({{ and }} are literal braces)."),
    ]

    def __init__(self, params):
        """Called once with checked parameters."""
        self.text_field = params["text_field"]
        self.label_field = params["label_field"]
        self.template = Template(params["template"], ["text"])

    def convert(self, row, record):
        """`record` is the row as a dict; `row` its 0-based index in the split (seed any
        randomness from it, clora_plugin.data.RowRng(seed, row), so the output does not
        depend on batching)."""
        if self.text_field not in record:
            raise PluginError(f"missing field `{self.text_field}`")
        text = record[self.text_field]
        label = int(record.get(self.label_field, -1))
        if label not in (0, 1):
            raise PluginError(f"field `{self.label_field}` must be 0 or 1, got {record.get(self.label_field)!r}")
        return [Example(self.template.render(text=text), label)]


# componentize-py exports the class named `Preprocessor`.
Preprocessor = preprocessor({{type}})
