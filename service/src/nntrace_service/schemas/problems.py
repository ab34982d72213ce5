"""Wire models of problem documents (RFC 9457) and of the health probes."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict

from nntrace_service.schemas.base import ResponseModel


class ProblemItem(ResponseModel):
    """One located error."""

    pointer: str
    """JSON pointer into the request body (RFC 6901)."""
    detail: str
    code: str


class Problem(ResponseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[ProblemItem] | None = None


class Health(ResponseModel):
    """A probe's answer."""

    status: Literal["ok", "ready"]
    version: str
