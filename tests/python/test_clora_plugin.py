"""Native tests of the Python plugin SDK (plugins/python/clora_plugin) and its examples,
without building components: parameter schemas, the preprocessor helpers, error
messages, and the examples run on numpy tensors (clora_plugin.testing).

Each world needs its own process (the bindings are one `wit_world` module), so the
script takes the part to run: `pure`, `regularizer` or `preprocessor`.

    .venv/bin/python tests/python/test_clora_plugin.py pure|regularizer|preprocessor

tests/integration/authoring.rs runs all three; the component builds of the examples
are checked there against the Rust built-ins through the host.
"""

import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "plugins", "python"))


def expect_error(call, fragment, kind=Exception):
    try:
        call()
    except kind as exc:
        text = str(getattr(exc, "value", exc))
        assert fragment in text, f"expected {fragment!r} in {text!r}"
        return text
    raise AssertionError(f"expected an error containing {fragment!r}")


def test_pure():
    from clora_plugin import ParamDecl, Params
    from clora_plugin.data import MultipleChoice, RowRng, Template

    decls = [
        ParamDecl.integer("k", 128, "Subspace dimension.", min=1),
        ParamDecl.float("scale", 1.0, "Scale.", min=0.0),
        ParamDecl.choice("reduction", "mean", ["mean", "sum"], "How."),
        ParamDecl.boolean("flag", False, "A flag."),
    ]
    params = Params.resolve(decls, {"scale": 2})
    assert params["k"] == 128 and params["scale"] == 2.0 and isinstance(params["scale"], float)
    assert params["reduction"] == "mean" and params["flag"] is False
    expect_error(lambda: Params.resolve(decls, {"kk": 1}), "unknown parameter 'kk' (declared: k, scale")
    expect_error(lambda: Params.resolve(decls, {"k": 0}), "parameter 'k' = 0: below the minimum 1")
    expect_error(lambda: Params.resolve(decls, {"k": True}), "expected integer, got a boolean")
    expect_error(lambda: Params.resolve(decls, {"reduction": "max"}), "not one of mean, sum")
    expect_error(lambda: params["nope"], "no parameter 'nope' is declared")
    expect_error(lambda: ParamDecl.integer("k", 0, "", min=1), "parameter 'k': default 0: below the minimum 1")
    expect_error(lambda: ParamDecl.choice("c", "x", ["a"], ""), "not one of a")

    # RowRng: a stream depends on (seed, row) only; pick_other never returns `exclude`.
    assert RowRng(42, 7).next_u64() == RowRng(42, 7).next_u64()
    assert RowRng(42, 7).next_u64() != RowRng(42, 8).next_u64()
    assert RowRng(42, 7).next_u64() != RowRng(43, 7).next_u64()
    seen = [0] * 5
    for row in range(2000):
        seen[RowRng(1, row).pick_other(5, 2)] += 1
    assert seen[2] == 0 and all(n > 400 for i, n in enumerate(seen) if i != 2), seen
    assert RowRng(1, 0).pick_other(1, 0) is None
    # SplitMix64 reference: the first output of the stream seeded with state 0 is
    # mix(φ) = 0xE220A8397B1DCDAF (Steele, Lea & Flood 2014; also java.util.SplittableRandom).
    rng = RowRng(0, 0)
    rng.state = 0
    assert rng.next_u64() == 0xE220A8397B1DCDAF

    t = Template("Q: {question} A: {answer} {{x}}", ["question", "answer"])
    assert t.render(question="q", answer="a") == "Q: q A: a {x}"
    expect_error(lambda: Template("{nope}", ["question"]), "unknown placeholder {nope} (known: {question})")
    expect_error(lambda: Template("oops }", ["question"]), "template 'oops }'")

    original = {
        "answerKey": "B",
        "question": {"stem": "Q?", "choices": [{"label": "A", "text": "x"}, {"label": "B", "text": "y"}]},
    }
    hub = {"question": "Q?", "choices": {"label": ["A", "B"], "text": ["x", "y"]}, "answerKey": "B"}
    for record in (original, hub):
        mc = MultipleChoice.from_record(record)
        assert (mc.question, mc.choices, mc.answer) == ("Q?", [("A", "x"), ("B", "y")], 1)
    expect_error(lambda: MultipleChoice.from_record({"question": {"stem": "Q"}}), "missing field `question.choices`")
    bad_key = dict(hub, answerKey="E")
    expect_error(lambda: MultipleChoice.from_record(bad_key), "answerKey 'E' is not one of the choice labels A, B")


