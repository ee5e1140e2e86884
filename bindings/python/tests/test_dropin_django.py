"""corsgate.django.CorsMiddleware against django-cors-headers' CorsMiddleware,
behaviour by behaviour, from django-cors-headers' documented settings.

Each case runs the same request, under the same settings, through both
middlewares around the same view: the answers must be equal, or differ
exactly as the differences table in README.md ("From django-cors-headers")
says.
"""

from __future__ import annotations

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangoproject.settings")
django.setup()

import pytest  # noqa: E402
from corsheaders.middleware import CorsMiddleware as PeerMiddleware  # noqa: E402
from corsheaders.signals import check_request_enabled as peer_signal  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402

from corsgate.django import CorsMiddleware  # noqa: E402

APP = "https://app.example.com"
EVIL = "https://evil.example"

# django-cors-headers' defaults, spelled out so that the project's test
# settings (djangoproject/settings.py) do not leak in.
DEFAULTS: dict[str, Any] = {
    "CORS_ALLOWED_ORIGINS": [],
    "CORS_ALLOWED_ORIGIN_REGEXES": [],
    "CORS_ALLOW_ALL_ORIGINS": False,
    "CORS_ALLOW_CREDENTIALS": False,
    "CORS_ALLOW_METHODS": ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"),
    "CORS_ALLOW_HEADERS": (
        "accept",
        "authorization",
        "content-type",
        "user-agent",
        "x-csrftoken",
        "x-requested-with",
    ),
    "CORS_EXPOSE_HEADERS": [],
    "CORS_PREFLIGHT_MAX_AGE": 86400,
    "CORS_URLS_REGEX": r"^.*$",
    "CORS_ALLOW_PRIVATE_NETWORK": False,
}


def view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("data")
    response["Vary"] = "Accept-Encoding"
    return response


def answer(
    middleware: Any, settings: dict[str, Any], method: str, path: str, headers: dict[str, str]
) -> dict[str, Any]:
    with override_settings(**{**DEFAULTS, **settings}):
        request = RequestFactory().generic(method, path, headers=headers)
        response = middleware(view)(request)
    cors = {
        k.lower(): v
        for k, v in response.items()
        if k.lower().startswith("access-control-") or k.lower() in ("vary", "content-length")
    }
    return {"status": response.status_code, "headers": cors, "body": response.content}


def both(
    settings: dict[str, Any], method: str = "GET", path: str = "/api/x", **headers: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        answer(PeerMiddleware, settings, method, path, headers),
        answer(CorsMiddleware, settings, method, path, headers),
    )


def same(peer: dict[str, Any], ours: dict[str, Any], *, except_: tuple[str, ...] = ()) -> None:
    assert ours["status"] == peer["status"]
    assert ours["body"] == peer["body"]

    def strip(headers: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in headers.items() if k not in except_}

    assert strip(ours["headers"]) == strip(peer["headers"])


LISTED = {"CORS_ALLOWED_ORIGINS": [APP]}
PREFLIGHT = {"origin": APP, "access-control-request-method": "PUT"}
# Preflights: corsgate's Vary also names the request headers the answer depends on.
PREFLIGHT_VARY = (
    "origin, access-control-request-method, access-control-request-headers, "
    "access-control-request-private-network"
)


def test_a_listed_origin_gets_the_same_bytes() -> None:
    settings = {**LISTED, "CORS_EXPOSE_HEADERS": ["X-Request-Id", "X-Total"]}
    peer, ours = both(settings, origin=APP)
    same(peer, ours)
    assert ours["headers"]["vary"] == "Accept-Encoding, origin"
    assert ours["headers"]["access-control-expose-headers"] == "X-Request-Id, X-Total"


def test_unlisted_origins_and_same_origin_requests() -> None:
    same(*both(LISTED, origin=EVIL))
    same(*both(LISTED))


def test_allow_all_origins() -> None:
    peer, ours = both({"CORS_ALLOW_ALL_ORIGINS": True}, origin=EVIL)
    same(peer, ours)
    assert ours["headers"]["access-control-allow-origin"] == "*"
    assert ours["headers"]["vary"] == "Accept-Encoding, origin"


def test_credentials() -> None:
    same(*both({**LISTED, "CORS_ALLOW_CREDENTIALS": True}, origin=APP))


