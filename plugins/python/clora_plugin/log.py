"""The run's log: ``log.info("...")`` writes a line to ``train.log`` (and the host's
stderr), prefixed with the plugin's name.

Inside a component, ``print()`` and writes to ``sys.stderr`` are forwarded here too (as
``info`` and ``warn`` lines, see ``sandbox``).
"""

DEBUG, INFO, WARN, ERROR = "debug", "info", "warn", "error"


def _emit(level, message):
    from wit_world.imports import host

    levels = {
        DEBUG: host.LogLevel.DEBUG,
        INFO: host.LogLevel.INFO,
        WARN: host.LogLevel.WARN,
        ERROR: host.LogLevel.ERROR,
    }
    host.log(levels[level], str(message))


def debug(message):
    _emit(DEBUG, message)


def info(message):
    _emit(INFO, message)


def warn(message):
    _emit(WARN, message)


def error(message):
    _emit(ERROR, message)


class LineWriter:
    """A text stream that sends each complete line to the log at one level."""

    def __init__(self, level):
        self.level = level
        self._pending = ""

    def write(self, text):
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            _emit(self.level, line)
        return len(text)

    def flush(self):
        if self._pending:
            line, self._pending = self._pending, ""
            _emit(self.level, line)

    def isatty(self):
        return False

    def writable(self):
        return True
