"""The Python surface of `corsgate.Policy`, `Decision` and `PolicyError`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import corsgate
from corsgate import Policy, PolicyError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
APP = "https://app.example.com"
PREFLIGHT = [("Origin", APP), ("Access-Control-Request-Method", "PUT")]


def test_keyword_arguments_build_a_policy() -> None:
    policy = Policy(
        origins=[APP],
        credentials=True,
        methods=["PUT"],
        request_headers=["Content-Type"],
        expose_headers=["x-request-id"],
        max_age=600,
        preflight_status=200,
        private_network={"allow": True, "name": "printer"},
        dangerous={"allow_null_origin": False},
    )
    decision = policy.decide("OPTIONS", PREFLIGHT)
    assert decision.kind == "preflight"
    assert decision.allowed is True
    assert decision.status == 200
    assert decision.reason is None
    assert decision.headers == [
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Allow-Headers", "content-type"),
        ("Access-Control-Max-Age", "600"),
    ]
    assert decision.raw_headers[0] == (b"access-control-allow-origin", APP.encode())
    assert decision.vary == [
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "Access-Control-Request-Private-Network",
    ]
    assert policy.credentials is True
    assert policy.is_any_origin is False
    assert policy.has_origin_predicate is False


def test_every_source_goes_through_one_validator() -> None:
    as_dict = {"origins": [APP], "methods": ["PUT"]}
    from_dict = Policy.from_dict(as_dict)
    from_json = Policy.from_json('{"origins": ["https://app.example.com"], "methods": ["PUT"]}')
    from_toml = Policy.from_toml('origins = ["https://app.example.com"]\nmethods = ["PUT"]\n')
    from_kwargs = Policy(origins=(APP,), methods=("PUT",))
    dicts = [p.to_dict() for p in (from_dict, from_json, from_toml, from_kwargs)]
    assert all(d == dicts[0] for d in dicts)
    assert dicts[0]["origins"] == [APP]
    assert dicts[0]["preflight_status"] == 204
    assert "max_age" not in dicts[0]


def test_from_file_reads_toml_and_json(tmp_path: Path) -> None:
    policy = Policy.from_file(EXAMPLES / "policy.toml")
    assert policy.decide("GET", {"Origin": "http://localhost:5173"}).allowed
    json_file = tmp_path / "cors.json"
    json_file.write_text('{"origins": ["https://app.example.com"]}')
    assert Policy.from_file(str(json_file)).decide("GET", {"Origin": APP}).allowed
    unnamed = tmp_path / "cors.policy"
    unnamed.write_text('origins = ["https://app.example.com"]')
    assert Policy.from_file(unnamed).decide("GET", {"Origin": APP}).allowed
    with pytest.raises(FileNotFoundError):
        Policy.from_file(tmp_path / "missing.toml")


def test_policy_error_lists_every_problem() -> None:
    with pytest.raises(PolicyError) as info:
        Policy(
            origins=["https://app.example.com/", "*"],
            methods=["TRACE", "GET POST"],
            max_age=100_000,
            credentials=True,
        )
    err = info.value
    assert isinstance(err, ValueError)
    codes = [p.code for p in err.errors]
    assert set(codes) >= {
        "invalid-origin",
        "forbidden-method",
        "invalid-method",
        "max-age-out-of-range",
    }
    slash = next(p for p in err.errors if p.value == "https://app.example.com/")
    assert slash.code == "invalid-origin"
    assert '"https://app.example.com"' in slash.fix
    assert str(err).startswith(f"invalid CORS policy ({len(codes)} problems):")
    for p in err.errors:
        assert f"[{p.code}] {p.message} (fix: {p.fix})" in str(err)
        assert str(p) == f"[{p.code}] {p.message} (fix: {p.fix})"
        assert repr(p).startswith("Problem(code='")


def test_syntax_errors_are_policy_errors() -> None:
    with pytest.raises(PolicyError) as json_err:
        Policy.from_json("{origins: [}")
    assert [p.code for p in json_err.value.errors] == ["invalid-syntax"]
    with pytest.raises(PolicyError) as toml_err:
        Policy.from_toml("origins = [")
    assert [p.code for p in toml_err.value.errors] == ["invalid-syntax"]
    assert "line 1" in toml_err.value.errors[0].message


def test_unknown_keys_in_dicts_are_reported_with_a_suggestion() -> None:
    with pytest.raises(PolicyError) as info:
        Policy.from_dict({"origin": [APP]})
    codes = {p.code: p for p in info.value.errors}
    assert codes["unknown-field"].fix == "did you mean `origins`?"
    assert "no-origins" in codes


def test_unknown_keyword_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError):
        Policy(allow_origins=[APP])  # type: ignore[call-arg]


def test_python_types_without_a_json_form_are_named() -> None:
    from datetime import timedelta

    with pytest.raises(PolicyError) as info:
        Policy(origins=[APP], max_age=timedelta(minutes=10))  # type: ignore[arg-type]
    (problem,) = info.value.errors
    assert problem.code == "invalid-type"
    assert problem.message == "`max_age` must be a whole number, not a Python datetime.timedelta"
    assert problem.value == "datetime.timedelta(seconds=600)"


def test_problems_name_their_key() -> None:
    from datetime import timedelta

    with pytest.raises(PolicyError) as info:
        Policy(
            origins=[APP, b"https://raw.example"],  # type: ignore[list-item]
            max_age=99999,
            private_network={"allow": timedelta(1), "id": "nope"},
        )
    by_key = {p.key: p for p in info.value.errors}
    assert set(by_key) == {"origins[1]", "max_age", "private_network.allow", "private_network.id"}
    assert by_key["private_network.allow"].message.endswith("not a Python datetime.timedelta")
    assert by_key["origins[1]"].message.endswith("not a Python bytes")
    (warning,) = Policy(origins=[APP], max_age=86400).lint()
    assert warning.key == "max_age"


def test_wrongly_typed_values_get_the_validators_messages() -> None:
    with pytest.raises(PolicyError) as info:
        Policy(origins=APP, credentials="yes", preflight_status=204.5)  # type: ignore[arg-type]
    messages = [p.message for p in info.value.errors]
    assert "`origins` must be a list of strings, not a string" in messages
    assert "`credentials` must be true or false, not a string" in messages
    assert "`preflight_status` must be a whole number, not a fractional number" in messages


def test_iterables_sets_and_mappings_are_accepted() -> None:
    class Headers(Mapping[str, bool]):
        def __getitem__(self, key: str) -> bool:
            return {"allow": True}[key]

        def __iter__(self) -> Iterator[str]:
            return iter(["allow"])

        def __len__(self) -> int:
            return 1

    policy = Policy(
        origins=(o for o in [APP]),
        methods={"PUT", "DELETE"},
        credentials=True,
        private_network=Headers(),
    )
    assert policy.to_dict()["methods"] == ["DELETE", "PUT"]
    assert policy.to_dict()["private_network"] == {"allow": True}


def test_lint_reports_risky_choices() -> None:
    policy = Policy(origins=["http://app.example.com"], methods=["patch"], max_age=86400)
    codes = {w.code for w in policy.lint()}
    assert codes == {"insecure-origin", "lowercase-method", "max-age-above-chrome-cap"}
    warning = policy.lint()[0]
    assert isinstance(warning, corsgate.LintWarning)
    assert warning.message and warning.fix and warning.value
    assert Policy(origins=[APP]).lint() == []


def test_headers_may_be_a_mapping_pairs_lists_or_bytes() -> None:
    policy = Policy(origins=[APP], methods=["PUT"])
    options: list[Any] = [
        dict(PREFLIGHT),
        PREFLIGHT,
        [list(h) for h in PREFLIGHT],
        tuple(PREFLIGHT),
        [(n.lower().encode(), v.encode()) for n, v in PREFLIGHT],
        iter(PREFLIGHT),
    ]
    for headers in options:
        decision = policy.decide("OPTIONS", headers)
        assert (decision.kind, decision.allowed, decision.status) == ("preflight", True, 204)
    assert policy.decide(b"GET", None).kind == "not-cors"
    assert policy.decide("GET").kind == "not-cors"


def test_decide_values_is_the_same_decision() -> None:
    policy = Policy(origins=[APP], methods=["PUT"], request_headers=["x-a"])
    fast = policy.decide_values("OPTIONS", APP, "PUT", "x-a", None)
    slow = policy.decide(
        "OPTIONS",
        [*PREFLIGHT, ("Access-Control-Request-Headers", "x-a")],
    )
    assert (fast.kind, fast.allowed, fast.status, fast.headers, fast.vary) == (
        slow.kind,
        slow.allowed,
        slow.status,
        slow.headers,
        slow.vary,
    )
    assert policy.decide_values("GET").kind == "not-cors"
    assert policy.decide_values("GET", origin=b"https://evil.example").reason == (
        "origin-not-allowed"
    )


def test_explain_says_why_and_how_to_fix() -> None:
    policy = Policy(origins=[APP], methods=["PUT"])
    decision = policy.decide(
        "OPTIONS", [("Origin", APP), ("Access-Control-Request-Method", "PATCH")]
    )
    assert decision.reason == "method-not-allowed"
    explanation = decision.explain("https://api.example.com/items")
    assert explanation is not None
    assert explanation.reason == "method-not-allowed"
    assert explanation.fix == 'add "PATCH" to `methods`'
    assert "https://api.example.com/items" in explanation.chrome
    assert "CORS preflight response did not succeed" in explanation.firefox
    assert policy.decide("GET", {"Origin": APP}).explain() is None
    assert policy.decide("GET", {}).explain() is None


def test_explain_does_not_call_the_predicate_again() -> None:
    calls: list[str] = []

    def tenant(origin: str) -> bool:
        calls.append(origin)
        return origin == "https://tenant.example"

    policy = Policy(origin_predicate=tenant, methods=["PUT"])
    refused = policy.decide("GET", {"Origin": "https://other.example"})
    assert calls == ["https://other.example"]
    explanation = refused.explain()
    assert explanation is not None and explanation.reason == "origin-not-allowed"
    bad_method = policy.decide(
        "OPTIONS",
        [("Origin", "https://tenant.example"), ("Access-Control-Request-Method", "PATCH")],
    )
    assert bad_method.reason == "method-not-allowed"
    explanation = bad_method.explain()
    assert explanation is not None and explanation.reason == "method-not-allowed"
    assert calls == ["https://other.example", "https://tenant.example"]


def test_origin_predicate_admits_dynamic_origins() -> None:
    calls: list[str] = []

    def tenant(origin: str) -> bool:
        calls.append(origin)
        return origin.endswith(".tenants.example")

    policy = Policy(origins=[APP], origin_predicate=tenant, credentials=True)
    assert policy.has_origin_predicate
    assert policy.decide("GET", {"Origin": "https://a.tenants.example"}).allowed
    assert policy.decide("GET", {"Origin": APP}).allowed
    assert not policy.decide("GET", {"Origin": "https://b.example"}).allowed
    # Not called for configured origins, invalid origins, or insecure ones with credentials.
    assert not policy.decide("GET", {"Origin": "https://A.tenants.example"}).allowed
    assert not policy.decide("GET", {"Origin": "http://c.tenants.example"}).allowed
    assert calls == ["https://a.tenants.example", "https://b.example"]


def test_a_predicate_alone_is_enough_but_not_with_star() -> None:
    policy = Policy(origin_predicate=lambda o: True)
    assert policy.decide("GET", {"Origin": APP}).allowed
    with pytest.raises(PolicyError) as info:
        Policy(origins=["*"], origin_predicate=lambda o: True)
    assert [p.code for p in info.value.errors] == ["invalid-origin"]
    with pytest.raises(TypeError, match="origin_predicate must be callable"):
        Policy(origins=[APP], origin_predicate="yes")  # type: ignore[arg-type]


def test_a_shared_policy_is_safe_across_threads() -> None:
    seen: list[int] = []

    def predicate(origin: str) -> bool:
        seen.append(1)
        return origin.startswith("https://t")

    policy = Policy(origins=[APP], methods=["PUT"], origin_predicate=predicate)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(500):
                origin = f"https://t{n}-{i}.example" if i % 2 else APP
                d = policy.decide(
                    "OPTIONS", [("Origin", origin), ("Access-Control-Request-Method", "PUT")]
                )
                assert d.allowed and d.headers[0] == ("Access-Control-Allow-Origin", origin)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) == 8 * 250


def test_reprs() -> None:
    policy = Policy(origins=[APP], methods=["PUT"], origin_predicate=lambda o: False)
    assert (
        repr(policy)
        == "Policy(origins=['https://app.example.com'], credentials=False, origin_predicate=...)"
    )
    decision = policy.decide("OPTIONS", PREFLIGHT)
    assert repr(decision) == "Decision(kind='preflight', allowed=True, status=204, reason=None)"


def test_module_facts() -> None:
    assert corsgate.__version__ == "0.1.0"
    assert corsgate.MAX_ORIGIN_LEN == 512
    assert corsgate.is_valid_origin(APP)
    assert not corsgate.is_valid_origin("https://APP.example.com")
    assert not corsgate.is_valid_origin(b"null")
    assert corsgate.PolicyError.errors == ()
    assert logging.getLogger("corsgate").name == "corsgate"


ROUTES = {
    "policies": {"app": {"origins": [APP], "credentials": True}},
    "routes": [
        {"path": "/api/public/**", "policy": {"origins": ["*"]}},
        {"path": "/admin/**", "policy": False},
        {"path": "/api/**", "policy": "app"},
    ],
}


def test_a_route_file_picks_the_policy_by_path() -> None:
    policy = Policy.from_dict(ROUTES)
    assert policy.has_routes
    assert repr(policy) == "Policy(routes=['/api/public/**', '/admin/**', '/api/**'])"
    other = [("Origin", "https://other.example")]
    assert policy.decide("GET", other, path="/api/public/feed").headers == [
        ("Access-Control-Allow-Origin", "*")
    ]
    account = policy.decide("GET", [("Origin", APP)], path="/api/account?x=1")
    assert ("Access-Control-Allow-Credentials", "true") in account.headers
    for path in ("/admin/users", "/about", b"/admin"):
        d = policy.decide("GET", [("Origin", APP)], path=path)
        assert (d.kind, d.headers, d.vary) == ("not-cors", [], [])
    # Dot segments and escapes are resolved before matching.
    assert policy.decide("GET", [("Origin", APP)], path="/api/x/../../admin/").kind == "not-cors"
    assert policy.decide("GET", other, path="/api/%70ublic/feed").allowed


def test_a_route_file_needs_the_path() -> None:
    policy = Policy.from_dict(ROUTES)
    with pytest.raises(ValueError, match="pass the request path"):
        policy.decide("GET", [("Origin", APP)])
    with pytest.raises(ValueError, match="pass the request path"):
        policy.decide_values("GET", APP)
    with pytest.raises(ValueError, match="policy_for"):
        _ = policy.credentials
    with pytest.raises(TypeError, match="path must be str or bytes"):
        policy.decide("GET", [], path=3)  # type: ignore[arg-type]
    # A policy without routes ignores the path.
    single = Policy(origins=[APP])
    assert not single.has_routes
    assert single.decide("GET", [("Origin", APP)], path="/anything").allowed
    assert [pattern for pattern, _ in single.routes] == ["/**"]


def test_each_route_is_a_policy_of_its_own() -> None:
    policy = Policy.from_dict(ROUTES)
    routes = policy.routes
    assert [(pattern, p is None) for pattern, p in routes] == [
        ("/api/public/**", False),
        ("/admin/**", True),
        ("/api/**", False),
    ]
    app = policy.policy_for("/api/users")
    assert app is not None and app.credentials and not app.has_routes
    assert policy.policy_for("/admin/x") is None
    assert policy.policy_for("/elsewhere") is None
    assert policy.to_dict()["policies"]["app"]["credentials"] is True
    assert policy.to_dict()["routes"][1] == {"path": "/admin/**", "policy": False}


def test_origin_predicates_by_policy_name() -> None:
    asked: list[tuple[str, str]] = []

    def tenants(origin: str) -> bool:
        asked.append(("tenants", origin))
        return origin == "https://tenant.example"

    file = {
        "policies": {
            "tenants": {"origins": [], "credentials": True},
            "public": {"origins": ["https://public.example"]},
        },
        "routes": [
            {"path": "/t/**", "policy": "tenants"},
            {"path": "/p/**", "policy": "public"},
        ],
    }
    policy = Policy.from_dict(file, origin_predicate={"tenants": tenants})
    tenant = [("Origin", "https://tenant.example")]
    assert policy.decide("GET", tenant, path="/t/x").allowed
    # `public` has no predicate: nobody is asked.
    assert not policy.decide("GET", tenant, path="/p/x").allowed
    assert asked == [("tenants", "https://tenant.example")]
    # A callable is every policy's predicate.
    everyone = Policy.from_dict(file, origin_predicate=lambda o: o == "https://tenant.example")
    assert everyone.decide("GET", tenant, path="/p/x").allowed
    with pytest.raises(ValueError, match=r'"policies.nope".*policies.tenants'):
        Policy.from_dict(file, origin_predicate={"nope": tenants})
    with pytest.raises(ValueError, match="give origin_predicate a callable"):
        Policy(origins=[APP], origin_predicate={"x": tenants})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        Policy.from_dict(file, origin_predicate={"tenants": 3})  # type: ignore[dict-item]


def test_route_files_load_from_text_and_files(tmp_path: Path) -> None:
    from_file = Policy.from_file(EXAMPLES / "routes.toml")
    assert from_file.has_routes
    assert from_file.lint() == Policy.from_toml((EXAMPLES / "routes.toml").read_text()).lint()
    bad = tmp_path / "bad.toml"
    bad.write_text('origins = ["*"]\n[[routes]]\npath = "/a/*b"\npolicy = "missing"\n')
    with pytest.raises(PolicyError) as info:
        Policy.from_file(bad)
    codes = {p.code for p in info.value.errors}
    assert {"policy-keys-beside-routes", "invalid-route", "unknown-policy"} <= codes
