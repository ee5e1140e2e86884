"""Django settings → one :class:`corsgate.Policy`.

Either ``CORSGATE_POLICY`` (a dict in the SPEC format, or a path to a JSON or
TOML file; either may have ``routes``, picked by ``request.path_info``) or
the django-cors-headers setting names, mapped onto the same
policy keys with django-cors-headers' defaults. ``CORS_URLS_REGEX`` scopes the
middleware to matching paths (``re.match`` on ``request.path_info``, as
django-cors-headers does).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from corsgate._corsgate import Policy

__all__ = ["DEFAULT_HEADERS", "DEFAULT_METHODS", "CorsConfig", "load_config"]

# django-cors-headers' defaults, so a project moving over keeps its behaviour.
DEFAULT_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
)
DEFAULT_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
DEFAULT_MAX_AGE = 86400


@dataclass(frozen=True)
class CorsConfig:
    """What the middleware needs: the policy and the paths it covers."""

    policy: Policy
    urls: re.Pattern[str] | None
    #: Whether the policy has routes, picked by ``request.path_info``.
    routes: bool = False


def _predicate(settings: Any) -> Callable[[str], object] | None:
    """``CORSGATE_ORIGIN_PREDICATE`` (a callable or a dotted path) and
    ``CORS_ALLOWED_ORIGIN_REGEXES`` (each must match the whole origin)."""
    predicates: list[Callable[[str], object]] = []
    given = getattr(settings, "CORSGATE_ORIGIN_PREDICATE", None)
    if isinstance(given, str):
        from django.utils.module_loading import import_string

        given = import_string(given)
    if given is not None:
        if not callable(given):
            raise TypeError(
                f"CORSGATE_ORIGIN_PREDICATE must be callable, not {type(given).__name__}"
            )
        predicates.append(given)
    regexes = getattr(settings, "CORS_ALLOWED_ORIGIN_REGEXES", ())
    if isinstance(regexes, (str, re.Pattern)):
        regexes = [regexes]
    patterns = [re.compile(r) for r in regexes]
    if patterns:
        predicates.append(lambda origin: any(p.fullmatch(origin) for p in patterns))
    if not predicates:
        return None
    if len(predicates) == 1:
        return predicates[0]
    return lambda origin: any(p(origin) for p in predicates)


def allows_no_origin(settings: Any) -> bool:
    """Whether the django-cors-headers settings allow no origin at all (the
    default empty ``CORS_ALLOWED_ORIGINS``, no regexes, no predicate, no
    ``check_request_enabled`` receiver)."""
    from corsgate.django.signals import has_receivers

    if has_receivers():
        return False
    if getattr(settings, "CORSGATE_POLICY", None) is not None:
        return False
    if getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False):
        return False
    origins = getattr(settings, "CORS_ALLOWED_ORIGINS", ())
    return not list(origins) and _predicate(settings) is None


def policy_from_settings(settings: Any) -> Policy:
    """The policy the settings describe; raises :class:`corsgate.PolicyError`."""
    predicate = _predicate(settings)
    source = getattr(settings, "CORSGATE_POLICY", None)
    if isinstance(source, Mapping):
        return Policy.from_dict(source, origin_predicate=predicate)
    if isinstance(source, (str, os.PathLike)):
        return Policy.from_file(source, origin_predicate=predicate)
    if source is not None:
        raise TypeError(
            f"CORSGATE_POLICY must be a dict or a file path, not {type(source).__name__}"
        )
    s = settings
    if getattr(s, "CORS_ALLOW_ALL_ORIGINS", False):
        origins: object = ["*"]
    else:
        origins = getattr(s, "CORS_ALLOWED_ORIGINS", ())
        # django-cors-headers' check_request_enabled signal allows an origin
        # no setting lists: the engine asks it, for the current request.
        from corsgate.django.signals import origin_allowed_by_signal

        given = predicate
        if given is None:
            predicate = origin_allowed_by_signal
        else:
            predicate = lambda origin: bool(given(origin)) or origin_allowed_by_signal(origin)  # noqa: E731
    max_age = getattr(s, "CORS_PREFLIGHT_MAX_AGE", DEFAULT_MAX_AGE)
    return Policy(
        origins=origins,  # type: ignore[arg-type]
        credentials=getattr(s, "CORS_ALLOW_CREDENTIALS", False),
        methods=getattr(s, "CORS_ALLOW_METHODS", DEFAULT_METHODS),
        request_headers=getattr(s, "CORS_ALLOW_HEADERS", DEFAULT_HEADERS),
        expose_headers=getattr(s, "CORS_EXPOSE_HEADERS", ()),
        # django-cors-headers sends no Max-Age for a false value.
        max_age=max_age if max_age else None,
        private_network={"allow": getattr(s, "CORS_ALLOW_PRIVATE_NETWORK", False)},
        # django-cors-headers answers an accepted preflight 200.
        preflight_status=200,
        # and its bytes: lists joined with ", ", names as written, and
        # `Vary: origin` (lowercase) on every response it covers.
        format={
            "request_headers_case": "as-configured",
            "full_vary": True,
            "vary_case": "lowercase",
        },
        origin_predicate=predicate,
    )


def urls_from_settings(settings: Any) -> re.Pattern[str] | None:
    """``CORS_URLS_REGEX`` compiled, or ``None`` for every path."""
    regex = getattr(settings, "CORS_URLS_REGEX", None)
    if regex is None:
        return None
    return re.compile(regex)


def load_config(settings: Any = None) -> CorsConfig:
    """Reads the settings (Django's by default)."""
    if settings is None:
        from django.conf import settings as django_settings

        settings = django_settings
    policy = policy_from_settings(settings)
    return CorsConfig(policy=policy, urls=urls_from_settings(settings), routes=policy.has_routes)
