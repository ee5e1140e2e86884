"""corsgate.asgi.CORSMiddleware against Starlette's own CORSMiddleware,
behaviour by behaviour, from Starlette's documented options.

Each case mounts the same keyword arguments on two Starlette apps, one with
each middleware, and sends the same request: the answers must be equal, or
differ exactly as the differences table in README.md ("From Starlette")
says.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from corsgate import PolicyError
from corsgate.asgi import CORSMiddleware

APP = "https://app.example.com"
EVIL = "https://evil.example"


def _app(middleware: Any, options: dict[str, Any]) -> TestClient:
    def data(request: Any) -> PlainTextResponse:
        return PlainTextResponse("data", headers={"x-request-id": "42"})

    def vary(request: Any) -> PlainTextResponse:
        return PlainTextResponse("data", headers={"vary": "Accept-Encoding"})

    app = Starlette(
        routes=[
            Route("/data", data, methods=["GET", "PUT", "OPTIONS"]),
            Route("/vary", vary),
        ],
        middleware=[Middleware(middleware, **options)],
    )
    return TestClient(app)


def view(response: Any) -> dict[str, Any]:
    headers = {
        k: v
        for k, v in response.headers.items()
        if k.startswith("access-control-") or k in ("vary", "content-length")
    }
    return {"status": response.status_code, "headers": headers, "body": response.content}


def both(
    options: dict[str, Any], method: str, path: str = "/data", **headers: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    answers = []
    for middleware in (StarletteCORS, CORSMiddleware):
        client = _app(middleware, options)
        answers.append(view(client.request(method, path, headers=headers)))
    return answers[0], answers[1]


def same(peer: dict[str, Any], ours: dict[str, Any], *, except_: tuple[str, ...] = ()) -> None:
    assert ours["status"] == peer["status"]
    assert ours["body"] == peer["body"]

    def strip(headers: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in headers.items() if k not in except_}

    assert strip(ours["headers"]) == strip(peer["headers"])


def preflight(**extra: str) -> dict[str, str]:
    return {"origin": APP, "access-control-request-method": "PUT", **extra}


PUT = {"allow_origins": [APP], "allow_methods": ["GET", "PUT"]}
# Starlette sends Access-Control-Allow-Credentials and -Expose-Headers on a
# refused request too; corsgate sends no CORS header on a refusal.
REFUSED = ("access-control-allow-credentials", "access-control-expose-headers")


def test_simple_requests_from_a_listed_origin_are_the_same_bytes() -> None:
    options = {**PUT, "expose_headers": ["X-Request-Id", "X-Total"]}
    peer, ours = both(options, "GET", origin=APP)
    same(peer, ours)
    assert ours["headers"]["access-control-expose-headers"] == "X-Request-Id, X-Total"
    assert ours["headers"]["vary"] == "Origin"
    # A route's own Vary is merged, as Starlette does.
    same(*both(options, "GET", "/vary", origin=APP))


def test_unlisted_origins_and_requests_without_origin_pass_untouched() -> None:
    same(*both(PUT, "GET", origin=EVIL))
    same(*both(PUT, "GET"))


def test_any_origin() -> None:
    options = {"allow_origins": ["*"], "expose_headers": ["x-a"]}
    peer, ours = both(options, "GET", origin=EVIL)
    same(peer, ours)
    assert ours["headers"]["access-control-allow-origin"] == "*"


def test_an_accepted_preflight_is_200_with_starlettes_bytes() -> None:
    peer, ours = both(
        PUT, "OPTIONS", **preflight(**{"access-control-request-headers": "content-type"})
    )
    same(peer, ours)
    assert ours["status"] == 200
    assert ours["headers"]["access-control-allow-methods"] == "GET, PUT"
    assert ours["headers"]["access-control-allow-headers"] == (
        "Accept, Accept-Language, Content-Language, Content-Type"
    )
    assert ours["headers"]["access-control-max-age"] == "600"


def test_allow_headers_as_given_and_sorted_with_the_safelisted_four() -> None:
    options = {**PUT, "allow_headers": ["X-Request-Id", "authorization"]}
    peer, ours = both(
        options, "OPTIONS", **preflight(**{"access-control-request-headers": "x-request-id"})
    )
    same(peer, ours)
    assert ours["headers"]["access-control-allow-headers"] == (
        "Accept, Accept-Language, Content-Language, Content-Type, X-Request-Id, authorization"
    )


def test_star_headers_echo_what_was_asked_and_star_methods_send_the_list() -> None:
    options = {"allow_origins": [APP], "allow_methods": ["*"], "allow_headers": ["*"]}
    peer, ours = both(
        options, "OPTIONS", **preflight(**{"access-control-request-headers": "authorization,x-a"})
    )
    same(peer, ours)
    assert ours["headers"]["access-control-allow-headers"] == "authorization,x-a"
    assert ours["headers"]["access-control-allow-methods"] == (
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY"
    )


def test_credentials() -> None:
    options = {**PUT, "allow_credentials": True}
    same(*both(options, "GET", origin=APP))
    peer, ours = both(options, "OPTIONS", **preflight())
    same(peer, ours)
    assert ours["headers"]["access-control-allow-credentials"] == "true"


def test_max_age() -> None:
    peer, ours = both({**PUT, "max_age": 3600}, "OPTIONS", **preflight())
    same(peer, ours)
    assert ours["headers"]["access-control-max-age"] == "3600"


def test_allow_origin_regex_with_and_without_credentials() -> None:
    regex = r"https://pr-\d+\.preview\.example\.com"
    for credentials in (False, True):
        options = {"allow_origin_regex": regex, "allow_credentials": credentials}
        same(*both(options, "GET", origin="https://pr-7.preview.example.com"))
        # fullmatch, as Starlette: a longer origin is not a match.
        longer = "https://pr-7.preview.example.com.evil.example"
        same(*both(options, "GET", origin=longer), except_=REFUSED)
        peer, ours = both(
            {**options, "allow_methods": ["PUT"]},
            "OPTIONS",
            **preflight(origin="https://pr-7.preview.example.com"),
        )
        same(peer, ours)
        assert ours["headers"]["access-control-allow-origin"] == "https://pr-7.preview.example.com"
    assert re.fullmatch(regex, "https://pr-7.preview.example.com")


def test_a_refused_preflight_is_400_without_cors_headers() -> None:
    # Both: 400 "Disallowed CORS origin" (or method, headers). Starlette also
    # sends its preflight headers (Allow-Methods, Max-Age...); corsgate no
    # Access-Control-* header, so nothing on a refusal reads as permission.
    for request, what in (
        (preflight(origin=EVIL), b"origin"),
        (preflight(**{"access-control-request-method": "PATCH"}), b"method"),
        (preflight(**{"access-control-request-headers": "x-other"}), b"headers"),
    ):
        peer, ours = both(PUT, "OPTIONS", **request)
        assert peer["status"] == ours["status"] == 400
        assert peer["body"] == ours["body"] == b"Disallowed CORS " + what
        assert not any(k.startswith("access-control-") for k in ours["headers"])
        assert ours["headers"]["vary"] == peer["headers"]["vary"]


def test_options_without_request_method_goes_to_the_route() -> None:
    same(*both(PUT, "OPTIONS", origin=APP))


def test_no_origins_allows_no_origin() -> None:
    same(*both({}, "GET", origin=APP))
    peer, ours = both({}, "OPTIONS", **preflight(**{"access-control-request-method": "GET"}))
    assert ours["status"] == peer["status"] == 400
    assert ours["body"] == peer["body"] == b"Disallowed CORS origin"
    # Starlette lists every failure ("origin, method"); corsgate the first.
    peer, ours = both({}, "OPTIONS", **preflight())
    assert (peer["body"], ours["body"]) == (
        b"Disallowed CORS origin, method",
        b"Disallowed CORS origin",
    )


def test_any_origin_with_credentials_is_refused_at_start_up() -> None:
    # Starlette reflects any origin with credentials when a Cookie is sent.
    client = _app(StarletteCORS, {"allow_origins": ["*"], "allow_credentials": True})
    reflected = client.get("/data", headers={"origin": EVIL, "cookie": "s=1"})
    assert reflected.headers["access-control-allow-origin"] == EVIL
    with pytest.raises(PolicyError) as err:
        _app(CORSMiddleware, {"allow_origins": ["*"], "allow_credentials": True}).get("/data")
    assert "any-origin-with-credentials" in str(err.value)
