"""Every SPEC §8 vector in tests/conformance/ through `Policy.decide`.

Comparison as SPEC §8 says: kind, allowed, status, reason when given; the
headers as a complete set with names compared without case, the list-valued
headers as sets of trimmed items (methods case-sensitive, header names not);
`vary` as a case-insensitive set. Invalid policies must report every
expected code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import corsgate

CONFORMANCE = Path(__file__).resolve().parents[3] / "tests" / "conformance"
FILES = sorted(CONFORMANCE.glob("*.json"))
LIST_HEADERS = {
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
}
SINGLE = {
    "origin": "origin",
    "access-control-request-method": "request_method",
    "access-control-request-headers": "request_headers",
    "access-control-request-private-network": "private_network",
}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


VECTORS = {path.name: _load(path) for path in FILES}
CASES = [
    pytest.param(name, i, id=f"{name}::{case['name']}")
    for name, vector in VECTORS.items()
    for i, case in enumerate(vector.get("cases", []))
]
INVALID = [name for name, vector in VECTORS.items() if "errors" in vector]
POLICIES: dict[str, corsgate.Policy] = {}


def policy_for(name: str) -> corsgate.Policy:
    if name not in POLICIES:
        POLICIES[name] = corsgate.Policy.from_dict(VECTORS[name]["policy"])
    return POLICIES[name]


def normalize(headers: list[tuple[str, str]] | list[list[str]]) -> set[tuple[str, Any]]:
    out: set[tuple[str, Any]] = set()
    for name, value in headers:
        lname = name.lower()
        if lname in LIST_HEADERS:
            items = (i.strip(" \t") for i in value.split(","))
            if lname != "access-control-allow-methods":
                items = (i.lower() for i in items)
            out.add((lname, frozenset(items)))
        else:
            out.add((lname, value))
    return out


def check(decision: corsgate.Decision, expect: dict[str, Any]) -> None:
    assert decision.kind == expect["kind"]
    assert decision.allowed is expect["allowed"]
    assert decision.status == expect.get("status")
    if "reason" in expect:
        assert decision.reason == expect["reason"]
    assert normalize(decision.headers) == normalize(expect.get("headers", []))
    raw = [(n.decode(), v.decode()) for n, v in decision.raw_headers]
    assert normalize(raw) == normalize(expect.get("headers", []))
    assert {v.lower() for v in decision.vary} == {v.lower() for v in expect.get("vary", [])}


def test_the_vectors_are_all_here() -> None:
    assert len(CASES) == 451
    assert len(INVALID) >= 20


@pytest.mark.parametrize(("name", "index"), CASES)
def test_case(name: str, index: int) -> None:
    case = VECTORS[name]["cases"][index]
    request = case["request"]
    headers = [tuple(h) for h in request.get("headers", [])]
    policy = policy_for(name)
    check(policy.decide(request["method"], headers), case["expect"])
    # The same request as bytes, as ASGI servers hand it over.
    raw = [(n.encode(), v.encode()) for n, v in headers]
    check(policy.decide(request["method"].encode(), raw), case["expect"])
    # The fast path, when every header it reads came on one line at most.
    names = [n.lower() for n, _ in headers if n.lower() in SINGLE]
    if len(names) == len(set(names)):
        values = {SINGLE[n.lower()]: v for n, v in headers if n.lower() in SINGLE}
        check(policy.decide_values(request["method"], **values), case["expect"])


@pytest.mark.parametrize("name", INVALID)
def test_invalid_policy(name: str) -> None:
    vector = VECTORS[name]
    with pytest.raises(corsgate.PolicyError) as info:
        corsgate.Policy.from_dict(vector["policy"])
    codes = {p.code for p in info.value.errors}
    missing = set(vector["errors"]) - codes
    assert not missing, f"missing {missing}; got {codes}"
    for problem in info.value.errors:
        assert problem.message and problem.fix
        assert f"[{problem.code}]" in str(info.value)
    # The same policy as JSON text goes through the same validator.
    with pytest.raises(corsgate.PolicyError) as again:
        corsgate.Policy.from_json(json.dumps(vector["policy"]))
    assert [p.code for p in again.value.errors] == [p.code for p in info.value.errors]


ROUTE_FILES = sorted((CONFORMANCE / "routes").glob("*.json"))
ROUTE_VECTORS = {path.name: _load(path) for path in ROUTE_FILES}
ROUTE_CASES = [
    pytest.param(name, i, id=f"routes/{name}::{case['name']}")
    for name, vector in ROUTE_VECTORS.items()
    for i, case in enumerate(vector.get("cases", []))
]
ROUTE_INVALID = [name for name, vector in ROUTE_VECTORS.items() if "errors" in vector]
ROUTE_POLICIES: dict[str, corsgate.Policy] = {}


def test_the_route_vectors_are_all_here() -> None:
    assert len(ROUTE_CASES) >= 25
    assert len(ROUTE_INVALID) >= 5


@pytest.mark.parametrize(("name", "index"), ROUTE_CASES)
def test_route_case(name: str, index: int) -> None:
    if name not in ROUTE_POLICIES:
        ROUTE_POLICIES[name] = corsgate.Policy.from_dict(ROUTE_VECTORS[name]["policy"])
    policy = ROUTE_POLICIES[name]
    assert policy.has_routes
    case = ROUTE_VECTORS[name]["cases"][index]
    request = case["request"]
    path = request.get("path", "/")
    headers = [tuple(h) for h in request.get("headers", [])]
    check(policy.decide(request["method"], headers, path=path), case["expect"])
    raw = [(n.encode(), v.encode()) for n, v in headers]
    check(policy.decide(request["method"], raw, path=path.encode()), case["expect"])
    names = [n.lower() for n, _ in headers if n.lower() in SINGLE]
    if len(names) == len(set(names)):
        values = {SINGLE[n.lower()]: v for n, v in headers if n.lower() in SINGLE}
        check(policy.decide_values(request["method"], **values, path=path), case["expect"])
    # The route's own policy decides the same, and none answers outside every route.
    own = policy.policy_for(path)
    if own is None:
        assert case["expect"]["kind"] == "not-cors"
        assert not case["expect"].get("headers")
    else:
        check(own.decide(request["method"], headers), case["expect"])
    # Written out and read back, the file decides the same.
    again = corsgate.Policy.from_json(json.dumps(policy.to_dict()))
    check(again.decide(request["method"], headers, path=path), case["expect"])


@pytest.mark.parametrize("name", ROUTE_INVALID)
def test_invalid_route_file(name: str) -> None:
    vector = ROUTE_VECTORS[name]
    with pytest.raises(corsgate.PolicyError) as info:
        corsgate.Policy.from_dict(vector["policy"])
    codes = {p.code for p in info.value.errors}
    missing = set(vector["errors"]) - codes
    assert not missing, f"missing {missing}; got {codes}"
    with pytest.raises(corsgate.PolicyError) as again:
        corsgate.Policy.from_json(json.dumps(vector["policy"]))
    assert [p.code for p in again.value.errors] == [p.code for p in info.value.errors]
