"""Property tests (hypothesis): the SPEC §6 invariants hold for every decision
over random valid policies and arbitrary request input (text and bytes, invalid
UTF-8, CR/LF, NUL, non-ASCII, repeated lines), and the binding's entry points
agree: `decide` with a list, with a mapping, and `decide_values`; a policy built
from keyword arguments, from a dict and from JSON."""

from __future__ import annotations

import json
import re
from typing import Any, Union

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsgate import Decision, Policy

Text = Union[str, bytes]
Line = tuple[Text, Text]

SETTINGS = settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ORIGINS = [
    "https://app.example",
    "http://localhost:8080",
    "https://*.example.com",
    "http://localhost:*",
    "https://*.example.com:*",
    "http://[::1]:8080",
]
READ = (
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "access-control-request-private-network",
)


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    any_origin = draw(st.booleans())
    credentials = False if any_origin else draw(st.booleans())
    spec: dict[str, Any] = {
        "origins": ["*"]
        if any_origin
        else draw(st.lists(st.sampled_from(ORIGINS), min_size=1, max_size=4, unique=True)),
        "credentials": credentials,
        "methods": draw(
            st.one_of(
                st.just(["*"]),
                st.lists(
                    st.sampled_from(["PUT", "DELETE", "PATCH", "patch", "X-CUSTOM", "GET"]),
                    max_size=4,
                    unique=True,
                ),
            )
        ),
        "request_headers": draw(
            st.one_of(
                st.just(["*"]),
                st.just(["*", "authorization"]),
                st.lists(
                    st.sampled_from(["x-a", "X-B", "content-type", "authorization"]),
                    max_size=4,
                    unique_by=str.lower,
                ),
            )
        ),
    }
    expose = st.lists(st.sampled_from(["x-a", "x-request-id", "etag"]), max_size=3, unique=True)
    spec["expose_headers"] = draw(expose if credentials else st.one_of(st.just(["*"]), expose))
    max_age = draw(st.one_of(st.none(), st.integers(0, 86400)))
    if max_age is not None:
        spec["max_age"] = max_age
    spec["preflight_status"] = draw(st.sampled_from([200, 204, 299]))
    if not any_origin:
        spec["private_network"] = {"allow": draw(st.booleans())}
    return spec


INTERESTING = [
    "https://app.example",
    "http://localhost:8080",
    "https://a.example.com",
    "https://a.b.example.com:8443",
    "http://localhost",
    "http://[::1]:8080",
    " https://app.example\t",
    "https://app.example\r\nSet-Cookie: a=b",
    "https://app.example\x00",
    "https://äpp.example",
    "https://app.example\udcff",
    "null",
    "*",
    "",
    "PUT",
    " DELETE\t",
    "patch",
    "CONNECT",
    "x-a, X-B",
    "authorization",
    "x-a, *",
    "content-type,,x-b",
    "true",
]


def _with_bytes(s: st.SearchStrategy[str]) -> st.SearchStrategy[Text]:
    return st.one_of(s, s.map(lambda v: v.encode("utf-8", "surrogateescape")))


values: st.SearchStrategy[Text] = st.one_of(
    _with_bytes(st.sampled_from(INTERESTING)),
    _with_bytes(st.tuples(st.sampled_from(INTERESTING), st.text(max_size=8)).map("".join)),
    st.text(),
    st.binary(max_size=64),
)
names: st.SearchStrategy[Text] = _with_bytes(
    st.sampled_from(
        [
            "Origin",
            "origin",
            "ORIGIN",
            "Access-Control-Request-Method",
            "access-control-request-headers",
            "Access-Control-Request-Private-Network",
            "X-Other",
            "Content-Type",
        ]
    )
)
methods: st.SearchStrategy[Text] = st.one_of(
    _with_bytes(st.sampled_from(["GET", "POST", "OPTIONS", "options", "PUT", ""])),
    st.text(max_size=16),
    st.binary(max_size=16),
)
header_lists = st.lists(st.tuples(names, values), max_size=6)


def _lower_name(name: Text) -> str:
    return (name.decode("latin-1") if isinstance(name, bytes) else name).lower()


def _text(value: Text) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _origin_matches(pattern: str, origin: str) -> bool:
    if pattern == "*":
        return True
    regex = re.escape(pattern).replace(r"\*\.", r"(?:[a-z0-9-]+\.)+").replace(r":\*", r"(?::\d+)?")
    return re.fullmatch(regex, origin) is not None


