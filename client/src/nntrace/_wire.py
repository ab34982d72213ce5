"""Response documents to dataclasses and back, derived from the dataclass fields.

A result type names each member of the service's response once, as a field with a type;
:class:`Wire` reads the fields and converts every value by its type, so adding a member to a
result is one line, and ``tests/contract/test_client_types.py`` can compare the fields with
the service's response schemas. How a value is converted, by the field's type:

- a :class:`Wire` subclass: its own ``from_dict`` / ``to_dict``;
- ``list[T]`` and ``tuple[T, ...]``: item by item (a tuple is written back as a list);
- ``dict[...]``: a shallow copy (documents the client does not type, e.g. a network);
- :data:`Vector` (any float array) and :data:`Matrix` (samples × values, two dimensions
  checked): float64 numpy arrays, from nested lists or the base64 form
  (``{"encoding": "base64", ...}``), written back as nested lists;
- ``int``, ``float``, ``str``, ``bool``: that type (``float("NaN")`` and
  ``float("-Infinity")`` read the strings the service writes for non-finite numbers);
- ``T | None``: ``None`` or ``T``; any other union or ``Any``: the value as sent.

Required-ness follows the dataclass: a field without a default is a member the service
always sends (missing: ``KeyError``, which the client reports as an unexpected response); a
field with a default may be missing or null (then the default), and ``to_dict`` leaves it out
while it is ``None``. A field with :data:`EXTRA_MEMBERS` metadata keeps members this client
does not know yet, so ``to_dict`` gives back the document it was parsed from; one with
:data:`WHOLE_DOCUMENT` keeps the document itself. Malformed values raise ``KeyError``,
``TypeError`` or ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Self, TypeAlias

import numpy as np

from nntrace._arrays import FloatArray, decode_binary

_ROLE = "nntrace.wire"
_EXTRA = "extra members"
_WHOLE = "whole document"


@dataclasses.dataclass(frozen=True)
class _Dimensions:
    """Marks an array type with the number of dimensions a response must give it."""

    ndim: int


Vector: TypeAlias = FloatArray
"""A float array of any shape (written as nested lists)."""
Matrix: TypeAlias = Annotated[FloatArray, _Dimensions(2)]
"""A float array of rows: samples × values."""


EXTRA_MEMBERS: Mapping[str, str] = types.MappingProxyType({_ROLE: _EXTRA})
"""Field metadata: a ``dict`` field for the members a newer service sends that this client
does not know; ``to_dict`` writes them back after the known ones. Declare it as
``extra: dict[str, Any] = field(default_factory=dict, repr=False, metadata=EXTRA_MEMBERS)``."""

WHOLE_DOCUMENT: Mapping[str, str] = types.MappingProxyType({_ROLE: _WHOLE})
"""Field metadata: a ``dict`` field holding the response document as received."""


class Wire:
    """Base of the result dataclasses: ``from_dict`` and ``to_dict`` from the fields."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Parse a response document (see the module docstring for the rules)."""
        values: dict[str, Any] = {}
        for spec in _specs(cls):
            if spec.role == _EXTRA:
                values[spec.name] = {k: v for k, v in data.items() if k not in _members(cls)}
            elif spec.role == _WHOLE:
                values[spec.name] = dict(data)
            elif spec.required or data.get(spec.name) is not None:
                values[spec.name] = _read(spec, data[spec.name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The response document again: known members in field order, then unknown ones."""
        document: dict[str, Any] = {}
        extra: Mapping[str, Any] = {}
        for spec in _specs(type(self)):
            value = getattr(self, spec.name)
            if spec.role == _EXTRA:
                extra = value
            elif spec.role is None and (spec.required or value is not None):
                document[spec.name] = _write(value)
        document.update(extra)
        return document


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One field of a :class:`Wire` type: its member name, whether the service always sends
    it, and how to read its value."""

    name: str
    annotation: Any
    required: bool
    role: str | None
    read: Callable[[Any], Any]


_SPECS: dict[type[Wire], tuple[FieldSpec, ...]] = {}


def _specs(cls: type[Wire]) -> tuple[FieldSpec, ...]:
    """The fields of ``cls`` with their readers, worked out once per class."""
    if cls not in _SPECS:
        hints = typing.get_type_hints(cls, include_extras=True)
        _SPECS[cls] = tuple(
            FieldSpec(
                name=f.name,
                annotation=hints[f.name],
                required=f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING,
                role=f.metadata.get(_ROLE),
                read=_reader(hints[f.name]),
            )
            for f in dataclasses.fields(typing.cast(Any, cls))
        )
    return _SPECS[cls]


def wire_fields(cls: type[Wire]) -> tuple[FieldSpec, ...]:
    """The fields of ``cls`` that are members of the response document."""
    return tuple(spec for spec in _specs(cls) if spec.role is None)


def _members(cls: type[Wire]) -> frozenset[str]:
    return frozenset(spec.name for spec in wire_fields(cls))


def _reader(annotation: Any) -> Callable[[Any], Any]:
    """How to read a JSON value into ``annotation``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        dims = next((a.ndim for a in args[1:] if isinstance(a, _Dimensions)), None)
        return functools.partial(_array, ndim=dims)
    if origin is np.ndarray or annotation is np.ndarray:
        return _array
    if isinstance(annotation, type) and issubclass(annotation, Wire):
        return annotation.from_dict
    if annotation in (int, float, str, bool):
        return typing.cast(Callable[[Any], Any], annotation)
    if origin is list:
        item = _reader(args[0])
        return lambda value: [item(v) for v in value]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _reader(args[0])
            return lambda value: tuple(item(v) for v in value)
        items = [_reader(a) for a in args]
        return lambda value: tuple(read(v) for read, v in zip(items, value, strict=True))
    if origin is dict:
        return _mapping
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        if len(kinds) == 1:
            inner = _reader(kinds[0])
            return lambda value: None if value is None else inner(value)
    return _as_sent


def _read(spec: FieldSpec, value: Any) -> Any:
    """``value`` read as ``spec`` says; an error names the member (``layers: outputs: ...``)."""
    try:
        return spec.read(value)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{spec.name}: {error}") from None


def _array(value: Any, ndim: int | None = None) -> FloatArray:
    array = decode_binary(value) if isinstance(value, Mapping) else np.asarray(value, np.float64)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"expected a list of rows, got an array of {array.ndim} dimension(s)")
    return array


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return dict(value)


def _as_sent(value: Any) -> Any:
    return value


def _write(value: Any) -> Any:
    """A field's value as JSON data."""
    if isinstance(value, Wire):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_write(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value
