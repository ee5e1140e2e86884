from __future__ import annotations

import asyncio

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse


def items(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"items": [1, 2]})
    response["X-Request-Id"] = "r-1"
    # Stale CORS headers the application set: corsgate owns these.
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "TRACE"
    response["Private-Network-Access-Name"] = "stale-device"
    return response


async def async_items(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(0)
    return JsonResponse({"async": True})


@login_required  # type: ignore[untyped-decorator]
def private(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"secret": 42})


def varies(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("ok")
    response["Vary"] = "Accept-Encoding, origin"
    return response


def varies_on_everything(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("ok")
    response["Vary"] = "*"
    return response


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the view failed")


def outside(request: HttpRequest) -> HttpResponse:
    return HttpResponse("not under CORS_URLS_REGEX")
