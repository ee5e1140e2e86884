"""CORS for AWS Lambda handlers behind API Gateway, an ALB or a function URL.

::

    from corsgate.aws_lambda import cors

    @cors("cors.toml")
    def handler(event, context):
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

The wrapper reads the request from the event, answers preflights itself
(the handler is not called), and writes the decision's headers into the
handler's response in the shape the event's format expects: ``headers`` for
API Gateway HTTP APIs (payload 2.0), function URLs and ALBs without
multi-value headers, ``multiValueHeaders`` for ALBs with them, either for
REST APIs (payload 1.0; ``multiValueHeaders`` when the response uses it).
CORS headers the handler set are replaced and ``Vary`` is merged, never
overwritten. Events that are not HTTP requests (SQS, S3, schedules, direct
invocations) reach the handler untouched and its result is returned as is.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar, Union, cast

from corsgate._corsgate import Decision, Policy, is_cors_response_header
from corsgate.wsgi import PolicySource, _status_line, as_policy

__all__ = ["EventFormat", "cors", "event_format", "with_cors"]

# A union of one-value Literals (not one Literal) so that the runtime object
# is a Union, as mypy.stubtest checks the alias against.
EventFormat = Union[
    Literal["apigateway-rest"],
    Literal["apigateway-http"],
    Literal["function-url"],
    Literal["alb"],
    Literal["alb-multi-value"],
]
H = TypeVar("H", bound=Callable[..., Any])

logger = logging.getLogger("corsgate")


def event_format(event: object) -> EventFormat | None:
    """The HTTP event format of ``event``, or ``None`` when it is not an HTTP request.

    ``apigateway-rest`` covers REST APIs and HTTP APIs with payload format
    1.0, which share one shape.
    """
    if not isinstance(event, Mapping):
        return None
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        context = {}
    if event.get("version") == "2.0" and isinstance(context.get("http"), Mapping):
        domain = context.get("domainName")
        if isinstance(domain, str) and ".lambda-url." in domain:
            return "function-url"
        return "apigateway-http"
    if not isinstance(event.get("httpMethod"), str):
        return None
    if isinstance(context.get("elb"), Mapping):
        return "alb-multi-value" if isinstance(event.get("multiValueHeaders"), Mapping) else "alb"
    if "headers" in event or "multiValueHeaders" in event:
        return "apigateway-rest"
    return None


def _request_headers(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every header line of the request; repeats as separate lines where the format keeps them."""
    multi = event.get("multiValueHeaders")
    if isinstance(multi, Mapping):
        return [(name, value) for name, values in multi.items() for value in (values or ())]
    single = event.get("headers")
    if isinstance(single, Mapping):
        return [(name, value) for name, value in single.items() if value is not None]
    return []


def _decide(policy: Policy, fmt: EventFormat, event: Mapping[str, Any]) -> Decision:
    if fmt in ("apigateway-http", "function-url"):
        method = event["requestContext"]["http"].get("method", "GET")
        path = event.get("rawPath") or event["requestContext"]["http"].get("path") or "/"
    else:
        method = event["httpMethod"]
        path = event.get("path") or "/"
    return policy.decide(method, _request_headers(event), path=path if policy.has_routes else None)


