"""corsgate: one audited CORS engine, with Django, ASGI, WSGI, Flask and AWS Lambda adapters.

Build a :class:`Policy` once (from keyword arguments, a dict, JSON, TOML or a
file); every source goes through the same validator, which reports every
problem at once as a :class:`PolicyError`. ``policy.decide(method, headers)``
returns a :class:`Decision`: the request's kind, whether it is allowed, the
status of a preflight, the headers to set and the ``Vary`` tokens to merge.

The rules live in the Rust engine; this package only converts at the edge.
"""

from corsgate._corsgate import (
    CORE_VERSION,
    MAX_ORIGIN_LEN,
    MAX_REQUEST_HEADERS_LEN,
    MAX_REQUEST_HEADERS_LINES,
    MAX_REQUEST_METHOD_LEN,
    Decision,
    Explanation,
    LintWarning,
    Policy,
    PolicyError,
    Problem,
    __version__,
    is_cors_response_header,
    is_valid_origin,
)

__all__ = [
    "CORE_VERSION",
    "MAX_ORIGIN_LEN",
    "MAX_REQUEST_HEADERS_LEN",
    "MAX_REQUEST_HEADERS_LINES",
    "MAX_REQUEST_METHOD_LEN",
    "Decision",
    "Explanation",
    "LintWarning",
    "Policy",
    "PolicyError",
    "Problem",
    "__version__",
    "is_cors_response_header",
    "is_valid_origin",
]
