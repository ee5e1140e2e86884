#!/usr/bin/env python3
"""Tests ngx_http_corsgate_module in a real nginx on 127.0.0.1.

Runs every SPEC §8 vector (tests/conformance/*.json) over HTTP through the
module: one location per valid policy (TOML and JSON files alternately)
proxying to an upstream server block, compared as SPEC §8 says; every
invalid policy through `nginx -t`; then the nginx-specific cases (auth_basic,
auth_request, return/rewrite, upstream CORS headers, Vary, error responses,
add_header, `corsgate off`, reload with an invalid policy).

Requests go out on raw sockets, so repeated and odd header lines are sent
byte for byte. Two kinds of case cannot test the vector itself, and each is
counted and listed as skipped with its reason, never silently:
- skipped-by-nginx: nginx answers 400 before any module runs (the reason is
  the "client sent ..." line of its error log), e.g. a lowercase method;
- rewritten-by-nginx: nginx hands modules other bytes than were sent (a CR or
  LF ends a header line; spaces around a value are dropped, so a raw-length
  limit reached by padding is not reached). The response must then be the
  engine's decision for the request nginx parsed (asked of the corsgate CLI),
  and no response header may carry injected bytes.

Usage: run.py --module SO --work DIR [--vectors DIR]
       run.py --debian ...   the module the Debian package installed and
                             enabled (include /etc/nginx/modules-enabled/*.conf)
Last line: "nginx: N passed, M failed, K skipped".
"""

import argparse
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../tests/harness"))
from http_vectors import (  # noqa: E402
    LIST_HEADERS,
    Results,
    compare_headers,
    free_ports,
    http,
    request_bytes,
    send,
    write_policy,
)

# The policy the nginx-specific cases use.
POLICY = {
    "origins": ["https://app.example.com"],
    "credentials": True,
    "methods": ["PUT"],
    "request_headers": ["content-type"],
    "expose_headers": ["x-request-id"],
    "max_age": 600,
}
ALLOWED = "https://app.example.com"
REFUSED = "https://evil.example.net"
PREFLIGHT_HEADERS = {
    "access-control-allow-origin": ALLOWED,
    "access-control-allow-credentials": "true",
    "access-control-allow-methods": "PUT",
    "access-control-allow-headers": "content-type",
    "access-control-max-age": "600",
}
ACTUAL_HEADERS = {
    "access-control-allow-origin": ALLOWED,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": "x-request-id",
}
PREFLIGHT_VARY = [
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
]


# ---------------------------------------------------------------- nginx


class Nginx:
    def __init__(self, work, load):
        self.work = work
        self.load = load  # the directive that loads the module
        self.conf = os.path.join(work, "nginx.conf")
        self.log = os.path.join(work, "error.log")
        self.pidfile = os.path.join(work, "nginx.pid")
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "empty", "docs"):
            os.makedirs(os.path.join(work, d), exist_ok=True)

    def prelude(self):
        return f"""{self.load}
pid {self.pidfile};
error_log {self.log} info;
worker_processes 1;
events {{ worker_connections 512; }}
"""

    def http_common(self):
        w = self.work
        return f"""  access_log off;
  client_body_temp_path {w}/body;
  proxy_temp_path {w}/proxy;
  fastcgi_temp_path {w}/fastcgi;
  uwsgi_temp_path {w}/uwsgi;
  scgi_temp_path {w}/scgi;
"""

    def test_config(self, text, name="test.conf"):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run(
            ["nginx", "-t", "-p", self.work, "-c", path, "-e", "stderr"],
            check=False,
            capture_output=True,
            text=True,
            errors="replace",
        )
        return p.returncode, p.stderr

    def start(self, http_body):
        with open(self.conf, "w") as f:
            f.write(
                self.prelude() + "http {\n" + self.http_common() + http_body + "}\n"
            )
        # lint warnings go to stderr while the configuration loads: keep them for failures
        p = subprocess.run(
            ["nginx", "-p", self.work, "-c", self.conf, "-e", self.log],
            check=False,
            capture_output=True,
            text=True,
            errors="replace",
        )
        if p.returncode != 0:
            raise RuntimeError(f"nginx did not start: {p.stderr}")
        deadline = time.time() + 10
        while not os.path.exists(self.pidfile):
            if time.time() > deadline:
                raise RuntimeError("nginx did not write its pid file")
            time.sleep(0.05)

    def pid(self):
        with open(self.pidfile) as f:
            return int(f.read().strip())

    def stop(self):
        if not os.path.exists(self.pidfile):
            return
        pid = self.pid()
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def log_size(self):
        return os.path.getsize(self.log)

    def log_since(self, offset):
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")


