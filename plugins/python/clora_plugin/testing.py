"""Run a Python plugin natively, without building it: numpy stands in for the host's
tensors, so a plugin's math can be checked in a second instead of a componentize-py
build plus a host compile. Values only: there is no autograd here (``clora-host plugins
check`` checks that gradients reach the LoRA factors).

    import sys; sys.path.insert(0, "<repo>/plugins/python")
    from clora_plugin import testing
    testing.install("regularizer")          # before the plugin is imported
    import plugin
    reg = testing.init(plugin.Regularizer, {"scale": 2.0}, [testing.layer("l0", 16, 24)])
    penalty = reg.compute_penalty(0, [testing.tensor(a)], [testing.tensor(b)])
    print(testing.array(penalty))

``install`` writes the contract's Python bindings (``componentize-py bindings``, from the
venv next to this interpreter or on PATH) to a temporary directory and imports them,
then replaces the host-side functions (tensor operations, ``host.log``) with numpy and
a list. Run it with the project venv's Python (numpy, componentize-py):
``.venv/bin/python test_plugin.py``.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

_WORLDS = {
    "regularizer": "regularizer-plugin",
    "grad-processor": "grad-processor-plugin",
    "preprocessor": "preprocessor-plugin",
}

#: ``(level, message)`` of every ``host.log`` line (``log.info``, ...) since install.
logs = []

_installed = {}


def repo_root():
    """The clora-host checkout this SDK belongs to (``<repo>/plugins/python/clora_plugin``)."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", ".."))


def _componentize_py():
    beside = os.path.join(os.path.dirname(sys.executable), "componentize-py")
    if os.path.exists(beside):
        return beside
    found = shutil.which("componentize-py")
    if found:
        return found
    raise RuntimeError(
        "componentize-py not found next to this Python or on PATH: run with the project venv "
        "(.venv/bin/python), or pip install componentize-py==0.25.1"
    )


def install(kind):
    """Makes ``wit_world`` importable for ``kind`` (regularizer, grad-processor or
    preprocessor) with numpy tensors. Call once per process, before importing the
    plugin."""
    if kind not in _WORLDS:
        raise ValueError(f"unknown plugin kind {kind!r} (one of: {', '.join(_WORLDS)})")
    if _installed:
        if _installed["kind"] != kind:
            raise RuntimeError(f"testing.install({kind!r}): already installed for {_installed['kind']!r}")
        return
    if "wit_world" in sys.modules:
        raise RuntimeError("testing.install() must run before wit_world or the plugin is imported")
    out = tempfile.mkdtemp(prefix="clora-plugin-bindings-")
    atexit.register(shutil.rmtree, out, True)
    wit = os.path.join(repo_root(), "wit")
    done = subprocess.run(
        [_componentize_py(), "-d", wit, "-w", _WORLDS[kind], "bindings", out],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        for line in done.stderr.splitlines():
            if "Error" in line or "failed" in line:
                first = line.strip()
                break
        raise RuntimeError(f"componentize-py bindings for {wit} failed: {first}")
    sys.path.insert(0, out)
    from wit_world.imports import host

    host.log = lambda level, message: logs.append((level.name.lower(), message))
    if kind != "preprocessor":
        from . import _numpy_tensors

        _numpy_tensors.patch()
    _installed["kind"] = kind


def _require(kind=None):
    if not _installed:
        raise RuntimeError("call clora_plugin.testing.install(kind) first")
    if kind and _installed["kind"] != kind:
        raise RuntimeError(f"this needs testing.install({kind!r})")


def tensor(values):
    """A host tensor (here: numpy, float32) holding ``values``."""
    _require()
    from . import _numpy_tensors

    return _numpy_tensors.wrap(values, "float32")


def array(t):
    """The numpy array behind a tensor."""
    return t._value


def layer(name, in_features, out_features, rank=8, base_weight=None, seed=0):
    """A LoRA layer record as ``init`` receives it; the base weight (out × in) defaults
    to seeded N(0, 0.02²) values."""
    _require()
    import numpy as np

    if _installed["kind"] == "regularizer":
        from wit_world.exports.regularizer import Layer
    elif _installed["kind"] == "grad-processor":
        from wit_world.exports.grad_processor import Layer
    else:
        raise RuntimeError("preprocessors have no layers")
    if base_weight is None:
        base_weight = np.random.default_rng(seed).normal(0.0, 0.02, size=(out_features, in_features))
    return Layer(
        name=name,
        in_features=in_features,
        out_features=out_features,
        rank=rank,
        base_weight=tensor(base_weight),
    )


def _wit_params(info, given):
    from wit_world.imports import types

    specs = {spec.name: spec for spec in info.params}
    unknown = [name for name in given if name not in specs]
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0]!r} (declared: {', '.join(specs) or 'none'})")
    params = []
    for spec in info.params:
        value = given.get(spec.name, spec.default.value)
        variant = {
            types.ParamType.BOOLEAN: types.ParamValue_Boolean,
            types.ParamType.INTEGER: types.ParamValue_Integer,
            types.ParamType.FLOAT: types.ParamValue_Float,
        }.get(spec.type, types.ParamValue_Text)
        if variant is types.ParamValue_Float and isinstance(value, int):
            value = float(value)
        params.append(types.Param(name=spec.name, value=variant(value)))
    return params


def init(export_class, params=None, layers=()):
    """Builds the exported class (``plugin.Regularizer``, ...) the way the host does:
    ``describe``, every declared parameter with defaults filled in, then ``init``.
    Returns the export object; call its methods as the host would."""
    _require()
    plugin = export_class()
    wit_params = _wit_params(plugin.describe(), dict(params or {}))
    if _installed["kind"] == "preprocessor":
        plugin.init(wit_params)
    else:
        plugin.init(wit_params, list(layers))
    return plugin


def process(plugin, records, first_row=0):
    """Runs ``process_batch`` on ``records`` (dicts or JSON strings). Returns one entry
    per record: a list of ``(text, label)`` pairs, or the rejection message (a str)."""
    _require("preprocessor")
    from componentize_py_types import Ok

    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    out = []
    for result in plugin.process_batch(first_row, lines):
        if isinstance(result, Ok):
            out.append([(e.text, e.label) for e in result.value])
        else:
            out.append(result.value)
    return out
