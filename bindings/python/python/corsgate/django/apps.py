"""Registers the system check when ``"corsgate.django"`` is in ``INSTALLED_APPS``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class CorsgateConfig(AppConfig):  # type: ignore[misc]  # Django is untyped
    name = "corsgate.django"
    label = "corsgate"
    verbose_name = "corsgate"

    def ready(self) -> None:
        from corsgate.django.checks import check_settings

        checks.register(check_settings, "corsgate")
