"""``manage.py check``: invalid CORS settings reported with the SPEC §4 codes
(``corsgate.<code>``), and the policy's lint warnings (SPEC §7)."""

from __future__ import annotations

import re
from typing import Any

from django.core import checks

from corsgate._corsgate import PolicyError
from corsgate.django.conf import allows_no_origin, policy_from_settings, urls_from_settings

__all__ = ["check_settings"]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Builds the policy from the settings and reports what is wrong with it."""
    from django.conf import settings

    messages: list[checks.CheckMessage] = []
    try:
        urls_from_settings(settings)
    except (re.error, TypeError) as e:
        messages.append(
            checks.Error(
                f"CORS_URLS_REGEX is not a valid regular expression: {e}",
                hint="write a pattern for the paths the CORS policy covers, like r'^/api/'",
                id="corsgate.invalid-urls-regex",
            )
        )
    try:
        policy = policy_from_settings(settings)
    except PolicyError as e:
        for problem in e.errors:
            messages.append(
                checks.Error(
                    f"CORS policy: {problem.message}",
                    hint=problem.fix,
                    obj=problem.value,
                    id=f"corsgate.{problem.code}",
                )
            )
        return messages
    except (TypeError, ValueError, OSError, ImportError, re.error) as e:
        messages.append(
            checks.Error(
                f"CORS settings cannot be read: {e}",
                hint="see the corsgate README for the CORSGATE_POLICY and CORS_* settings",
                id="corsgate.invalid-settings",
            )
        )
        return messages
    if allows_no_origin(settings):
        messages.append(
            checks.Warning(
                "CORS policy: no origin is allowed (CORS_ALLOWED_ORIGINS is empty, and there is "
                "no CORS_ALLOWED_ORIGIN_REGEXES, CORS_ALLOW_ALL_ORIGINS or "
                "CORSGATE_ORIGIN_PREDICATE), so no response carries CORS headers",
                hint='list the origins, like CORS_ALLOWED_ORIGINS = ["https://app.example.com"]',
                id="corsgate.no-origins",
            )
        )
    for warning in policy.lint():
        messages.append(
            checks.Warning(
                f"CORS policy: {warning.message}",
                hint=warning.fix,
                obj=warning.value,
                id=f"corsgate.{warning.code}",
            )
        )
    return messages
