"""Parameter schemas: declare a plugin's parameters once, as ``PARAMS``, a list of
:class:`ParamDecl`. The SDK turns it into ``describe()``'s schema and, at ``init``, into
:class:`Params` (a read-only mapping from name to a typed value).

The host validates user values against the schema before ``init`` runs; :class:`Params`
checks again (unknown names, types, bounds, choices), so a plugin never sees a value its
schema rules out, and fills in defaults for anything missing.
"""

import math

BOOLEAN, INTEGER, FLOAT, TEXT, CHOICE = "boolean", "integer", "float", "text", "choice"
_PY_TYPES = {BOOLEAN: (bool,), INTEGER: (int,), FLOAT: (float, int), TEXT: (str,), CHOICE: (str,)}


class ParamDecl:
    """One declared parameter; build it with the constructors below."""

    __slots__ = ("name", "type", "default", "doc", "min", "max", "choices")

    def __init__(self, name, type, default, doc, min=None, max=None, choices=()):
        self.name, self.type, self.default, self.doc = name, type, default, doc
        self.min, self.max, self.choices = min, max, tuple(choices)
        problem = self._problem()
        if problem:
            raise ValueError(f"parameter {name!r}: {problem}")

    @staticmethod
    def boolean(name, default, doc):
        """A ``true``/``false`` parameter."""
        return ParamDecl(name, BOOLEAN, default, doc)

    @staticmethod
    def integer(name, default, doc, min=None, max=None):
        """A signed 64-bit integer with optional inclusive bounds."""
        return ParamDecl(name, INTEGER, default, doc, min=min, max=max)

    @staticmethod
    def float(name, default, doc, min=None, max=None):
        """A float with optional inclusive bounds (integers are accepted)."""
        return ParamDecl(name, FLOAT, default, doc, min=min, max=max)

    @staticmethod
    def text(name, default, doc):
        """Free text."""
        return ParamDecl(name, TEXT, default, doc)

    @staticmethod
    def choice(name, default, choices, doc):
        """Text restricted to ``choices``."""
        return ParamDecl(name, CHOICE, default, doc, choices=choices)

    def _problem(self):
        """Why this declaration is inconsistent, or None."""
        if not isinstance(self.name, str) or not self.name:
            return "the name must be a non-empty string"
        if self.type not in _PY_TYPES:
            return f"unknown type {self.type!r}"
        problem = self.value_problem(self.default)
        if problem:
            return f"default {self.default!r}: {problem}"
        if self.type == CHOICE and not self.choices:
            return "a choice needs at least one allowed value"
        if self.min is not None and self.max is not None and self.min > self.max:
            return f"min {self.min} is above max {self.max}"
        return None

    def value_problem(self, value):
        """Why ``value`` does not fit this parameter, or None."""
        allowed = _PY_TYPES[self.type]
        if isinstance(value, bool) and bool not in allowed:
            return f"expected {self.type}, got a boolean"
        if not isinstance(value, allowed):
            return f"expected {self.type}, got {type(value).__name__}"
        if self.type in (INTEGER, FLOAT):
            if isinstance(value, float) and not math.isfinite(value):
                return "must be finite"
            if self.min is not None and value < self.min:
                return f"below the minimum {self.min}"
            if self.max is not None and value > self.max:
                return f"above the maximum {self.max}"
        if self.type == CHOICE and value not in self.choices:
            return f"not one of {', '.join(self.choices)}"
        return None

    def spec(self, types):
        """The WIT ``param-spec`` (``types`` is the generated ``types`` module)."""
        kind = {
            BOOLEAN: types.ParamType.BOOLEAN,
            INTEGER: types.ParamType.INTEGER,
            FLOAT: types.ParamType.FLOAT,
            TEXT: types.ParamType.TEXT,
            CHOICE: types.ParamType.CHOICE,
        }[self.type]
        return types.ParamSpec(
            name=self.name,
            type=kind,
            default=to_wit_value(types, self.type, self.default),
            min=None if self.min is None else float(self.min),
            max=None if self.max is None else float(self.max),
            choices=list(self.choices),
            doc=self.doc,
        )


def to_wit_value(types, kind, value):
    """A Python value as the WIT ``param-value`` variant."""
    if kind == BOOLEAN:
        return types.ParamValue_Boolean(value)
    if kind == INTEGER:
        return types.ParamValue_Integer(value)
    if kind == FLOAT:
        return types.ParamValue_Float(float(value))
    return types.ParamValue_Text(value)


class Params:
    """Checked parameter values by name: ``params["k"]``. Every declared parameter is
    present (defaults filled in); floats are ``float`` even when given as integers."""

    def __init__(self, values):
        self._values = dict(values)

    def __getitem__(self, name):
        try:
            return self._values[name]
        except KeyError:
            known = ", ".join(sorted(self._values)) or "none"
            raise KeyError(f"no parameter {name!r} is declared (declared: {known})") from None

    def __contains__(self, name):
        return name in self._values

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def items(self):
        return self._values.items()

    def __repr__(self):
        return f"Params({self._values!r})"

    @staticmethod
    def resolve(decls, given):
        """Checks ``given`` (``name -> value``) against ``decls`` and fills in defaults.
        Raises ValueError naming the parameter."""
        by_name = {d.name: d for d in decls}
        unknown = [name for name in given if name not in by_name]
        if unknown:
            known = ", ".join(by_name) or "none"
            raise ValueError(f"unknown parameter {unknown[0]!r} (declared: {known})")
        values = {}
        for decl in decls:
            value = given.get(decl.name, decl.default)
            problem = decl.value_problem(value)
            if problem:
                raise ValueError(f"parameter {decl.name!r} = {value!r}: {problem}")
            values[decl.name] = float(value) if decl.type == FLOAT else value
        return Params(values)


def check_declarations(decls):
    """The ``PARAMS`` of a plugin class as a list, after checking names are unique."""
    decls = list(decls)
    seen = set()
    for decl in decls:
        if not isinstance(decl, ParamDecl):
            raise TypeError(f"PARAMS entries must be ParamDecl, got {type(decl).__name__}")
        if decl.name in seen:
            raise ValueError(f"parameter {decl.name!r} is declared twice")
        seen.add(decl.name)
    return decls
