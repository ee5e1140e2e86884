"""Django middleware: ``corsgate.django.CorsMiddleware``.

Put it high in ``MIDDLEWARE`` (before ``CommonMiddleware`` and anything that
may answer early), and add ``"corsgate.django"`` to ``INSTALLED_APPS`` for
the ``manage.py check`` report. Settings: see :mod:`corsgate.django.conf`.

Preflights are answered before the view (so views that require login are
never reached by them); every other response gets the decision's headers and
``Vary`` tokens, and is never refused.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, Callable, Union

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from corsgate._corsgate import Decision, PolicyError, is_cors_response_header
from corsgate.django.conf import CorsConfig, load_config
from corsgate.django.signals import current_request, signal_allows

__all__ = ["CorsMiddleware"]

logger = logging.getLogger("corsgate")

GetResponse = Callable[[HttpRequest], Union[HttpResponseBase, Awaitable[HttpResponseBase]]]


def _load() -> CorsConfig:
    try:
        return load_config()
    except PolicyError as e:
        raise ImproperlyConfigured(f"corsgate: {e}") from e
    except (TypeError, ValueError, OSError, ImportError) as e:
        raise ImproperlyConfigured(f"corsgate: the CORS settings cannot be read: {e}") from e


def _store(response: HttpResponseBase) -> dict[str, tuple[str, str]] | None:
    """The dict behind ``response.headers``, keyed by lowercase name.

    Writing there skips Django's per-header charset and newline checks, which
    cost more than the whole CORS decision; corsgate's values are visible
    ASCII by construction (SPEC §6). Falls back to the public API if Django
    ever stores headers differently.
    """
    store = getattr(response.headers, "_store", None)
    return store if type(store) is dict else None


def _preflight(decision: Decision, request: HttpRequest) -> HttpResponse:
    if not decision.allowed and logger.isEnabledFor(logging.DEBUG):
        logger.debug("refused preflight: %s", decision.explain(request.build_absolute_uri()))
    status = decision.status or 403
    response = HttpResponse(status=status)
    headers = decision.apply(())
    if decision.content_length is not None:
        headers.append(("Content-Length", decision.content_length))
    store = _store(response)
    if store is not None:
        for name, value in headers:
            store[name.lower()] = (name, value)
    else:
        for name, value in headers:
            response.headers[name] = value
    return response


def _apply(decision: Decision, response: HttpResponseBase) -> None:
    store = _store(response)
    if store is None:
        _apply_public(decision, response)
        return
    stale = [k for k in store if is_cors_response_header(k)]
    for key in stale:
        del store[key]
    for name, value in decision.headers:
        store[name.lower()] = (name, value)
    current = store.get("vary")
    merged = decision.merge_vary(current[1] if current else None)
    if merged is not None:
        store["vary"] = (current[0] if current else "Vary", merged)


def _apply_public(decision: Decision, response: HttpResponseBase) -> None:
    headers = response.headers
    stale = [k for k in headers if is_cors_response_header(k)]
    for key in stale:
        del headers[key]
    for name, value in decision.headers:
        headers[name] = value
    merged = decision.merge_vary(headers.get("Vary"))
    if merged is not None:
        headers["Vary"] = merged


class CorsMiddleware:
    """CORS for a Django project under the policy its settings describe."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        self._config: CorsConfig | None = _load()
        # A weak reference: the receiver goes with this middleware.
        setting_changed.connect(self._setting_changed)

    def _setting_changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting.startswith(("CORS_", "CORSGATE_")):
            self._config = None  # rebuilt, and checked, on the next request

    def _decide(self, request: HttpRequest) -> Decision | None:
        config = self._config
        if config is None:
            config = self._config = _load()
        # django-cors-headers' `request._cors_enabled`: set by an earlier
        # middleware, or here from CORS_URLS_REGEX and the signal.
        enabled = getattr(request, "_cors_enabled", None)
        if enabled is None:
            enabled = (
                config.urls is None
                or bool(config.urls.match(request.path_info))
                or signal_allows(request)
            )
            request._cors_enabled = enabled  # type: ignore[attr-defined]
        if not enabled:
            return None
        meta = request.META
        token = current_request.set(request)
        try:
            return config.policy.decide_values(
                meta.get("REQUEST_METHOD") or request.method or "GET",
                meta.get("HTTP_ORIGIN"),
                meta.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
                meta.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
                meta.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
                path=request.path_info if config.routes else None,
            )
        finally:
            current_request.reset(token)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        decision = self._decide(request)
        if decision is None:
            return self.get_response(request)
        if decision.kind == "preflight":
            return _preflight(decision, request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)
        _apply(decision, response)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        decision = self._decide(request)
        if decision is None:
            return await self.get_response(request)
        if decision.kind == "preflight":
            return _preflight(decision, request)
        response = await self.get_response(request)
        _apply(decision, response)
        return response
