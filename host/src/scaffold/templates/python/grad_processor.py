"""`{{name}}`: a gradient processor for clora-host, in Python. After backward, before
gradient clipping and the optimizer step, the host replaces each LoRA gradient by what
process_grads returns.

This starting point clips each gradient matrix G to a maximum Frobenius norm:
G · min(1, max_norm / ‖G‖_F). Replace it with your own rule; the host checks that every
replacement has its gradient's shape and is finite.

Build, test and check: ./check.sh (see README.md).
"""

from clora_plugin import Grads, ParamDecl, grad_processor


class {{type}}:
    NAME = "{{name}}"
    VERSION = "0.1.0"
    DESCRIPTION = "Clips each LoRA gradient matrix to a maximum Frobenius norm."
    PARAMS = [
        ParamDecl.float(
            "max_norm",
            1.0,
            "Largest Frobenius norm a gradient matrix keeps; larger ones are scaled down to it.",
            min=0.0,
        )
    ]

    def __init__(self, params, layers):
        """Called once before training with checked parameters and every LoRA layer."""
        self.max_norm = params["max_norm"]

    def clip(self, g):
        norm = g.norm_fro().item()  # one number to the guest (a device sync on CUDA)
        return g.mul_scalar(self.max_norm / norm if norm > self.max_norm else 1.0)

    def process_grads(self, step, grad_a, grad_b):
        """grad_a[i] (rank × in) and grad_b[i] (out × rank) are layer i's gradients at
        optimizer step `step`, lent for this call."""
        return Grads(a=[self.clip(g) for g in grad_a], b=[self.clip(g) for g in grad_b])


# componentize-py exports the class named `GradProcessor`.
GradProcessor = grad_processor({{type}})
