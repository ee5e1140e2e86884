"""The README's examples run as written.

```python blocks run as they are; ```python django-settings blocks are read as
a settings module and must describe a valid policy.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from corsgate.django.conf import policy_from_settings, urls_from_settings

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```python( django-settings)?\n(.*?)^```$", re.S | re.M)
BLOCKS = [
    pytest.param(
        bool(m.group(1)),
        m.group(2),
        id=f"line-{README.read_text()[: m.start()].count(chr(10)) + 1}",
    )
    for m in FENCE.finditer(README.read_text(encoding="utf-8"))
]


def test_the_readme_has_examples() -> None:
    assert sum(1 for p in BLOCKS if not p.values[0]) >= 5
    assert sum(1 for p in BLOCKS if p.values[0]) == 2


@pytest.mark.parametrize(("settings", "code"), BLOCKS)
def test_readme_example(settings: bool, code: str, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(code, str(README), "exec"), namespace)
    if settings:
        values = {k: v for k, v in namespace.items() if k.isupper()}
        policy = policy_from_settings(SimpleNamespace(**values))
        urls_from_settings(SimpleNamespace(**values))
        assert policy.lint() == []
