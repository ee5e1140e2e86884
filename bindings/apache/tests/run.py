#!/usr/bin/env python3
"""Tests mod_corsgate in a real Apache httpd on 127.0.0.1.

Runs every SPEC §8 vector (tests/conformance/*.json) over HTTP through the
module, twice: in a <Location> per valid policy (TOML and JSON files
alternately) serving a static file, and in the same location behind
`AuthType Basic` + `Require valid-user` (preflights are still answered with
the vector's status and headers; every other request gets 401 with its CORS
headers). Every invalid policy goes through `apache2 -t`. Then the
Apache-specific cases: mod_headers' CORS headers replaced and Vary merged,
error responses and ErrorDocument pages, `CorsgatePolicy off` in a nested
location, .htaccess (allowed and not), bad input, graceful restarts.

Apache's parser hands modules other bytes than were sent for some vectors:
it joins repeated header lines with ", " and trims spaces and tabs around
values. For those the response must be the engine's decision for the
request Apache parsed (asked of the corsgate CLI); a request Apache answers
400 before any module runs is counted and listed as skipped with its reason.

Usage: run.py --module SO --work DIR --vectors DIR --oracle CORSGATE_CLI
       run.py --debian ...   the module the Debian package installed and
                             a2enmod enabled (/etc/apache2/mods-enabled/corsgate.load)
Last line: "apache: N passed, M failed, K skipped".
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../tests/harness"))
from http_vectors import (  # noqa: E402
    Results,
    compare_headers,
    free_ports,
    http,
    request_bytes,
    send,
    write_policy,
)

MODULES = "/usr/lib/apache2/modules"
# What `a2enmod corsgate` links after libapache2-mod-corsgate is installed.
DEBIAN_LOAD = "/etc/apache2/mods-enabled/corsgate.load"
LOADED = [
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("authn_file_module", "mod_authn_file.so"),
    ("auth_basic_module", "mod_auth_basic.so"),
    ("headers_module", "mod_headers.so"),
    ("mime_module", "mod_mime.so"),
    ("dir_module", "mod_dir.so"),
    ("rewrite_module", "mod_rewrite.so"),
]

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


def check(res, name, ok, detail=""):
    if ok:
        res.ok()
    else:
        res.fail(name, detail)


class Apache:
    def __init__(self, work, load):
        self.work = work
        self.load = load  # the directive that loads the module
        self.conf = os.path.join(work, "httpd.conf")
        self.log = os.path.join(work, "error.log")
        self.pidfile = os.path.join(work, "httpd.pid")
        self.port = free_ports(1)[0]
        os.chmod(work, 0o755)
        os.makedirs(os.path.join(work, "docs"), exist_ok=True)
        open(os.path.join(work, "htpasswd"), "w").close()

    def prelude(self):
        w = self.work
        loads = "".join(f"LoadModule {n} {MODULES}/{f}\n" for n, f in LOADED)
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        return f"""ServerRoot "{w}"
DefaultRuntimeDir "{w}"
Mutex file:{w} default
Listen 127.0.0.1:{self.port}
PidFile "{self.pidfile}"
ErrorLog "{self.log}"
LogLevel warn
ServerName 127.0.0.1
{loads}{self.load}
{user}MaxRequestWorkers 16
ThreadsPerChild 8
StartServers 1
TypesConfig /etc/mime.types
DocumentRoot "{w}/docs"
<Directory "{w}/docs">
  Require all granted
  AllowOverride None
