"""corsgate.aws_lambda: every vector through every Lambda event format, and the shapes."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from test_conformance import ROUTE_VECTORS, VECTORS, normalize

from corsgate import Policy, PolicyError, is_cors_response_header
from corsgate.aws_lambda import cors, event_format, with_cors

EVENTS = Path(__file__).resolve().parents[3] / "tests" / "aws" / "events"
FORMATS = ["apigateway-rest", "apigateway-http", "function-url", "alb", "alb-multi-value"]
TEMPLATES = {
    "apigateway-rest": "apigateway-rest.json",
    "apigateway-http": "apigateway-http.json",
    "function-url": "function-url.json",
    "alb": "alb.json",
    "alb-multi-value": "alb-multi-value.json",
}
APP = "https://app.example.com"
POLICY = Policy(origins=[APP], credentials=True, methods=["PUT"], request_headers=["content-type"])


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


def grouped(headers: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Repeated names (any case) as one name with its values, first spelling kept."""
    out: dict[str, tuple[str, list[str]]] = {}
    for name, value in headers:
        out.setdefault(name.lower(), (name, []))[1].append(value)
    return list(out.values())


def build_event(fmt: str, method: str, headers: list[tuple[str, str]], path: str) -> dict[str, Any]:
    """The event AWS hands the function for this request, in format ``fmt``."""
    event = sample(TEMPLATES[fmt])
    for key in ("headers", "multiValueHeaders"):
        event.pop(key, None)
    groups = grouped(headers)
    if fmt == "apigateway-rest":
        event["httpMethod"] = event["requestContext"]["httpMethod"] = method
        event["path"] = path
        event["headers"] = {name: values[-1] for name, values in groups}
        event["multiValueHeaders"] = dict(groups)
    elif fmt in ("apigateway-http", "function-url"):
        event["requestContext"]["http"]["method"] = method
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["headers"] = {name.lower(): ",".join(values) for name, values in groups}
    elif fmt == "alb":
        event["httpMethod"] = method
        event["path"] = path
        event["headers"] = {name.lower(): values[-1] for name, values in groups}
    else:
        event["httpMethod"] = method
        event["path"] = path
        event["multiValueHeaders"] = {name.lower(): values for name, values in groups}
    return event


def delivered(fmt: str, event: dict[str, Any]) -> list[tuple[str, str]]:
    """The header lines the event carries."""
    if isinstance(event.get("multiValueHeaders"), dict):
        return [(n, v) for n, vs in event["multiValueHeaders"].items() for v in vs]
    return list(event["headers"].items())


def response_lines(response: dict[str, Any]) -> list[tuple[str, str]]:
    lines = list((response.get("headers") or {}).items())
    for name, values in (response.get("multiValueHeaders") or {}).items():
        lines.extend((name, v) for v in values)
    return lines


def vary_tokens(lines: list[tuple[str, str]]) -> set[str]:
    return {
        token.strip().lower()
        for name, value in lines
        if name.lower() == "vary"
        for token in value.split(",")
        if token.strip()
    }


def handler_result(fmt: str) -> dict[str, Any]:
    headers = {"Content-Type": "text/plain", "Access-Control-Allow-Origin": "*"}
    if fmt in ("alb-multi-value",):
        return {
            "statusCode": 200,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "body": "ok",
        }
    return {"statusCode": 200, "headers": headers, "body": "ok"}


def never(event: Any, context: Any) -> Any:
    pytest.fail("the handler was called")


def returning(result: Any) -> Any:
    """A handler that returns ``result``."""

    def handler(event: Any, context: Any) -> Any:
        return result

    return handler


def expectation(decision: Any) -> dict[str, Any]:
    return {
        "kind": decision.kind,
        "status": decision.status,
        "headers": decision.headers,
        "vary": decision.vary,
    }


def run_case(policy: Policy, fmt: str, request: dict[str, Any], expect: dict[str, Any]) -> None:
    method = request["method"]
    headers = [(n, v) for n, v in request.get("headers", [])]
    path = request.get("path", "/")
    event = build_event(fmt, method, headers, path)
    assert event_format(event) == fmt
    lines = delivered(fmt, event)
    if sorted(lines) != sorted(headers) and sorted(n.lower() for n, _ in lines) != sorted(
        n.lower() for n, _ in headers
    ):
        # The format joined or dropped repeated lines: the expectation is
        # core's answer to the request as the function receives it.
        expect = expectation(policy.decide(method, lines, path=path if policy.has_routes else None))
    calls: list[Any] = []

    def handler(event: Any, context: Any) -> dict[str, Any]:
        calls.append(event)
        return handler_result(fmt)

    response = with_cors(policy, handler)(copy.deepcopy(event), None)
    out = response_lines(response)
    cors_lines = [(n, v) for n, v in out if is_cors_response_header(n)]
    if expect["kind"] == "preflight":
        assert calls == []
        assert response["statusCode"] == expect["status"]
        assert response["body"] == ""
        if fmt.startswith("alb"):
            assert response["statusDescription"].startswith(str(expect["status"]) + " ")
    else:
        assert len(calls) == 1
        assert response["statusCode"] == 200
        assert response["body"] == "ok"
        assert ("Content-Type", "text/plain") in out
    if fmt == "alb-multi-value":
        assert "headers" not in response
    elif fmt != "apigateway-rest":
        assert "multiValueHeaders" not in response
    assert normalize(cors_lines) == normalize([tuple(h) for h in expect.get("headers", [])])
    assert vary_tokens(out) == {v.lower() for v in expect.get("vary", [])}


