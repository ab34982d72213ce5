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
        plan = cls.__dict__.get("_wire_plan") or _plan(cls)
        values: dict[str, Any] = {}
        for name, required, read in plan.reads:
            if required:
                value = data[name]
            else:
                value = data.get(name)
                if value is None:
                    continue
            try:
                values[name] = read(value)
            except (TypeError, ValueError) as error:
                raise type(error)(f"{name}: {error}") from None
        if plan.extra is not None:
            values[plan.extra] = {k: v for k, v in data.items() if k not in plan.members}
        if plan.whole is not None:
            values[plan.whole] = dict(data)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The response document again: known members in field order, then unknown ones."""
        cls = type(self)
        plan = cls.__dict__.get("_wire_plan") or _plan(cls)
        document: dict[str, Any] = {}
        for name, required, write in plan.writes:
            value = getattr(self, name)
            if value is None:
                if required:
                    document[name] = None
            else:
                document[name] = value if write is None else write(value)
        if plan.extra is not None:
            document.update(getattr(self, plan.extra))
        return document


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One member of a :class:`Wire` type's document: its name, its type, and whether the
    service always sends it."""

    name: str
    annotation: Any
    required: bool


Reader: TypeAlias = Callable[[Any], Any]
Writer: TypeAlias = Callable[[Any], Any] | None
"""``None``: the value is written as it is."""


@dataclasses.dataclass(frozen=True)
class _Plan:
    """How to read and write one :class:`Wire` type, worked out once from its fields."""

    fields: tuple[FieldSpec, ...]
    members: frozenset[str]
    reads: tuple[tuple[str, bool, Reader], ...]
    writes: tuple[tuple[str, bool, Writer], ...]
    extra: str | None
    whole: str | None


_PLANS: dict[type[Wire], _Plan] = {}


def _plan(cls: type[Wire]) -> _Plan:
    """The plan of ``cls``, made on first use (when every type it names exists) and kept on
    the class as ``_wire_plan``."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = dataclasses.fields(typing.cast(Any, cls))
        roles = {f.metadata.get(_ROLE): f.name for f in fields}
        specs = tuple(
            FieldSpec(
                name=f.name,
                annotation=hints[f.name],
                required=f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING,
            )
            for f in fields
            if _ROLE not in f.metadata
        )
        plan = _PLANS[cls] = _Plan(
            fields=specs,
            members=frozenset(spec.name for spec in specs),
            reads=tuple((s.name, s.required, _reader(s.annotation)) for s in specs),
            writes=tuple((s.name, s.required, _writer(s.annotation)) for s in specs),
            extra=roles.get(_EXTRA),
            whole=roles.get(_WHOLE),
        )
        type.__setattr__(cls, "_wire_plan", plan)
    return plan


def wire_fields(cls: type[Wire]) -> tuple[FieldSpec, ...]:
    """The fields of ``cls`` that are members of the response document."""
    return _plan(cls).fields


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


def _writer(annotation: Any) -> Writer:
    """How to write a value of ``annotation`` as JSON data (``None``: as it is)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated or origin is np.ndarray or annotation is np.ndarray:
        return _to_list
    if isinstance(annotation, type) and issubclass(annotation, Wire):
        return _to_dict
    if origin in (list, tuple):
        item = _writer(args[0]) if len(args) == 1 or args[-1] is Ellipsis else _write
        return list if item is None else lambda value: [item(v) for v in value]
    if origin is dict:
        return dict
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        if len(kinds) == 1:
            return _writer(kinds[0])  # to_dict never passes None to a writer
    if annotation in (int, float, str, bool):
        return None
    return _write


def _to_list(value: Any) -> Any:
    return value.tolist()


def _to_dict(value: Wire) -> dict[str, Any]:
    return value.to_dict()


def _write(value: Any) -> Any:
    """Any value as JSON data, by what it is (for types the writers above do not cover)."""
    if isinstance(value, Wire):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_write(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value
