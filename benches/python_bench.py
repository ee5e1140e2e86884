"""Python bench: `Policy.decide`, and the per-request overhead of corsgate's
Django and ASGI middleware next to django-cors-headers and Starlette's
CORSMiddleware, configured alike and called directly (no server, no client).

Overhead = time(middleware(request)) - time(application(request)), best of
several rounds. Run from the repository root with the package installed:

    python benches/python_bench.py            # prints the "## Python" section
    python benches/python_bench.py --quick    # fewer iterations
    python benches/python_bench.py --write    # and puts it in benches/RESULTS.md

`benches/run` runs it too (with target/py-venv from tests/suites/python.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Many short rounds, keeping the best: robust to other work on the machine.
ROUNDS = 60

ORIGINS = ["https://app.example.com", "https://admin.example.com", "https://docs.example.com"]
APP = ORIGINS[0]
BROWSER_HEADERS = [
    ("host", "api.example.com"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    ("accept", "application/json"),
    ("accept-language", "en-US,en;q=0.5"),
    ("accept-encoding", "gzip, deflate, br"),
    ("origin", APP),
    ("referer", APP + "/items"),
    ("cookie", "sessionid=abc123; csrftoken=def456"),
    ("sec-fetch-mode", "cors"),
    ("sec-fetch-site", "same-site"),
]
PREFLIGHT_HEADERS = [
    ("host", "api.example.com"),
    ("user-agent", BROWSER_HEADERS[1][1]),
    ("accept", "*/*"),
    ("origin", APP),
    ("access-control-request-method", "PUT"),
    ("access-control-request-headers", "content-type,x-request-id"),
    ("sec-fetch-mode", "cors"),
]


# CPU time of this thread: time spent waiting for a core while other work
# runs on the machine is not counted.
CLOCK = time.thread_time


def best(stmt: Callable[[], object], number: int, repeat: int = ROUNDS) -> float:
    """Seconds per call, best of `repeat` rounds."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat, timer=CLOCK)) / number


def interleaved(stmts: list[Callable[[], object]], number: int) -> list[float]:
    """Seconds per call of each statement, best of `ROUNDS` rounds, the
    statements taking turns so that they share the machine's other load."""
    best_times = [float("inf")] * len(stmts)
    for _ in range(ROUNDS):
        for i, stmt in enumerate(stmts):
            seconds = timeit.timeit(stmt, number=number, timer=CLOCK)
            best_times[i] = min(best_times[i], seconds / number)
    return best_times


def bench_decide(number: int) -> list[tuple[str, float]]:
    from corsgate import Policy

    policy = Policy(
        origins=ORIGINS,
        credentials=True,
        methods=["PUT", "DELETE"],
        request_headers=["content-type", "x-request-id"],
        expose_headers=["x-request-id"],
        max_age=600,
    )
    raw = [(n.encode(), v.encode()) for n, v in BROWSER_HEADERS]
    raw_pre = [(n.encode(), v.encode()) for n, v in PREFLIGHT_HEADERS]
    cases: list[tuple[str, Callable[[], object]]] = [
        ("decide, actual, 10 str header pairs", lambda: policy.decide("GET", BROWSER_HEADERS)),
        ("decide, actual, 10 bytes header pairs (ASGI)", lambda: policy.decide(b"GET", raw)),
        (
            "decide, preflight, 7 bytes header pairs",
            lambda: policy.decide(b"OPTIONS", raw_pre),
        ),
        ("decide_values, actual", lambda: policy.decide_values("GET", APP)),
        (
            "decide_values, preflight",
            lambda: policy.decide_values("OPTIONS", APP, "PUT", "content-type,x-request-id"),
        ),
    ]
    return [(name, best(stmt, number)) for name, stmt in cases]


def bench_django(number: int) -> list[tuple[str, float, float]]:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        SECRET_KEY="bench",
        USE_TZ=True,
        CORS_ALLOWED_ORIGINS=ORIGINS,
        CORS_ALLOW_CREDENTIALS=True,
        CORS_ALLOW_METHODS=["GET", "POST", "PUT", "DELETE"],
        CORS_ALLOW_HEADERS=["content-type", "x-request-id"],
        CORS_EXPOSE_HEADERS=["x-request-id"],
        CORS_PREFLIGHT_MAX_AGE=600,
    )
    django.setup()
    from corsheaders.middleware import CorsMiddleware as TheirMiddleware
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory

    from corsgate.django import CorsMiddleware as OurMiddleware

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(b"ok", content_type="text/plain")

    ours = OurMiddleware(view)
    theirs = TheirMiddleware(view)
    factory = RequestFactory()

    def meta(headers: list[tuple[str, str]]) -> dict[str, str]:
        return {"HTTP_" + n.upper().replace("-", "_"): v for n, v in headers}

    requests = {
        "actual GET, allowed origin": factory.get("/items", **meta(BROWSER_HEADERS)),
        "preflight, allowed": factory.options("/items", **meta(PREFLIGHT_HEADERS)),
    }
    rows = []
    for name, request in requests.items():
        state = request.__dict__

        # `request.headers` is built once per request: drop it each round.
        def run(
            app: Callable[[HttpRequest], object], state: Any = state, request: Any = request
        ) -> Callable[[], object]:
            return lambda: (state.pop("headers", None), app(request))

        base, our, their = interleaved([run(view), run(ours), run(theirs)], number)
        rows.append((name, our - base, their - base))
    return rows