def test_regularizer():
    import numpy as np

    from clora_plugin import testing

    testing.install("regularizer")
    sys.path.insert(0, os.path.join(ROOT, "plugins", "python", "examples", "l2"))
    import plugin

    rng = np.random.default_rng(0)
    a = [rng.normal(size=(4, 16)).astype(np.float32) for _ in range(3)]
    b = [rng.normal(size=(24, 4)).astype(np.float32) for _ in range(3)]
    layers = [testing.layer(f"h.{i}.attn.c_attn", 16, 24, rank=4) for i in range(3)]
    per_layer = [float(np.sum(x.astype(np.float64) ** 2) + np.sum(y.astype(np.float64) ** 2)) for x, y in zip(a, b)]
    for reduction, want in (("mean", np.mean(per_layer)), ("sum", np.sum(per_layer))):
        reg = testing.init(plugin.Regularizer, {"reduction": reduction}, layers)
        got = reg.compute_penalty(0, [testing.tensor(x) for x in a], [testing.tensor(y) for y in b])
        assert abs(testing.array(got) - want) <= 1e-5 * want, (reduction, testing.array(got), want)

    info = plugin.Regularizer().describe()
    assert (info.name, info.contract, [p.name for p in info.params]) == ("py-l2", "0.1.0", ["reduction"])
    reg = testing.init(plugin.Regularizer, {}, layers)
    expect_error(
        lambda: reg.compute_penalty(0, [testing.tensor(x) for x in a[:2]], [testing.tensor(y) for y in b]),
        "expected one A and one B tensor per layer (3 layers), got 2 A and 3 B",
    )
    # A failing host operation names the plugin's line; other exceptions their type.
    from clora_plugin import regularizer, tensor

    class Broken:
        NAME, DESCRIPTION = "broken", "fails"

        def __init__(self, params, layers):
            pass

        def compute_penalty(self, step, a, b):
            if step == 0:
                return a[0].matmul(a[0])
            return 1 / 0

    broken = testing.init(regularizer(Broken), {}, layers[:1])
    one = [testing.tensor(a[0])]
    text = expect_error(lambda: broken.compute_penalty(0, one, one), "(at test_clora_plugin.py:")
    assert "in compute_penalty" in text, text
    expect_error(lambda: broken.compute_penalty(1, one, one), "ZeroDivisionError: division by zero (at")
    assert tensor.matrix_dims(one[0]) == (4, 16)


def test_preprocessor():
    from clora_plugin import testing

    testing.install("preprocessor")
    sys.path.insert(0, os.path.join(ROOT, "plugins", "python", "examples", "commonsense_qa"))
    import plugin

    pre = testing.init(plugin.Preprocessor, {"seed": 3})
    hub = {"question": "Where?", "choices": {"label": ["A", "B", "C"], "text": ["x", "y", "z"]}, "answerKey": "C"}
    out = testing.process(pre, [hub, {"question": "Q"}, "not json", [1]], first_row=10)
    assert out[0][0] == ("Question: Where? Answer: z", 1), out
    assert out[0][1][1] == 0 and out[0][1][0] in ("Question: Where? Answer: x", "Question: Where? Answer: y")
    assert out[1].startswith("missing field `choices`"), out[1]
    assert out[2].startswith("invalid JSON: "), out[2]
    assert out[3] == "a record must be a JSON object, got list", out[3]
    # Rows are independent of batching: row 10 alone gives the same examples.
    assert testing.process(pre, [hub], first_row=10)[0] == out[0]
    expect_error(lambda: testing.init(plugin.Preprocessor, {"template": "{q}"}), "unknown placeholder {q}")


if __name__ == "__main__":
    parts = {"pure": test_pure, "regularizer": test_regularizer, "preprocessor": test_preprocessor}
    if len(sys.argv) != 2 or sys.argv[1] not in parts:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(parts)}")
    parts[sys.argv[1]]()
    print(f"ok: {sys.argv[1]}")
