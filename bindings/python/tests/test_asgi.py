"""corsgate.asgi.CORSMiddleware in FastAPI and Starlette (TestClient)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from corsgate import Policy, PolicyError
from corsgate.asgi import CORSMiddleware

APP = "https://app.example.com"
EVIL = "https://evil.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
# Configured with Starlette's options, Vary is Starlette's (every header a preflight reads).
STARLETTE_VARY = PREFLIGHT_VARY + ", Access-Control-Request-Private-Network"


def cors(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items")
    def items() -> JSONResponse:
        return JSONResponse(
            {"items": [1]},
            headers={"x-request-id": "r-1", "access-control-allow-origin": "*"},
        )

    @app.put("/items")
    def put_items() -> dict[str, bool]:
        return {"put": True}

    @app.get("/vary")
    def vary() -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"vary": "Accept-Encoding"})

    @app.get("/vary-star")
    def vary_star() -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"vary": "*"})

    @app.get("/http-error")
    def http_error() -> None:
        raise HTTPException(status_code=500, detail="handled failure")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("unhandled failure")

    return app


@pytest.fixture
def fastapi_client() -> TestClient:
    app = fastapi_app()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[APP],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["x-request-id"],
    )
    return TestClient(app, raise_server_exceptions=False)


def test_fastapi_preflight_allowed(fastapi_client: TestClient) -> None:
    response = fastapi_client.options(
        "/items",
        headers={
            "origin": APP,
            "access-control-request-method": "PUT",
            "access-control-request-headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.content == b"OK"  # Starlette's body
    assert cors(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        # Starlette's bytes: allow_methods=["*"] sends its whole list.
        "access-control-allow-methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY",
        "access-control-allow-headers": "authorization,content-type",
        "access-control-max-age": "600",
    }
    assert response.headers["vary"] == STARLETTE_VARY


def test_fastapi_preflight_refused(fastapi_client: TestClient) -> None:
    for headers in (
        {"origin": EVIL, "access-control-request-method": "PUT"},
        {"origin": APP, "access-control-request-method": "TRACE"},
        {
            "origin": APP,
            "access-control-request-method": "PUT",
            "access-control-request-headers": "cookie",
        },
    ):
        response = fastapi_client.options("/items", headers=headers)
        assert response.status_code == 400
        assert response.content.startswith(b"Disallowed CORS ")
        assert cors(response) == {}
        assert response.headers["vary"] == STARLETTE_VARY


def test_fastapi_actual_allowed_with_credentials(fastapi_client: TestClient) -> None:
    response = fastapi_client.get("/items", headers={"origin": APP})
    assert response.status_code == 200
    assert response.json() == {"items": [1]}
    assert cors(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-request-id",
    }
    assert response.headers["vary"] == "Origin"
    put = fastapi_client.put("/items", headers={"origin": APP})
    assert put.json() == {"put": True}


def test_fastapi_actual_refused_is_still_answered(fastapi_client: TestClient) -> None:
    response = fastapi_client.get("/items", headers={"origin": EVIL})
    assert response.status_code == 200
    assert response.json() == {"items": [1]}
    # The route's own `access-control-allow-origin: *` is removed too.
    assert cors(response) == {}
    assert response.headers["vary"] == "Origin"
    assert cors(fastapi_client.get("/items")) == {}


def test_fastapi_vary_is_merged(fastapi_client: TestClient) -> None:
    response = fastapi_client.get("/vary", headers={"origin": APP})
    assert response.headers.get_list("vary") == ["Accept-Encoding, Origin"]
    response = fastapi_client.get("/vary-star", headers={"origin": APP})
    assert response.headers.get_list("vary") == ["*"]


def test_fastapi_error_responses(fastapi_client: TestClient) -> None:
    handled = fastapi_client.get("/http-error", headers={"origin": APP})
    assert handled.status_code == 500
    assert cors(handled)["access-control-allow-origin"] == APP
    # Starlette answers unhandled exceptions outside user middleware...
    unhandled = fastapi_client.get("/boom", headers={"origin": APP})
    assert unhandled.status_code == 500
    assert cors(unhandled) == {}
    # ...so wrap the whole application to cover those 500s as well.
    wrapped = CORSMiddleware(fastapi_app(), allow_origins=[APP])
    client = TestClient(wrapped, raise_server_exceptions=False)
    response = client.get("/boom", headers={"origin": APP})
    assert response.status_code == 500
    assert cors(response) == {"access-control-allow-origin": APP}
    assert response.headers["vary"] == "Origin"


async def hello(request: Request) -> Response:
    return PlainTextResponse("hello")


def starlette_client(**options: Any) -> TestClient:
    app = Starlette(
        routes=[Route("/", hello, methods=["GET", "POST", "DELETE"])],
        middleware=[Middleware(CORSMiddleware, **options)],
    )
    return TestClient(app)


def test_starlette_origin_regex_is_a_whole_match_predicate() -> None:
    client = starlette_client(allow_origin_regex=r"https://[a-z0-9-]+\.preview\.example\.com")
    ok = client.get("/", headers={"origin": "https://pr-1.preview.example.com"})
    assert cors(ok) == {"access-control-allow-origin": "https://pr-1.preview.example.com"}
    trick = client.get("/", headers={"origin": "https://pr-1.preview.example.com.evil.com"})
    assert cors(trick) == {}


def test_starlette_defaults_keep_the_safelisted_names() -> None:
    client = starlette_client(allow_origins=[APP], allow_methods=["DELETE"])
    response = client.options(
        "/",
        headers={
            "origin": APP,
            "access-control-request-method": "DELETE",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert cors(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "DELETE",
        "access-control-allow-headers": "Accept, Accept-Language, Content-Language, Content-Type",
        "access-control-max-age": "600",
    }
    refused = client.options("/", headers={"origin": APP, "access-control-request-method": "PATCH"})
    assert refused.status_code == 400


def test_starlette_any_origin() -> None:
    client = starlette_client(allow_origins=["*"], expose_headers=["x-a"])
    response = client.post("/", headers={"origin": EVIL})
    assert response.text == "hello"
    assert cors(response) == {
        "access-control-allow-origin": "*",
        "access-control-expose-headers": "x-a",
    }
    # Starlette's bytes: Vary: Origin even with any origin.
    assert response.headers["vary"] == "Origin"


def test_star_with_credentials_is_refused_when_built() -> None:
    with pytest.raises(PolicyError) as info:
        starlette_client(allow_origins=["*"], allow_credentials=True).get("/")
    assert [p.code for p in info.value.errors] == ["any-origin-with-credentials"]


def test_private_network_preflight() -> None:
    client = starlette_client(
        allow_origins=["https://public.example"],
        allow_credentials=True,
        allow_private_network=True,
    )
    response = client.options(
        "/",
        headers={
            "origin": "https://public.example",
            "access-control-request-method": "GET",
            "access-control-request-private-network": "true",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-private-network"] == "true"
    assert response.headers["vary"].endswith("Access-Control-Request-Private-Network")


def test_a_ready_policy_can_be_given() -> None:
    policy = Policy(origins=[APP], methods=["DELETE"])
    client = starlette_client(policy=policy)
    assert cors(client.get("/", headers={"origin": APP})) == {"access-control-allow-origin": APP}
    with pytest.raises(TypeError, match="not both"):
        CORSMiddleware(hello, allow_origins=[APP], policy=policy)  # type: ignore[arg-type]


def test_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = CORSMiddleware(app, allow_origins=[APP])

    async def nothing() -> Any:
        return {}

    async def ignore(message: Any) -> None:
        return None

    asyncio.run(middleware({"type": "lifespan"}, nothing, ignore))
    asyncio.run(middleware({"type": "websocket", "headers": []}, nothing, ignore))
    assert seen == ["lifespan", "websocket"]


def test_a_route_file_picks_the_policy_by_path() -> None:
    app = FastAPI()

    @app.get("/public/feed")
    def feed() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/items")
    def api_items() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/about")
    def about() -> dict[str, bool]:
        return {"ok": True}

    routes = Policy.from_dict(
        {
            "routes": [
                {"path": "/public/**", "policy": {"origins": ["*"]}},
                {"path": "/api/**", "policy": {"origins": [APP], "credentials": True}},
            ]
        }
    )
    app.add_middleware(CORSMiddleware, policy=routes)
    client = TestClient(app, root_path="/svc")
    public = client.get("/public/feed", headers={"origin": EVIL})
    assert cors(public) == {"access-control-allow-origin": "*"}
    api = client.get("/api/items", headers={"origin": APP})
    assert cors(api)["access-control-allow-credentials"] == "true"
    assert cors(client.get("/api/items", headers={"origin": EVIL})) == {}
    outside = client.get("/about", headers={"origin": APP})
    assert outside.status_code == 200
    assert cors(outside) == {} and "vary" not in outside.headers
    # A preflight outside every route reaches the application (405 here).
    other = client.options(
        "/about", headers={"origin": APP, "access-control-request-method": "PUT"}
    )
    assert other.status_code == 405 and cors(other) == {}
    refused = client.options(
        "/api/items", headers={"origin": EVIL, "access-control-request-method": "GET"}
    )
    assert refused.status_code == 403


def test_routes_are_matched_below_root_path() -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request"}

    policy = Policy.from_dict({"routes": [{"path": "/public/**", "policy": {"origins": ["*"]}}]})
    middleware = CORSMiddleware(app, policy=policy)
    # Servers that follow the ASGI spec put root_path in path; others do not.
    for path in ("/svc/public/feed", "/public/feed"):
        sent.clear()
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "root_path": "/svc",
            "headers": [(b"origin", APP.encode())],
        }
        asyncio.run(middleware(scope, receive, send))
        assert (b"access-control-allow-origin", b"*") in sent[0]["headers"], path


def test_no_allowed_origins_allows_no_origin_as_starlette_does() -> None:
    client = starlette_client()
    response = client.get("/", headers={"origin": APP})
    assert response.status_code == 200 and cors(response) == {}
    assert response.headers["vary"] == "Origin"
    preflight = client.options("/", headers={"origin": APP, "access-control-request-method": "GET"})
    assert cors(preflight) == {}
    assert preflight.status_code == 400
    assert preflight.text == "Disallowed CORS origin"