def check_invariants(spec: dict[str, Any], decision: Decision, lines: list[Line]) -> None:
    headers = decision.headers
    for name, value in headers:
        for c in name + value:
            assert c == "\t" or 0x20 <= ord(c) < 0x7F, (name, value)
    assert decision.raw_headers == [(n.lower().encode(), v.encode()) for n, v in headers]
    lowered = [(n.lower(), v) for n, v in headers]
    acao = [v for n, v in lowered if n == "access-control-allow-origin"]
    assert len(acao) <= 1
    assert (len(acao) == 1) == decision.allowed
    if any(n == "access-control-allow-credentials" for n, _ in lowered):
        for _, value in lowered:
            assert "*" not in [item.strip(" \t") for item in value.split(",")], value
    if acao and acao[0] != "*":
        echoed = acao[0]
        sent = [_text(v).strip(" \t") for n, v in lines if _lower_name(n) == "origin"]
        assert echoed in sent
        assert any(_origin_matches(p, echoed) for p in spec["origins"])
    assert decision.kind in ("not-cors", "preflight", "actual")
    assert (decision.status is not None) == (decision.kind == "preflight")
    assert (decision.reason is None) or not decision.allowed


def _same(a: Decision, b: Decision) -> None:
    assert (a.kind, a.allowed, a.status, a.reason) == (b.kind, b.allowed, b.status, b.reason)
    assert a.headers == b.headers
    assert a.vary == b.vary


def _build(spec: dict[str, Any]) -> list[Policy]:
    return [Policy(**spec), Policy.from_dict(spec), Policy.from_json(json.dumps(spec))]


@SETTINGS
@given(spec=policies(), method=methods, lines=header_lists)
def test_invariants_and_entry_points_agree(
    spec: dict[str, Any], method: Text, lines: list[Line]
) -> None:
    built = _build(spec)
    decisions = [p.decide(method, lines) for p in built]
    check_invariants(spec, decisions[0], lines)
    for other in decisions[1:]:
        _same(decisions[0], other)

    lowered = [_lower_name(n) for n, _ in lines]
    if len(set(lowered)) == len(lowered):
        mapping: Any = dict(lines)  # mixed str/bytes keys: accepted, but not in the stub's types
        _same(decisions[0], built[0].decide(method, mapping))
    if all(lowered.count(n) <= 1 for n in READ):
        found: dict[str, Text] = {n: v for (_, v), n in zip(lines, lowered) if n in READ}
        by_values = built[0].decide_values(
            method,
            found.get("origin"),
            found.get("access-control-request-method"),
            found.get("access-control-request-headers"),
            found.get("access-control-request-private-network"),
        )
        _same(decisions[0], by_values)


@SETTINGS
@given(
    spec=policies(),
    origin=values,
    acrm=values,
    acrh=st.lists(values, min_size=1, max_size=3),
    pna=st.one_of(st.none(), values),
)
def test_preflights(
    spec: dict[str, Any], origin: Text, acrm: Text, acrh: list[Text], pna: Text | None
) -> None:
    """Preflight-shaped requests (the interesting paths), with repeated ACRH lines."""
    lines: list[Line] = [("Origin", origin), ("Access-Control-Request-Method", acrm)]
    lines += [("Access-Control-Request-Headers", v) for v in acrh]
    if pna is not None:
        lines.append(("Access-Control-Request-Private-Network", pna))
    policy = Policy(**spec)
    decision = policy.decide("OPTIONS", lines)
    check_invariants(spec, decision, lines)
    _same(decision, Policy.from_json(json.dumps(spec)).decide(b"OPTIONS", lines))
    if len(acrh) == 1:
        _same(decision, policy.decide_values("OPTIONS", origin, acrm, acrh[0], pna))


non_text = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.just(object()),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.booleans(),
)


@SETTINGS
@given(
    spec=policies(),
    read=st.sampled_from(READ),
    bad=non_text,
    before=header_lists,
)
def test_non_text_values_are_type_errors(
    spec: dict[str, Any], read: str, bad: object, before: list[Line]
) -> None:
    policy = Policy(**spec)
    lines: list[Any] = [*before, (read, bad)]
    try:
        policy.decide("OPTIONS", lines)
    except TypeError:
        pass
    else:
        raise AssertionError(f"no TypeError for {read}={bad!r}")
    try:
        policy.decide(bad, [])  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        raise AssertionError(f"no TypeError for method {bad!r}")
