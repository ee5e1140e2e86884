"""Applying a decision to a response (SPEC §5): `Decision.apply`,
`Decision.apply_raw` and `Decision.merge_vary`, used by every adapter."""

from __future__ import annotations

import pytest

from corsgate import Decision, Policy

APP = "https://app.example.com"
TOKENS = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
POLICY = Policy(origins=[APP], methods=["PUT"])


def preflight() -> Decision:
    return POLICY.decide_values("OPTIONS", APP, "PUT")


def actual() -> Decision:
    return POLICY.decide_values("GET", APP)


@pytest.mark.parametrize(
    ("current", "merged"),
    [
        (None, TOKENS),
        ("", TOKENS),
        (
            "Accept-Encoding",
            "Accept-Encoding, " + TOKENS,
        ),
        (
            "accept-encoding, ORIGIN",
            "accept-encoding, ORIGIN, " + TOKENS.split(", ", 1)[1],
        ),
        ("origin,access-control-request-method , Access-Control-Request-Headers", None),
        (
            "Cookie, ",
            "Cookie, " + TOKENS,
        ),
        ("*", None),
        ("Cookie, *", None),
        (
            "Originator",
            "Originator, " + TOKENS,
        ),
    ],
)
def test_merge_vary(current: str | None, merged: str | None) -> None:
    assert preflight().merge_vary(current) == merged


def test_merge_vary_without_tokens_changes_nothing() -> None:
    any_origin = Policy(origins=["*"]).decide_values("GET", APP)
    assert any_origin.vary == []
    assert any_origin.merge_vary("Cookie") is None
    assert any_origin.merge_vary(None) is None


def test_apply_replaces_removes_and_merges() -> None:
    headers = [
        ("Content-Type", "text/plain"),
        ("access-control-allow-origin", "*"),
        ("Access-Control-Max-Age", "99"),
        ("Vary", "Cookie"),
        ("vary", "Accept-Encoding"),
    ]
    assert actual().apply(headers) == [
        ("Content-Type", "text/plain"),
        ("Vary", "Cookie"),
        ("vary", "Accept-Encoding, Origin"),
        ("Access-Control-Allow-Origin", APP),
    ]
    assert actual().apply([("Vary", "origin")]) == [
        ("Vary", "origin"),
        ("Access-Control-Allow-Origin", APP),
    ]
    assert actual().apply([]) == [("Access-Control-Allow-Origin", APP), ("Vary", "Origin")]
    refused = POLICY.decide_values("GET", "https://evil.example")
    assert refused.apply([("Access-Control-Allow-Origin", "*")]) == [("Vary", "Origin")]


def test_apply_raw_keeps_bytes() -> None:
    headers = [
        (b"content-type", b"text/plain"),
        (b"Access-Control-Allow-Credentials", b"true"),
        (b"vary", b"Accept-Encoding"),
    ]
    assert actual().apply_raw(headers) == [
        (b"content-type", b"text/plain"),
        (b"vary", b"Accept-Encoding, Origin"),
        (b"access-control-allow-origin", APP.encode()),
    ]
    assert actual().apply_raw([(b"vary", b"*")])[0] == (b"vary", b"*")
    assert preflight().apply_raw(()) == [
        (b"access-control-allow-origin", APP.encode()),
        (b"access-control-allow-methods", b"PUT"),
        (b"vary", TOKENS.encode()),
    ]


def test_apply_rejects_what_is_not_a_header_list() -> None:
    with pytest.raises(TypeError, match=r"must be a \(name, value\) pair"):
        actual().apply([("Vary",)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="value must be str or bytes"):
        actual().apply([("Vary", 1)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="name must be str or bytes"):
        actual().apply([(1, "x")])  # type: ignore[list-item]
