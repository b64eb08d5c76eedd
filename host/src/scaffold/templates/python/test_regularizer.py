"""Native self-check of plugin.py: runs it on numpy stand-ins for the host's tensors
(no build, no host) and compares the penalty with numpy. Run with the clora-host venv:
    {{python}} test_plugin.py
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, os.environ.get("CLORA_REPO", {{repo_py}}))
sys.path.insert(0, os.path.join(REPO, "plugins", "python"))

from clora_plugin import testing  # noqa: E402

testing.install("regularizer")  # before importing the plugin

import numpy as np  # noqa: E402

import plugin  # noqa: E402


def main():
    rng = np.random.default_rng(0)
    layers = [testing.layer(f"transformer.h.{i}.attn.c_attn", 32, 96, rank=4) for i in range(3)]
    a = [rng.normal(size=(4, 32)).astype(np.float32) for _ in layers]
    b = [rng.normal(size=(96, 4)).astype(np.float32) for _ in layers]
    per_layer = [np.sum(x.astype(np.float64) ** 2) + np.sum(y.astype(np.float64) ** 2) for x, y in zip(a, b)]

    reg = testing.init(plugin.Regularizer, {"scale": 2.0, "reduction": "mean"}, layers)
    penalty = reg.compute_penalty(0, [testing.tensor(x) for x in a], [testing.tensor(y) for y in b])
    got, want = float(testing.array(penalty)), 2.0 * np.mean(per_layer)
    assert abs(got - want) <= 1e-5 * want, f"penalty {got}, expected {want}"
    print(f"ok: penalty {got:.6g} matches numpy ({want:.6g})")


if __name__ == "__main__":
    main()
