"""What the server-module suites share (nginx, Apache): results, policy
files, raw HTTP on 127.0.0.1, and the SPEC §8 header comparison of
tests/conformance/README.md."""

import json
import re
import socket
import tomllib

LIST_HEADERS = {
    "access-control-allow-methods": False,  # items compared case-sensitively
    "access-control-allow-headers": True,
    "access-control-expose-headers": True,
}
PNA_HEADERS = {"private-network-access-id", "private-network-access-name"}

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = []
        self.skipped = []

    def ok(self):
        self.passed += 1

    def fail(self, name, detail):
        self.failed.append((name, detail))
        print(f"FAIL {name}: {detail}", flush=True)

    def skip(self, name, reason):
        self.skipped.append((name, reason))


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON escapes are TOML escapes
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):  # an inline table (a route file's routes and policies)
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def toml_key(k):
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def to_toml(policy):
    lines = [
        f"{k} = {toml_value(v)}" for k, v in policy.items() if not isinstance(v, dict)
    ]
    for k, v in policy.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            lines += [f"{toml_key(kk)} = {toml_value(vv)}" for kk, vv in v.items()]
    text = "\n".join(lines) + "\n"
    assert tomllib.loads(text) == policy, text
    return text


def write_policy(path, policy):
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_toml(policy) if path.endswith(".toml") else json.dumps(policy))


# ---------------------------------------------------------------- HTTP


class Response:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        self.status = int(lines[0].split(b" ")[1]) if lines and lines[0] else 0
        # latin-1 keeps every byte as one character
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            self.headers.append((name.strip().lower(), value.strip(" \t")))

    def all(self, name):
        return [v for n, v in self.headers if n == name]

    def one(self, name):
        values = self.all(name)
        return values[0] if len(values) == 1 else None

    def cors(self):
        """The CORS headers: name -> list of values."""
        out = {}
        for n, v in self.headers:
            if n.startswith("access-control-") or n in PNA_HEADERS:
                out.setdefault(n, []).append(v)
        return out

    def vary(self):
        return {
            t.strip(" \t").lower()
            for v in self.all("vary")
            for t in v.split(",")
            if t.strip(" \t")
        }


def request_bytes(method, path, headers, extra=b""):
    out = [f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()]
    for name, value in headers:
        out.append(name.encode("utf-8") + b": " + value.encode("utf-8") + b"\r\n")
    out.append(b"Connection: close\r\n\r\n")
    return b"".join(out) + extra


def send(port, data, timeout=10):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return Response(b"".join(chunks))


def http(port, method, path, headers=()):
    return send(port, request_bytes(method, path, list(headers)))


def norm_items(name, value):
    ci = LIST_HEADERS[name]
    items = {i.strip(" \t") for i in value.split(",")}
    return {i.lower() for i in items} if ci else items


def compare_headers(got, want):
    """got: name -> [values]; want: list of [name, value]. None when equal."""
    want_map = {}
    for n, v in want:
        want_map[n.lower()] = v.encode("utf-8").decode("latin-1")
    for n, values in got.items():
        if len(values) != 1:
            return f"{n} sent {len(values)} times: {values}"
    if set(got) != set(want_map):
        return f"CORS headers {sorted(got)} != expected {sorted(want_map)}"
    for n, v in want_map.items():
        g = got[n][0]
        if n in LIST_HEADERS:
            if norm_items(n, g) != norm_items(n, v):
                return f"{n}: {g!r} != {v!r}"
        elif g != v:
            return f"{n}: {g!r} != {v!r}"
    return None
