"""Native self-check of plugin.py: converts a few records the way the host does (no
build, no host). Run with the clora-host venv:
    {{python}} test_plugin.py
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, os.environ.get("CLORA_REPO", {{repo_py}}))
sys.path.insert(0, os.path.join(REPO, "plugins", "python"))

from clora_plugin import testing  # noqa: E402

testing.install("preprocessor")  # before importing the plugin

import plugin  # noqa: E402


def main():
    pre = testing.init(plugin.Preprocessor, {"template": "Review: {text}"})
    out = testing.process(
        pre,
        [{"text": "A fine day.", "label": 1}, {"text": "Rain.", "label": "0"}, {"text": "x", "label": 2}, {"label": 1}],
    )
    assert out[0] == [("Review: A fine day.", 1)], out[0]
    assert out[1] == [("Review: Rain.", 0)], out[1]
    assert out[2].startswith("field `label` must be 0 or 1, got 2"), out[2]
    assert out[3].startswith("missing field `text`"), out[3]
    print("ok: records convert as expected")


if __name__ == "__main__":
    main()
