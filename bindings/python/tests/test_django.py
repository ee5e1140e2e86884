"""corsgate.django.CorsMiddleware through Django's test client (sync and async)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangoproject.settings")
django.setup()

from django.core.checks import Error, Warning, run_checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402

from corsgate.django.conf import load_config  # noqa: E402

APP = "https://app.example.com"
EVIL = "https://evil.example"
# django-cors-headers' bytes: lowercase tokens, and Vary on every response it covers.
PREFLIGHT_VARY = (
    "origin, access-control-request-method, access-control-request-headers, "
    "access-control-request-private-network"
)


def preflight(
    client: Client, path: str, origin: str = APP, method: str = "PUT", **extra: str
) -> Any:
    return client.options(
        path, headers={"origin": origin, "access-control-request-method": method, **extra}
    )


def cors(response: Any) -> dict[str, str]:
    return {
        k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-")
    }


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def test_preflight_allowed(client: Client) -> None:
    response = preflight(client, "/api/items", **{"access-control-request-headers": "Content-Type"})
    assert response.status_code == 200
    assert response.content == b""
    assert cors(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, POST, PUT, DELETE",
        "access-control-allow-headers": "content-type, x-csrftoken",
        "access-control-max-age": "600",
    }
    assert response["Vary"] == PREFLIGHT_VARY


def test_the_public_header_api_gives_the_same_responses(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corsgate.django

    fast = [
        preflight(client, "/api/items"),
        client.get("/api/items", headers={"origin": APP}),
        client.get("/api/vary", headers={"origin": APP}),
    ]
    monkeypatch.setattr(corsgate.django, "_store", lambda response: None)
    slow = [
        preflight(client, "/api/items"),
        client.get("/api/items", headers={"origin": APP}),
        client.get("/api/vary", headers={"origin": APP}),
    ]
    for a, b in zip(fast, slow):
        assert a.status_code == b.status_code
        assert sorted(a.headers.items()) == sorted(b.headers.items())


def test_preflight_refused(client: Client) -> None:
    for response in (
        preflight(client, "/api/items", origin=EVIL),
        preflight(client, "/api/items", method="PATCH"),
        preflight(client, "/api/items", **{"access-control-request-headers": "x-secret"}),
    ):
        assert response.status_code == 403
        assert cors(response) == {}
        assert response["Vary"] == PREFLIGHT_VARY


def test_refused_preflight_is_explained_in_the_debug_log(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="corsgate"):
        preflight(client, "/api/items", method="PATCH")
    assert 'add "PATCH" to `methods`' in caplog.text


def test_preflight_is_answered_before_a_login_protected_view(client: Client) -> None:
    response = preflight(client, "/api/private")
    assert response.status_code == 200
    assert cors(response)["access-control-allow-origin"] == APP
    # The actual request reaches the view, which redirects to the login page.
    actual = client.get("/api/private", headers={"origin": APP})
    assert actual.status_code == 302
    assert cors(actual)["access-control-allow-origin"] == APP


def test_actual_allowed_with_credentials(client: Client) -> None:
    response = client.get("/api/items", headers={"origin": APP})
    assert response.status_code == 200
    assert response.json() == {"items": [1, 2]}
    # The view's own Access-Control-* headers are replaced or removed.
    assert cors(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-request-id",
    }
    assert response["Vary"] == "origin"


def test_actual_refused_is_still_answered(client: Client) -> None:
    response = client.post("/api/items", headers={"origin": EVIL})
    assert response.status_code == 200
    assert cors(response) == {}
    assert response["Vary"] == "origin"
    same_origin = client.get("/api/items")
    assert cors(same_origin) == {}
    assert same_origin["Vary"] == "origin"


@pytest.mark.parametrize("public_api", [False, True])
def test_every_header_corsgate_owns_is_dropped(
    client: Client, monkeypatch: pytest.MonkeyPatch, public_api: bool
) -> None:
    # Core owns Access-Control-* and Private-Network-Access-*; the view set both.
    import corsgate.django

    if public_api:
        monkeypatch.setattr(corsgate.django, "_store", lambda response: None)
    for response in (
        client.get("/api/items", headers={"origin": APP}),
        client.get("/api/items", headers={"origin": EVIL}),
    ):
        names = {k.lower() for k in response.headers}
        assert "private-network-access-name" not in names
        assert "access-control-allow-methods" not in names
        assert response["X-Request-Id"] == "r-1"


def test_vary_is_merged_never_overwritten(client: Client) -> None:
    response = client.get("/api/vary", headers={"origin": APP})
    assert response["Vary"] == "Accept-Encoding, origin"
    response = client.get("/api/vary-star", headers={"origin": APP})
    assert response["Vary"] == "*"
    assert cors(response)["access-control-allow-origin"] == APP


def test_a_failing_view_still_gets_cors_headers(client: Client) -> None:
    logging.getLogger("django.request").disabled = True
    try:
        response = client.get("/api/boom", headers={"origin": APP})
    finally:
        logging.getLogger("django.request").disabled = False
    assert response.status_code == 500
    assert cors(response)["access-control-allow-origin"] == APP
    assert response["Vary"] == "origin"


def test_async_view_through_the_sync_client(client: Client) -> None:
    response = client.get("/api/async", headers={"origin": APP})
    assert response.json() == {"async": True}
    assert cors(response)["access-control-allow-origin"] == APP


def test_async_middleware_chain() -> None:
    async def run() -> list[Any]:
        client = AsyncClient()
        return [
            await client.get("/api/async", headers={"origin": APP}),
            await client.get("/api/items", headers={"origin": EVIL}),
            await client.options(
                "/api/private",
                headers={"origin": APP, "access-control-request-method": "DELETE"},
            ),
            await client.options(
                "/api/items",
                headers={"origin": EVIL, "access-control-request-method": "DELETE"},
            ),
        ]

    allowed, refused, preflight_ok, preflight_refused = asyncio.run(run())
    assert allowed.status_code == 200
    assert cors(allowed)["access-control-allow-origin"] == APP
    assert (refused.status_code, cors(refused), refused["Vary"]) == (200, {}, "origin")
    assert preflight_ok.status_code == 200
    assert cors(preflight_ok)["access-control-allow-methods"] == "GET, POST, PUT, DELETE"
    assert (preflight_refused.status_code, cors(preflight_refused)) == (403, {})


def test_paths_outside_cors_urls_regex_are_untouched(client: Client) -> None:
    response = client.get("/other", headers={"origin": APP})
    assert cors(response) == {}
    assert "Vary" not in response
    options = preflight(client, "/other")
    assert cors(options) == {}


def test_settings_changes_rebuild_the_policy(client: Client) -> None:
    other = "https://other.example"
    assert cors(client.get("/api/items", headers={"origin": other})) == {}
    with override_settings(CORS_ALLOWED_ORIGINS=[other], CORS_ALLOW_CREDENTIALS=False):
        response = client.get("/api/items", headers={"origin": other})
        assert cors(response) == {
            "access-control-allow-origin": other,
            "access-control-expose-headers": "x-request-id",
        }
    assert cors(client.get("/api/items", headers={"origin": other})) == {}


def test_allow_all_origins_sends_a_star(client: Client) -> None:
    with override_settings(CORS_ALLOW_ALL_ORIGINS=True, CORS_ALLOW_CREDENTIALS=False):
        response = client.get("/api/items", headers={"origin": EVIL})
        assert cors(response)["access-control-allow-origin"] == "*"
        # As django-cors-headers: Vary: origin even though the answer is `*`.
        assert response["Vary"] == "origin"


def test_origin_regexes_must_match_the_whole_origin(client: Client) -> None:
    with override_settings(CORS_ALLOWED_ORIGIN_REGEXES=[r"https://[a-z]+\.tenants\.example"]):
        ok = client.get("/api/items", headers={"origin": "https://a.tenants.example"})
        assert cors(ok)["access-control-allow-origin"] == "https://a.tenants.example"
        trick = client.get("/api/items", headers={"origin": "https://a.tenants.example.evil.com"})
        assert cors(trick) == {}


def test_corsgate_policy_as_dict_or_file(client: Client, tmp_path: Path) -> None:
    policy = {"origins": ["https://file.example"], "methods": ["PATCH"], "preflight_status": 200}
    with override_settings(CORSGATE_POLICY=policy):
        response = preflight(client, "/api/items", origin="https://file.example", method="PATCH")
        assert response.status_code == 200
        assert cors(response)["access-control-allow-methods"] == "PATCH"
    path = tmp_path / "cors.json"
    path.write_text(json.dumps(policy))
    with override_settings(CORSGATE_POLICY=str(path)):
        assert load_config().policy.to_dict()["methods"] == ["PATCH"]
        response = client.get("/api/items", headers={"origin": "https://file.example"})
        assert cors(response) == {"access-control-allow-origin": "https://file.example"}


def test_origin_predicate_setting(client: Client) -> None:
    with override_settings(
        CORSGATE_ORIGIN_PREDICATE=lambda origin: origin == "https://tenant.example"
    ):
        response = client.get("/api/items", headers={"origin": "https://tenant.example"})
        assert cors(response)["access-control-allow-origin"] == "https://tenant.example"


def test_invalid_settings_are_reported_by_the_system_check() -> None:
    assert [m for m in run_checks() if m.id.startswith("corsgate.")] == []
    with override_settings(
        CORS_ALLOWED_ORIGINS=["https://app.example.com/", "http://insecure.example"],
        CORS_ALLOW_METHODS=["TRACE"],
    ):
        messages = [m for m in run_checks() if m.id.startswith("corsgate.")]
        assert all(isinstance(m, Error) for m in messages)
        ids = {m.id for m in messages}
        assert ids == {
            "corsgate.invalid-origin",
            "corsgate.insecure-origin-with-credentials",
            "corsgate.forbidden-method",
        }
        slash = next(m for m in messages if m.id == "corsgate.invalid-origin")
        assert slash.hint == 'did you mean "https://app.example.com"?'
        with pytest.raises(SystemCheckError, match=r"corsgate\.invalid-origin"):
            call_command("check")
    with override_settings(CORS_ALLOW_ALL_ORIGINS=True):
        ids = {m.id for m in run_checks() if m.id.startswith("corsgate.")}
        assert ids == {"corsgate.any-origin-with-credentials"}
    with override_settings(CORS_URLS_REGEX="(unclosed"):
        ids = {m.id for m in run_checks() if m.id.startswith("corsgate.")}
        assert ids == {"corsgate.invalid-urls-regex"}


def test_risky_settings_are_warnings() -> None:
    with override_settings(CORS_PREFLIGHT_MAX_AGE=86400):
        messages = [m for m in run_checks() if m.id.startswith("corsgate.")]
        assert [type(m) for m in messages] == [Warning]
        assert messages[0].id == "corsgate.max-age-above-chrome-cap"


def test_invalid_settings_fail_loudly_at_request_time() -> None:
    client = Client()
    with override_settings(CORS_ALLOWED_ORIGINS=["not an origin"]):
        with pytest.raises(ImproperlyConfigured, match=r"\[invalid-origin\]"):
            client.get("/api/items", headers={"origin": APP})
    with override_settings(CORSGATE_POLICY=42):
        with pytest.raises(
            ImproperlyConfigured, match="CORSGATE_POLICY must be a dict or a file path"
        ):
            client.get("/api/items", headers={"origin": APP})


def test_corsgate_policy_with_routes(client: Client, tmp_path: Path) -> None:
    routes = {
        "policies": {"app": {"origins": [APP], "credentials": True, "methods": ["PUT"]}},
        "routes": [
            {"path": "/api/items", "policy": {"origins": ["*"]}},
            {"path": "/api/private", "policy": False},
            {"path": "/api/**", "policy": "app"},
        ],
    }
    path = tmp_path / "cors.json"
    path.write_text(json.dumps(routes))
    for source in (routes, str(path)):
        with override_settings(CORSGATE_POLICY=source):
            assert load_config().routes
            items = client.get("/api/items", headers={"origin": EVIL})
            assert cors(items)["access-control-allow-origin"] == "*"
            private = client.get("/api/private", headers={"origin": APP})
            assert cors(private) == {}
            assert "Origin" not in private.get("Vary", "")
            vary = client.get("/api/vary", headers={"origin": APP})
            assert cors(vary)["access-control-allow-credentials"] == "true"
            answered = preflight(client, "/api/async")
            assert answered.status_code == 204
            assert cors(answered)["access-control-allow-origin"] == APP


def test_route_lint_warnings_reach_manage_py_check() -> None:
    routes = {
        "routes": [
            {"path": "/api/**", "policy": {"origins": [APP]}},
            {"path": "/api/items", "policy": {"origins": ["*"]}},
        ]
    }
    with override_settings(CORSGATE_POLICY=routes):
        ids = {m.id for m in run_checks()}
        assert "corsgate.route-never-matches" in ids


def test_empty_settings_allow_no_origin_with_a_check_warning(client: Client) -> None:
    with override_settings(CORS_ALLOWED_ORIGINS=[]):
        response = client.get("/api/items", headers={"origin": APP})
        assert response.status_code == 200 and cors(response) == {}
        refused = preflight(client, "/api/items")
        assert cors(refused) == {}
        messages = [m for m in run_checks() if m.id == "corsgate.no-origins"]
        assert len(messages) == 1 and isinstance(messages[0], Warning)
    with override_settings(
        CORS_ALLOWED_ORIGINS=[], CORS_ALLOWED_ORIGIN_REGEXES=[r"https://.*\.example\.com"]
    ):
        assert not [m for m in run_checks() if m.id == "corsgate.no-origins"]
        ok = client.get("/api/items", headers={"origin": "https://a.example.com"})
        assert cors(ok)["access-control-allow-origin"] == "https://a.example.com"


def test_check_request_enabled_signal(client: Client) -> None:
    from corsheaders.signals import check_request_enabled as theirs

    from corsgate.django.signals import check_request_enabled

    tenant = "https://tenant.example"

    def allow_tenant(sender: Any, request: Any, **kwargs: Any) -> bool:
        return bool(request.headers.get("origin") == tenant)

    def allow_other_path(sender: Any, request: Any, **kwargs: Any) -> bool:
        return bool(request.path == "/other" and request.headers.get("origin") == APP)

    check_request_enabled.connect(allow_tenant)
    theirs.connect(allow_other_path)
    try:
        ok = client.get("/api/items", headers={"origin": tenant})
        assert cors(ok)["access-control-allow-origin"] == tenant
        assert cors(client.get("/api/items", headers={"origin": EVIL})) == {}
        # Outside CORS_URLS_REGEX, a receiver enables CORS for the request.
        other = client.get("/other", headers={"origin": APP})
        assert cors(other)["access-control-allow-origin"] == APP
        assert cors(client.get("/other", headers={"origin": EVIL})) == {}
        # Empty settings: only the signal allows, and check does not warn.
        with override_settings(CORS_ALLOWED_ORIGINS=[]):
            assert cors(client.get("/api/items", headers={"origin": tenant}))
            assert cors(client.get("/api/items", headers={"origin": APP})) == {}
            assert not [m for m in run_checks() if m.id == "corsgate.no-origins"]
    finally:
        check_request_enabled.disconnect(allow_tenant)
        theirs.disconnect(allow_other_path)


def test_cors_enabled_set_by_an_earlier_middleware() -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from corsgate.django import CorsMiddleware

    middleware = CorsMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/api/items", headers={"origin": APP})
    request._cors_enabled = False
    assert cors(middleware(request)) == {}
    request = RequestFactory().get("/api/items", headers={"origin": APP})
    assert cors(middleware(request))["access-control-allow-origin"] == APP
    assert request._cors_enabled is True
