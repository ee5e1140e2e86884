"""Hostile and malformed input: clear errors for programming mistakes, plain
refusals for bad requests, and never a crash."""

from __future__ import annotations

import logging
import time

import pytest

import corsgate
from corsgate import Policy, PolicyError

APP = "https://app.example.com"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy(origins=[APP], methods=["PUT"], request_headers=["x-a"])


def test_non_text_header_values_are_type_errors(policy: Policy) -> None:
    with pytest.raises(TypeError, match="the Origin value must be str or bytes, not int"):
        policy.decide("GET", [("Origin", 5)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Access-Control-Request-Method value must be str or bytes"):
        policy.decide_values("OPTIONS", APP, ["PUT"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a header name must be str or bytes, not NoneType"):
        policy.decide("GET", [(None, APP)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="method must be str or bytes, not int"):
        policy.decide(1, {})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"each header must be a \(name, value\) pair"):
        policy.decide("GET", [("Origin", APP, "extra")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a string"):
        policy.decide("GET", "Origin: https://app.example.com")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping or an iterable"):
        policy.decide("GET", 42)  # type: ignore[arg-type]
    # Values of headers the engine does not read are not looked at.
    assert policy.decide("GET", [("Content-Length", 12), ("Origin", APP)]).allowed  # type: ignore[arg-type]


def test_invalid_utf8_is_refused_and_quoted_escaped(policy: Policy) -> None:
    decision = policy.decide("GET", [(b"origin", b"https://\xff.example.com")])
    assert (decision.allowed, decision.reason, decision.headers) == (False, "invalid-origin", [])
    explanation = decision.explain()
    assert explanation is not None
    assert "\\xff" in explanation.summary
    preflight = policy.decide(
        b"OPTIONS",
        [
            (b"origin", APP.encode()),
            (b"access-control-request-method", b"PUT"),
            (b"access-control-request-headers", b"x-a, \xc3\x28"),
        ],
    )
    assert (preflight.status, preflight.reason) == (403, "invalid-request-headers")
    any_origin = Policy(origins=["*"])
    assert any_origin.decide("GET", [(b"origin", b"\xff\xfe")]).headers == [
        ("Access-Control-Allow-Origin", "*")
    ]


def test_lone_surrogates_and_non_ascii_are_just_invalid(policy: Policy) -> None:
    for origin in ("https://app.example.com\udcff", "https://äpp.example.com"):
        decision = policy.decide("GET", {"Origin": origin})
        assert (decision.allowed, decision.reason) == (False, "invalid-origin")


def test_header_injection_is_never_echoed(policy: Policy) -> None:
    for origin in (APP + "\r\nSet-Cookie: a=b", APP + "\x00", " " + APP + "\n"):
        decision = policy.decide("GET", {"Origin": origin})
        assert decision.headers == []
        explanation = decision.explain()
        assert explanation is not None
        assert "\r" not in explanation.summary and "\n" not in explanation.summary


def test_huge_headers_are_refused_quickly(policy: Policy) -> None:
    megabyte = "a" * 1_000_000
    start = time.perf_counter()
    origin = policy.decide("GET", {"Origin": "https://" + megabyte + ".com"})
    method = policy.decide_values("OPTIONS", APP, megabyte)
    names = policy.decide_values("OPTIONS", APP, "PUT", ",".join(["x-a"] * 200_000))
    commas = policy.decide_values("OPTIONS", APP, "PUT", "," * 1_000_000)
    lines = policy.decide(
        "OPTIONS",
        [("Origin", APP), ("Access-Control-Request-Method", "PUT")]
        + [("Access-Control-Request-Headers", "x-a")] * 100_000,
    )
    many_other = policy.decide("GET", [("X-Filler", "v")] * 100_000 + [("Origin", APP)])
    elapsed = time.perf_counter() - start
    assert (origin.reason, method.reason) == ("invalid-origin", "invalid-method")
    assert names.reason == commas.reason == lines.reason == "invalid-request-headers"
    assert many_other.allowed
    assert elapsed < 2.0
    explanation = lines.explain()
    assert explanation is not None and "over the limits" in explanation.summary


def test_repeated_single_headers_are_invalid(policy: Policy) -> None:
    twice = policy.decide("GET", [("Origin", APP), ("origin", APP)])
    assert (twice.allowed, twice.reason) == (False, "invalid-origin")
    explanation = twice.explain()
    assert explanation is not None and "more than one Origin" in explanation.summary
    assert policy.decide("GET", {"Origin": f"{APP}, {APP}"}).reason == "invalid-origin"


def test_invalid_policies_raise_clear_errors() -> None:
    with pytest.raises(PolicyError) as not_a_table:
        Policy.from_dict(["https://app.example.com"])  # type: ignore[arg-type]
    assert [p.code for p in not_a_table.value.errors] == ["invalid-type", "no-origins"]
    assert "`policy` must be a table" in not_a_table.value.errors[0].message
    deep: list[object] = []
    cursor = deep
    for _ in range(10_000):
        cursor.append([])
        cursor = cursor[0]  # type: ignore[assignment]
    cyclic: list[object] = []
    cyclic.append(cyclic)
    for bad in (deep, cyclic):
        with pytest.raises(PolicyError) as info:
            Policy(origins=bad)  # type: ignore[arg-type]
        assert [p.code for p in info.value.errors] == ["invalid-type", "no-origins"]
        assert info.value.errors[0].message == "`origins[0]` must be a string, not a list"
    with pytest.raises(PolicyError) as nan:
        Policy(origins=[APP], max_age=float("nan"))  # type: ignore[arg-type]
    assert nan.value.errors[0].message == "`max_age` must be a whole number, not a Python float"
    with pytest.raises(PolicyError) as raw:
        Policy(origins=[b"https://app.example.com"])  # type: ignore[list-item]
    assert raw.value.errors[0].message == "`origins[0]` must be a string, not a Python bytes"


def test_a_raising_predicate_refuses_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    def broken(origin: str) -> bool:
        raise LookupError(f"tenant database down for {origin}")

    policy = Policy(origins=[APP], origin_predicate=broken)
    with caplog.at_level(logging.ERROR, logger="corsgate"):
        decision = policy.decide("GET", {"Origin": "https://tenant.example"})
        assert policy.decide("GET", {"Origin": APP}).allowed
    assert (decision.allowed, decision.reason) == (False, "origin-not-allowed")
    (record,) = caplog.records
    assert record.name == "corsgate"
    assert record.levelno == logging.ERROR
    assert "https://tenant.example" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is LookupError


def test_a_predicate_whose_answer_cannot_be_read_refuses(caplog: pytest.LogCaptureFixture) -> None:
    class Undecided:
        def __bool__(self) -> bool:
            raise RuntimeError("no answer")

    policy = Policy(origin_predicate=lambda origin: Undecided())
    with caplog.at_level(logging.ERROR, logger="corsgate"):
        assert not policy.decide("GET", {"Origin": APP}).allowed
    assert caplog.records[0].exc_info is not None
    assert caplog.records[0].exc_info[0] is RuntimeError


def test_keyboard_interrupt_in_a_predicate_is_not_swallowed() -> None:
    def interrupted(origin: str) -> bool:
        raise KeyboardInterrupt

    policy = Policy(origin_predicate=interrupted)
    with pytest.raises(KeyboardInterrupt):
        policy.decide("GET", {"Origin": APP})
    # The next request is decided normally.
    assert Policy(origin_predicate=lambda o: True).decide("GET", {"Origin": APP}).allowed


def test_module_limits_match_the_engine(policy: Policy) -> None:
    at_limit = "https://" + "a" * (corsgate.MAX_ORIGIN_LEN - len("https://.com")) + ".com"
    assert len(at_limit) == corsgate.MAX_ORIGIN_LEN
    assert policy.decide("GET", {"Origin": at_limit}).reason == "invalid-origin"  # label > 63
    over = at_limit + "x"
    explanation = policy.decide("GET", {"Origin": over}).explain()
    assert explanation is not None and "over the limit of 512" in explanation.summary
