#!/usr/bin/env python3
"""Writes benches/RESULTS.md and benches/results.svg from what `benches/run`
measured (standard library only).

    python3 benches/report.py OUT_DIR

OUT_DIR is the run's scratch directory under target/ (criterion homes,
allocation counts, other languages' fragments, step statuses). RESULTS.md is
regenerated from fragments in a fixed order: this script's own sections, then
"## C ABI vs Rust API", "## Python", "## Node", "## nginx", "## Apache httpd",
then any other
"## " section already in RESULTS.md, kept as it was. Python and Node: the
section is what their bench prints. C, nginx and Apache sections are written by hand:
only a block between `benches/run` markers in them is replaced with the fresh
figures. A section whose bench did not run this time is kept as it was.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benches" / "RESULTS.md"
SVG = ROOT / "benches" / "results.svg"

CONTENDERS = ["corsgate", "tower-http", "bunner_cors_rs"]
PEERS = CONTENDERS[1:]
LAYERS = ["bare service", "tower-http CorsLayer", "corsgate::tower::CorsLayer"]
ACTIX = ["bare app", "actix-cors", "corsgate::actix::Cors"]
CASES = [
    "actual allowed",
    "actual refused",
    "no Origin",
    "preflight allowed, 3 request headers",
    "preflight refused",
    "wildcard subdomain",
    "10,000 configured origins",
    "hostile 1 MiB ACRH",
]
SPEED_TARGET = 10.0
ORIGINS_TARGET = 1.5

OWN = [
    "## Machine and versions",
    "## Targets",
    "## Rust: corsgate vs tower-http and bunner_cors_rs",
    "## Rust: tower layers",
    "## Rust: actix-web middleware",
    "## Allocations per request",
    "## Scaling",
    "## corsgate alone, from header lines",
    "## How it is measured",
]
FOREIGN = ["## C ABI vs Rust API", "## Python", "## Node", "## nginx", "## Apache httpd"]
PY_INTRO = "Output of `benches/python_bench.py`, run by `benches/run`:"
NODE_INTRO = "Output of the Node bench, run by `benches/run`:"


# ------------------------------------------------------------------ inputs


ROUTE_COUNTS = (1, 10, 100)
ROUTE_CASES = ("hit", "miss", "normalized")


def criterion(home: Path) -> dict[tuple[str, str], float]:
    """(group, function or parameter) -> median in ns, from a criterion home."""
    out: dict[tuple[str, str], float] = {}
    if not home.is_dir():
        return out
    for bench in home.rglob("new/benchmark.json"):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        key = meta["function_id"] if meta["function_id"] is not None else meta["value_str"]
        out[(meta["group_id"], key)] = estimates["median"]["point_estimate"]
        if meta["function_id"] is not None and meta["value_str"] is not None:
            # A function measured at several sizes: `hit/100`.
            key = f"{meta['function_id']}/{meta['value_str']}"
            out[(meta["group_id"], key)] = estimates["median"]["point_estimate"]
    return out


def status(out: Path, step: str) -> str:
    p = out / "status" / step
    return p.read_text().strip() if p.exists() else "not run"


def run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    load = "unknown"
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        pass
    return [
        ("CPUs (`nproc`)", run(["nproc"])),
        ("CPU model", cpu),
        ("memory", mem),
        ("OS", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("load average after the run (1, 5, 15 min)", load),
    ]


def versions() -> list[tuple[str, str]]:
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text())
    corsgate = workspace.get("workspace", {}).get("package", {}).get("version", "unknown")
    lock = tomllib.loads((ROOT / "benches" / "peers" / "Cargo.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock.get("package", [])}
    rows = [("rustc", run(["rustc", "--version"])), ("corsgate", corsgate)]
    for name in ["tower-http", "bunner_cors_rs", "http", "tower-service", "criterion"]:
        rows.append((name, locked.get(name, "unknown")))
    return rows


# ---------------------------------------------------------------- formatting


def fmt_time(ns: float | None) -> str:
    if ns is None:
        return "—"
    if ns < 1_000:
        return f"{ns:.0f} ns" if ns >= 10 else f"{ns:.1f} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns / 1_000_000:.2f} ms"


def fmt_tick(ns: float) -> str:
    for unit, scale in (("ms", 1e6), ("µs", 1e3), ("ns", 1.0)):
        if ns >= scale:
            return f"{ns / scale:g} {unit}"
    return f"{ns:g} ns"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:,.0f}x"
    return f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def fmt_count(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.0f}" if abs(x - round(x)) < 0.005 else f"{x:.2f}"


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


# ------------------------------------------------------------ RESULTS.md


def split_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Preamble and (heading, body) pairs, split on '## ' lines outside fences."""
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and line.startswith("## "):
            sections.append((line.strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            preamble.append(line)
    return "\n".join(preamble), [(h, "\n".join(b).strip() + "\n") for h, b in sections]


def fragment(out: Path, name: str, heading: str, intro: str) -> str | None:
    """A bench's printed output as a section, or None when it has none."""
    p = out / f"{name}.md"
    if not p.exists() or not p.read_text().strip():
        return None
    text = p.read_text().strip()
    if text.startswith("## "):
        return text + "\n"
    return f"{heading}\n\n{intro}\n\n{text}\n"


def c_block(out: Path, when: str) -> str | None:
    """The C ABI criterion bench's medians as a table: one row per group, one
    column per function, the ratio of the second to the first, and the verdict
    on the target the bench's doc comment states ("within N x")."""
    results = criterion(out / "criterion" / "c")
    if not results:
        return None
    groups: dict[str, dict[str, float]] = {}
    for (group, fn), ns in results.items():
        groups.setdefault(group, {})[fn] = ns
    order = _c_bench_order()
    names = sorted(groups, key=lambda g: (order.index(g) if g in order else len(order), g))
    functions: list[str] = []
    for g in names:
        for fn in groups[g]:
            if fn not in functions:
                functions.append(fn)
    functions.sort(key=lambda f: (f != "rust", f))
    head = ["case"] + [f"`{f}` median" for f in functions]
    if len(functions) == 2:
        head.append(f"{functions[1]} / {functions[0]}")
    rows = []
    ratios = []
    for g in names:
        row = [g] + [fmt_time(groups[g].get(f)) for f in functions]
        if len(functions) == 2:
            a, b = (groups[g].get(f) for f in functions)
            row.append(fmt_ratio(b / a) if a and b else "—")
            if a and b:
                ratios.append(b / a)
        rows.append(row)
    lines = [
        f"Latest `benches/run` ({when}): criterion medians of `cargo bench -p corsgate-benches --bench c_abi` "
        "on this machine.",
        "",
    ]
    lines += table(head, rows)
    target = re.search(r"within ([0-9.]+)x", _c_bench_doc())
    if target and ratios:
        limit, worst = float(target.group(1)), max(ratios)
        verdict = "met" if worst <= limit else f"missed by {(worst / limit - 1) * 100:.1f}%"
        lines += ["", f"Target C ABI within {limit:g}x of the Rust API: worst {worst:.3f}x, {verdict}."]
    return "\n".join(lines) + "\n"


BEGIN = "<!-- benches/run: begin (generated; replaced on every run) -->"
END = "<!-- benches/run: end -->"


def merge_block(existing: str | None, heading: str, block: str) -> str:
    """A section with `block` between the markers: replacing the marked part of
    a hand-written section, appended to one that has none, or alone."""
    marked = f"{BEGIN}\n\n{block.strip()}\n\n{END}"
    if existing is None:
        return f"{heading}\n\n{marked}\n"
    if BEGIN in existing and END in existing:
        start, end = existing.index(BEGIN), existing.index(END) + len(END)
        return existing[:start] + marked + existing[end:]
    return existing.rstrip() + "\n\n" + marked + "\n"


def nginx_block(out: Path, when: str) -> str | None:
    p = out / "nginx.md"
    if not p.exists() or not p.read_text().strip():
        return None
    return (
        f"Latest `benches/run --nginx` ({when}): output of `benches/nginx_bench.sh`.\n\n"
        "```text\n" + p.read_text().strip() + "\n```\n"
    )


def apache_block(out: Path, when: str) -> str | None:
    p = out / "apache.md"
    if not p.exists() or not p.read_text().strip():
        return None
    return (
        f"Latest `benches/run --apache` ({when}): output of `benches/apache_bench.sh`.\n\n"
        "```text\n" + p.read_text().strip() + "\n```\n"
    )


def _c_bench_file() -> Path:
    return ROOT / "benches" / "benches" / "c_abi.rs"


def _c_bench_doc() -> str:
    try:
        text = _c_bench_file().read_text()
    except OSError:
        return ""
    doc = [line[3:].strip() for line in text.splitlines() if line.startswith("//!")]
    return " ".join(d for d in doc if d)


def _c_bench_order() -> list[str]:
    try:
        text = _c_bench_file().read_text()
    except OSError:
        return []
    return re.findall(r'^\s*\(\s*\n?\s*"([^"]+)",\s*\n\s*"[A-Z]+",', text, re.M)


def own_sections(out: Path, peers: dict, alone: dict, allocs: list[dict]) -> dict[str, str]:
    s: dict[str, str] = {}

    # Machine and versions.
    lines = ["## Machine and versions", ""]
    lines += table(["", ""], [[k, f"`{v}`" if k == "rustc" else v] for k, v in machine()])
    lines += [""]
    lines += table(["component", "version"], [[k, v] for k, v in versions()])
    s[OWN[0]] = "\n".join(lines) + "\n"

    def t(case: str, who: str) -> float | None:
        return peers.get((f"vs peers: {case}", who))

    def ratio(case: str, who: str) -> float | None:
        a, b = t(case, "corsgate"), t(case, who)
        return b / a if a and b else None

    def net_ratio(case: str, who: str) -> float | None:
        a, b, base = t(case, "corsgate"), t(case, who), t(case, "baseline")
        if not (a and b and base) or a <= base:
            return None
        return (b - base) / (a - base)

    alloc = {(a["case"], a["contender"]): a for a in allocs}

    # Targets.
    rows = []
    for case in CASES:
        r = ratio(case, "tower-http")
        if r is None:
            verdict = "not measured"
        elif r >= SPEED_TARGET:
            verdict = "met"
        else:
            verdict = f"**missed**: {r:.1f}x, {SPEED_TARGET / r:.1f}x short"
        rows.append([f"≥ {SPEED_TARGET:.0f}x faster than tower-http: {case}", fmt_ratio(r), verdict])
    cg = [alloc.get((c, "corsgate"), {}).get("allocs") for c in CASES]
    tw = [alloc.get((c, "tower-http"), {}).get("allocs") for c in CASES]
    if all(x is not None for x in cg):
        ok = all(x == 0 for x in cg)
        rows.append(
            [
                "0 allocations per request (corsgate), every case",
                f"{fmt_count(max(cg))} (tower-http: {fmt_count(min(tw))}–{fmt_count(max(tw))})",
                "met" if ok else f"**missed**: up to {fmt_count(max(cg))}",
            ]
        )
    one = alone.get(("scaling: configured origins", "1"))
    many = alone.get(("scaling: configured origins", "100000"))
    if one and many:
        r = many / one
        rows.append(
            [
                f"100,000 origins within {ORIGINS_TARGET}x of 1",
                fmt_ratio(r),
                "met" if r <= ORIGINS_TARGET else f"**missed** by {r / ORIGINS_TARGET:.2f}x",
            ]
        )
    # The core issue's per-request targets for corsgate alone: the engine on
    # a request built beforehand, and with the request built from lines.
    for case, limit in (
        ("actual allowed", ACTUAL_NS),
        ("actual refused", ACTUAL_NS),
        ("preflight allowed, 3 headers", PREFLIGHT_NS),
        ("preflight refused", PREFLIGHT_NS),
    ):
        built, lines_ns = alone.get((BUILT, case)), alone.get(("decide", case))
        if not (built and lines_ns):
            continue

        def judged(ns: float, how: str) -> str:
            return f"{how} met" if ns <= limit else f"{how} **missed** by {ns / limit:.2f}x"

        rows.append(
            [
                f"corsgate ≤ {limit} ns: {case}",
                f"{fmt_time(built)} built / {fmt_time(lines_ns)} from lines",
                f"{judged(built, 'built')}; {judged(lines_ns, 'from lines')}",
            ]
        )
    lines = ["## Targets", ""]
    lines += table(["target", "measured", "verdict"], rows)
    lines += [
        "",
        "Ratios are medians of the whole per-request work, the shared floor "
        "(dropping the request, `baseline` below) included for every contender; "
        "the table below also gives them with that floor subtracted. The corsgate ≤ N ns rows "
        "are corsgate alone (see *corsgate alone, from header lines*): `decide` and reading the "
        "headers on a request built beforehand, and the same with the request built from its "
        "header lines.",
    ]
    s[OWN[1]] = "\n".join(lines) + "\n"

    # The comparison.
    head = ["case"] + [f"{c}" for c in CONTENDERS] + ["baseline"]
    head += [f"{p} / corsgate" for p in PEERS] + [f"{p} / corsgate, floor subtracted" for p in PEERS]
    rows = []
    for case in CASES:
        row = [case] + [fmt_time(t(case, c)) for c in CONTENDERS + ["baseline"]]
        row += [fmt_ratio(ratio(case, p)) for p in PEERS]
        row += [fmt_ratio(net_ratio(case, p)) for p in PEERS]
        rows.append(row)
    lines = ["## Rust: corsgate vs tower-http and bunner_cors_rs", ""]
    lines.append(
        "Criterion medians per request (lower is better); ratios are the peer's "
        "time over corsgate's (higher means corsgate is faster). Chart: "
        "[results.svg](results.svg)."
    )
    lines += [""] + table(head, rows) + [""]
    lines += [
        "Notes on the cases:",
        "",
        "- Policy for every contender: credentials, origins `https://app.example.com` and "
        "`https://admin.example.com`, methods PUT and DELETE, request headers content-type, "
        "x-request-id and authorization, max-age 600, exposed x-request-id.",
        "- *preflight allowed, 3 request headers*: `Access-Control-Request-Headers: "
        "authorization,content-type,x-request-id`, the form a browser sends (Fetch sorts and "
        "lowercases the names); corsgate matches that form with one lookup when 6 names or fewer "
        "are listed, and scans any other form (the *names in ACRH* curve below is a scan).",
        "- *wildcard subdomain*: corsgate lists `https://*.preview.example.com`; tower-http "
        "has no pattern, so it gets `AllowOrigin::predicate` (the exact list, then a suffix "
        "check); bunner_cors_rs gets its regex matcher "
        "`^https://[a-z0-9-]+\\.preview\\.example\\.com$` beside the exact origins.",
        "- *10,000 configured origins*: 9,998 `https://tenantN.example.net` then the two above; "
        "the request's origin is the last but one, the worst case for a linear scan "
        "(tower-http's `AllowOrigin::list` is a `Vec`; corsgate and bunner_cors_rs hash).",
        "- *hostile 1 MiB ACRH*: an allowed origin preflight whose "
        "`Access-Control-Request-Headers` is 1 MiB of commas. corsgate refuses it from its "
        "length; tower-http never reads that header (it always answers its configured list); "
        "bunner_cors_rs parses it and accepts it (empty items).",
        "- tower-http does not check the requested method or headers of a preflight, and sets "
        "`Access-Control-Allow-Credentials` (and the other configured headers) even when it "
        "refuses the origin; bunner_cors_rs answers a request without `Origin` with no header "
        "at all (no `Vary`). The allocation table lists what each one set.",
    ]
    s[OWN[2]] = "\n".join(lines) + "\n"

    # The tower layers and the actix-web middleware: what each adds to the
    # same inner service.
    def added_table(prefix: str, names: list[str], peer: str) -> list[str]:
        rows = []
        for case in CASES:
            bare, theirs, ours = (peers.get((f"{prefix}: {case}", n)) for n in names)
            added_t = theirs - bare if theirs and bare else None
            added_o = ours - bare if ours and bare else None
            # A middleware that answers without calling the app can cost
            # less than the bare app: no ratio then.
            r = added_t / added_o if added_t and added_o and added_t > 0 and added_o > 0 else None
            a = [alloc.get((case, c), {}).get("allocs") for c in names]
            rows.append(
                [
                    case,
                    fmt_time(bare),
                    fmt_time(theirs),
                    fmt_time(ours),
                    fmt_time(added_t),
                    fmt_time(added_o),
                    fmt_ratio(r),
                    " / ".join(fmt_count(x) for x in a) if None not in a else "—",
                ]
            )
        head = ["case", "bare", peer, "corsgate", f"{peer} adds", "corsgate adds"]
        head += [f"{peer} / corsgate, added", "allocs"]
        return table(head, rows)

    lines = ["## Rust: tower layers", ""]
    lines.append(
        "The same inner service (an empty 200, always ready) bare, behind tower-http's "
        "`CorsLayer` and behind `corsgate::tower::CorsLayer`, configured with the policy above "
        "(`benches/peers/benches/peers.rs`, groups `layer: …`). Added = layered − bare, medians "
        "from the same run; the ratio is tower-http's added time over corsgate's (higher means "
        "corsgate adds less). Allocations per request: bare / tower-http / corsgate; "
        "corsgate's are the response `HeaderMap`'s own growth (the bare service's response has "
        "no header, so its map never allocates)."
    )
    lines += [""] + added_table("layer", LAYERS, "tower-http")
    s[OWN[3]] = "\n".join(lines) + "\n"

    lines = ["## Rust: actix-web middleware", ""]
    lines.append(
        "The same actix-web application (one handler, an empty 200) bare, behind actix-cors and "
        "behind `corsgate::actix::Cors`, the policy above (actix-cors gets an origin function "
        "for the wildcard case), built with `actix_web::test::init_service` and called with a "
        "request made outside the timed region (groups `actix: …`). Added = wrapped − bare, "
        "medians from the same run (negative when a middleware answers a preflight without "
        "calling the app, which is cheaper than the app). Allocations per request: bare / actix-cors / corsgate "
        "(both middlewares box their response future, as actix-web middleware does)."
    )
    lines += [""] + added_table("actix", ACTIX, "actix-cors")
    s[OWN[4]] = "\n".join(lines) + "\n"

    # Allocations.
    rows = []
    for case in CASES:
        row = [case]
        for c in CONTENDERS:
            a = alloc.get((case, c))
            row.append(f"{fmt_count(a['allocs'])} ({fmt_count(a['bytes'])} B)" if a else "—")
        for c in CONTENDERS:
            a = alloc.get((case, c))
            row.append(a["headers"] if a else "—")
        rows.append(row)
    head = ["case"] + [f"{c} allocs (bytes)" for c in CONTENDERS]
    head += [f"{c} sets" for c in CONTENDERS]
    lines = ["## Allocations per request", ""]
    lines.append(
        "Heap allocations (and bytes requested) per request, counted by a global allocator "
        "around exactly the work that is timed, after 16 warm-up requests, averaged over 256 "
        "(`benches/peers/src/bin/allocs.rs`). The request clone is made before counting. "
        "`sets`: the response headers each contender set (ACAO = "
        "Access-Control-Allow-Origin, ACAC = -Allow-Credentials, ACAM = -Allow-Methods, "
        "ACAH = -Allow-Headers, ACMA = -Max-Age, ACEH = -Expose-Headers)."
    )
    lines += [""] + table(head, rows)
    s[OWN[5]] = "\n".join(lines) + "\n"

    # Scaling.
    lines = ["## Scaling", ""]
    lines.append(
        "corsgate alone (`cargo bench -p corsgate-benches --bench decide`): `Request` from "
        "header lines + `decide` + reading the headers."
    )
    lines += [""]
    rows = []
    base = alone.get(("scaling: configured origins", "1"))
    for n in ORIGIN_COUNTS:
        ns = alone.get(("scaling: configured origins", str(n)))
        rows.append([f"{n:,}", fmt_time(ns), fmt_ratio(ns / base) if ns and base else "—"])
    lines += table(["configured origins (allowed actual request)", "median", "vs 1 origin"], rows)
    lines += [""]
    rows = []
    base = alone.get(("scaling: request header names", "1"))
    for n in NAME_COUNTS:
        ns = alone.get(("scaling: request header names", str(n)))
        per = fmt_time(ns / n) if ns else "—"
        rows.append([str(n), fmt_time(ns), per, fmt_ratio(ns / base) if ns and base else "—"])
    lines += table(
        ["names in ACRH (allowed preflight, 64 names configured)", "median", "per name", "vs 1 name"],
        rows,
    )
    lines += [""]
    rows = []
    for n in ROUTE_COUNTS:
        cells = [alone.get(("scaling: routes", f"{case}/{n}")) for case in ROUTE_CASES]
        rows.append([str(n)] + [fmt_time(ns) for ns in cells])
    lines += table(
        ["routes (`PolicySet::route_index`)", "path on the last route", "path outside every route",
         "last route, path with `..` and an escape"],
        rows,
    )
    s[OWN[6]] = "\n".join(lines) + "\n"

    # corsgate alone.
    rows = [
        [fn, fmt_time(ns), fmt_time(alone.get((BUILT, fn)))]
        for (g, fn), ns in sorted(alone.items())
        if g == "decide"
    ]
    order = _decide_order()
    rows.sort(key=lambda r: order.index(r[0]) if r[0] in order else len(order))
    lines = ["## corsgate alone, from header lines", ""]
    lines.append(
        "The same kinds of request given as borrowed header lines (`&[(&[u8], &[u8])]`, no "
        "`http` types, nothing to drop), as the C ABI and the other bindings pass them: "
        "`Request::from_headers`, `decide` and reading every header; and `decide` with "
        "reading the headers alone, on a request built beforehand."
    )
    lines += [""] + table(["case", "from header lines", "request already built"], rows)
    s[OWN[7]] = "\n".join(lines) + "\n"

    # Method.
    lines = [
        "## How it is measured",
        "",
        "- `benches/run` builds the workspace in release mode, then runs criterion "
        f"(warm-up {os.environ.get('BENCH_WARM_UP', '?')} s, measurement "
        f"{os.environ.get('BENCH_MEASURE', '?')} s per bench) on: `benches/benches/decide.rs` "
        "(corsgate alone and the scaling curves), `benches/peers` (its own crate and lock "
        "file, so the peers' pinned versions do not touch the workspace), the allocation "
        "counter, and the other languages' benches when they and their prerequisites exist.",
        "- Same input for every contender: a prebuilt `http::Request<()>` (method, URI, five "
        "ordinary browser headers and the CORS ones), cloned in criterion's untimed "
        "`iter_batched` setup because tower-http's `Service::call` consumes it; each contender "
        "then takes the clone by value and everything until its outcome is read is timed, "
        "dropping the request included, for all three alike. `baseline` times only that drop: "
        "the floor every contender pays.",
        "- corsgate: `Request::from_headers` over the `HeaderMap`'s lines, `Policy::decide`, "
        "then every header and `Vary` token read. tower-http: `CorsLayer` (`tower_http::cors`) "
        "layered on a no-op inner `Service` answering an empty 200, `poll_ready` + `call` + "
        "one poll with a no-op waker (the future is always ready), then every response "
        "header read. bunner_cors_rs: a `RequestContext` from `HeaderMap::get` + `to_str` "
        "(as its README does), `Cors::check`, then every header read.",
        "- bunner_cors_rs lists GET, HEAD and POST besides PUT and DELETE: it answers a simple "
        "request whose method is not listed as not-CORS. Version 0.1.2 does not compile "
        "without debug assertions (its pool-statistics hooks are defined only under "
        "`cfg(debug_assertions)`), so that one crate is built with them on; that adds a few "
        "thread-local counter updates per request, it has no `debug_assert!`.",
        "- The machine is shared and was busy (see the load average above): medians move "
        "between runs, ratios less so.",
    ]
    s[OWN[8]] = "\n".join(lines) + "\n"
    return s


ORIGIN_COUNTS = [1, 10, 100, 1_000, 10_000, 100_000]
# The core issue's targets for corsgate alone, and the bench group that
# decides on requests built beforehand.
ACTUAL_NS = 25
PREFLIGHT_NS = 60
BUILT = "decide, request already built"
NAME_COUNTS = [1, 2, 4, 8, 16, 32, 64]


def _decide_order() -> list[str]:
    try:
        text = (ROOT / "benches" / "benches" / "decide.rs").read_text()
    except OSError:
        return []
    return re.findall(r'^\s*\(\s*\n?\s*"([^"]+)",', text, re.M)


# -------------------------------------------------------------------- SVG


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


COLORS = {"tower-http": "#4e79a7", "bunner_cors_rs": "#f28e2b", "corsgate": "#59a14f"}
TARGET = "#e15759"


def svg(peers: dict, alone: dict, when: str, cpu: str) -> str:
    width = 960
    out: list[str] = []
    y0 = 60
    bar_h, gap = 11, 10
    label_w = 300
    plot_x0, plot_x1 = 20 + label_w, width - 90
    rows_h = len(CASES) * (2 * bar_h + gap)
    panel1_h = rows_h + 70
    panel2_y = y0 + panel1_h + 30
    panel2_h = 300
    height = panel2_y + panel2_h + 20

    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" '
        'font-size="12">'
    )
    out.append(f'<rect width="{width}" height="{height}" fill="white"/>')
    out.append(
        f'<text x="20" y="26" font-size="17" font-weight="bold">corsgate benchmarks</text>'
        f'<text x="20" y="45" fill="#555">{esc(cpu)} · {esc(when)} · criterion medians · '
        "benches/RESULTS.md</text>"
    )

    # Panel 1: ratios per case, log scale.
    ratios = {}
    for case in CASES:
        a = peers.get((f"vs peers: {case}", "corsgate"))
        for p in PEERS:
            b = peers.get((f"vs peers: {case}", p))
            if a and b:
                ratios[(case, p)] = b / a
    values = list(ratios.values()) or [1.0]
    lo = 10 ** math.floor(math.log10(min(min(values), 1.0)))
    hi = 10 ** math.ceil(math.log10(max(max(values), SPEED_TARGET * 2)))

    def x_of(r: float) -> float:
        return plot_x0 + (math.log10(r) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (
            plot_x1 - plot_x0
        )

    top = y0 + 30
    out.append(
        f'<text x="20" y="{y0 + 8}" font-size="14" font-weight="bold">Peer time / corsgate '
        "time per request, log scale (corsgate's median in brackets)</text>"
    )
    legend_x = 20
    for p in PEERS:
        out.append(
            f'<rect x="{legend_x}" y="{y0 + 16}" width="10" height="10" fill="{COLORS[p]}"/>'
            f'<text x="{legend_x + 14}" y="{y0 + 25}">{esc(p)}</text>'
        )
        legend_x += 130
    bottom = top + rows_h
    d = lo
    while d <= hi * 1.0001:
        x = x_of(d)
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" fill="#555">'
            f"{_num(d)}x</text>"
        )
        d *= 10
    x1 = x_of(1.0)
    out.append(f'<line x1="{x1:.1f}" y1="{top - 4}" x2="{x1:.1f}" y2="{bottom}" stroke="#333"/>')
    xt = x_of(SPEED_TARGET)
    out.append(
        f'<line x1="{xt:.1f}" y1="{top - 4}" x2="{xt:.1f}" y2="{bottom}" stroke="{TARGET}" '
        f'stroke-dasharray="5,4"/>'
        f'<line x1="{legend_x}" y1="{y0 + 21}" x2="{legend_x + 24}" y2="{y0 + 21}" '
        f'stroke="{TARGET}" stroke-dasharray="5,4"/>'
        f'<text x="{legend_x + 30}" y="{y0 + 25}" fill="{TARGET}">'
        f"target: {SPEED_TARGET:.0f}x faster than tower-http</text>"
    )
    y = top
    for case in CASES:
        own = peers.get((f"vs peers: {case}", "corsgate"))
        out.append(
            f'<text x="{plot_x0 - 8}" y="{y + bar_h + 4}" text-anchor="end">{esc(case)} '
            f'<tspan fill="#555" font-size="11">({fmt_time(own)})</tspan></text>'
        )
        for i, p in enumerate(PEERS):
            r = ratios.get((case, p))
            yy = y + i * bar_h
            if r is None:
                continue
            xa, xb = sorted((x1, x_of(r)))
            out.append(
                f'<rect x="{xa:.1f}" y="{yy}" width="{max(xb - xa, 1):.1f}" '
                f'height="{bar_h - 1}" fill="{COLORS[p]}"/>'
            )
            tx = x_of(r) + 4 if r >= 1 else x_of(r) - 4
            anchor = "start" if r >= 1 else "end"
            out.append(
                f'<text x="{tx:.1f}" y="{yy + bar_h - 2}" font-size="10" '
                f'text-anchor="{anchor}">{fmt_ratio(r)}</text>'
            )
        y += 2 * bar_h + gap

    # Panels 2 and 3: scaling curves.
    half = (width - 60) // 2
    _curve(
        out,
        20,
        panel2_y,
        half,
        panel2_h,
        "corsgate: configured origins (allowed actual)",
        [(n, alone.get(("scaling: configured origins", str(n)))) for n in ORIGIN_COUNTS],
        "configured origins",
        ORIGINS_TARGET,
    )
    _curve(
        out,
        40 + half,
        panel2_y,
        half,
        panel2_h,
        "corsgate: names in Access-Control-Request-Headers",
        [(n, alone.get(("scaling: request header names", str(n)))) for n in NAME_COUNTS],
        "requested header names (64 configured)",
        None,
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _num(v: float) -> str:
    if v >= 1:
        return f"{v:,.0f}"
    return f"{v:g}"


def _curve(out, x, y, w, h, title, points, xlabel, target):
    pts = [(n, ns) for n, ns in points if ns]
    out.append(f'<text x="{x}" y="{y + 8}" font-size="14" font-weight="bold">{esc(title)}</text>')
    if not pts:
        out.append(f'<text x="{x}" y="{y + 40}">not measured</text>')
        return
    px0, px1 = x + 60, x + w - 10
    py0, py1 = y + 40, y + h - 40  # top, bottom
    ys = [ns for _, ns in pts]
    if target:
        ys.append(pts[0][1] * target)
    lo = 10 ** math.floor(math.log10(min(ys)))
    hi = 10 ** math.ceil(math.log10(max(ys)))
    if hi <= lo:
        hi = lo * 10
    nlo, nhi = points[0][0], points[-1][0]

    def fx(n: float) -> float:
        return px0 + (math.log(n) - math.log(nlo)) / (math.log(nhi) - math.log(nlo)) * (px1 - px0)

    def fy(ns: float) -> float:
        return py1 - (math.log10(ns) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (
            py1 - py0
        )

    out.append(f'<rect x="{px0}" y="{py0}" width="{px1 - px0}" height="{py1 - py0}" '
               'fill="none" stroke="#999"/>')
    d = lo
    while d <= hi * 1.0001:
        for m in (1, 2, 5):
            v = d * m
            if v > hi * 1.0001:
                break
            yy = fy(v)
            out.append(
                f'<line x1="{px0}" y1="{yy:.1f}" x2="{px1}" y2="{yy:.1f}" stroke="#eee"/>'
                f'<text x="{px0 - 5}" y="{yy + 4:.1f}" text-anchor="end" fill="#555" '
                f'font-size="10">{fmt_tick(v)}</text>'
            )
        d *= 10
    for n, _ in points:
        xx = fx(n)
        out.append(
            f'<line x1="{xx:.1f}" y1="{py0}" x2="{xx:.1f}" y2="{py1}" stroke="#eee"/>'
            f'<text x="{xx:.1f}" y="{py1 + 14}" text-anchor="middle" fill="#555" '
            f'font-size="10">{_num(n)}</text>'
        )
    out.append(
        f'<text x="{(px0 + px1) / 2:.1f}" y="{py1 + 30}" text-anchor="middle" fill="#555">'
        f"{xlabel} (log scale)</text>"
        f'<text x="{x}" y="{y + 24}" fill="#555" font-size="11">median per request '
        "(log scale)</text>"
    )
    if target:
        ty = fy(pts[0][1] * target)
        out.append(
            f'<line x1="{px0}" y1="{ty:.1f}" x2="{px1}" y2="{ty:.1f}" stroke="{TARGET}" '
            f'stroke-dasharray="5,4"/><text x="{px0 + 4}" y="{ty - 4:.1f}" fill="{TARGET}" '
            f'font-size="10">target: {target}x the time for 1 origin</text>'
        )
    path = " ".join(f"{fx(n):.1f},{fy(ns):.1f}" for n, ns in pts)
    color = COLORS["corsgate"]
    out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
    for n, ns in pts:
        out.append(f'<circle cx="{fx(n):.1f}" cy="{fy(ns):.1f}" r="3" fill="{color}"/>')
    n, ns = pts[-1]
    out.append(
        f'<text x="{fx(n) - 4:.1f}" y="{fy(ns) - 8:.1f}" text-anchor="end" font-size="10">'
        f"{fmt_time(ns)}</text>"
    )
    n, ns = pts[0]
    out.append(
        f'<text x="{fx(n) + 4:.1f}" y="{fy(ns) - 8:.1f}" font-size="10">{fmt_time(ns)}</text>'
    )


# ------------------------------------------------------------------- main


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    peers = criterion(out / "criterion" / "peers")
    alone = criterion(out / "criterion" / "corsgate")
    allocs_file = out / "allocs.jsonl"
    allocs = (
        [json.loads(line) for line in allocs_file.read_text().splitlines() if line.strip()]
        if allocs_file.exists()
        else []
    )
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = dict(machine())["CPU model"]

    previous = RESULTS.read_text() if RESULTS.exists() else ""
    _, old = split_sections(previous)
    old_map = dict(old)

    sections = own_sections(out, peers, alone, allocs)
    notes: list[tuple[str, str]] = []
    for heading, step, make in (
        ("## C ABI vs Rust API", "c", lambda: c_block(out, when)),
        ("## Python", "python", lambda: fragment(out, "python", "## Python", PY_INTRO)),
        ("## Node", "node", lambda: fragment(out, "node", "## Node", NODE_INTRO)),
        ("## nginx", "nginx", lambda: nginx_block(out, when)),
        ("## Apache httpd", "apache", lambda: apache_block(out, when)),
    ):
        st = status(out, step)
        text = make() if st == "ran" else None
        if text is not None and step in ("c", "nginx", "apache"):
            # Hand-written sections: only the marked block is ours.
            sections[heading] = merge_block(old_map.get(heading), heading, text)
            notes.append((heading[3:], "measured now"))
        elif text is not None:
            got = text.splitlines()[0].strip()
            sections[got] = text
            notes.append((heading[3:], "measured now"))
        elif heading in old_map:
            sections[heading] = old_map[heading]
            why = "it wrote its own section" if st == "self-written" else st
            notes.append((heading[3:], f"section kept as it was ({why})"))
        else:
            notes.append((heading[3:], st))

    order = OWN + FOREIGN
    extra = [h for h, _ in old if h not in order and h not in sections]
    for h in extra:
        sections[h] = old_map[h]
    extra += [h for h in sections if h not in order and h not in extra]

    pre = [
        "# Benchmark results",
        "",
        f"Generated by `benches/run` on {when}; rerun it to refresh the numbers. It "
        "rewrites this file and `results.svg`: the sections from *Machine and versions* "
        "to *How it is measured* whole, Python's and Node's with what their benches print, "
        "and in the hand-written C, nginx and Apache sections only the block between its markers; "
        "a section whose bench could not run is kept as it was.",
        "",
        "![corsgate vs peers, and scaling](results.svg)",
        "",
    ]
    pre += table(["other benches", "this run"], [[k, v] for k, v in notes])
    body = "\n".join(pre) + "\n"
    for h in order + extra:
        if h in sections:
            body += "\n" + sections[h].rstrip() + "\n"
    RESULTS.write_text(body)
    SVG.write_text(svg(peers, alone, when, cpu))
    for h in (OWN[1], OWN[2], OWN[3], OWN[4], OWN[5]):
        print()
        print(sections[h].split("\n\nNotes on the cases")[0].rstrip())
    print()
    print(f"wrote {RESULTS.relative_to(ROOT)} and {SVG.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