CASES = [
    pytest.param(fmt, name, i, id=f"{fmt}::{name}::{case['name']}")
    for fmt in FORMATS
    for name, vector in VECTORS.items()
    for i, case in enumerate(vector.get("cases", []))
]
ROUTE_CASES = [
    pytest.param(fmt, name, i, id=f"{fmt}::routes/{name}::{case['name']}")
    for fmt in FORMATS
    for name, vector in ROUTE_VECTORS.items()
    for i, case in enumerate(vector.get("cases", []))
]
POLICIES: dict[tuple[str, str], Policy] = {}


def cached(kind: str, name: str, data: dict[str, Any]) -> Policy:
    if (kind, name) not in POLICIES:
        POLICIES[kind, name] = Policy.from_dict(data)
    return POLICIES[kind, name]


@pytest.mark.parametrize(("fmt", "name", "index"), CASES)
def test_vector(fmt: str, name: str, index: int) -> None:
    vector = VECTORS[name]
    case = vector["cases"][index]
    run_case(cached("plain", name, vector["policy"]), fmt, case["request"], case["expect"])


@pytest.mark.parametrize(("fmt", "name", "index"), ROUTE_CASES)
def test_route_vector(fmt: str, name: str, index: int) -> None:
    vector = ROUTE_VECTORS[name]
    case = vector["cases"][index]
    run_case(cached("routes", name, vector["policy"]), fmt, case["request"], case["expect"])


def test_every_vector_runs_in_every_format() -> None:
    assert len(CASES) == 5 * 451
    assert len(ROUTE_CASES) >= 5 * 25


@pytest.mark.parametrize(
    ("file", "fmt"),
    [
        ("apigateway-rest.json", "apigateway-rest"),
        ("apigateway-http-v1.json", "apigateway-rest"),
        ("apigateway-http.json", "apigateway-http"),
        ("function-url.json", "function-url"),
        ("alb.json", "alb"),
        ("alb-multi-value.json", "alb-multi-value"),
        ("sqs.json", None),
        ("schedule.json", None),
    ],
)
def test_event_format_of_each_sample(file: str, fmt: str | None) -> None:
    assert event_format(sample(file)) == fmt


@pytest.mark.parametrize("event", [None, "GET", [], {}, {"httpMethod": "GET"}, {"version": "2.0"}])
def test_what_is_not_an_http_event(event: Any) -> None:
    assert event_format(event) is None


@pytest.mark.parametrize("file", ["sqs.json", "schedule.json"])
def test_non_http_events_pass_through_untouched(file: str) -> None:
    event = sample(file)
    before = copy.deepcopy(event)
    result: dict[str, list[str]] = {"batchItemFailures": []}
    seen: list[Any] = []

    @cors(POLICY)
    def handler(event: Any, context: Any) -> Any:
        seen.append(event)
        return result

    assert handler(event, "ctx") is result
    assert seen == [before]


def test_rest_sample_actual_request_keeps_the_response() -> None:
    event = sample("apigateway-rest.json")

    @cors(POLICY)
    def handler(event: Any, context: Any) -> dict[str, Any]:
        return {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "access-control-allow-origin": "*"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "Vary": ["Accept-Encoding"]},
            "body": "{}",
        }

    response = handler(event, None)
    assert response["statusCode"] == 201
    assert response["headers"] == {"Content-Type": "application/json"}
    assert response["multiValueHeaders"] == {
        "Set-Cookie": ["a=1", "b=2"],
        "Access-Control-Allow-Origin": [APP],
        "Access-Control-Allow-Credentials": ["true"],
        "Vary": ["Accept-Encoding, Origin"],
    }


def test_rest_without_multi_value_response_uses_headers() -> None:
    event = sample("apigateway-rest.json")
    handler = with_cors(
        POLICY, returning({"statusCode": 200, "headers": {"vary": "Cookie"}, "body": ""})
    )
    response = handler(event, None)
    assert "multiValueHeaders" not in response
    assert response["headers"] == {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Cookie, Origin",
    }