# ---------------------------------------------------------------- conformance


def nginx_parsed(headers):
    """The header lines nginx 1.22 hands modules for what run.py sends: a line
    ends at LF (a CR ends its value), a line without a colon is a header with
    an empty value, and spaces (not tabs) around a value are dropped."""
    raw = b"".join(
        n.encode("utf-8") + b": " + v.encode("utf-8") + b"\r\n" for n, v in headers
    )
    out = []
    for line in raw.split(b"\n")[:-1]:
        line = line.split(b"\r")[0]
        name, colon, value = line.partition(b":")
        out.append(
            [name.decode("utf-8"), value.strip(b" ").decode("utf-8") if colon else ""]
        )
    return out


def rewrite_reason(headers):
    if any("\r" in v or "\n" in v for _, v in headers):
        return "CR/LF in a value: nginx ends the line there and reads the rest as another header line"
    return "nginx strips the spaces around header values before modules run, so the raw-length limit is not reached"


def oracle_decision(oracle, policy_file, method, headers, path="/"):
    line = json.dumps({"method": method, "headers": headers, "path": path})
    p = subprocess.run(
        [oracle, "decide", "--policy", policy_file],
        input=line + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(p.stdout)


def check_response(r, expect):
    """None when the response is the one `expect` (a SPEC §8 decision) asks for."""
    from_upstream = r.one("x-upstream") == "yes"
    if expect["kind"] == "preflight":
        if from_upstream:
            return "preflight reached the upstream"
        if r.status != expect["status"]:
            return f"status {r.status} != {expect['status']}"
        if r.body:
            return f"preflight body {r.body[:60]!r}"
    elif not from_upstream or r.status != 200:
        return (
            f"{expect['kind']} request not answered by the upstream (status {r.status})"
        )
    problem = compare_headers(r.cors(), expect["headers"])
    if problem is None and r.vary() != {t.lower() for t in expect["vary"]}:
        problem = (
            f"vary {sorted(r.vary())} != {sorted(t.lower() for t in expect['vary'])}"
        )
    return problem


def run_vector_case(res, ngx, port, location, policy_file, oracle, fname, case):
    name = f"{fname} / {case['name']}"
    req = case["request"]
    headers = [tuple(h) for h in req["headers"]]
    offset = ngx.log_size()
    r = http(port, req["method"], location, headers)

    # A 400 the policy asked for (refused_preflight_status) is the module's.
    wanted_400 = case["expect"].get("status") == 400 and not r.body
    if r.status == 400 and not r.all("x-upstream") and not wanted_400:
        reasons = re.findall(
            r"\[info\] [^\n]*?(client sent [^,\n]*)", ngx.log_since(offset)
        )
        if reasons:
            res.skip(name, f'skipped-by-nginx: 400 "{reasons[0]}"')
        else:
            res.fail(name, "400 without a 'client sent ...' line in nginx's error log")
        return
    if any(
        n in ("x-evil", "set-cookie") or "\r" in v or "\n" in v for n, v in r.headers
    ):
        res.fail(name, f"header injection: {r.headers}")
        return

    problem = check_response(r, case["expect"])
    if problem is None:
        res.ok()
        return
    parsed = nginx_parsed(headers)
    if parsed == [list(h) for h in headers]:
        res.fail(name, problem)
        return
    # nginx rewrote the request before any module ran: the module must give
    # the engine's answer for the request nginx parsed.
    again = check_response(
        r, oracle_decision(oracle, policy_file, req["method"], parsed, req.get("path", "/"))
    )
    if again is None:
        res.skip(
            name,
            f"rewritten-by-nginx: {rewrite_reason(headers)}; "
            "answered as the engine decides the parsed request",
        )
    else:
        res.fail(name, f"{problem}; and for the request nginx parsed: {again}")


def error_vectors(res, ngx, files):
    for path in files:
        fname = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            vec = json.load(f)
        policy = os.path.join(ngx.work, "policies", fname)
        with open(policy, "w", encoding="utf-8") as f:
            json.dump(vec["policy"], f)
        rc, err = ngx.test_config(
            ngx.prelude()
            + "http {\n"
            + ngx.http_common()
            + f"  server {{ listen 127.0.0.1:9; location / {{ corsgate_policy {policy}; }} }}\n}}\n"
        )
        codes = set(
            re.findall(r'corsgate_policy "[^"]*": error \d+/\d+ \[([a-z-]+)\]', err)
        )
        missing = [c for c in vec["errors"] if c not in codes]
        lines = [
            l for l in err.splitlines() if "corsgate_policy" in l and "[emerg]" in l
        ]
        if rc == 0:
            res.fail(f"nginx -t {fname}", "accepted an invalid policy")
        elif missing:
            res.fail(f"nginx -t {fname}", f"codes {missing} not printed: {err[-400:]}")
        elif not all("; fix: " in l for l in lines):
            res.fail(f"nginx -t {fname}", f"an error line without its fix: {lines}")
        else:
            res.ok()


# ---------------------------------------------------------------- nginx-specific


def check(res, name, cond, detail=""):
    if cond:
        res.ok()
    else:
        res.fail(name, detail)


def expect_cors(res, name, r, want, vary, status=None):
    problem = compare_headers(r.cors(), [[k, v] for k, v in want.items()])
    if problem is None and r.vary() != set(vary):
        problem = f"vary {r.all('vary')} != {vary}"
    if problem is None and status is not None and r.status != status:
        problem = f"status {r.status} != {status}"
    check(res, name, problem is None, f"{problem}; headers {r.headers}")


def specific_locations(work, up, policy, other):
    return f"""
    location /auth-basic/ {{
      corsgate_policy {policy};
      auth_basic "restricted";
      auth_basic_user_file {work}/htpasswd;
      proxy_pass http://127.0.0.1:{up}/;
    }}
    location /auth-request/ {{
      corsgate_policy {policy};
      auth_request /deny;
      proxy_pass http://127.0.0.1:{up}/;
    }}
    location = /deny {{ internal; return 403; }}
    location /return/ {{ corsgate_policy {policy}; return 301 https://example.com/; }}
    location /redirect/ {{ corsgate_policy {policy}; rewrite ^ https://example.com/ redirect; }}
    location /if-return/ {{
      corsgate_policy {policy};
      if ($request_method = OPTIONS) {{ return 405; }}
      proxy_pass http://127.0.0.1:{up}/;
    }}
    location /old/ {{ rewrite ^/old/(.*)$ /upstream-cors/$1 last; }}
    location /upstream-cors/ {{ corsgate_policy {policy}; proxy_pass http://127.0.0.1:{up}/cors/; }}
    location /vary-star/ {{ corsgate_policy {policy}; proxy_pass http://127.0.0.1:{up}/vary-star/; }}
    location /vary-comma/ {{ corsgate_policy {policy}; proxy_pass http://127.0.0.1:{up}/vary-comma/; }}
    location /up404/ {{ corsgate_policy {policy}; proxy_pass http://127.0.0.1:{up}/status404/; }}
    location /up500/ {{ corsgate_policy {policy}; proxy_pass http://127.0.0.1:{up}/status500/; }}
    location /bad-gateway/ {{ corsgate_policy {policy}; proxy_pass http://127.0.0.1:9/; }}
    location /return500/ {{ corsgate_policy {policy}; return 500; }}
    location /missing/ {{ corsgate_policy {policy}; root {work}/empty; }}
    location /errpage/ {{ corsgate_policy {policy}; root {work}/empty; error_page 404 /errdoc.html; }}
    location = /errdoc.html {{ root {work}/docs; }}
    location /add-header/ {{
      corsgate_policy {policy};
      add_header Access-Control-Allow-Origin * always;
      add_header Access-Control-Max-Age 1 always;
      add_header access-control-allow-credentials false always;
      add_header X-Kept yes always;
      return 200 "local\\n";
    }}
    location /nested/ {{
      corsgate_policy {policy};
      proxy_pass http://127.0.0.1:{up}/;
      location /nested/off/ {{ corsgate off; proxy_pass http://127.0.0.1:{up}/; }}
      location /nested/other/ {{ corsgate_policy {other}; proxy_pass http://127.0.0.1:{up}/; }}
      location /nested/inherit/ {{ proxy_pass http://127.0.0.1:{up}/; }}
    }}
    location /reload/ {{ corsgate_policy {work}/reload.toml; proxy_pass http://127.0.0.1:{up}/; }}
"""


def specific_tests(res, ngx, front, srv_return, srv_inherit):
    pre = lambda origin=ALLOWED: [
        ("Origin", origin),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "content-type"),
    ]
    act = lambda origin=ALLOWED: [("Origin", origin)]

    # Preflights are answered before access checks and rewrite-phase answers.
    for loc in (
        "/auth-basic/x",
        "/auth-request/x",
        "/return/x",
        "/redirect/x",
        "/if-return/x",
    ):
        r = http(front, "OPTIONS", loc, pre())
        expect_cors(
            res,
            f"preflight to {loc} answered by corsgate",
            r,
            PREFLIGHT_HEADERS,
            PREFLIGHT_VARY,
            204,
        )
        check(
            res,
            f"preflight to {loc} has no body and no upstream",
            not r.body and not r.all("x-upstream"),
            repr(r.body),
        )
        r = http(front, "OPTIONS", loc, pre(REFUSED))
        expect_cors(res, f"refused preflight to {loc}", r, {}, PREFLIGHT_VARY, 403)
    r = http(srv_return, "OPTIONS", "/x", pre())
    expect_cors(
        res,
        "preflight before a server-level return",
        r,
        PREFLIGHT_HEADERS,
        PREFLIGHT_VARY,
        204,
    )
    r = http(srv_return, "GET", "/x", act())
    expect_cors(
        res,
        "server-level return 301 carries CORS headers",
        r,
        ACTUAL_HEADERS,
        ["origin"],
        301,
    )
    r = http(srv_inherit, "OPTIONS", "/loc/x", pre())
    expect_cors(
        res,
        "server policy inherited by a location",
        r,
        PREFLIGHT_HEADERS,
        PREFLIGHT_VARY,
        204,
    )

    # Non-preflight requests still meet auth and redirects, with CORS headers.
    r = http(front, "GET", "/auth-basic/x", act())
    expect_cors(
        res,
        "401 from auth_basic carries CORS headers",
        r,
        ACTUAL_HEADERS,
        ["origin"],
        401,
    )
    r = http(front, "GET", "/auth-basic/x", act() + [("Authorization", "Basic dTpw")])
    expect_cors(
        res, "auth_basic passes with credentials", r, ACTUAL_HEADERS, ["origin"], 200
    )
    r = http(front, "GET", "/auth-request/x", act())
    expect_cors(
        res,
        "403 from auth_request carries CORS headers",
        r,
        ACTUAL_HEADERS,
        ["origin"],
        403,
    )
    r = http(front, "GET", "/return/x", act())
    expect_cors(
        res, "return 301 carries CORS headers", r, ACTUAL_HEADERS, ["origin"], 301
    )
    r = http(front, "OPTIONS", "/auth-basic/x", act())
    expect_cors(
        res,
        "OPTIONS without ACRM is not a preflight (meets auth_basic)",
        r,
        ACTUAL_HEADERS,
        ["origin"],
        401,
    )

    # Upstream CORS headers are replaced; Vary merged.
    r = http(front, "GET", "/upstream-cors/x", act())
    expect_cors(
        res,
        "upstream CORS headers replaced (allowed)",
        r,
        ACTUAL_HEADERS,
        ["accept-encoding", "origin"],
        200,
    )
    check(
        res,
        "one Allow-Origin, the engine's",
        r.all("access-control-allow-origin") == [ALLOWED],
        str(r.all("access-control-allow-origin")),
    )
    check(
        res,
        "upstream Vary: Accept-Encoding becomes Accept-Encoding, Origin",
        r.all("vary") == ["Accept-Encoding, Origin"],
        str(r.all("vary")),
    )
    check(
        res,
        "other upstream headers kept",
        r.all("x-upstream") == ["yes"],
        str(r.headers),
    )
    r = http(front, "GET", "/upstream-cors/x", act(REFUSED))
    expect_cors(
        res,
        "upstream CORS headers removed (refused origin)",
        r,
        {},
        ["accept-encoding", "origin"],
        200,
    )
    r = http(front, "GET", "/upstream-cors/x")
    expect_cors(
        res,
        "upstream CORS headers removed (not-cors)",
        r,
        {},
        ["accept-encoding", "origin"],
        200,
    )
    r = http(front, "GET", "/old/x", act())
    expect_cors(
        res,
        "rewrite ... last into a corsgate location",
        r,
        ACTUAL_HEADERS,
        ["accept-encoding", "origin"],
        200,
    )
    r = http(front, "OPTIONS", "/old/x", pre())
    expect_cors(
        res,
        "preflight after rewrite ... last",
        r,
        PREFLIGHT_HEADERS,
        PREFLIGHT_VARY,
        204,
    )
    r = http(front, "GET", "/vary-star/x", act())
    check(res, "Vary: * left alone", r.all("vary") == ["*"], str(r.all("vary")))
    # Core's merge: into the last line, its trailing separators dropped.
    r = http(front, "GET", "/vary-comma/x", act())
    check(
        res,
        "Vary with trailing commas merged without leaving one",
        [v.strip() for v in r.all("vary")] == ["Accept,", "accept-language, Origin"],
        str(r.all("vary")),
    )

    # add_header's CORS headers are replaced, never duplicated.
    r = http(front, "GET", "/add-header/x", act())
    expect_cors(
        res, "add_header CORS headers replaced", r, ACTUAL_HEADERS, ["origin"], 200
    )
    check(
        res,
        "add_header's other headers kept",
        r.all("x-kept") == ["yes"],
        str(r.headers),
    )
    r = http(front, "OPTIONS", "/add-header/x", pre())
    expect_cors(
        res,
        "add_header CORS headers replaced on a preflight",
        r,
        PREFLIGHT_HEADERS,
        PREFLIGHT_VARY,
        204,
    )

    # Error responses carry the headers.
    for loc, status in (
        ("/up404/x", 404),
        ("/up500/x", 500),
        ("/bad-gateway/x", 502),
        ("/return500/x", 500),
        ("/missing/x", 404),
        ("/errpage/x", 404),
    ):
        r = http(front, "GET", loc, act())
        expect_cors(
            res,
            f"{status} from {loc} carries CORS headers",
            r,
            ACTUAL_HEADERS,
            ["origin"],
            status,
        )
    check(res, "error_page document served", b"error document" in r.body, repr(r.body))

    # Nested locations: off, another policy, inherited.
    r = http(front, "OPTIONS", "/nested/off/x", pre())
    check(
        res,
        "corsgate off: preflight goes to the upstream, no CORS headers",
        r.all("x-upstream") == ["yes"] and not r.cors(),
        str(r.headers),
    )
    r = http(front, "GET", "/nested/other/x", act("https://other.example.org"))
    expect_cors(
        res,
        "inner policy overrides the outer",
        r,
        {"access-control-allow-origin": "*"},
        [],
        200,
    )
    r = http(front, "GET", "/nested/inherit/x", act())
    expect_cors(
        res,
        "inner location inherits the outer policy",
        r,
        ACTUAL_HEADERS,
        ["origin"],
        200,
    )

    # A preflight with a body on a keep-alive connection: body discarded.
    with socket.create_connection(("127.0.0.1", front), timeout=10) as s:
        first = (
            b"OPTIONS /return/x HTTP/1.1\r\nHost: a\r\nOrigin: "
            + ALLOWED.encode()
            + b"\r\nAccess-Control-Request-Method: PUT\r\nContent-Length: 5\r\n\r\nhello"
        )
        second = b"GET /nested/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        s.sendall(first + second)
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    check(
        res,
        "preflight body discarded, keep-alive continues",
        raw.startswith(b"HTTP/1.1 204") and raw.count(b"HTTP/1.1 200 OK") == 1,
        repr(raw[:300]),
    )


