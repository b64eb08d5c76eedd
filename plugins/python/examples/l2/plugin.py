"""`py-l2`: the LoRA-L2 baseline written in Python, the twin of plugins/builtin/l2:
per layer ‖A‖²_F + ‖B‖²_F, then the mean (default) or sum over layers.

Build (from the repository root):
    .venv/bin/componentize-py -d wit -w regularizer-plugin componentize --stub-wasi \
        -p plugins/python/examples/l2 -p plugins/python plugin -o py-l2.wasm
"""

from clora_plugin import ParamDecl, regularizer, tensor


class L2:
    NAME = "py-l2"
    DESCRIPTION = "LoRA-L2 baseline in Python: ‖A‖²_F + ‖B‖²_F per layer, mean or sum over layers."
    PARAMS = [
        ParamDecl.choice(
            "reduction", "mean", ["mean", "sum"], "How the per-layer penalties combine: their mean or their sum."
        )
    ]

    def __init__(self, params, layers):
        self.mean = params["reduction"] == "mean"

    def compute_penalty(self, step, a, b):
        terms = [tensor.sq_sum(ai).add(tensor.sq_sum(bi)) for ai, bi in zip(a, b)]
        total = tensor.sum_all(terms)
        if self.mean and terms:
            return total.mul_scalar(1.0 / len(terms))
        return total


Regularizer = regularizer(L2)
