"""WSGI middleware, for Flask and any WSGI application.

::

    app.wsgi_app = CORSMiddleware(app.wsgi_app, policy=Policy(origins=["https://app.example.com"]))

Preflights are answered here, before the application; every other response
gets the decision's headers and ``Vary`` tokens, and is never refused.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any, Optional, Union

from corsgate._corsgate import Policy

__all__ = ["CORSMiddleware"]

ExcInfo = tuple[type[BaseException], BaseException, Optional[TracebackType]]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIEnvironment = dict[str, Any]
WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]
PolicySource = Union[Policy, Mapping[str, Any], str, "os.PathLike[str]"]

logger = logging.getLogger("corsgate")


def as_policy(policy: PolicySource) -> Policy:
    """A :class:`Policy` from itself, a dict in the SPEC format, or a file path."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Mapping):
        return Policy.from_dict(policy)
    if isinstance(policy, (str, os.PathLike)):
        return Policy.from_file(policy)
    raise TypeError(f"policy must be a Policy, a dict or a file path, not {type(policy).__name__}")


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class CORSMiddleware:
    """CORS for a WSGI application under one :class:`Policy`."""

    def __init__(self, app: WSGIApplication, policy: PolicySource) -> None:
        self.app = app
        self.policy = as_policy(policy)
        # A policy file with routes picks the policy by PATH_INFO, the path
        # below the application's mount point.
        self._routes = self.policy.has_routes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        get = environ.get
        decision = self.policy.decide_values(
            get("REQUEST_METHOD", "GET"),
            get("HTTP_ORIGIN"),
            get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
            get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
            get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
            path=(get("PATH_INFO") or "/") if self._routes else None,
        )
        if decision.kind == "preflight":
            if not decision.allowed and logger.isEnabledFor(logging.DEBUG):
                logger.debug("refused preflight: %s", decision.explain(get("PATH_INFO", "")))
            status = decision.status or 403
            headers = decision.apply(())
            if decision.content_length is not None:
                headers.append(("Content-Length", decision.content_length))
            start_response(_status_line(status), headers)
            return []

        def start_response_with_cors(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: ExcInfo | None = None,
        ) -> Callable[[bytes], object]:
            return start_response(status, decision.apply(headers), exc_info)

        return self.app(environ, start_response_with_cors)
