"""`corsgate export` and `corsgate import`, checked offline with AWS's own models.

Every valid conformance policy is exported to each target; every document is
validated with botocore's parameter validator against the operation that
takes it (S3 PutBucketCors, API Gateway v2 CreateApi and UpdateApi, API
Gateway PutMethodResponse/PutIntegrationResponse, CloudFront
CreateResponseHeadersPolicy). The S3 rules are then applied to moto's S3
server on 127.0.0.1 and the vectors' preflights sent to it, compared with the
vectors' answers as far as moto implements S3 CORS (origin matching).

Run by tests/suites/aws.sh with CORSGATE set to the CLI binary.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("CORSGATE", str(ROOT / "target" / "release" / "corsgate"))
VECTORS = {
    p.name: json.loads(p.read_text(encoding="utf-8"))
    for p in sorted((ROOT / "tests" / "conformance").glob("*.json"))
}
VALID = {name: v for name, v in VECTORS.items() if "cases" in v}
TARGETS = ["s3", "apigateway-http", "apigateway-rest", "cloudfront"]
SESSION = botocore.session.get_session()


def shape(service: str, operation: str) -> Any:
    return SESSION.get_service_model(service).operation_model(operation).input_shape


def validate(service: str, operation: str, params: dict[str, Any]) -> None:
    report = ParamValidator().validate(params, shape(service, operation))
    assert not report.has_errors(), report.generate_report()


def export(policy: dict[str, Any] | str, target: str, tmp: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    file = tmp / "policy.json"
    file.write_text(policy if isinstance(policy, str) else json.dumps(policy), encoding="utf-8")
    return subprocess.run(
        [CLI, "export", "--to", target, *flags, str(file)], capture_output=True, text=True, check=False
    )


def check_document(target: str, document: dict[str, Any]) -> None:
    if target == "s3":
        validate("s3", "PutBucketCors", {"Bucket": "b", "CORSConfiguration": document})
    elif target == "apigateway-http":
        validate("apigatewayv2", "CreateApi", {"Name": "api", "ProtocolType": "HTTP", **document})
        validate("apigatewayv2", "UpdateApi", {"ApiId": "a1b2c3", **document})
    elif target == "apigateway-rest":
        ids = {"restApiId": "a1b2c3", "resourceId": "r1"}
        validate("apigateway", "PutMethod", {**ids, **document["PutMethod"]})
        validate("apigateway", "PutIntegration", {**ids, **document["PutIntegration"]})
        validate("apigateway", "PutMethodResponse", {**ids, **document["PutMethodResponse"]})
        validate("apigateway", "PutIntegrationResponse", {**ids, **document["PutIntegrationResponse"]})
    else:
        validate("cloudfront", "CreateResponseHeadersPolicy", document)


LOSSES: dict[str, dict[str, list[str]]] = {t: {} for t in TARGETS}
COMPARED: dict[str, int] = {}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(VALID))
def test_every_vector_policy_exports_and_validates(name: str, target: str, tmp_path: Path) -> None:
    policy = VALID[name]["policy"]
    strict = export(policy, target, tmp_path)
    lossy = export(policy, target, tmp_path, "--lossy")
    assert lossy.returncode == 0, lossy.stderr
    document = json.loads(lossy.stdout)
    check_document(target, document)
    warnings = [line for line in lossy.stderr.splitlines() if line.startswith("warning: ")]
    if warnings:
        # Never silent: without --lossy the same losses are errors and nothing is printed.
        assert strict.returncode == 1
        assert strict.stdout == ""
        errors = [line for line in strict.stderr.splitlines() if line.startswith("error: ")]
        assert [e[len("error: ") :] for e in errors] == [w[len("warning: ") :] for w in warnings]
        assert "pass --lossy" in strict.stderr
        for line in warnings:
            assert line.startswith(f"warning: {target} cannot express `"), line
    else:
        assert strict.returncode == 0, strict.stderr
        assert json.loads(strict.stdout) == document
    LOSSES[target][name] = warnings


POLICY = {
    "origins": ["https://app.example.com"],
    "credentials": True,
    "methods": ["PUT", "DELETE"],
    "request_headers": ["content-type", "authorization"],
    "expose_headers": ["X-Request-Id"],
    "max_age": 600,
}


def test_s3_document(tmp_path: Path) -> None:
    out = export(POLICY, "s3", tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "CORSRules": [
            {
                "AllowedHeaders": ["content-type", "authorization"],
                "AllowedMethods": ["GET", "HEAD", "POST", "PUT", "DELETE"],
                "AllowedOrigins": ["https://app.example.com"],
                "ExposeHeaders": ["X-Request-Id"],
                "MaxAgeSeconds": 600,
            }
        ]
    }


def test_apigateway_http_document(tmp_path: Path) -> None:
    out = export(POLICY, "apigateway-http", tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "CorsConfiguration": {
            "AllowCredentials": True,
            "AllowHeaders": ["content-type", "authorization"],
            "AllowMethods": ["PUT", "DELETE"],
            "AllowOrigins": ["https://app.example.com"],
            "ExposeHeaders": ["X-Request-Id"],
            "MaxAge": 600,
        }
    }


def test_apigateway_rest_document(tmp_path: Path) -> None:
    policy = {k: v for k, v in POLICY.items() if k != "expose_headers"}
    out = export(policy, "apigateway-rest", tmp_path)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["PutIntegration"]["type"] == "MOCK"
    assert document["PutIntegration"]["requestTemplates"] == {"application/json": '{"statusCode": 204}'}
    assert document["PutIntegrationResponse"]["statusCode"] == "204"
    assert document["PutIntegrationResponse"]["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Origin": "'https://app.example.com'",
        "method.response.header.Access-Control-Allow-Credentials": "'true'",
        "method.response.header.Access-Control-Allow-Methods": "'PUT,DELETE'",
        "method.response.header.Access-Control-Allow-Headers": "'content-type,authorization'",
        "method.response.header.Access-Control-Max-Age": "'600'",
        "method.response.header.Vary": "'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'",
    }
    assert set(document["PutMethodResponse"]["responseParameters"].values()) == {False}


def test_cloudfront_document(tmp_path: Path) -> None:
    out = export(POLICY, "cloudfront", tmp_path)
    assert out.returncode == 0, out.stderr
    cors = json.loads(out.stdout)["ResponseHeadersPolicyConfig"]["CorsConfig"]
    assert cors == {
        "AccessControlAllowOrigins": {"Quantity": 1, "Items": ["https://app.example.com"]},
        "AccessControlAllowHeaders": {"Quantity": 2, "Items": ["content-type", "authorization"]},
        "AccessControlAllowMethods": {"Quantity": 5, "Items": ["GET", "HEAD", "POST", "PUT", "DELETE"]},
        "AccessControlAllowCredentials": True,
        "AccessControlExposeHeaders": {"Quantity": 1, "Items": ["X-Request-Id"]},
        "AccessControlMaxAgeSec": 600,
        "OriginOverride": True,
    }


LOSS_CASES = [
    ("s3", {"origins": ["https://a.example"], "credentials": True, "methods": ["PATCH"]}, ["`methods` = \"PATCH\"", "PATCH preflight"]),
    ("s3", {"origins": ["https://a.example"]}, ["`credentials` = false", "Access-Control-Allow-Credentials: true"]),
    ("s3", {"origins": ["https://*.a.example:*"], "credentials": True}, ["`origins` = \"https://*.a.example:*\"", "one `*`"]),
    ("s3", {"origins": ["*"], "methods": ["*"]}, ["`methods` = [\"*\"]", "those five"]),
    ("s3", {"origins": ["*"], "expose_headers": ["*"]}, ["`expose_headers` = [\"*\"]"]),
    ("s3", {"origins": ["*"], "refused_preflight_status": 400}, ["`refused_preflight_status` = 400", "403"]),
    ("apigateway-http", {"origins": ["http://localhost:*"]}, ["`origins` = \"http://localhost:*\"", "not patterns"]),
    ("apigateway-http", {"origins": ["https://*.a.example"]}, ["`origins` = \"https://*.a.example\""]),
    ("apigateway-http", {"origins": ["https://a.example"], "credentials": True, "request_headers": ["*", "authorization"]}, ["`request_headers`", "literal `*`"]),
    ("apigateway-rest", {"origins": ["https://a.example", "https://b.example"]}, ["one fixed Access-Control-Allow-Origin"]),
    ("apigateway-rest", {"origins": ["*"], "expose_headers": ["X-Id"]}, ["`expose_headers`", "actual responses"]),
    ("cloudfront", {"origins": ["*"], "methods": ["PROPFIND"]}, ["`methods` = \"PROPFIND\""]),
    ("cloudfront", {"origins": ["*"], "request_headers": ["*"]}, ["`request_headers` = [\"*\"]", "`authorization`"]),
    ("cloudfront", {"origins": ["https://a.example"], "private_network": {"allow": True}}, ["`private_network.allow` = true"]),
]


@pytest.mark.parametrize(("target", "policy", "needles"), LOSS_CASES)
def test_each_limit_is_reported(target: str, policy: dict[str, Any], needles: list[str], tmp_path: Path) -> None:
    out = export(policy, target, tmp_path)
    assert out.returncode == 1
    assert out.stdout == ""
    for needle in needles:
        assert needle in out.stderr, out.stderr
    lossy = export(policy, target, tmp_path, "--lossy")
    assert lossy.returncode == 0
    check_document(target, json.loads(lossy.stdout))


def test_port_pattern_is_two_s3_origins(tmp_path: Path) -> None:
    out = export({"origins": ["http://localhost:*"], "credentials": True}, "s3", tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["CORSRules"][0]["AllowedOrigins"] == ["http://localhost:*", "http://localhost"]


def test_routes_and_bad_policies_are_refused(tmp_path: Path) -> None:
    routes = {"routes": [{"path": "/api/*", "policy": {"origins": ["*"]}}]}
    out = export(routes, "s3", tmp_path)
    assert out.returncode == 1
    assert "has routes" in out.stderr
    bad = export({"origins": ["https://a.example/"], "credentials": "yes"}, "s3", tmp_path)
    assert bad.returncode == 1
    assert "invalid policy (2 problems)" in bad.stderr
    missing = subprocess.run([CLI, "export", "--to", "s3", str(tmp_path / "nope.toml")], capture_output=True, text=True)
    assert missing.returncode == 2
    unknown = subprocess.run([CLI, "export", "--to", "azure", str(tmp_path / "nope.toml")], capture_output=True, text=True)
    assert unknown.returncode == 2
    assert "apigateway-http" in unknown.stderr


def import_s3(document: Any, tmp: Path) -> subprocess.CompletedProcess[str]:
    file = tmp / "rules.json"
    file.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return subprocess.run([CLI, "import", "--from", "s3", str(file)], capture_output=True, text=True, check=False)


def test_import_reads_an_export_back(tmp_path: Path) -> None:
    policy = dict(POLICY, origins=["https://app.example.com", "http://localhost:*"])
    exported = export(policy, "s3", tmp_path)
    assert exported.returncode == 0, exported.stderr
    back = import_s3(exported.stdout, tmp_path)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout) == policy
    again = export(json.loads(back.stdout), "s3", tmp_path)
    assert again.stdout == exported.stdout


def test_import_public_bucket_and_star_headers(tmp_path: Path) -> None:
    rules = [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["*"]}]
    back = import_s3(rules, tmp_path)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout) == {
        "origins": ["*"],
        "credentials": False,
        "request_headers": ["*", "authorization"],
    }


def test_import_lists_every_problem(tmp_path: Path) -> None:
    rules = {"CORSRules": [{"AllowedOrigins": "https://a.example", "AllowedMethods": [1], "MaxAgeSeconds": "10", "Other": 1}]}
    back = import_s3(rules, tmp_path)
    assert back.returncode == 1
    for needle in ["CORSRules[0].AllowedOrigins", "CORSRules[0].AllowedMethods", "CORSRules[0].MaxAgeSeconds", "CORSRules[0].Other", "4 problems"]:
        assert needle in back.stderr, back.stderr
    two = import_s3({"CORSRules": [{"AllowedOrigins": ["*"]}, {"AllowedOrigins": ["*"]}]}, tmp_path)
    assert two.returncode == 1
    assert "2 rules" in two.stderr
    invalid = import_s3({"CORSRules": [{"AllowedOrigins": ["https://a.example/"], "AllowedMethods": ["GET"]}]}, tmp_path)
    assert invalid.returncode == 1
    assert "invalid-origin" in invalid.stderr
    assert import_s3("{not json", tmp_path).returncode == 1


# --- moto's S3 server: the exported rules answer the vectors' preflights.


@pytest.fixture(scope="module")
def moto_s3() -> Any:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str) -> Any:
    return SESSION.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.parametrize("name", sorted(VALID))
def test_moto_answers_the_preflights_as_the_vectors_say(name: str, moto_s3: str, tmp_path: Path) -> None:
    exported = export(VALID[name]["policy"], "s3", tmp_path)
    if exported.returncode != 0:
        # Lossy for S3: the vectors' answers do not hold for the bucket.
        assert "cannot express" in exported.stderr
        return
    bucket = name.split("-")[0] + "-" + str(abs(hash(name)) % 100000)
    client = s3_client(moto_s3)
    client.create_bucket(Bucket=bucket)
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration=json.loads(exported.stdout))
    compared = 0
    for case in VALID[name]["cases"]:
        request, expect = case["request"], case["expect"]
        headers = request.get("headers", [])
        names = [n.lower() for n, _ in headers]
        if expect["kind"] != "preflight" or len(names) != len(set(names)):
            continue
        origin = dict((n.lower(), v) for n, v in headers).get("origin")
        if expect.get("reason") == "invalid-origin":
            continue  # moto matches any string; corsgate refuses malformed origins first
        if any(not all(" " <= c <= "~" or c == "\t" for c in v) for _, v in headers):
            continue  # not sendable by an HTTP client (CR, LF, non-ASCII)
        req = urllib.request.Request(f"{moto_s3}/{bucket}/key", method="OPTIONS")
        for n, v in headers:
            req.add_header(n, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                status, got = response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            status, got = error.code, dict(error.headers)
        origin_ok = expect["allowed"] or expect.get("reason") not in ("origin-not-allowed",)
        label = f"{name}: {case['name']}"
        if origin_ok:
            assert status == 200, label
            assert got.get("Access-Control-Allow-Origin") == origin, label
        else:
            # moto's error responses echo any Origin (its own server's CORS,
            # not the bucket's), so the refusal shows in the status only.
            assert status == 403, label
        compared += 1
    COMPARED[name] = compared


def test_loss_summary() -> None:
    """Runs last: the losses per target over the vector policies, for the record."""
    for target in TARGETS:
        lossy = sum(1 for w in LOSSES[target].values() if w)
        print(f"{target}: {len(LOSSES[target]) - lossy} exact, {lossy} lossy")
    print(f"moto: {sum(COMPARED.values())} preflights from {len(COMPARED)} policies compared")
    # The S3 comparison must have compared something, or it proves nothing.
    assert sum(COMPARED.values()) >= 30
