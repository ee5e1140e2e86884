"""ASGI middleware with Starlette's keyword arguments, for FastAPI and Starlette.

::

    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://app.example.com"],
        allow_methods=["GET", "PUT"],
        allow_credentials=True,
    )

The options become one :class:`corsgate.Policy` (checked when the middleware
is built); ``allow_origin_regex`` becomes its origin predicate. A ``policy=``
with routes picks the route by the request path (below ``root_path``). Preflights are
answered here, before the application; every other response gets the
decision's headers and ``Vary`` tokens, and is never refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from corsgate._corsgate import Policy

__all__ = ["CORSMiddleware", "policy_from_starlette_options"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("corsgate")

# Starlette allows these request headers whatever `allow_headers` says; kept so
# an application moving over keeps working.
STARLETTE_ALWAYS_ALLOWED_HEADERS = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
# What Starlette's `allow_methods=["*"]` stands for (and sends).
STARLETTE_ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")


def _no_origin(origin: str) -> bool:
    return False


# The body of a preflight Starlette answers, by the refusal's reason.
_STARLETTE_FAILURES = {
    "origin-not-allowed": "origin",
    "invalid-origin": "origin",
    "method-not-allowed": "method",
    "invalid-method": "method",
    "header-not-allowed": "headers",
    "invalid-request-headers": "headers",
}


def _starlette_body(allowed: bool, reason: str | None) -> bytes:
    if allowed:
        return b"OK"
    return f"Disallowed CORS {_STARLETTE_FAILURES.get(reason or '', 'origin')}".encode()


def policy_from_starlette_options(
    allow_origins: Collection[str] = (),
    allow_methods: Collection[str] = ("GET",),
    allow_headers: Collection[str] = (),
    allow_credentials: bool = False,
    allow_origin_regex: str | None = None,
    allow_private_network: bool = False,
    expose_headers: Collection[str] = (),
    max_age: int | None = 600,
) -> Policy:
    """The :class:`Policy` for Starlette's ``CORSMiddleware`` options."""
    echo = "*" in allow_headers
    if echo:
        # Starlette's "*" echoes every requested name, `authorization` included.
        request_headers: list[str] = ["*", "authorization"]
    else:
        # Starlette's bytes: the names as given plus its four, sorted as strings.
        request_headers = sorted(set(STARLETTE_ALWAYS_ALLOWED_HEADERS) | set(allow_headers))
    # Starlette's "*" is its list of every method, and it sends that list.
    methods: Collection[str] = STARLETTE_ALL_METHODS if "*" in allow_methods else allow_methods
    predicate: Callable[[str], object] | None = None
    if allow_origin_regex is not None:
        predicate = re.compile(allow_origin_regex).fullmatch
    elif not list(allow_origins):
        # Starlette's default: no origin is allowed (preflights are refused).
        predicate = _no_origin
    return Policy(
        origins=allow_origins,
        methods=methods,
        request_headers=request_headers,
        credentials=allow_credentials,
        expose_headers=expose_headers,
        max_age=max_age,
        private_network={"allow": allow_private_network},
        # Starlette's statuses: 200 for an accepted preflight, 400 for a refused one.
        preflight_status=200,
        refused_preflight_status=400,
        format={
            "request_headers_case": "as-configured",
            "request_headers_wildcard": "echo" if echo else "star",
            # Starlette sends Vary: Origin on every response.
            "full_vary": True,
        },
        origin_predicate=predicate,
    )


_DEFAULTS: dict[str, object] = {
    "allow_origins": (),
    "allow_methods": ("GET",),
    "allow_headers": (),
    "allow_credentials": False,
    "allow_origin_regex": None,
    "allow_private_network": False,
    "expose_headers": (),
    "max_age": 600,
}


def _normal(value: object) -> object:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else value


def _route_path(scope: Scope) -> str:
    """The path the application routes on: ``path`` below ``root_path``, as
    Starlette's router reads it."""
    path: str = scope.get("path") or "/"
    root: str = scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


class CORSMiddleware:
    """CORS for an ASGI application, configured like Starlette's middleware
    or with a ready :class:`Policy` (``policy=``)."""

    def __init__(
        self,
        app: ASGIApp,
        allow_origins: Collection[str] = (),
        allow_methods: Collection[str] = ("GET",),
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Collection[str] = (),
        max_age: int | None = 600,
        *,
        policy: Policy | None = None,
    ) -> None:
        self.app = app
        if policy is not None:
            options = {
                "allow_origins": allow_origins,
                "allow_methods": allow_methods,
                "allow_headers": allow_headers,
                "allow_credentials": allow_credentials,
                "allow_origin_regex": allow_origin_regex,
                "allow_private_network": allow_private_network,
                "expose_headers": expose_headers,
                "max_age": max_age,
            }
            given = [k for k, v in options.items() if _normal(v) != _normal(_DEFAULTS[k])]
            if given:
                raise TypeError(f"give either policy= or Starlette options, not both: {given}")
            self.policy = policy
        else:
            self.policy = policy_from_starlette_options(
                allow_origins,
                allow_methods,
                allow_headers,
                allow_credentials,
                allow_origin_regex,
                allow_private_network,
                expose_headers,
                max_age,
            )

        # Configured with Starlette's options, preflights get its bodies.
        self._starlette_bodies = policy is None
        # A policy file with routes picks the policy by the request path.
        self._routes = self.policy.has_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope) if self._routes else None
        decision = self.policy.decide(scope["method"], scope["headers"], path=path)
        if decision.kind == "preflight":
            if not decision.allowed and logger.isEnabledFor(logging.DEBUG):
                logger.debug("refused preflight: %s", decision.explain(scope.get("path", "")))
            headers = decision.apply_raw(())
            body = b""
            if self._starlette_bodies:
                # Starlette's PlainTextResponse: "OK", or what was disallowed.
                body = _starlette_body(decision.allowed, decision.reason)
                headers.append((b"content-length", str(len(body)).encode()))
                headers.append((b"content-type", b"text/plain; charset=utf-8"))
            elif decision.content_length is not None:
                headers.append((b"content-length", decision.content_length.encode()))
            await send(
                {"type": "http.response.start", "status": decision.status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = decision.apply_raw(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_cors)
