"""corsgate.flask (flask-cors's names) in a real Flask app: Werkzeug's test
client, and a Werkzeug server on 127.0.0.1 spoken to over HTTP."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Blueprint, Flask, Response, abort, jsonify
from werkzeug.serving import make_server

from corsgate import PolicyError
from corsgate.flask import CORS, cross_origin, policy_from_flask_cors_options

APP = "https://app.example.com"
EVIL = "https://evil.example"
ALL_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def cors(response: Any) -> dict[str, str]:
    return {
        k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-")
    }


def make_app() -> Flask:
    app = Flask(__name__)

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> Response:
        return jsonify(items=[1])

    @app.get("/api/v1/users")
    def users() -> Response:
        return jsonify(users=[])

    @app.get("/api/public/feed")
    def feed() -> Response:
        return jsonify(feed=[])

    @app.get("/about")
    def about() -> str:
        return "about"

    @app.get("/api/boom")
    def boom() -> Response:
        raise RuntimeError("the view failed")

    @app.get("/api/missing")
    def missing() -> Response:
        abort(404)

    @app.get("/api/own")
    def own() -> Response:
        # A view that sets CORS headers by hand: the policy's answer wins.
        return Response("own", headers={"Access-Control-Allow-Origin": "*", "Vary": "Cookie"})

    return app


def preflight(client: Any, path: str, origin: str = APP, method: str = "PUT", **extra: str) -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    return client.options(path, headers=headers)


def test_the_defaults_echo_any_origin_without_credentials() -> None:
    app = make_app()
    CORS(app)
    client = app.test_client()
    response = client.get("/api/items", headers={"Origin": EVIL})
    assert cors(response) == {"access-control-allow-origin": EVIL}
    assert response.headers["Vary"] == "Origin"
    answered = preflight(client, "/api/items", **{"Access-Control-Request-Headers": "X-Custom"})
    assert answered.status_code == 200  # flask-cors's status
    assert answered.data == b""
    assert cors(answered) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": ALL_METHODS,
        "access-control-allow-headers": "*, authorization",
    }
    assert answered.headers["Vary"] == PREFLIGHT_VARY
    # Flask's own OPTIONS answer is kept around the CORS headers.
    assert set(answered.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}
    # A request without Origin is not CORS.
    plain = client.get("/api/items")
    assert cors(plain) == {}


def test_resources_pick_options_by_path_most_specific_first() -> None:
    app = make_app()
    CORS(
        app,
        resources={
            r"/api/*": {"origins": [APP], "supports_credentials": True},
            r"/api/public/*": {"origins": "*", "send_wildcard": True},
            "/api/v1/users": {"origins": ["https://users.example.com"]},
        },
    )
    client = app.test_client()
    feed = client.get("/api/public/feed", headers={"Origin": EVIL})
    assert cors(feed) == {"access-control-allow-origin": "*"}
    assert "Vary" not in feed.headers
    items = client.get("/api/items", headers={"Origin": APP})
    assert cors(items) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
    }
    assert cors(client.get("/api/items", headers={"Origin": EVIL})) == {}
    users = client.get("/api/v1/users", headers={"Origin": "https://users.example.com"})
    assert cors(users) == {"access-control-allow-origin": "https://users.example.com"}
    # Outside every resource: untouched.
    about = client.get("/about", headers={"Origin": APP})
    assert cors(about) == {} and "Vary" not in about.headers
    # A refused preflight: 403, no CORS headers, no Allow.
    refused = preflight(client, "/api/items", origin=EVIL)
    assert refused.status_code == 403
    assert cors(refused) == {} and "Allow" not in refused.headers


def test_origin_regexes_must_match_the_whole_origin() -> None:
    app = make_app()
    CORS(app, origins=[r"https://.*\.tenants\.example", re.compile(r"https://app\d\.example")])
    client = app.test_client()
    for origin in ("https://a.tenants.example", "https://app1.example"):
        response = client.get("/api/items", headers={"Origin": origin})
        assert cors(response).get("access-control-allow-origin") == origin, origin
    # Browsers send the lowercase serialization; anything else is not an origin.
    for origin in (
        "https://a.tenants.example.evil.net",
        "https://app12.example",
        "https://APP1.example",
    ):
        assert cors(client.get("/api/items", headers={"Origin": origin})) == {}, origin
    assert client.get("/api/items", headers={"Origin": APP}).headers["Vary"] == "Origin"


def test_origin_wildcard_patterns_and_case() -> None:
    app = make_app()
    CORS(app, origins=["https://*.Example.com", "HTTPS://App.Example.org", "http://localhost:*"])
    client = app.test_client()
    for origin in ("https://a.example.com", "https://app.example.org", "http://localhost:5173"):
        response = client.get("/api/items", headers={"Origin": origin})
        assert cors(response) == {"access-control-allow-origin": origin}
    assert cors(client.get("/api/items", headers={"Origin": "https://example.com"})) == {}


def test_options_are_translated() -> None:
    app = make_app()
    CORS(
        app,
        origins=APP,
        methods=["put", "GET"],
        allow_headers=["Content-Type", "X-Token"],
        expose_headers=["X-Total", "X-Page"],
        max_age=timedelta(minutes=10),
        supports_credentials=True,
    )
    client = app.test_client()
    answered = preflight(client, "/api/items", **{"Access-Control-Request-Headers": "x-token"})
    assert answered.status_code == 200
    assert cors(answered) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, PUT",
        "access-control-allow-headers": "content-type, x-token",
        "access-control-max-age": "600",
    }
    actual = client.get("/api/items", headers={"Origin": APP})
    assert actual.headers["Access-Control-Expose-Headers"] == "X-Page, X-Total"
    # A method or header the options do not list: refused, with a reason.
    assert preflight(client, "/api/items", method="DELETE").status_code == 403
    refused = preflight(client, "/api/items", **{"Access-Control-Request-Headers": "x-other"})
    assert refused.status_code == 403


def test_list_options_may_be_comma_separated_strings() -> None:
    app = make_app()
    CORS(app, origins=APP, methods="put, GET", expose_headers="X-Total, X-Page")
    client = app.test_client()
    answered = preflight(client, "/api/items")
    assert answered.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    actual = client.get("/api/items", headers={"Origin": APP})
    assert actual.headers["Access-Control-Expose-Headers"] == "X-Page, X-Total"


def test_app_config_and_init_app() -> None:
    app = make_app()
    app.config["CORS_ORIGINS"] = [APP]
    app.config["CORS_EXPOSE_HEADERS"] = "X-Total"
    extension = CORS()
    extension.init_app(app, resources=r"/api/*")
    assert extension.policy is not None and extension.policy.has_routes
    client = app.test_client()
    response = client.get("/api/items", headers={"Origin": APP})
    assert cors(response) == {
        "access-control-allow-origin": APP,
        "access-control-expose-headers": "X-Total",
    }
    assert cors(client.get("/api/items", headers={"Origin": EVIL})) == {}
    assert cors(client.get("/about", headers={"Origin": APP})) == {}


def test_error_responses_and_hand_set_headers() -> None:
    app = make_app()
    CORS(app, origins=[APP])
    client = app.test_client()
    failed = client.get("/api/boom", headers={"Origin": APP})
    assert failed.status_code == 500
    assert cors(failed) == {"access-control-allow-origin": APP}
    missing = client.get("/api/missing", headers={"Origin": APP})
    assert missing.status_code == 404
    assert cors(missing) == {"access-control-allow-origin": APP}
    own = client.get("/api/own", headers={"Origin": EVIL})
    assert cors(own) == {}
    assert own.headers["Vary"] == "Cookie, Origin"


def test_cross_origin_decorates_one_view() -> None:
    app = Flask(__name__)

    @app.route("/open", methods=["GET", "POST"])
    @cross_origin(origins=[APP], methods=["POST"], max_age=60)
    def open_view() -> str:
        return "open"

    @app.get("/closed")
    def closed() -> str:
        return "closed"

    # The decorator's answer stands beside an app-wide CORS.
    CORS(app, origins=["https://other.example.com"])
    client = app.test_client()
    response = client.get("/open", headers={"Origin": APP})
    assert response.data == b"open"
    assert cors(response) == {"access-control-allow-origin": APP}
    answered = preflight(client, "/open", method="POST")
    assert answered.status_code == 200
    assert cors(answered) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": "*, authorization",
        "access-control-max-age": "60",
    }
    assert cors(client.get("/closed", headers={"Origin": APP})) == {}
    other = client.get("/closed", headers={"Origin": "https://other.example.com"})
    assert cors(other) == {"access-control-allow-origin": "https://other.example.com"}


def test_cross_origin_without_automatic_options_lets_the_view_answer() -> None:
    app = Flask(__name__)

    @app.route("/manual", methods=["GET", "OPTIONS"], provide_automatic_options=False)
    @cross_origin(origins=[APP], methods=["PUT"], automatic_options=False)
    def manual() -> Response:
        return Response("manual", status=202)

    response = preflight(app.test_client(), "/manual")
    assert response.status_code == 202 and response.data == b"manual"
    assert cors(response)["access-control-allow-methods"] == "PUT"


def test_blueprints() -> None:
    app = Flask(__name__)
    api = Blueprint("api", __name__, url_prefix="/api")

    @api.get("/items")
    def items() -> str:
        return "items"

    @app.get("/home")
    def home() -> str:
        return "home"

    CORS(api, origins=[APP])
    app.register_blueprint(api)
    client = app.test_client()
    assert cors(client.get("/api/items", headers={"Origin": APP})) == {
        "access-control-allow-origin": APP
    }
    assert cors(client.get("/home", headers={"Origin": APP})) == {}


def test_insecure_and_bad_options_are_refused_at_set_up() -> None:
    app = make_app()
    # flask-cors echoes every origin with credentials: anyone reads users' data.
    with pytest.raises(PolicyError) as info:
        CORS(app, supports_credentials=True)
    assert "any-origin-with-credentials" in {p.code for p in info.value.errors}
    with pytest.raises(PolicyError) as info:
        CORS(app, origins=["http://app.example.com"], supports_credentials=True)
    assert "insecure-origin-with-credentials" in {p.code for p in info.value.errors}
    with pytest.raises(TypeError, match=r"unknown flask-cors option \['orgins'\]"):
        CORS(app, orgins=[APP])
    with pytest.raises(ValueError, match=r"allow_headers: 'X-\.\*' is a regular expression"):
        CORS(app, allow_headers=["X-.*"])
    with pytest.raises(ValueError, match="not a valid regular expression"):
        CORS(app, origins=["https://(unclosed"])
    with pytest.raises(PolicyError) as info:
        CORS(app, resources={"/api/*": {"origins": ["https://app.example.com/"]}})
    assert "invalid-origin" in {p.code for p in info.value.errors}


def test_no_origins_means_no_cors() -> None:
    app = make_app()
    CORS(app, origins=[])
    client = app.test_client()
    response = client.get("/api/items", headers={"Origin": APP})
    assert response.status_code == 200 and cors(response) == {}
    policy = policy_from_flask_cors_options(origins=[])
    assert policy.routes == [("/*", None)]


@pytest.fixture
def server() -> Iterator[int]:
    app = make_app()
    CORS(app, resources={r"/api/*": {"origins": [APP], "methods": ["PUT"]}})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def test_over_http(server: int) -> None:
    def send(method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response

    answered = send(
        "OPTIONS", "/api/items", {"Origin": APP, "Access-Control-Request-Method": "PUT"}
    )
    assert answered.status == 200
    assert answered.getheader("Access-Control-Allow-Origin") == APP
    assert answered.getheader("Access-Control-Allow-Methods") == "PUT"
    assert answered.getheader("Content-Length") == "0"
    refused = send(
        "OPTIONS", "/api/items", {"Origin": EVIL, "Access-Control-Request-Method": "PUT"}
    )
    assert refused.status == 403
    assert refused.getheader("Access-Control-Allow-Origin") is None
    actual = send("GET", "/api/items", {"Origin": APP})
    assert actual.status == 200
    assert actual.getheader("Access-Control-Allow-Origin") == APP
    assert actual.getheader("Vary") == "Origin"
    outside = send("GET", "/about", {"Origin": APP})
    assert outside.getheader("Access-Control-Allow-Origin") is None
