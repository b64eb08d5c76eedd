"""The three export adapters: ``regularizer(cls)``, ``grad_processor(cls)`` and
``preprocessor(cls)`` each return the class componentize-py exports (assign it to
``Regularizer``, ``GradProcessor`` or ``Preprocessor`` in the plugin's module).

The adapter generates ``describe`` from the class's ``NAME``, ``VERSION`` (default
"0.1.0"), ``DESCRIPTION`` and ``PARAMS``, checks parameters before building the plugin
(``cls(params, layers)``, or ``cls(params)`` for a preprocessor), keeps that one instance
between calls (componentize-py creates a new export object for every call, so state on
the export object would be lost), checks the shapes of what comes back, and turns
exceptions into the call's ``err`` (see ``errors``).
"""

import json
from collections import namedtuple

from . import errors, params, sandbox

CONTRACT = "0.1.0"

#: A preprocessor's output: ``Example(text, label)`` with label 0 or 1 (a plain
#: ``(text, label)`` tuple works too).
Example = namedtuple("Example", "text label")

#: A gradient processor's output: replacement gradients for A and for B, one per layer.
Grads = namedtuple("Grads", "a b")

_NOT_INITIALISED = "the plugin was not initialised (init must succeed first)"

# The live plugin instance of each kind, built by `init`.
_instances = {}


def _check_class(cls, methods):
    for attr, kind in (("NAME", str), ("DESCRIPTION", str)):
        if not isinstance(getattr(cls, attr, None), kind):
            raise TypeError(f"{cls.__name__}.{attr} must be a string")
    if not cls.NAME:
        raise ValueError(f"{cls.__name__}.NAME must not be empty")
    if not isinstance(getattr(cls, "VERSION", "0.1.0"), str):
        raise TypeError(f"{cls.__name__}.VERSION must be a string")
    for method in methods:
        if not callable(getattr(cls, method, None)):
            raise TypeError(f"{cls.__name__} must define {method}()")
    return params.check_declarations(getattr(cls, "PARAMS", []))


def _info(types, cls, decls, kind):
    return types.PluginInfo(
        name=cls.NAME,
        version=getattr(cls, "VERSION", "0.1.0"),
        kind=kind,
        contract=CONTRACT,
        description=cls.DESCRIPTION,
        params=[d.spec(types) for d in decls],
    )


def _resolve(decls, wit_params):
    given = {p.name: p.value.value for p in wit_params}
    return params.Params.resolve(decls, given)


def _instance(kind):
    instance = _instances.get(kind)
    if instance is None:
        raise errors.PluginError(_NOT_INITIALISED)
    return instance


def _check_layer_count(layers, a, b):
    if len(a) != layers or len(b) != layers:
        raise errors.PluginError(
            f"expected one A and one B tensor per layer ({layers} layers), got {len(a)} A and {len(b)} B"
        )


def regularizer(cls):
    """The export class for a regularizer ``cls`` with ``__init__(self, params, layers)``
    and ``compute_penalty(self, step, a, b) -> Tensor``."""
    decls = _check_class(cls, ["compute_penalty"])
    from componentize_py_types import Err
    from wit_world import exports
    from wit_world.imports import types

    sandbox.install()

    def init(params_list, layers):
        _instances["regularizer"] = (cls(_resolve(decls, params_list), list(layers)), len(layers))

    def compute(step, a, b):
        plugin, layers = _instance("regularizer")
        _check_layer_count(layers, a, b)
        return plugin.compute_penalty(step, list(a), list(b))

    class Regularizer(exports.Regularizer):
        def describe(self):
            return _info(types, cls, decls, types.PluginKind.REGULARIZER)

        def init(self, params, layers):
            errors.guarded(Err, init, params, layers)

        def compute_penalty(self, step, a, b):
            return errors.guarded(Err, compute, step, a, b)

    return Regularizer


def grad_processor(cls):
    """The export class for a gradient processor ``cls`` with ``__init__(self, params,
    layers)`` and ``process_grads(self, step, grad_a, grad_b) -> Grads(a, b)`` (or an
    ``(a, b)`` pair of lists)."""
    decls = _check_class(cls, ["process_grads"])
    from componentize_py_types import Err
    from wit_world import exports
    from wit_world.exports import grad_processor as wit
    from wit_world.imports import types

    sandbox.install()

    def init(params_list, layers):
        _instances["grad-processor"] = (cls(_resolve(decls, params_list), list(layers)), len(layers))

    def process(step, grad_a, grad_b):
        plugin, layers = _instance("grad-processor")
        _check_layer_count(layers, grad_a, grad_b)
        new_a, new_b = plugin.process_grads(step, list(grad_a), list(grad_b))
        new_a, new_b = list(new_a), list(new_b)
        if len(new_a) != layers or len(new_b) != layers:
            raise errors.PluginError(
                f"process_grads returned {len(new_a)} A and {len(new_b)} B gradients for {layers} layers"
            )
        return wit.ProcessedGrads(a=new_a, b=new_b)

    class GradProcessor(exports.GradProcessor):
        def describe(self):
            return _info(types, cls, decls, types.PluginKind.GRAD_PROCESSOR)

        def init(self, params, layers):
            errors.guarded(Err, init, params, layers)

        def process_grads(self, step, grad_a, grad_b):
            return errors.guarded(Err, process, step, grad_a, grad_b)

    return GradProcessor


def _examples(types, produced):
    out = []
    for item in produced:
        text, label = item
        if not isinstance(text, str):
            raise errors.PluginError(f"an example's text must be a string, got {type(text).__name__}")
        if isinstance(label, bool) or label not in (0, 1):
            raise errors.PluginError(f"an example's label must be 0 or 1, got {label!r}")
        out.append(types.Example(text=text, label=label))
    return out


def preprocessor(cls):
    """The export class for a preprocessor ``cls`` with ``__init__(self, params)`` and
    ``convert(self, row, record) -> list of Example``. ``record`` is the row's JSON
    object as a dict; ``row`` its 0-based index in the split. An exception rejects that
    row only (the host skips or stops, as ``data.bad_rows`` says)."""
    decls = _check_class(cls, ["convert"])
    from componentize_py_types import Err, Ok
    from wit_world import exports
    from wit_world.imports import types

    sandbox.install()

    def init(params_list):
        _instances["preprocessor"] = cls(_resolve(decls, params_list))

    def convert(plugin, row, text):
        try:
            record = json.loads(text)
        except ValueError as exc:
            raise errors.PluginError(f"invalid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise errors.PluginError(f"a record must be a JSON object, got {type(record).__name__}")
        return _examples(types, plugin.convert(row, record))

    class Preprocessor(exports.Preprocessor):
        def describe(self):
            return _info(types, cls, decls, types.PluginKind.PREPROCESSOR)

        def init(self, params):
            errors.guarded(Err, init, params)

        def process_batch(self, first_row, records):
            plugin = _instances.get("preprocessor")
            if plugin is None:
                return [Err(_NOT_INITIALISED) for _ in records]
            results = []
            for row, text in enumerate(records, first_row):
                try:
                    results.append(Ok(convert(plugin, row, text)))
                except BaseException as exc:  # noqa: BLE001 - a bad row is that row's err
                    results.append(Err(errors.message(exc, Err)))
            return results

    return Preprocessor