def _preflight(fmt: EventFormat, decision: Decision) -> dict[str, Any]:
    status = decision.status or 403
    headers = dict(decision.headers)
    vary = decision.merge_vary(None)
    if vary is not None:
        headers["Vary"] = vary
    if decision.content_length is not None:
        headers["Content-Length"] = decision.content_length
    response: dict[str, Any] = {"statusCode": status}
    if fmt.startswith("alb"):
        response["statusDescription"] = _status_line(status)
    if fmt == "alb-multi-value":
        response["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        response["headers"] = headers
    response["body"] = ""
    response["isBase64Encoded"] = False
    return response


def _is_vary(name: object) -> bool:
    return isinstance(name, str) and name.lower() == "vary"


def _owned(name: object) -> bool:
    return isinstance(name, (str, bytes)) and is_cors_response_header(name)


def _apply(fmt: EventFormat, decision: Decision, result: Any) -> Any:
    if fmt in ("apigateway-http", "function-url") and not (
        isinstance(result, Mapping) and "statusCode" in result
    ):
        # What API Gateway and function URLs make of a result without a
        # statusCode, written out so that the headers can be added.
        body = result if isinstance(result, str) else json.dumps(result)
        result = {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": body}
    if not isinstance(result, Mapping):
        # Not a proxy response (API Gateway answers it with a 502): as it is.
        return result
    response = dict(result)
    single = response.get("headers")
    multi = response.get("multiValueHeaders")
    if fmt == "alb-multi-value":
        target = "multiValueHeaders"
    elif fmt == "apigateway-rest" and isinstance(multi, Mapping):
        target = "multiValueHeaders"
    else:
        target = "headers"
    new_single = (
        {k: v for k, v in single.items() if not _owned(k)} if isinstance(single, Mapping) else None
    )
    new_multi = (
        {k: v for k, v in multi.items() if not _owned(k)} if isinstance(multi, Mapping) else None
    )

    # Vary as every line the handler set, in both maps, merged with core's rule.
    lines: list[str] = []
    for headers, many in ((new_single, False), (new_multi, True)):
        for name, value in (headers or {}).items():
            if _is_vary(name):
                values: Iterable[Any] = (
                    value if many and isinstance(value, (list, tuple)) else [value]
                )
                lines.extend(str(v) for v in values)
    merged = decision.merge_vary(", ".join(lines) if lines else None)

    if target == "multiValueHeaders":
        new_multi = out = new_multi if new_multi is not None else {}
        for name, value in decision.headers:
            out[name] = [value]
    else:
        new_single = out = new_single if new_single is not None else {}
        for name, value in decision.headers:
            out[name] = value
    if merged is not None:
        for headers in (new_single, new_multi):
            for name in [n for n in (headers or {}) if _is_vary(n)]:
                del cast("dict[str, Any]", headers)[name]
        out["Vary"] = [merged] if target == "multiValueHeaders" else merged
    if new_single is not None:
        response["headers"] = new_single
    if new_multi is not None:
        response["multiValueHeaders"] = new_multi
    return response


def with_cors(policy: PolicySource, handler: H) -> H:
    """``handler`` with CORS under ``policy`` (a :class:`Policy`, a dict or a file path).

    An ``async def`` handler gives an ``async def`` wrapper.
    """
    compiled = as_policy(policy)
    if not callable(handler):
        raise TypeError(f"handler must be callable, not {type(handler).__name__}")

    def before(
        event: Any,
    ) -> tuple[EventFormat | None, Decision | None, dict[str, Any] | None]:
        fmt = event_format(event)
        if fmt is None:
            return None, None, None
        decision = _decide(compiled, fmt, event)
        if decision.kind != "preflight":
            return fmt, decision, None
        if not decision.allowed and logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "refused preflight: %s",
                decision.explain(event.get("path") or event.get("rawPath") or ""),
            )
        return fmt, decision, _preflight(fmt, decision)

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def async_wrapper(event: Any, context: Any) -> Any:
            fmt, decision, answer = before(event)
            if answer is not None:
                return answer
            result = await handler(event, context)
            return result if fmt is None or decision is None else _apply(fmt, decision, result)

        return cast(H, async_wrapper)

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        fmt, decision, answer = before(event)
        if answer is not None:
            return answer
        result = handler(event, context)
        return result if fmt is None or decision is None else _apply(fmt, decision, result)

    return cast(H, wrapper)


def cors(policy: PolicySource) -> Callable[[H], H]:
    """Decorator form of :func:`with_cors`: ``@cors("cors.toml")``.

    The policy is built when the module is imported, so a bad policy stops
    the function's cold start with a :class:`~corsgate.PolicyError` listing
    every problem, not the first request.
    """
    compiled = as_policy(policy)

    def decorate(handler: H) -> H:
        return with_cors(compiled, handler)

    return decorate
