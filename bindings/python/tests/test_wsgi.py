"""corsgate.wsgi.CORSMiddleware around Flask (test client) and a bare WSGI app."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, abort, jsonify

from corsgate import Policy
from corsgate.wsgi import CORSMiddleware

APP = "https://app.example.com"
EVIL = "https://evil.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def cors(response: Any) -> dict[str, str]:
    return {
        k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-")
    }


def flask_app() -> Flask:
    app = Flask(__name__)

    @app.get("/items")
    def items() -> Response:
        response = jsonify(items=[1])
        response.headers["X-Request-Id"] = "r-1"
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.route("/items", methods=["PUT", "DELETE"])
    def change_items() -> Response:
        return jsonify(changed=True)

    @app.get("/vary")
    def vary() -> Response:
        response = Response("ok")
        response.headers["Vary"] = "Cookie"
        response.headers.add("Vary", "accept-encoding")
        return response

    @app.get("/vary-star")
    def vary_star() -> Response:
        return Response("ok", headers={"Vary": "*"})

    @app.get("/boom")
    def boom() -> Response:
        raise RuntimeError("the view failed")

    @app.get("/missing")
    def missing() -> Response:
        abort(404)

    app.wsgi_app = CORSMiddleware(  # type: ignore[method-assign]
        app.wsgi_app,
        policy=Policy(
            origins=[APP],
            credentials=True,
            methods=["PUT", "DELETE"],
            request_headers=["content-type"],
            expose_headers=["x-request-id"],
            max_age=600,
        ),
    )
    return app


@pytest.fixture
def client() -> Any:
    return flask_app().test_client()


def test_flask_preflight_allowed(client: Any) -> None:
    response = client.options(
        "/items",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.data == b""
    assert cors(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "PUT, DELETE",
        "access-control-allow-headers": "content-type",
        "access-control-max-age": "600",
    }
    assert response.headers["Vary"] == PREFLIGHT_VARY


def test_flask_preflight_refused(client: Any) -> None:
    response = client.options(
        "/items", headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 403
    assert response.data == b""
    assert cors(response) == {}
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert response.headers["Content-Length"] == "0"


def test_flask_actual_allowed_and_refused(client: Any) -> None:
    allowed = client.put("/items", headers={"Origin": APP})
    assert allowed.get_json() == {"changed": True}
    assert cors(allowed) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-request-id",
    }
    assert allowed.headers["Vary"] == "Origin"
    refused = client.get("/items", headers={"Origin": EVIL})
    assert refused.status_code == 200
    assert refused.get_json() == {"items": [1]}
    assert cors(refused) == {}
    assert refused.headers["Vary"] == "Origin"


def test_flask_vary_is_merged(client: Any) -> None:
    response = client.get("/vary", headers={"Origin": APP})
    assert response.headers.getlist("Vary") == ["Cookie", "accept-encoding, Origin"]
    star = client.get("/vary-star", headers={"Origin": APP})
    assert star.headers.getlist("Vary") == ["*"]


def test_flask_error_responses_carry_cors_headers() -> None:
    app = flask_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    client = app.test_client()
    failed = client.get("/boom", headers={"Origin": APP})
    assert failed.status_code == 500
    assert cors(failed)["access-control-allow-origin"] == APP
    missing = client.get("/missing", headers={"Origin": APP})
    assert missing.status_code == 404
    assert cors(missing)["access-control-allow-origin"] == APP


def test_policy_from_a_dict_or_a_file(tmp_path: Path) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    path = tmp_path / "cors.toml"
    path.write_text('origins = ["https://app.example.com"]\n')
    seen: list[Any] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        seen.append((status, headers))
        return lambda data: None

    for policy in ({"origins": [APP]}, str(path), path):
        seen.clear()
        middleware = CORSMiddleware(app, policy=policy)
        body = middleware({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP}, start_response)
        assert list(body) == [b"ok"]
        assert seen == [
            (
                "200 OK",
                [
                    ("Content-Type", "text/plain"),
                    ("Access-Control-Allow-Origin", APP),
                    ("Vary", "Origin"),
                ],
            )
        ]
    with pytest.raises(TypeError, match="policy must be a Policy"):
        CORSMiddleware(app, policy=42)  # type: ignore[arg-type]


def test_a_route_file_picks_the_policy_by_path_info() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    seen: list[Any] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        seen.append((status, dict(headers)))
        return lambda data: None

    routes = {
        "routes": [
            {"path": "/public/**", "policy": {"origins": ["*"]}},
            {"path": "/api/**", "policy": {"origins": [APP], "methods": ["PUT"]}},
        ]
    }
    middleware = CORSMiddleware(app, policy=routes)

    def get(path: str, **extra: str) -> tuple[str, dict[str, str]]:
        seen.clear()
        environ = {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP, "PATH_INFO": path, **extra}
        list(middleware(environ, start_response))
        result: tuple[str, dict[str, str]] = seen[0]
        return result

    assert get("/public/x")[1]["Access-Control-Allow-Origin"] == "*"
    assert get("/api/x")[1]["Access-Control-Allow-Origin"] == APP
    # Outside every route: untouched, no Vary.
    assert get("/other")[1] == {"Content-Type": "text/plain"}
    # The mount point (SCRIPT_NAME) is not part of the routed path.
    assert get("/public/x", SCRIPT_NAME="/mounted")[1]["Access-Control-Allow-Origin"] == "*"
    seen.clear()
    preflight = {
        "REQUEST_METHOD": "OPTIONS",
        "HTTP_ORIGIN": APP,
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
        "PATH_INFO": "/api/items",
    }
    assert list(middleware(preflight, start_response)) == []
    assert seen[0][0] == "204 No Content"
    assert seen[0][1]["Access-Control-Allow-Methods"] == "PUT"
    # A preflight outside every route goes to the application.
    seen.clear()
    assert list(middleware({**preflight, "PATH_INFO": "/other"}, start_response)) == [b"ok"]
