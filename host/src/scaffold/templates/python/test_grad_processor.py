"""Native self-check of plugin.py: runs it on numpy stand-ins for the host's tensors
(no build, no host) and compares the new gradients with numpy. Run with the clora-host
venv:
    {{python}} test_plugin.py
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, os.environ.get("CLORA_REPO", {{repo_py}}))
sys.path.insert(0, os.path.join(REPO, "plugins", "python"))

from clora_plugin import testing  # noqa: E402

testing.install("grad-processor")  # before importing the plugin

import numpy as np  # noqa: E402

import plugin  # noqa: E402


def main():
    rng = np.random.default_rng(0)
    layers = [testing.layer(f"transformer.h.{i}.attn.c_attn", 32, 96, rank=4) for i in range(2)]
    grad_a = [rng.normal(size=(4, 32)).astype(np.float32) * s for s in (0.01, 10.0)]
    grad_b = [rng.normal(size=(96, 4)).astype(np.float32) * s for s in (10.0, 0.01)]

    proc = testing.init(plugin.GradProcessor, {"max_norm": 1.0}, layers)
    out = proc.process_grads(0, [testing.tensor(g) for g in grad_a], [testing.tensor(g) for g in grad_b])
    for got, g in zip(out.a + out.b, grad_a + grad_b):
        norm = np.linalg.norm(g)
        want = g * min(1.0, 1.0 / norm)
        assert np.allclose(testing.array(got), want, rtol=1e-5, atol=1e-7), "clipped gradient differs"
        assert testing.array(got).shape == g.shape
    print("ok: clipped gradients match numpy")


if __name__ == "__main__":
    main()