def test_allowed_origin_regexes() -> None:
    settings = {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://\w+\.preview\.example\.com$"]}
    same(*both(settings, origin="https://pr7.preview.example.com"))
    same(*both(settings, origin=EVIL))


def test_an_accepted_preflight_is_200_with_the_settings_bytes() -> None:
    peer, ours = both(
        LISTED, "OPTIONS", **PREFLIGHT, **{"access-control-request-headers": "content-type"}
    )
    same(peer, ours, except_=("vary",))
    assert ours["status"] == 200
    assert (
        ours["headers"]["access-control-allow-methods"] == "DELETE, GET, OPTIONS, PATCH, POST, PUT"
    )
    assert ours["headers"]["access-control-allow-headers"] == (
        "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with"
    )
    assert ours["headers"]["access-control-max-age"] == "86400"
    assert ours["headers"]["content-length"] == "0"
    assert peer["headers"]["vary"] == "origin"
    assert ours["headers"]["vary"] == PREFLIGHT_VARY


def test_settings_lists_are_sent_as_written() -> None:
    settings = {
        **LISTED,
        "CORS_ALLOW_METHODS": ["PUT", "DELETE"],
        "CORS_ALLOW_HEADERS": ["Content-Type", "X-Request-Id"],
        "CORS_PREFLIGHT_MAX_AGE": 600,
    }
    peer, ours = both(settings, "OPTIONS", **PREFLIGHT)
    same(peer, ours, except_=("vary",))
    assert ours["headers"]["access-control-allow-headers"] == "Content-Type, X-Request-Id"


def test_a_false_max_age_sends_no_max_age() -> None:
    peer, ours = both({**LISTED, "CORS_PREFLIGHT_MAX_AGE": 0}, "OPTIONS", **PREFLIGHT)
    same(peer, ours, except_=("vary",))
    assert "access-control-max-age" not in ours["headers"]


def test_private_network() -> None:
    settings = {**LISTED, "CORS_ALLOW_PRIVATE_NETWORK": True}
    request = {**PREFLIGHT, "access-control-request-private-network": "true"}
    peer, ours = both(settings, "OPTIONS", **request)
    same(peer, ours, except_=("vary",))
    assert ours["headers"]["access-control-allow-private-network"] == "true"


def test_urls_regex_limits_cors_to_matching_paths() -> None:
    settings = {**LISTED, "CORS_URLS_REGEX": r"^/api/"}
    same(*both(settings, path="/api/x", origin=APP))
    same(*both(settings, path="/page", origin=APP))
    peer, ours = both(settings, "OPTIONS", "/page", **PREFLIGHT)
    same(peer, ours)


def test_the_signal_allows_an_origin_for_a_request() -> None:
    def allow_tenant(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
        return bool(request.headers.get("origin") == "https://tenant.example")

    peer_signal.connect(allow_tenant)
    try:
        same(*both({}, origin="https://tenant.example"))
        same(*both({}, origin=EVIL))
        # With CORS_URLS_REGEX, the signal also enables other paths.
        same(*both({"CORS_URLS_REGEX": r"^/api/"}, path="/page", origin="https://tenant.example"))
    finally:
        peer_signal.disconnect(allow_tenant)


def test_empty_settings_answer_nothing() -> None:
    same(*both({}, origin=APP))
    peer, ours = both({}, "OPTIONS", **PREFLIGHT)
    # django-cors-headers answers 200 without CORS headers; corsgate refuses it (403).
    assert peer["status"] == 200 and ours["status"] == 403
    assert not any(k.startswith("access-control-") for k in ours["headers"])


def test_a_refused_preflight_is_403() -> None:
    for request in (
        {**PREFLIGHT, "origin": EVIL},
        {**PREFLIGHT, "access-control-request-method": "TRACE"},
        {**PREFLIGHT, "access-control-request-headers": "x-other"},
    ):
        peer, ours = both(LISTED, "OPTIONS", **request)
        assert peer["status"] == 200
        assert ours["status"] == 403
        assert not any(k.startswith("access-control-") for k in ours["headers"])


def test_options_without_request_method_goes_to_the_view() -> None:
    peer, ours = both(LISTED, "OPTIONS", origin=APP)
    assert ours["body"] == peer["body"] == b"data"
    # django-cors-headers adds the preflight headers to any OPTIONS; corsgate
    # answers it as the actual request it is (Fetch).
    assert "access-control-allow-methods" in peer["headers"]
    assert "access-control-allow-methods" not in ours["headers"]
    assert ours["headers"]["access-control-allow-origin"] == APP


def test_all_origins_with_credentials_is_refused_at_start_up() -> None:
    settings = {"CORS_ALLOW_ALL_ORIGINS": True, "CORS_ALLOW_CREDENTIALS": True}
    peer = answer(PeerMiddleware, settings, "GET", "/api/x", {"origin": EVIL})
    assert peer["headers"]["access-control-allow-origin"] == EVIL
    with pytest.raises(Exception, match="any-origin-with-credentials"):
        answer(CorsMiddleware, settings, "GET", "/api/x", {"origin": EVIL})
