"""clora_plugin: write clora-host plugins in Python.

A plugin is a class with ``NAME``, ``DESCRIPTION`` and ``PARAMS`` plus one method per
call of its kind, exported under the name componentize-py looks for::

    from clora_plugin import ParamDecl, regularizer, tensor

    class Frobenius:
        NAME = "frobenius"
        DESCRIPTION = "Squared Frobenius norm of every LoRA factor."
        PARAMS = [ParamDecl.float("scale", 1.0, "Multiplies the penalty.", min=0.0)]

        def __init__(self, params, layers):
            self.scale = params["scale"]

        def compute_penalty(self, step, a, b):
            return tensor.sum_all([tensor.sq_sum(t) for t in a + b]).mul_scalar(self.scale)

    Regularizer = regularizer(Frobenius)

Build it into a component with componentize-py against ``wit/plugin.wit`` (world
``regularizer-plugin``, ``grad-processor-plugin`` or ``preprocessor-plugin``) and
``--stub-wasi``; ``clora-host plugins new --lang python`` writes a project that does
exactly that. See plugins/README.md ("Python plugins").

Modules: ``params`` (schemas), ``exports`` (the three export adapters), ``tensor``
(host-tensor helpers; tensor plugins only), ``data`` (preprocessor helpers: RowRng,
Template, MultipleChoice), ``log`` (the run's log), ``errors`` (how failures become
the messages users see), ``sandbox`` (stdio to the log, clear errors for files and
clocks), ``testing`` (run a plugin natively on numpy, no build).
"""

from .errors import PluginError
from .exports import Example, Grads, grad_processor, preprocessor, regularizer
from .params import ParamDecl, Params

#: The contract version (``clora:plugin@0.1.0``) this SDK targets.
CONTRACT = "0.1.0"

__all__ = [
    "CONTRACT",
    "Example",
    "Grads",
    "ParamDecl",
    "Params",
    "PluginError",
    "grad_processor",
    "preprocessor",
    "regularizer",
]
