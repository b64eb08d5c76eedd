"""What the SDK adjusts inside a component (``sys.platform == "wasi"``), once, when a
plugin is exported. The component is built with ``--stub-wasi``: every WASI function
(files, clocks, OS randomness, the real stdout and stderr) is a stub that traps, and a
trap only says "unreachable". So:

- ``print()`` and ``sys.stderr`` go to the run's log (``info`` and ``warn`` lines);
- ``open()``, the ``time`` module's clocks and ``sleep``, and ``os.urandom`` raise a
  :class:`~clora_plugin.errors.PluginError` that says what the sandbox lacks, instead of
  trapping.

Other calls that reach WASI (``datetime.now()``, importing a module that was not
imported at build time, ...) still trap. Outside a component (native tests) nothing
changes.
"""

import sys

from .errors import PluginError
from .log import INFO, WARN, LineWriter

_TIME_FUNCTIONS = (
    "time",
    "time_ns",
    "monotonic",
    "monotonic_ns",
    "perf_counter",
    "perf_counter_ns",
    "process_time",
    "process_time_ns",
    "thread_time",
    "thread_time_ns",
    "sleep",
)

_installed = []


def _refused(what, lacks):
    def refused(*args, **kwargs):
        raise PluginError(f"{what}: the plugin sandbox has no {lacks}")

    return refused


def install():
    """Applies the adjustments above (inside a component only; idempotent)."""
    if sys.platform != "wasi" or _installed:
        return
    import builtins
    import os
    import time

    sys.stdout = LineWriter(INFO)
    sys.stderr = LineWriter(WARN)
    builtins.open = _refused("open()", "file system")
    for name in _TIME_FUNCTIONS:
        if hasattr(time, name):
            setattr(time, name, _refused(f"time.{name}()", "clock"))
    os.urandom = _refused(
        "os.urandom()", "OS randomness (use clora_plugin.data.RowRng or tensor.Generator(seed))"
    )
    _installed.append(True)
