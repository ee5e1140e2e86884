"""A Flask extension with flask-cors's names: ``CORS(app, **options)``,
``CORS().init_app(app)`` and ``@cross_origin(...)``.

::

    from corsgate.flask import CORS, cross_origin

    CORS(app, resources={r"/api/*": {"origins": ["https://app.example.com"]}})

The options (and the app's ``CORS_*`` config keys) become one
:class:`corsgate.Policy` with a route per resource, in flask-cors's order
(literal paths first, then regexes, each longest first), checked when the
extension is set up. Preflights are answered before the view; every other
response gets the decision's headers and ``Vary`` tokens. What differs from
flask-cors, and why, is listed in the package README.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from functools import update_wrapper
from typing import Any, TypeVar, Union, cast

from flask import Blueprint, Flask, Response, current_app, make_response, request

from corsgate._corsgate import Decision, Policy, is_valid_origin

__all__ = ["CORS", "cross_origin", "policy_from_flask_cors_options"]

F = TypeVar("F", bound=Callable[..., Any])
Pattern = Union[str, "re.Pattern[str]"]

# flask-cors's defaults: a project moving over keeps its behaviour.
ALL_METHODS = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]
DEFAULT_OPTIONS: dict[str, Any] = {
    "origins": "*",
    "methods": ALL_METHODS,
    "allow_headers": "*",
    "expose_headers": None,
    "supports_credentials": False,
    "max_age": None,
    "send_wildcard": False,
    "automatic_options": True,
    "vary_header": True,
    "resources": r"/*",
    "intercept_exceptions": True,
    "always_send": True,
    "allow_private_network": False,
}
RESOURCE_ONLY = ("resources", "intercept_exceptions")
CONFIG_KEYS = {f"CORS_{name.upper()}": name for name in DEFAULT_OPTIONS}
# flask-cors reads a string with any of these as a regular expression.
REGEX_HINTS = frozenset("*\\]?$^[]()")
# Set on a response whose CORS headers are decided (by @cross_origin).
EVALUATED = "_corsgate_evaluated"
# Set on a view that @cross_origin wraps.
DECORATED = "_corsgate_cross_origin"


def _probably_regex(value: Pattern) -> bool:
    return isinstance(value, re.Pattern) or not REGEX_HINTS.isdisjoint(value)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, re.Pattern)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _names(value: Any) -> list[str]:
    """A list option, where a string may hold several names (`"GET, PUT"`)."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return [str(item) for item in _items(value)]


def _check_known(options: Mapping[str, Any], where: str) -> None:
    unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise TypeError(
            f"unknown flask-cors option{'s' if len(unknown) > 1 else ''} {unknown} in {where}; "
            f"the options are: {', '.join(sorted(DEFAULT_OPTIONS))}"
        )


def _origins(options: Mapping[str, Any]) -> tuple[list[str], list[re.Pattern[str]], bool]:
    """flask-cors ``origins`` → (corsgate origins and patterns, regexes, any)."""
    origins: list[str] = []
    regexes: list[re.Pattern[str]] = []
    wildcard = False
    for item in _items(options.get("origins")):
        if isinstance(item, re.Pattern):
            regexes.append(item)
            continue
        if not isinstance(item, str):
            raise TypeError(f"origins must be strings or compiled patterns, not {item!r}")
        if item in ("*", ".*"):
            wildcard = True
        elif not _probably_regex(item) or _is_origin_pattern(item.lower()):
            # flask-cors compares literal origins without case; browsers send
            # the lowercase serialization. `https://*.example.com` and
            # `http://localhost:*` are read as corsgate's patterns (flask-cors
            # would read them as regexes that match far more).
            origins.append(item.lower())
        else:
            try:
                regexes.append(re.compile(item, re.IGNORECASE))
            except re.error as e:
                raise ValueError(f"origins: {item!r} is not a valid regular expression: {e}") from e
    return origins, regexes, wildcard


def _is_origin_pattern(text: str) -> bool:
    """Whether ``text`` is a corsgate origin pattern (SPEC §3) with a ``*``."""
    if "*" not in text:
        return False
    probe = text.replace("://*.", "://x.").replace(":*", ":1")
    return probe != text and "*" not in probe and is_valid_origin(probe)


def _max_age(value: Any) -> int | None:
    if isinstance(value, timedelta):
        value = int(value.total_seconds())
    if value is None or value == "" or value == 0:
        return None  # flask-cors sends no Max-Age for a false value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return cast(int, value)


