"""`{{name}}`: a regularizer for clora-host, in Python. At every optimizer step the host
adds λ × compute_penalty(...) to the training loss.

This starting point is the squared Frobenius norm of the LoRA factors,
scale × Σ_i (‖A_i‖²_F + ‖B_i‖²_F), averaged (default) or summed over layers. Replace it
with your own math: each tensor method runs in libtorch on the host's device and stays
on the autograd tape, so gradients reach A and B.

Build, test and check: ./check.sh (see README.md).
"""

from clora_plugin import ParamDecl, regularizer, tensor


class {{type}}:
    NAME = "{{name}}"
    VERSION = "0.1.0"
    DESCRIPTION = "Scaled squared Frobenius norm of the LoRA factors."
    PARAMS = [
        ParamDecl.float("scale", 1.0, "Multiplies the penalty.", min=0.0),
        ParamDecl.choice(
            "reduction", "mean", ["mean", "sum"], "How the per-layer penalties combine: their mean or their sum."
        ),
    ]

    def __init__(self, params, layers):
        """Called once before training with checked parameters and every LoRA layer
        (.name, .in_features, .out_features, .rank, .base_weight (out × in))."""
        self.scale = params["scale"]
        self.mean = params["reduction"] == "mean"

    def compute_penalty(self, step, a, b):
        """a[i] is layer i's LoRA A (rank × in), b[i] its B (out × rank), lent for this
        call. Returns a one-element tensor built from them."""
        terms = [tensor.sq_sum(ai).add(tensor.sq_sum(bi)) for ai, bi in zip(a, b)]
        weight = self.scale / len(terms) if self.mean and terms else self.scale
        return tensor.sum_all(terms).mul_scalar(weight)


# componentize-py exports the class named `Regularizer`.
Regularizer = regularizer({{type}})