def test_http_v1_sample_preflight() -> None:
    response = with_cors(POLICY, never)(sample("apigateway-http-v1.json"), None)
    assert response == {
        "statusCode": 204,
        "headers": {
            "Access-Control-Allow-Origin": APP,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": "PUT",
            "Access-Control-Allow-Headers": "content-type",
            "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        },
        "body": "",
        "isBase64Encoded": False,
    }


def test_http_api_cookies_and_vary_star() -> None:
    event = sample("apigateway-http.json")
    result = {
        "statusCode": 200,
        "headers": {"Vary": "*"},
        "cookies": ["id=1; Secure"],
        "body": "{}",
    }
    response = with_cors(POLICY, returning(result))(event, None)
    assert response["cookies"] == ["id=1; Secure"]
    assert response["headers"]["Vary"] == "*"
    assert response["headers"]["Access-Control-Allow-Origin"] == APP
    assert result["headers"] == {"Vary": "*"}, "the handler's own dict is not changed"


@pytest.mark.parametrize("result", [{"items": [1, 2]}, "Hello", None, [1]])
def test_http_api_result_without_status_code(result: Any) -> None:
    response = with_cors(POLICY, returning(result))(sample("apigateway-http.json"), None)
    body = result if isinstance(result, str) else json.dumps(result)
    assert response == {
        "statusCode": 200,
        "headers": {
            "content-type": "application/json",
            "Access-Control-Allow-Origin": APP,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        },
        "body": body,
    }


def test_function_url_sample_refused_preflight() -> None:
    response = with_cors(POLICY, never)(sample("function-url.json"), None)
    # x-trace is not allowed: refused, with no CORS header.
    assert response["statusCode"] == 403
    assert response["headers"] == {
        "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        "Content-Length": "0",
    }


def test_alb_sample_actual_request() -> None:
    handler = with_cors(
        POLICY,
        returning({"statusCode": 200, "statusDescription": "200 OK", "headers": {}, "body": "x"}),
    )
    response = handler(sample("alb.json"), None)
    assert response["statusDescription"] == "200 OK"
    assert response["headers"]["Access-Control-Allow-Origin"] == APP


def test_alb_multi_value_sample_preflight() -> None:
    policy = Policy(
        origins=[APP], methods=["PUT"], request_headers=["content-type", "x-trace"], max_age=600
    )
    response = with_cors(policy, never)(sample("alb-multi-value.json"), None)
    assert response["statusCode"] == 204
    assert response["statusDescription"] == "204 No Content"
    assert "headers" not in response
    assert response["multiValueHeaders"]["Access-Control-Max-Age"] == ["600"]
    assert response["multiValueHeaders"]["Access-Control-Allow-Headers"] == [
        "content-type, x-trace"
    ]


def test_preflight_status_200_carries_content_length() -> None:
    policy = Policy(origins=[APP], methods=["PUT"], preflight_status=200)
    response = with_cors(policy, returning(None))(sample("apigateway-http-v1.json"), None)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Length"] == "0"


def test_async_handler() -> None:
    calls: list[Any] = []

    @cors(POLICY)
    async def handler(event: Any, context: Any) -> dict[str, Any]:
        calls.append(context)
        await asyncio.sleep(0)
        return {"statusCode": 200, "headers": {}, "body": ""}

    assert asyncio.iscoroutinefunction(handler)
    response = asyncio.run(handler(sample("apigateway-http.json"), "ctx"))
    assert calls == ["ctx"]
    assert response["headers"]["Access-Control-Allow-Origin"] == APP
    preflight = asyncio.run(handler(sample("apigateway-http-v1.json"), "ctx2"))
    assert preflight["statusCode"] == 204
    assert calls == ["ctx"]
    assert asyncio.run(handler({"Records": []}, None)) == {
        "statusCode": 200,
        "headers": {},
        "body": "",
    }


def test_wraps_keeps_the_handlers_name() -> None:
    @cors(POLICY)
    def lambda_handler(event: Any, context: Any) -> None:
        """Docs."""

    assert lambda_handler.__name__ == "lambda_handler"
    assert lambda_handler.__doc__ == "Docs."


def test_handler_errors_pass_through() -> None:
    def handler(event: Any, context: Any) -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError):
        with_cors(POLICY, handler)(sample("alb.json"), None)


def test_not_a_proxy_response_is_returned_as_is() -> None:
    assert with_cors(POLICY, returning("plain"))(sample("apigateway-rest.json"), None) == "plain"


def test_bad_policy_fails_when_decorating() -> None:
    with pytest.raises(PolicyError) as info:
        cors({"origins": ["https://a.example/"], "credentials": "yes"})
    assert len(info.value.errors) == 2


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="policy must be"):
        cors(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="handler must be callable"):
        with_cors(POLICY, "handler")  # type: ignore[type-var]


def test_policy_file_and_routes(tmp_path: Path) -> None:
    file = tmp_path / "cors.toml"
    file.write_text(
        '[[routes]]\npath = "/api/*"\npolicy = { origins = ["https://app.example.com"] }\n',
        encoding="utf-8",
    )
    handler = with_cors(file, returning({"statusCode": 200, "headers": {}, "body": ""}))
    inside = sample("apigateway-http.json")
    inside["rawPath"] = "/api/items"
    assert handler(inside, None)["headers"]["Access-Control-Allow-Origin"] == APP
    outside = sample("apigateway-http.json")
    assert "Access-Control-Allow-Origin" not in handler(outside, None)["headers"]
