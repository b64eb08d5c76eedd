"""How a failure inside a plugin becomes the message the user sees.

Every call the SDK exports runs through :func:`guarded`: an exception becomes the WIT
``err`` string, ``"<Type>: <message> (at plugin.py:12 in compute_penalty)"``, instead
of a trap. The location is read from the traceback's frames, never from the source
files: the component has no file system (it is built with ``--stub-wasi``), so the
``traceback`` module's source lookup would trap.
"""

import os

_SDK_DIR = os.path.dirname(os.path.abspath(__file__))
_STDLIB_DIR = os.path.dirname(os.path.abspath(os.__file__))


class PluginError(Exception):
    """Raise to fail a call with exactly this message (no type name)."""


def _is_plugin_frame(filename):
    return not (
        filename.startswith(_SDK_DIR) or filename.startswith(_STDLIB_DIR) or "wit_world" in filename
    )


def location(exc):
    """``file:line in function`` of the innermost frame of the plugin's own code that
    ``exc`` passed through, or None."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if _is_plugin_frame(code.co_filename):
            found = f"{os.path.basename(code.co_filename)}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    return found


def message(exc, err_type):
    """The user-facing message for ``exc``. ``err_type`` is componentize-py's ``Err``:
    a failed host operation raises it with the host's message as its value."""
    if isinstance(exc, err_type):
        text = str(exc.value)
    elif isinstance(exc, PluginError):
        text = str(exc)
    else:
        detail = str(exc)
        text = type(exc).__name__ + (f": {detail}" if detail else "")
    where = location(exc)
    return f"{text} (at {where})" if where else text


def guarded(err_type, call, *args):
    """Runs ``call(*args)``; any exception is re-raised as ``err_type(message)``."""
    try:
        return call(*args)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes the call's `err`
        raise err_type(message(exc, err_type)) from None
