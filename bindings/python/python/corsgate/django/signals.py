"""django-cors-headers' ``check_request_enabled`` signal.

A receiver is called with ``request=``; when any returns a true value, CORS
is enabled for that request (outside ``CORS_URLS_REGEX`` too) and the
request's origin is allowed, as with django-cors-headers. Receivers of
``corsheaders.signals.check_request_enabled`` are asked as well, when that
package is installed, so a project's handlers keep working unchanged.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.dispatch import Signal

__all__ = ["check_request_enabled"]

check_request_enabled = Signal()

# The request being decided, for the origin predicate the signal becomes.
current_request: ContextVar[Any] = ContextVar("corsgate_current_request", default=None)


_found: list[Signal] = []


def _signals() -> list[Signal]:
    if not _found:
        _found.append(check_request_enabled)
        try:
            from corsheaders.signals import check_request_enabled as theirs
        except ImportError:
            pass
        else:
            _found.append(theirs)
    return _found


def has_receivers() -> bool:
    return any(s.has_listeners() for s in _signals())


def signal_allows(request: Any) -> bool:
    """Whether a receiver enables CORS for ``request``."""
    for signal in _signals():
        if signal.has_listeners():
            if any(answer for _, answer in signal.send(sender=None, request=request)):
                return True
    return False


def origin_allowed_by_signal(origin: str) -> bool:
    """The origin predicate: asked by the engine only when no configured
    origin matched, for the request the middleware is deciding."""
    request = current_request.get()
    return request is not None and signal_allows(request)