def _request_headers(options: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for item in _items(options.get("allow_headers")):
        if item in ("*", ".*"):
            # flask-cors's `*` echoes every requested name, `authorization` too.
            names += ["*", "authorization"]
        elif isinstance(item, str) and not _probably_regex(item):
            names.append(item.lower())
        else:
            shown = item.pattern if isinstance(item, re.Pattern) else item
            raise ValueError(
                f"allow_headers: {shown!r} is a regular expression; corsgate matches "
                "request header names exactly: list the names, or use '*'"
            )
    return names


def resource_policy(options: Mapping[str, Any]) -> tuple[dict[str, Any] | bool, Any]:
    """One resource's options → (its policy in the SPEC format, or ``False``
    when no origin can be allowed; its origin predicate or ``None``)."""
    origins, regexes, wildcard = _origins(options)
    credentials = bool(options.get("supports_credentials"))
    predicate: Callable[[str], bool] | None = None
    if wildcard and (options.get("send_wildcard") or credentials):
        # `*` itself; with credentials corsgate refuses to build it
        # (any-origin-with-credentials), as Fetch never accepts it.
        origins = ["*"]
    elif wildcard:
        # flask-cors echoes every origin: safe without credentials, and the
        # same bytes (`Vary: Origin` included).
        def predicate(origin: str) -> bool:
            return True
    elif regexes:
        patterns = list(regexes)

        def predicate(origin: str) -> bool:
            return any(p.fullmatch(origin) for p in patterns)

    if not origins and predicate is None:
        return False, None
    methods = sorted({m.upper() for m in _names(options.get("methods"))})
    policy: dict[str, Any] = {
        "origins": origins,
        "credentials": credentials,
        "methods": methods,
        "request_headers": _request_headers(options),
        "expose_headers": sorted(_names(options.get("expose_headers"))),
        "preflight_status": 200,
        "private_network": {"allow": bool(options.get("allow_private_network"))},
    }
    max_age = _max_age(options.get("max_age"))
    if max_age is not None:
        policy["max_age"] = max_age
    return policy, predicate


def _resources(spec: Any) -> list[tuple[Pattern, dict[str, Any]]]:
    """flask-cors's ``resources``, in its matching order: literal paths
    before regexes, then more ``/`` first, then longer first."""
    if isinstance(spec, Mapping):
        pairs = [(_fix(k), dict(v)) for k, v in spec.items()]

        def key(pair: tuple[Pattern, Any]) -> tuple[int, int, int, int]:
            pattern, _ = pair
            text = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
            kind = (1, 0) if isinstance(pattern, re.Pattern) else (1, 1)
            if not _probably_regex(pattern):
                kind = (0, 0)
            return (*kind, -text.count("/"), -len(text))

        pairs.sort(key=key)
        return pairs
    if isinstance(spec, (str, re.Pattern)):
        return [(_fix(spec), {})]
    if isinstance(spec, Iterable):
        return [(_fix(r), {}) for r in spec]
    raise TypeError(f"resources must be a dict, a list or a string, not {type(spec).__name__}")


def _fix(pattern: Any) -> Pattern:
    if isinstance(pattern, re.Pattern):
        return pattern
    if not isinstance(pattern, str):
        raise TypeError(f"a resource must be a path or a regular expression, not {pattern!r}")
    return ".*" if pattern == "*" else pattern


def _route(pattern: Pattern, policy: object) -> dict[str, object]:
    if isinstance(pattern, re.Pattern):
        return {"regex": pattern.pattern, "policy": policy}
    if _probably_regex(pattern):
        return {"regex": pattern, "policy": policy}
    return {"path": pattern, "policy": policy}


def policy_from_flask_cors_options(**options: Any) -> Policy:
    """The :class:`Policy` (one route per resource) for flask-cors's
    ``CORS(app, **options)`` options, defaults filled in."""
    _check_known(options, "CORS(...)")
    merged = {**DEFAULT_OPTIONS, **options}
    files: dict[str, Any] = {}
    routes: list[dict[str, object]] = []
    predicates: dict[str, Any] = {}
    for i, (pattern, own) in enumerate(_resources(merged["resources"])):
        _check_known(own, f"resources[{pattern!r}]")
        bad = sorted(set(own) & set(RESOURCE_ONLY))
        if bad:
            raise TypeError(f"{bad} cannot be set per resource ({pattern!r})")
        policy, predicate = resource_policy({**merged, **own})
        name = f"resource{i}"
        if policy is False:
            routes.append(_route(pattern, False))
            continue
        files[name] = policy
        routes.append(_route(pattern, name))
        if predicate is not None:
            predicates[name] = predicate
    return Policy.from_dict({"policies": files, "routes": routes}, origin_predicate=predicates)


def _app_options(app: Flask | Blueprint | None) -> dict[str, Any]:
    config = getattr(app, "config", None)
    if config is None:
        return {}
    return {name: config[key] for key, name in CONFIG_KEYS.items() if config.get(key) is not None}


def _decide(policy: Policy, path: str | None) -> Decision:
    get = request.environ.get
    return policy.decide_values(
        get("REQUEST_METHOD", "GET"),
        get("HTTP_ORIGIN"),
        get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
        get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        path=path,
    )


def _apply(decision: Decision, response: Response) -> Response:
    # The engine's merge: its headers replace the response's, other CORS
    # headers go, the Vary tokens are merged.
    headers = decision.apply(response.headers.to_wsgi_list())
    response.headers.clear()
    response.headers.extend(headers)
    setattr(response, EVALUATED, True)
    return response


def _preflight(decision: Decision, response: Response | None = None) -> Response:
    if response is None:
        response = current_app.make_default_options_response()
    response.status_code = decision.status or 403
    if not decision.allowed:
        response.headers.pop("Allow", None)
    return _apply(decision, response)


class CORS:
    """CORS for a Flask app or blueprint, configured with flask-cors's options."""

    def __init__(self, app: Flask | Blueprint | None = None, **options: Any) -> None:
        _check_known(options, "CORS(...)")
        self._options = options
        self.policy: Policy | None = None
        if app is not None:
            self.init_app(app, **options)

    def init_app(self, app: Flask | Blueprint, **options: Any) -> None:
        """Builds the policy (raising :class:`corsgate.PolicyError` when it
        is invalid) and installs it on ``app``."""
        merged = {**_app_options(app), **self._options, **options}
        policy = policy_from_flask_cors_options(**merged)
        self.policy = policy
        automatic = bool(merged.get("automatic_options", True))
        key = "_corsgate_decision"

        def before() -> Response | None:
            view = current_app.view_functions.get(request.endpoint or "")
            if getattr(view, DECORATED, False):
                return None  # @cross_origin answers for its view
            decision = _decide(policy, request.path)
            setattr(request, key, decision)
            if decision.kind == "preflight" and automatic:
                return _preflight(decision)
            return None

        def after(response: Response) -> Response:
            if getattr(response, EVALUATED, False):
                return response
            decision = getattr(request, key, None)
            if decision is None:  # a before_request hook answered first
                decision = _decide(policy, request.path)
            return _apply(decision, response)

        app.before_request(before)
        app.after_request(after)


def cross_origin(*args: Any, **options: Any) -> Callable[[F], F]:
    """flask-cors's view decorator: this view's CORS policy, answered here
    (an app-level :class:`CORS` leaves the view's responses alone)."""
    _check_known(options, "cross_origin(...)")
    bad = sorted(set(options) & set(RESOURCE_ONLY))
    if bad:
        raise TypeError(f"{bad} cannot be given to cross_origin; give them to CORS(app)")
    automatic = bool(options.get("automatic_options", True))
    built: dict[int, Policy] = {}

    def policy() -> Policy:
        # With the app's CORS_* config, as flask-cors reads it per request;
        # built once per application.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        key = id(app)
        if key not in built:
            merged = {**_app_options(app), **options}
            merged.pop("resources", None)
            merged.pop("intercept_exceptions", None)
            built[key] = policy_from_flask_cors_options(**merged)
        return built[key]

    def decorator(f: F) -> F:
        if automatic:
            view: Any = f
            view.required_methods = set(getattr(f, "required_methods", set())) | {"OPTIONS"}
            view.provide_automatic_options = False

        def wrapped(*a: Any, **kw: Any) -> Response:
            decision = _decide(policy(), request.path)
            if automatic and request.method == "OPTIONS":
                if decision.kind == "preflight":
                    return _preflight(decision)
                response = current_app.make_default_options_response()
            else:
                response = make_response(f(*a, **kw))
            return _apply(decision, response)

        setattr(wrapped, DECORATED, True)
        return cast(F, update_wrapper(wrapped, f))

    return decorator