</Directory>
"""

    def write(self, body, name="httpd.conf"):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(self.prelude() + body)
        return path

    def configtest(self, body):
        path = self.write(body, "test.conf")
        p = subprocess.run(
            ["apache2", "-t", "-f", path], capture_output=True, text=True, errors="replace"
        )
        return p.returncode, p.stdout + p.stderr

    def start(self, body):
        self.write(body)
        p = subprocess.run(
            ["apache2", "-f", self.conf, "-k", "start"],
            capture_output=True,
            text=True,
            errors="replace",
        )
        if p.returncode != 0:
            raise RuntimeError(f"apache2 did not start: {p.stdout}{p.stderr}")
        deadline = time.time() + 15
        while True:
            try:
                http(self.port, "GET", "/")
                return
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("apache2 is not answering") from None
                time.sleep(0.1)

    def graceful(self, body):
        self.write(body)
        return subprocess.run(
            ["apache2", "-f", self.conf, "-k", "graceful"],
            capture_output=True,
            text=True,
            errors="replace",
        )

    def stop(self):
        if not os.path.exists(self.pidfile):
            return
        with open(self.pidfile) as f:
            pid = int(f.read().strip())
        subprocess.run(["apache2", "-f", self.conf, "-k", "stop"], capture_output=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, 9)

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")


# ---------------------------------------------------------------- conformance


def apache_parsed(headers):
    """The header lines Apache hands modules for what this suite sends, or
    None when Apache refuses the request: a line ends at LF (one CR before
    it goes), values are trimmed of spaces and tabs, and repeated names are
    joined with ", " (at the first one's place, with its spelling)."""
    raw = b"".join(
        n.encode("utf-8") + b": " + v.encode("utf-8") + b"\r\n" for n, v in headers
    )
    out, index = [], {}
    for line in raw.split(b"\n")[:-1]:
        if line.endswith(b"\r"):
            line = line[:-1]
        name, colon, value = line.partition(b":")
        if not colon or b"\r" in line:
            return None
        name = name.decode("latin-1")
        value = value.decode("latin-1").strip(" \t").encode("latin-1").decode("utf-8", "replace")
        key = name.lower()
        if key in index:
            n, v = out[index[key]]
            out[index[key]] = [n, v + ", " + value]
        else:
            index[key] = len(out)
            out.append([name, value])
    return out


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


def check_response(r, expect, protected):
    """None when the response is the one `expect` (a SPEC §8 decision) asks for."""
    if expect["kind"] == "preflight":
        if r.status != expect["status"]:
            return f"status {r.status}, want {expect['status']}"
        if r.body:
            return f"a preflight answer has a body: {r.body[:80]!r}"
    elif protected and r.status != 401:
        return f"status {r.status}, want 401"
    # Open, the status is the server's own (405 for PUT on a file, 501 for
    # a method it does not know): the CORS headers are compared.
    diff = compare_headers(r.cors(), expect["headers"])
    if diff:
        return diff
    want_vary = {t.lower() for t in expect["vary"]}
    if not want_vary <= r.vary():
        return f"vary {sorted(r.vary())} lacks {sorted(want_vary)}"
    return None


def conformance(res, ap, vectors, oracle):
    valid, invalid = [], []
    for path in sorted(glob.glob(os.path.join(vectors, "*.json"))):
        with open(path, encoding="utf-8") as f:
            vec = json.load(f)
        (invalid if "errors" in vec else valid).append((os.path.basename(path), vec))
    body = [f'<Directory "{ap.work}/docs">\n  Require all granted\n</Directory>\n']
    for i, (name, vec) in enumerate(valid):
        ext = "toml" if i % 2 else "json"
        policy_file = os.path.join(ap.work, f"p{i}.{ext}")
        write_policy(policy_file, vec["policy"])
        vec["_policy_file"] = policy_file
        for prefix in ("v", "a"):
            os.makedirs(os.path.join(ap.work, "docs", f"{prefix}{i}"), exist_ok=True)
            with open(os.path.join(ap.work, "docs", f"{prefix}{i}", "x"), "w") as f:
                f.write("ok\n")
        body.append(f"<Location /v{i}/>\n  CorsgatePolicy {policy_file}\n</Location>\n")
        body.append(
            f"<Location /a{i}/>\n  CorsgatePolicy {policy_file}\n  AuthType Basic\n"
            f"  AuthName corsgate\n  AuthUserFile {ap.work}/htpasswd\n"
            "  Require valid-user\n</Location>\n"
        )
    ap.start("".join(body))
    cases = 0
    try:
        for i, (name, vec) in enumerate(valid):
            for case in vec["cases"]:
                cases += 1
                req = case["request"]
                sent = [tuple(h) for h in req.get("headers", [])]
                parsed = apache_parsed(sent)
                expect = case["expect"]
                if parsed is not None and parsed != [list(h) for h in sent]:
                    expect = oracle_decision(oracle, vec["_policy_file"], req["method"], parsed)
                for prefix, protected in (("v", False), ("a", True)):
                    label = f"{name} / {case['name']} ({'auth' if protected else 'open'})"
                    data = request_bytes(req["method"], f"/{prefix}{i}/x", sent)
                    r = send(ap.port, data)
                    # A 400 the policy asked for (refused_preflight_status) is the module's.
                    if r.status == 400 and (expect.get("status") != 400 or r.body):
                        res.skip(label, "apache answers 400 before any module runs")
                        continue
                    detail = check_response(r, expect, protected)
                    check(res, label, detail is None, detail or "")
    finally:
        ap.stop()
    print(f"conformance: {len(valid)} policies, {cases} cases, open and behind auth")
    for name, vec in invalid:
        policy_file = os.path.join(ap.work, f"bad-{name}")
        write_policy(policy_file, vec["policy"])
        rc, out = ap.configtest(f"<Location /bad/>\n  CorsgatePolicy {policy_file}\n</Location>\n")
        missing = [c for c in vec["errors"] if f"[{c}]" not in out]
        check(
            res,
            f"{name}: apache2 -t refuses it with every code",
            rc != 0 and not missing and "Syntax error on line" in out,
            f"rc {rc}, missing {missing}: {out[-400:]}",
        )
    print(f"conformance: {len(invalid)} invalid policies through apache2 -t")


def route_conformance(res, ap, vectors, oracle):
    """Route files (tests/conformance/routes/): each the server's policy, as
    the route vectors' paths are the whole request path."""
    files = sorted(glob.glob(os.path.join(vectors, "routes", "*.json")))
    cases = bad = 0
    for n, path in enumerate(files):
        with open(path, encoding="utf-8") as f:
            vec = json.load(f)
        name = "routes/" + os.path.basename(path)
        policy_file = os.path.join(ap.work, f"routes{n}.{'toml' if n % 2 else 'json'}")
        write_policy(policy_file, vec["policy"])
        if "errors" in vec:
            bad += 1
            rc, out = ap.configtest(f"CorsgatePolicy {policy_file}\n")
            missing = [c for c in vec["errors"] if f"[{c}]" not in out]
            check(
                res,
                f"{name}: apache2 -t refuses it with every code",
                rc != 0 and not missing,
                f"rc {rc}, missing {missing}: {out[-400:]}",
            )
            continue
        ap.start(f"CorsgatePolicy {policy_file}\n")
        try:
            for case in vec["cases"]:
                cases += 1
                req = case["request"]
                sent = [tuple(h) for h in req.get("headers", [])]
                parsed = apache_parsed(sent)
                expect = case["expect"]
                target = req.get("path", "/")
                if parsed is not None and parsed != [list(h) for h in sent]:
                    expect = oracle_decision(oracle, policy_file, req["method"], parsed, target)
                label = f"{name} / {case['name']} ({target})"
                r = send(ap.port, request_bytes(req["method"], target, sent))
                if r.status == 400 and (expect.get("status") != 400 or r.body):
                    res.skip(label, "apache answers 400 before any module runs")
                    continue
                detail = check_response(r, expect, False)
                check(res, label, detail is None, detail or "")
        finally:
            ap.stop()
    print(f"conformance: {len(files) - bad} route files, {cases} cases; {bad} invalid route files")


# ---------------------------------------------------------------- specific


def specific(res, ap):
    w = ap.work
    policy = os.path.join(w, "policy.toml")
    write_policy(policy, POLICY)
    docs = os.path.join(w, "docs")
    for d in ("hdr", "err", "off", "nest", "ht", "htbad", "plain"):
        os.makedirs(os.path.join(docs, d), exist_ok=True)
        with open(os.path.join(docs, d, "x"), "w") as f:
            f.write("ok\n")
    os.makedirs(os.path.join(docs, "nest", "off"), exist_ok=True)
    with open(os.path.join(docs, "nest", "off", "x"), "w") as f:
        f.write("ok\n")
    with open(os.path.join(docs, "errdoc.html"), "w") as f:
        f.write("not here\n")
    with open(os.path.join(docs, "ht", ".htaccess"), "w") as f:
        f.write(f"CorsgatePolicy {policy}\n")
    with open(os.path.join(docs, "htbad", ".htaccess"), "w") as f:
        f.write(f"CorsgatePolicy {policy}\n")
    body = f"""<Directory "{docs}/ht">
  AllowOverride FileInfo
</Directory>
<Directory "{docs}/htbad">
  AllowOverride AuthConfig
</Directory>
<Location /hdr/>
  CorsgatePolicy {policy}
  Header always set Access-Control-Allow-Origin "*"
  Header set Access-Control-Allow-Credentials "false"
  Header set Access-Control-Allow-Methods "DELETE"
  Header set Vary "Accept"
</Location>
<Location /err/>
  CorsgatePolicy {policy}
  ErrorDocument 404 /errdoc.html
</Location>
<Location /nest/>
  CorsgatePolicy {policy}
</Location>
<Location /nest/off/>
  CorsgatePolicy off
</Location>
"""
    ap.start(body)
    try:
        ok_get = [("Origin", ALLOWED)]
        r = http(ap.port, "GET", "/hdr/x", ok_get)
        cors = r.cors()
        check(
            res,
            "mod_headers' CORS headers are replaced",
            cors.get("access-control-allow-origin") == [ALLOWED]
            and cors.get("access-control-allow-credentials") == ["true"]
            and "access-control-allow-methods" not in cors,
            str(cors),
        )
        check(res, "Vary is merged", {"accept", "origin"} <= r.vary(), str(r.all("vary")))
        r = http(
            ap.port,
            "OPTIONS",
            "/hdr/x",
            ok_get + [("Access-Control-Request-Method", "PUT")],
        )
        check(
            res,
            "a preflight is answered by the module",
            r.status == 204
            and r.cors().get("access-control-allow-methods") == ["PUT"]
            and r.one("content-length") is None,
            f"{r.status} {r.headers}",
        )
        r = http(ap.port, "GET", "/err/missing", ok_get)
        check(
            res,
            "a 404 from an ErrorDocument carries the decision's headers",
            r.status == 404
            and r.cors().get("access-control-allow-origin") == [ALLOWED]
            and b"not here" in r.body,
            f"{r.status} {r.cors()} {r.body[:60]!r}",
        )
        r = http(ap.port, "GET", "/err/missing", [("Origin", REFUSED)])
        check(
            res,
            "a refused origin gets no CORS headers, but Vary",
            r.status == 404 and r.cors() == {} and "origin" in r.vary(),
            f"{r.status} {r.cors()} {r.all('vary')}",
        )
        r = http(ap.port, "GET", "/nest/x", ok_get)
        check(res, "a nested location inherits", "access-control-allow-origin" in r.cors(), str(r.cors()))
        r = http(ap.port, "GET", "/nest/off/x", ok_get)
        check(res, "CorsgatePolicy off below", r.status == 200 and r.cors() == {}, str(r.cors()))
        r = http(ap.port, "GET", "/plain/x", ok_get)
        check(res, "no policy: nothing added", r.status == 200 and r.cors() == {}, str(r.cors()))
        r = http(ap.port, "GET", "/ht/x", ok_get)
        check(
            res,
            ".htaccess with AllowOverride FileInfo",
            r.status == 200 and r.cors().get("access-control-allow-origin") == [ALLOWED],
            f"{r.status} {r.cors()}",
        )
        r = http(ap.port, "GET", "/htbad/x", ok_get)
        check(
            res,
            ".htaccess without FileInfo: 500, logged",
            r.status == 500 and "CorsgatePolicy not allowed here" in ap.log_text(),
            f"{r.status} {ap.log_text()[-300:]}",
        )
        r = http(
            ap.port,
            "OPTIONS",
            "/nest/x",
            ok_get
            + [
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", "x-" + "a" * 9000),
            ],
        )
        check(res, "an oversized header line: 400 from Apache", r.status == 400, str(r.status))
        r = http(ap.port, "GET", "/nest/x", ok_get)
        check(res, "and the server still answers", r.status == 200, str(r.status))
        graceful(res, ap, body, policy)
    finally:
        ap.stop()


def graceful(res, ap, body, policy):
    good = {"origins": [ALLOWED]}
    other = "https://other.example.com"
    with open(policy, "w") as f:
        f.write('origins = ["https://b.example.com/"]\nmax_age = -1\n')
    p = ap.graceful(body)
    out = p.stdout + p.stderr
    check(
        res,
        "graceful restart with a broken policy is refused, with every problem",
        p.returncode != 0 and "[invalid-origin]" in out and "[max-age-out-of-range]" in out,
        f"rc {p.returncode}: {out[-400:]}",
    )
    time.sleep(0.5)
    r = http(ap.port, "GET", "/nest/x", [("Origin", ALLOWED)])
    check(
        res,
        "the old configuration still serves",
        r.status == 200 and r.cors().get("access-control-allow-origin") == [ALLOWED],
        f"{r.status} {r.cors()}",
    )
    write_policy(policy, {"origins": [other]})
    p = ap.graceful(body)
    deadline = time.time() + 15
    served = False
    while time.time() < deadline and not served:
        a = http(ap.port, "GET", "/nest/x", [("Origin", other)]).cors()
        b = http(ap.port, "GET", "/nest/x", [("Origin", ALLOWED)]).cors()
        served = a.get("access-control-allow-origin") == [other] and b == {}
        time.sleep(0.2)
    check(res, "a graceful restart with a valid policy takes effect", p.returncode == 0 and served, p.stderr)
    del good


def early_path(res, ap):
    """A policy set for the whole server, and no section or .htaccess that
    could name another: preflights are answered in translate_name, ahead of
    the server's own RewriteRule and of auth. With a directory that lets
    .htaccess set one, they wait for the per-directory configuration, and
    the server-level redirect gets them first (as it gets any request)."""
    w = ap.work
    policy = os.path.join(w, "policy.toml")
    write_policy(policy, POLICY)
    os.makedirs(os.path.join(w, "docs", "early"), exist_ok=True)
    preflight = [("Origin", ALLOWED), ("Access-Control-Request-Method", "PUT")]
    body = f"""CorsgatePolicy {policy}
RewriteEngine On
RewriteRule ^/early/moved$ /elsewhere [R=302,L]
<Location /early/>
  AuthType Basic
  AuthName corsgate
  AuthUserFile {w}/htpasswd
  Require valid-user
</Location>
"""
    ap.start(body)
    try:
        r = http(ap.port, "OPTIONS", "/early/moved", preflight)
        check(
            res,
            "server-wide policy: a preflight is answered ahead of RewriteRule [R]",
            r.status == 204 and r.cors().get("access-control-allow-methods") == ["PUT"],
            f"{r.status} {r.cors()}",
        )
        r = http(ap.port, "GET", "/early/x", [("Origin", ALLOWED)])
        check(
            res,
            "server-wide policy: other requests are decided once and carry the headers",
            r.status == 401 and r.cors().get("access-control-allow-origin") == [ALLOWED],
            f"{r.status} {r.cors()}",
        )
    finally:
        ap.stop()
    ap.start(body + f'<Directory "{w}/docs/early">\n  AllowOverride FileInfo\n</Directory>\n')
    try:
        r = http(ap.port, "OPTIONS", "/early/moved", preflight)
        check(
            res,
            ".htaccess may set a policy: the preflight waits for the per-directory configuration",
            r.status == 302,
            f"{r.status} {r.cors()}",
        )
        r = http(ap.port, "OPTIONS", "/early/x", preflight)
        check(res, "and is still answered ahead of auth", r.status == 204, f"{r.status}")
    finally:
        ap.stop()


def bad_config(res, ap):
    cases = [
        ("a missing file", "CorsgatePolicy /nonexistent/policy.toml\n", "cannot open it"),
        ("an unknown format", f"CorsgatePolicy {ap.work}/httpd.conf\n", "name the file *.json or *.toml"),
        ("two arguments", "CorsgatePolicy a.toml b.toml\n", "takes one argument"),
    ]
    for name, line, want in cases:
        rc, out = ap.configtest(line)
        check(res, f"apache2 -t refuses {name}", rc != 0 and want in out, f"rc {rc}: {out[-300:]}")
    lint = os.path.join(ap.work, "lint.toml")
    write_policy(lint, {"origins": ["https://app.example.com"], "max_age": 86400})
    rc, out = ap.configtest(f"CorsgatePolicy {lint}\n")
    check(res, "lint warnings are logged at startup", rc == 0 and "warning" in out, out[-300:])


def main():
    ap_ = argparse.ArgumentParser()
    which = ap_.add_mutually_exclusive_group(required=True)
    which.add_argument("--module", help="the mod_corsgate.so to load")
    which.add_argument(
        "--debian",
        action="store_true",
        help="load the module as Debian's apache2.conf does: the mods-enabled/corsgate.load link",
    )
    ap_.add_argument("--work", required=True)
    ap_.add_argument("--vectors", default="tests/conformance")
    ap_.add_argument("--oracle", required=True)
    args = ap_.parse_args()
    res = Results()
    if args.debian:
        load = f"Include {DEBIAN_LOAD}"
        if not os.path.exists(DEBIAN_LOAD):
            print(f"{DEBIAN_LOAD} is missing: the module is not enabled (a2enmod corsgate)")
            return 1
    else:
        load = f"LoadModule corsgate_module {os.path.abspath(args.module)}"
    ap = Apache(args.work, load)
    conformance(res, ap, args.vectors, args.oracle)
    route_conformance(res, ap, args.vectors, args.oracle)
    shutil.rmtree(os.path.join(args.work, "docs"))
    os.makedirs(os.path.join(args.work, "docs"))
    open(ap.log, "w").close()
    before = (res.passed, len(res.failed))
    specific(res, ap)
    early_path(res, ap)
    bad_config(res, ap)
    print(f"apache-specific: {res.passed - before[0]} passed, {len(res.failed) - before[1]} failed")
    for name, reason in res.skipped:
        print(f"skipped {name}: {reason}")
    print(f"apache: {res.passed} passed, {len(res.failed)} failed, {len(res.skipped)} skipped")
    sys.exit(1 if res.failed else 0)


if __name__ == "__main__":
    sys.exit(main())
