"""Helpers for preprocessors, the same as the Rust SDK's so that a Python preprocessor
can reproduce a Rust one exactly:

- :class:`RowRng`: randomness seeded by ``(seed, row)``, independent of batch boundaries
  (SplitMix64, bit-for-bit the Rust SDK's ``RowRng``);
- :class:`Template`: ``{placeholder}`` texts checked once at ``init``;
- :class:`MultipleChoice`: CommonsenseQA/ARC-style questions in the original JSONL and
  the Hub parquet layout, and the experiment's binary conversion.
"""

import string

from .errors import PluginError

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class RowRng:
    """A per-row random stream: SplitMix64 started from ``mix(seed) ^ mix(row + φ)``."""

    def __init__(self, seed, row):
        self.state = _mix(seed & _MASK) ^ _mix((row + _GOLDEN) & _MASK)

    def next_u64(self):
        """The next 64 random bits."""
        self.state = (self.state + _GOLDEN) & _MASK
        return _mix(self.state)

    def below(self, n):
        """A uniform integer in ``range(n)`` (Lemire's multiply-shift)."""
        return (self.next_u64() * n) >> 64

    def pick_other(self, n, exclude):
        """A uniform index in ``range(n)`` other than ``exclude``, or None."""
        others = n - 1 if exclude < n else n
        if others <= 0:
            return None
        i = self.below(others)
        return i + 1 if exclude < n and i >= exclude else i


class Template:
    """Text with ``{name}`` placeholders (``{{``/``}}`` are literal braces), checked
    against the names the plugin supplies."""

    def __init__(self, text, names):
        self.text = text
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise PluginError(f"template {text!r}: {exc}") from None
        for _, name, spec, conversion in fields:
            if name is None:
                continue
            if name not in names or spec or conversion:
                known = ", ".join("{" + n + "}" for n in names)
                raise PluginError(f"template {text!r}: unknown placeholder {{{name}}} (known: {known})")

    def render(self, **values):
        return self.text.format_map(values)


def _field(record, path):
    value = record
    walked = []
    for key in path:
        walked.append(key)
        if not isinstance(value, dict) or value.get(key) is None:
            raise PluginError(f"missing field `{'.'.join(walked)}`")
        value = value[key]
    return value


def _text(value, path):
    if not isinstance(value, str):
        raise PluginError(f"field `{path}` must be a string, got {type(value).__name__}")
    return value


class MultipleChoice:
    """A question with labelled choices and the index of the correct one."""

    def __init__(self, question, choices, answer):
        self.question, self.choices, self.answer = question, choices, answer

    @staticmethod
    def from_record(record):
        """Reads ``{"question": {"stem", "choices": [{"label","text"}]}, "answerKey"}``
        (original JSONL) or ``{"question": "...", "choices": {"label": [], "text": []},
        "answerKey"}`` (Hub parquet)."""
        question = _field(record, ["question"])
        if isinstance(question, dict):
            stem = _text(_field(record, ["question", "stem"]), "question.stem")
            raw, path = _field(record, ["question", "choices"]), "question.choices"
        else:
            stem = _text(question, "question")
            raw, path = _field(record, ["choices"]), "choices"
        if isinstance(raw, dict):
            labels, texts = _field(raw, ["label"]), _field(raw, ["text"])
            if not isinstance(labels, list) or not isinstance(texts, list):
                raise PluginError(f"field `{path}` must hold `label` and `text` arrays")
            if len(labels) != len(texts):
                raise PluginError(
                    f"field `{path}.label` has {len(labels)} entries but `{path}.text` has {len(texts)}"
                )
            choices = [
                (_text(l, f"{path}.label[{i}]"), _text(t, f"{path}.text[{i}]"))
                for i, (l, t) in enumerate(zip(labels, texts))
            ]
        elif isinstance(raw, list):
            choices = [
                (
                    _text(_field(c, ["label"]), f"{path}[{i}].label"),
                    _text(_field(c, ["text"]), f"{path}[{i}].text"),
                )
                for i, c in enumerate(raw)
            ]
        else:
            raise PluginError(f"field `{path}` must be an array or an object")
        if len(choices) < 2:
            raise PluginError(f"field `{path}` needs at least 2 choices, got {len(choices)}")
        key = _text(_field(record, ["answerKey"]), "answerKey").strip()
        if not key:
            raise PluginError("field `answerKey` is empty (an unlabelled split?)")
        labels = [label for label, _ in choices]
        if key not in labels:
            raise PluginError(f"answerKey {key!r} is not one of the choice labels {', '.join(labels)}")
        return MultipleChoice(stem, choices, labels.index(key))

    def binary_examples(self, template, rng):
        """``(question + correct answer, 1)``, then ``(question + one other answer drawn
        by rng, 0)``; ``template`` has the placeholders ``question`` and ``answer``."""
        correct = self.choices[self.answer][1]
        examples = [(template.render(question=self.question, answer=correct), 1)]
        wrong = rng.pick_other(len(self.choices), self.answer)
        if wrong is not None:
            wrong_text = self.choices[wrong][1]
            examples.append((template.render(question=self.question, answer=wrong_text), 0))
        return examples
