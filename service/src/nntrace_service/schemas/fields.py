"""Which keys a request model accepts where: what a 422 suggests for a misspelled or
misplaced key (``"input"``: did you mean ``"inputs"``?; a network sent without ``network``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel


def known_fields(
    model: type[BaseModel], location: Sequence[str | int]
) -> dict[str, frozenset[str]]:
    """The keys ``model`` accepts in the object at ``location`` (a pydantic error's ``loc``
    without its last part), each with the keys accepted inside it when it holds an object.
    Empty where the location does not lead to a model (a plain value, a free-form mapping)."""
    types: list[Any] = [model]
    for part in location:
        types = [inner for annotation in types for inner in _step(annotation, part)]
    return {
        name: frozenset(inner for m in _models([annotation]) for inner, _ in _fields(m))
        for found in _models(types)
        for name, annotation in _fields(found)
    }


def _options(annotation: Any) -> list[Any]:
    """The alternatives of a type: Annotated and Optional unwrapped, unions flattened."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _options(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [option for arg in get_args(annotation) for option in _options(arg)]
    return [annotation]


def _models(types: Iterable[Any]) -> list[type[BaseModel]]:
    return [
        option
        for annotation in types
        for option in _options(annotation)
        if isinstance(option, type) and issubclass(option, BaseModel)
    ]


def _fields(model: type[BaseModel]) -> list[tuple[str, Any]]:
    """(key as sent, annotation) of each field."""
    return [(info.alias or name, info.annotation) for name, info in model.model_fields.items()]


def _step(annotation: Any, part: str | int) -> list[Any]:
    """The types one step into ``annotation``: a model's field, a list's or a mapping's items."""
    found: list[Any] = []
    for option in _options(annotation):
        origin = get_origin(option)
        if isinstance(option, type) and issubclass(option, BaseModel):
            found += [a for name, a in _fields(option) if name == part]
        elif origin in (list, tuple, set, frozenset, Sequence) and isinstance(part, int):
            found += [arg for arg in get_args(option) if arg is not Ellipsis]
        elif origin in (dict, Mapping) and len(get_args(option)) == 2:
            found.append(get_args(option)[1])
    return found
