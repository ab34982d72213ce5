"""One error catalogue: the server's problem types, the client's exception classes and the
types `openapi.yaml` publishes are the same set, with the same statuses."""

from __future__ import annotations

import yaml

from nntrace import _exceptions as client_errors
from nntrace_service.core.errors import CoreError
from nntrace_service.problems import PROBLEM_TYPES
from tests.support import ROOT


def test_client_mirrors_every_server_problem_type() -> None:
    """Every slug the server can send has exactly one client exception class."""
    assert set(client_errors.PROBLEM_TYPES) == set(PROBLEM_TYPES)


def test_client_classes_fall_back_to_the_server_statuses() -> None:
    """A problem whose slug the client does not know still maps by the server's status to
    the parent of the slug's own class (422 leaves under UnprocessableEntityError, ...)."""
    for slug, kind in PROBLEM_TYPES.items():
        cls = client_errors.exception_class(slug, kind.status)
        fallback = client_errors.exception_class("unheard-of", kind.status)

        assert cls is client_errors.PROBLEM_TYPES[slug]
        assert issubclass(cls, fallback)


def test_spec_publishes_the_same_catalogue() -> None:
    """`openapi.yaml`'s `x-problem-types` names the same slugs as the client."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())

    assert set(spec["x-problem-types"]) == set(client_errors.PROBLEM_TYPES)


def _subclasses(cls: type[CoreError]) -> list[type[CoreError]]:
    return [cls, *(c for sub in cls.__subclasses__() for c in _subclasses(sub))]


def test_every_core_error_slug_is_a_problem_type() -> None:
    """Core errors carry their own slug; the catalogue is the one table they map through,
    so a slug missing from it would fail at the first such error (a 500)."""
    classes = _subclasses(CoreError)

    assert len(classes) >= 7
    for cls in classes:
        assert cls.slug in PROBLEM_TYPES, cls.__name__
        assert PROBLEM_TYPES[cls.slug].status == 422, cls.__name__