def bench_asgi(number: int) -> list[tuple[str, float, float]]:
    from starlette.middleware.cors import CORSMiddleware as TheirMiddleware

    from corsgate.asgi import CORSMiddleware as OurMiddleware

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        return None

    options: dict[str, Any] = {
        "allow_origins": ORIGINS,
        "allow_methods": ["GET", "POST", "PUT", "DELETE"],
        "allow_headers": ["content-type", "x-request-id"],
        "allow_credentials": True,
        "expose_headers": ["x-request-id"],
        "max_age": 600,
    }
    ours = OurMiddleware(app, **options)
    theirs = TheirMiddleware(app, **options)

    def scope(method: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "type": "http",
            "method": method,
            "path": "/items",
            "headers": [(n.encode(), v.encode()) for n, v in headers],
        }

    scopes = {
        "actual GET, allowed origin": scope("GET", BROWSER_HEADERS),
        "preflight, allowed": scope("OPTIONS", PREFLIGHT_HEADERS),
    }

    async def interleaved_async(handlers: list[Any], sc: dict[str, Any]) -> list[float]:
        best_times = [float("inf")] * len(handlers)
        for _ in range(ROUNDS):
            for i, handler in enumerate(handlers):
                start = CLOCK()
                for _ in range(number):
                    await handler(sc, receive, send)
                best_times[i] = min(best_times[i], (CLOCK() - start) / number)
        return best_times

    async def main() -> list[tuple[str, float, float]]:
        rows = []
        for name, sc in scopes.items():
            base, our, their = await interleaved_async([app, ours, theirs], sc)
            rows.append((name, our - base, their - base))
        return rows

    return asyncio.run(main())


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def ns(seconds: float) -> str:
    return f"{seconds * 1e9:.0f} ns"


def section(
    decide: list[tuple[str, float]],
    django_rows: list[tuple[str, float, float]],
    asgi_rows: list[tuple[str, float, float]],
) -> str:
    """The "## Python" section of benches/RESULTS.md."""
    import corsgate

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    slowest = max(t for _, t in decide)
    django_worst = min(theirs / ours for _, ours, theirs in django_rows)
    asgi_worst = min(theirs / ours for _, ours, theirs in asgi_rows)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "## Python",
        "",
        f"`benches/python_bench.py`: corsgate {corsgate.__version__} (release build, "
        f"`pip install ./bindings/python`), CPython {platform.python_version()}, "
        f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs, load average "
        f"after the run {load}. Each figure is the best of {ROUNDS} rounds of this "
        "thread's CPU time (so time spent waiting for a core on the shared machine is "
        "not counted), the contenders taking turns round by round.",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        f"| `Policy.decide` ≤ 1 µs per call | slowest case {ns(slowest)} | "
        f"{verdict(slowest <= 1e-6)} |",
        f"| Django middleware overhead ≥ 5x lower than django-cors-headers' | "
        f"{django_worst:.1f}x (worst case) | {verdict(django_worst >= 5)} |",
        f"| ASGI middleware overhead ≥ 3x lower than Starlette's CORSMiddleware | "
        f"{asgi_worst:.1f}x (worst case) | {verdict(asgi_worst >= 3)} |",
        "",
        "| `Policy.decide` call | time per call |",
        "|---|---|",
        *(f"| {name} | {ns(t)} |" for name, t in decide),
        "",
        "| middleware overhead per request | corsgate | peer | peer / corsgate |",
        "|---|---|---|---|",
    ]
    for label, rows, peer in (
        ("Django", django_rows, "django-cors-headers"),
        ("ASGI", asgi_rows, "Starlette CORSMiddleware"),
    ):
        for name, ours, theirs in rows:
            ratio = theirs / ours
            lines.append(
                f"| {label}: {name} (vs {peer}) | {us(ours)} | {us(theirs)} | {ratio:.1f}x |"
            )
    lines += [
        "",
        "- Same policy everywhere: credentials, three exact origins, methods GET, POST, PUT "
        "and DELETE, request headers content-type and x-request-id, exposed x-request-id, "
        "max-age 600; the Django pair reads it from the same `CORS_*` settings.",
        "- Requests: an allowed GET with ten ordinary browser headers, and an allowed "
        "preflight with seven (`Origin`, ACRM `PUT`, ACRH `content-type,x-request-id`).",
        "- Overhead: the middleware called directly on a prebuilt request (Django: a "
        "`RequestFactory` request whose cached `request.headers` is dropped each call, as "
        "each real request builds it; ASGI: a scope, a no-op `receive` and `send`), minus "
        "the same call on the bare view or application. For a preflight the middleware "
        "answers alone, so the overhead is its own response against the view's.",
        "- `decide` with header pairs walks every pair; `decide_values` is the fast path "
        "a middleware with a header mapping uses (the Django and WSGI adapters do).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument(
        "--write",
        action="store_true",
        help='also replace the "## Python" section of benches/RESULTS.md',
    )
    args = parser.parse_args()
    scale = 10 if args.quick else 1

    text = section(
        bench_decide(20_000 // scale),
        bench_django(2_000 // scale),
        bench_asgi(2_000 // scale),
    )
    sys.stdout.write(text)
    sys.stdout.flush()
    if args.write:
        write_section(Path(__file__).resolve().parent / "RESULTS.md", text)


def write_section(results: Path, text: str) -> None:
    """Replaces (or appends) the "## Python" section; the rest stays byte for byte."""
    old = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    found = re.search(r"(?ms)^## Python\n.*?(?=^## |\Z)", old)
    if found:
        tail = "\n" if found.end() < len(old) else ""
        new = old[: found.start()] + text + tail + old[found.end() :]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    results.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
