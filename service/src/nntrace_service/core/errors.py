"""Errors raised by the numpy core.

Each error knows *where* in a network definition it arose, as a path of keys and indices
(``("layers", 1, "weights", 0)``), so that the HTTP layer can turn it into a JSON pointer
without the core knowing anything about HTTP. ``slug`` names the problem type (and ``code``
the item code of its located error); the service's one catalogue,
``nntrace_service.problems.PROBLEM_TYPES``, maps each slug to a status and a title, and a
test checks that every slug here is in it.

    CoreError                   any other bad value (validation-error)
    ├── ShapeMismatchError      a weight matrix or input of the wrong shape
    ├── UnknownActivationError  an activation name not in the catalog
    ├── AmbiguousActivationError a framework's spelling whose defaults differ, without a dialect
    ├── InvalidParameterError   an activation parameter missing, unknown or out of bounds
    ├── ExpressionError         a custom activation expression refused by the parser
    ├── NonFiniteError          a result that is not a finite number (overflow, NaN)
    └── OutOfRangeError         an index past the end (the output to differentiate)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Location = tuple[str | int, ...]


class CoreError(Exception):
    """Base class: a problem with a network, its inputs or an activation."""

    slug = "validation-error"

    def __init__(self, message: str, *, location: Sequence[str | int] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.location: Location = tuple(location)

    @property
    def code(self) -> str:
        """The machine-readable code of the located error (``shape_mismatch``)."""
        return self.slug.replace("-", "_")

    @property
    def extensions(self) -> dict[str, Any]:
        """Members the problem document adds (``expected``, ``suggestions``), None left out."""
        return {}

    def at(self, *prefix: str | int) -> CoreError:
        """Return this error with ``prefix`` put in front of its location.

        Lets an inner function raise relative to what it checks (a layer's ``weights``) and
        the caller add where that thing sits (``layers``, 2).
        """
        self.location = (*prefix, *self.location)
        return self


class ShapeMismatchError(CoreError):
    """An array does not have the shape its place in the network requires."""

    slug = "shape-mismatch"

    def __init__(
        self,
        message: str,
        *,
        expected: object = None,
        got: object = None,
        location: Sequence[str | int] = (),
    ) -> None:
        super().__init__(message, location=location)
        self.expected = expected
        self.got = got

    @property
    def extensions(self) -> dict[str, Any]:
        return {
            k: v for k, v in {"expected": self.expected, "got": self.got}.items() if v is not None
        }


class UnknownActivationError(CoreError):
    """An activation name that is neither a catalog name nor an alias."""

    slug = "unknown-activation"

    def __init__(
        self,
        name: str,
        *,
        suggestions: Sequence[str] = (),
        location: Sequence[str | int] = (),
    ) -> None:
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        shown = repr(name) if len(name) <= 64 else f"{name[:64]!r}… ({len(name)} characters)"
        super().__init__(f"unknown activation {shown}{hint}", location=location)
        self.name = name
        self.suggestions = tuple(suggestions)

    @property
    def extensions(self) -> dict[str, Any]:
        return {"suggestions": list(self.suggestions)}


class AmbiguousActivationError(CoreError):
    """A spelling that names different functions (different defaults) in different
    frameworks, used without saying which framework is meant."""

    slug = "ambiguous-activation"

    def __init__(
        self,
        message: str,
        *,
        candidates: Sequence[str] = (),
        location: Sequence[str | int] = (),
    ) -> None:
        super().__init__(message, location=location)
        self.candidates = tuple(candidates)

    @property
    def extensions(self) -> dict[str, Any]:
        return {"candidates": list(self.candidates), "dialects": ["keras", "torch", "onnx"]}


class InvalidParameterError(CoreError):
    """An activation parameter that is unknown, missing, of the wrong type or out of bounds."""

    slug = "invalid-parameter"


class ExpressionError(CoreError):
    """A custom activation expression that is malformed, unsafe or too costly."""

    slug = "invalid-expression"


class NonFiniteError(CoreError):
    """A computed value that is not finite: the true result overflows or is undefined."""

    slug = "non-finite-result"

    def __init__(
        self,
        message: str,
        *,
        layer: int | None = None,
        node: int | None = None,
        sample: int | None = None,
        location: Sequence[str | int] = (),
    ) -> None:
        super().__init__(message, location=location)
        self.layer = layer
        self.node = node
        self.sample = sample

    @property
    def extensions(self) -> dict[str, Any]:
        where = {"layer": self.layer, "node": self.node, "sample": self.sample}
        return {k: v for k, v in where.items() if v is not None}


class OutOfRangeError(CoreError):
    """An index that names nothing: there are fewer items than it assumes."""

    @property
    def code(self) -> str:
        return "less_than"
