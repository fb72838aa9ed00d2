"""CEL expressions as policies use them: compiled once, evaluated against `object` and `cluster`.

The one module that knows the CEL library (`common-expression-language`, Rust bindings to the cel crate;
docs/policies.md says why that one). Pure: no I/O.

The library checks syntax when compiling and everything else when evaluating. So that a typo is refused
when a policy is published rather than found on every release, compiling also checks the names an
expression calls against the functions CEL has here, and its variables against `object`, `cluster`
and the names its macros bind (`c` in `containers.all(c, ...)`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import cel
from cel import stdlib

VARIABLES = ("object", "cluster")

# The functions of the Rust core (macros `has`, `all`, `exists`, `exists_one`, `map`, `filter` are
# not calls), plus the extension libraries the package ships (strings, lists, math, sets, encoders),
# which Kubernetes' CEL has too (split, lowerAscii, indexOf, ...).
_CORE_FUNCTIONS = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "type",
        "dyn",
        "duration",
        "timestamp",
        "max",
        "min",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfYear",
        "getDayOfWeek",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "has",
        "all",
        "exists",
        "exists_one",
        "map",
        "filter",
        "hasValue",
        "value",
        "or",
        "orValue",
    }
)
# A namespaced call (`math.greatest(...)`, `optional.of(...)`) reaches the library as the function's last
# name on an identifier, the namespace: both are allowed, and a wrong use fails when evaluated.
_NAMESPACED = frozenset(stdlib.STDLIB_FUNCTIONS) | {"optional.of", "optional.none", "optional.ofNonZeroValue"}
NAMESPACES = frozenset(name.partition(".")[0] for name in _NAMESPACED if "." in name)
FUNCTIONS = _CORE_FUNCTIONS | frozenset(stdlib.STDLIB_FUNCTIONS) | {n.rpartition(".")[2] for n in _NAMESPACED}
# Type names are identifiers too: `type(x) == string`.
TYPE_NAMES = frozenset({"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn"})
_KNOWN_IDENTIFIERS = frozenset(VARIABLES) | NAMESPACES | TYPE_NAMES


# Named functions; operators are listed by the library as `_+_`, `!_`, `@in`...
_NAMED = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")


class CompileError(ValueError):
    """An expression that cannot be a policy's; the message says what is wrong with it."""


class EvaluationError(RuntimeError):
    """An expression that could not be evaluated on an object (a missing field, a wrong type)."""


def _reraise_if_not_the_library(error: BaseException) -> None:
    """A panic in the Rust code arrives as pyo3's PanicException, a BaseException: that is the
    expression's failure like any other. Cancellation, interrupts and exits are not."""
    if not isinstance(error, Exception) and type(error).__name__ != "PanicException":
        raise error


def _bounded(text: str, limit: int = 1000) -> str:
    # A parse error repeats the whole expression (up to 10,000 characters): enough to find the spot.
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _bound_by_macro(name: str, source: str) -> bool:
    # `list.all(c, ...)`, `map.exists(k, ...)`: the first argument of a macro is a name it binds.
    return re.search(rf"\(\s*{re.escape(name)}\s*,", source) is not None


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> cel.Program:
    """The compiled program, or CompileError naming the problem. Programs are immutable and reused."""
    if not source.strip():
        raise CompileError("the expression is empty")
    try:
        program = cel.compile(source)
    except BaseException as error:
        _reraise_if_not_the_library(error)
        raise CompileError(_bounded(_one_line(str(error)))) from error
    references = program.references()
    unknown_functions = sorted(name for name in references["functions"] if _NAMED.match(name) and name not in FUNCTIONS)
    if unknown_functions:
        raise CompileError(
            f"unknown function(s) {', '.join(unknown_functions)}: CEL here has the standard functions and the "
            "strings, lists, math, sets and encoders extensions (docs/policies.md lists them)"
        )
    unknown_variables = sorted(
        name for name in references["variables"] if name not in _KNOWN_IDENTIFIERS and not _bound_by_macro(name, source)
    )
    if unknown_variables:
        raise CompileError(
            f"unknown variable(s) {', '.join(unknown_variables)}: a policy sees `object` (the rendered object) and "
            "`cluster` (name, labels)"
        )
    return program


def bindings(obj: dict[str, Any], cluster: dict[str, Any]) -> cel.Context:
    """What an expression sees of one object on one cluster; made once, used by every validation."""
    context = cel.Context(variables={"object": obj, "cluster": cluster})
    stdlib.add_stdlib_to_context(context)
    return context


def evaluate(program: cel.Program, context: cel.Context) -> bool:
    """True or False; EvaluationError for anything else: an error, or a result that is not a bool (which
    is never taken for a pass)."""
    try:
        result = program.execute(context)
    except BaseException as error:  # the library raises KeyError, TypeError, RuntimeError, ZeroDivisionError...
        _reraise_if_not_the_library(error)
        raise EvaluationError(_bounded(_describe_error(error))) from error
    if not isinstance(result, bool):
        raise EvaluationError(f"the expression gave {result!r} ({type(result).__name__}), not true or false")
    return result


def _describe_error(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"no such key: {error.args[0] if error.args else error} (guard it with has(...))"
    return _one_line(f"{type(error).__name__}: {error}" if not str(error) else str(error))