def config_errors(res, ngx):
    bad = os.path.join(ngx.work, "policies", "policy.yaml")
    with open(bad, "w") as f:
        f.write("origins: []\n")
    body = lambda p: (
        ngx.prelude()
        + "http {\n"
        + ngx.http_common()
        + f"  server {{ listen 127.0.0.1:9; corsgate_policy {p}; }}\n}}\n"
    )
    rc, err = ngx.test_config(body(bad))
    check(
        res,
        "nginx -t: unknown policy extension",
        rc != 0 and "*.json or *.toml" in err,
        err,
    )
    rc, err = ngx.test_config(body(os.path.join(ngx.work, "policies", "absent.toml")))
    check(
        res,
        "nginx -t: missing policy file",
        rc != 0 and "absent.toml" in err and "failed" in err,
        err,
    )
    lint = os.path.join(ngx.work, "policies", "lint.toml")
    write_policy(lint, {"origins": ["https://app.example.com"], "max_age": 86400})
    rc, err = ngx.test_config(body(lint))
    check(
        res,
        "nginx -t: lint warnings shown, config accepted",
        rc == 0 and "[warn]" in err and "warning 1/" in err,
        err,
    )


def reload_tests(res, ngx, front):
    path = os.path.join(ngx.work, "reload.toml")
    origin_a, origin_b = "https://a.example.com", "https://b.example.com"

    def acao(origin):
        return http(front, "GET", "/reload/x", [("Origin", origin)]).all(
            "access-control-allow-origin"
        )

    def wait_for(cond, seconds=15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if cond():
                return True
            time.sleep(0.1)
        return False

    check(
        res,
        "reload: first policy served",
        acao(origin_a) == [origin_a],
        str(acao(origin_a)),
    )
    offset = ngx.log_size()
    with open(path, "w") as f:
        f.write('origins = ["https://b.example.com/"]\nmax_age = -1\n')
    os.kill(ngx.pid(), signal.SIGHUP)
    refused = wait_for(
        lambda: (
            "corsgate_policy" in ngx.log_since(offset)
            and "[emerg]" in ngx.log_since(offset)
        )
    )
    log = ngx.log_since(offset)
    check(
        res,
        "reload with an invalid policy is refused, errors logged",
        refused and "[invalid-origin]" in log and "[max-age-out-of-range]" in log,
        log[-600:],
    )
    time.sleep(0.3)
    check(
        res,
        "reload refused: the old policy is still served",
        acao(origin_a) == [origin_a] and acao(origin_b) == [],
        f"{acao(origin_a)} {acao(origin_b)}",
    )
    write_policy(path, {"origins": [origin_b]})
    os.kill(ngx.pid(), signal.SIGHUP)
    # Old workers may take a last connection while they shut down, so the
    # new policy is waited for as a whole: b served and a refused.
    check(
        res,
        "reload with a valid policy takes effect",
        wait_for(lambda: acao(origin_b) == [origin_b] and acao(origin_a) == []),
        f"{acao(origin_a)} {acao(origin_b)}",
    )


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--module", help="the ngx_http_corsgate_module.so to load")
    which.add_argument(
        "--debian",
        action="store_true",
        help="load the module as Debian's nginx.conf does: include /etc/nginx/modules-enabled/*.conf",
    )
    ap.add_argument("--work", required=True)
    ap.add_argument("--vectors", default="tests/conformance")
    ap.add_argument(
        "--oracle", required=True, help="the corsgate CLI, for requests nginx rewrites"
    )
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    os.chmod(work, 0o755)  # nginx workers run as nobody
    os.makedirs(os.path.join(work, "policies"), exist_ok=True)
    if args.debian:
        if not glob.glob("/etc/nginx/modules-enabled/*corsgate*.conf"):
            print("/etc/nginx/modules-enabled has no corsgate link: the module is not enabled")
            return 1
        load = "include /etc/nginx/modules-enabled/*.conf;"
    else:
        load = f"load_module {os.path.abspath(args.module)};"
    ngx = Nginx(work, load)
    res = Results()

    files = sorted(glob.glob(os.path.join(args.vectors, "*.json")))
    policy_files = {}
    valid, invalid = [], []
    for path in files:
        with open(path, encoding="utf-8") as f:
            vec = json.load(f)
        (valid if "cases" in vec else invalid).append((path, vec))

    # Route files: each in `location /` of a server of its own, since the
    # route vectors' paths are the whole request path.
    route_valid, route_invalid = [], []
    for path in sorted(glob.glob(os.path.join(args.vectors, "routes", "*.json"))):
        with open(path, encoding="utf-8") as f:
            vec = json.load(f)
        (route_valid if "cases" in vec else route_invalid).append((path, vec))

    front, up, srv_return, srv_inherit, *route_ports = free_ports(4 + len(route_valid))
    route_servers = ""
    for i, ((path, vec), port) in enumerate(zip(route_valid, route_ports)):
        stem = os.path.basename(path)[:-5]
        policy = os.path.join(
            work, "policies", "routes-" + stem + (".toml" if i % 2 == 0 else ".json")
        )
        policy_files["routes/" + stem] = policy
        write_policy(policy, vec["policy"])
        route_servers += (
            f"  server {{\n    listen 127.0.0.1:{port};\n"
            f"    location / {{ corsgate_policy {policy}; proxy_pass http://127.0.0.1:{up}; }}\n  }}\n"
        )
    locations = []
    for i, (path, vec) in enumerate(valid):
        stem = os.path.basename(path)[:-5]
        policy = os.path.join(
            work, "policies", stem + (".toml" if i % 2 == 0 else ".json")
        )
        policy_files[stem] = policy
        write_policy(policy, vec["policy"])
        locations.append(
            f"    location /v/{stem}/ {{ corsgate_policy {policy}; "
            f"proxy_pass http://127.0.0.1:{up}/; }}\n"
        )
    main_policy = os.path.join(work, "policies", "specific.toml")
    write_policy(main_policy, POLICY)
    other_policy = os.path.join(work, "policies", "other.json")
    write_policy(other_policy, {"origins": ["*"]})
    write_policy(
        os.path.join(work, "reload.toml"), {"origins": ["https://a.example.com"]}
    )
    with open(os.path.join(work, "htpasswd"), "w") as f:
        f.write("u:{PLAIN}p\n")
    with open(os.path.join(work, "docs", "errdoc.html"), "w") as f:
        f.write("error document\n")

    http_body = f"""
  server {{
    listen 127.0.0.1:{up};
    location / {{ add_header X-Upstream yes always; return 200 "upstream\\n"; }}
    location /cors/ {{
      add_header X-Upstream yes always;
      add_header Access-Control-Allow-Origin * always;
      add_header Access-Control-Allow-Credentials true always;
      add_header Access-Control-Allow-Methods "GET, PUT, DELETE" always;
      add_header Access-Control-Expose-Headers x-upstream always;
      add_header Access-Control-Max-Age 5 always;
      add_header Vary Accept-Encoding always;
      return 200 "upstream\\n";
    }}
    location /vary-star/ {{ add_header Vary * always; add_header Access-Control-Allow-Origin * always; return 200; }}
    location /vary-comma/ {{ add_header Vary "Accept, " always; add_header Vary "accept-language," always; return 200; }}
    location /status404/ {{ add_header Access-Control-Allow-Origin * always; return 404; }}
    location /status500/ {{ return 500; }}
  }}
  server {{
    listen 127.0.0.1:{front};
{"".join(locations)}{specific_locations(work, up, main_policy, other_policy)}  }}
  server {{
    listen 127.0.0.1:{srv_return};
    corsgate_policy {main_policy};
    return 301 https://example.com/;
  }}
  server {{
    listen 127.0.0.1:{srv_inherit};
    corsgate_policy {main_policy};
    location /loc/ {{ proxy_pass http://127.0.0.1:{up}/; }}
  }}
{route_servers}"""
    rc, err = ngx.test_config(
        ngx.prelude() + "http {\n" + ngx.http_common() + http_body + "}\n"
    )
    if rc != 0:
        print(err, file=sys.stderr)
        return 1

    ngx.start(http_body)
    try:
        cases = 0
        for path, vec in valid:
            stem = os.path.basename(path)[:-5]
            for case in vec["cases"]:
                cases += 1
                run_vector_case(
                    res,
                    ngx,
                    front,
                    f"/v/{stem}/x",
                    policy_files[stem],
                    args.oracle,
                    os.path.basename(path),
                    case,
                )
        print(f"conformance: {len(valid)} policies, {cases} cases over HTTP")
        route_cases = 0
        for (path, vec), port in zip(route_valid, route_ports):
            stem = os.path.basename(path)[:-5]
            for case in vec["cases"]:
                route_cases += 1
                run_vector_case(
                    res,
                    ngx,
                    port,
                    case["request"].get("path", "/"),
                    policy_files["routes/" + stem],
                    args.oracle,
                    "routes/" + os.path.basename(path),
                    case,
                )
        print(f"conformance: {len(route_valid)} route files, {route_cases} cases over HTTP")
        error_vectors(res, ngx, [p for p, _ in invalid + route_invalid])
        print(
            f"conformance: {len(invalid)} invalid policies and {len(route_invalid)} "
            "invalid route files through nginx -t"
        )
        for name, reason in res.skipped:
            print(f"  skipped {name}: {reason}")
        print(
            f"  of the skipped: {sum(1 for _, r in res.skipped if r.startswith('skipped-by-nginx'))} "
            f"refused by nginx with 400, "
            f"{sum(1 for _, r in res.skipped if r.startswith('rewritten-by-nginx'))} rewritten by nginx "
            "(checked against the engine's decision on what nginx parsed)"
        )
        print(
            f"nginx-conformance: {res.passed} passed, {len(res.failed)} failed, {len(res.skipped)} skipped"
        )
        before = res.passed, len(res.failed)
        specific_tests(res, ngx, front, srv_return, srv_inherit)
        config_errors(res, ngx)
        reload_tests(res, ngx, front)
        print(
            f"nginx-specific: {res.passed - before[0]} passed, {len(res.failed) - before[1]} failed"
        )
    finally:
        ngx.stop()

    print(
        f"nginx: {res.passed} passed, {len(res.failed)} failed, {len(res.skipped)} skipped"
    )
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
