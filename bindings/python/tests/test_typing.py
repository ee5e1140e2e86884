"""The stubs match the native module (mypy.stubtest), and the package and the
tests type-check under `mypy --strict`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import corsgate

PROJECT = Path(__file__).resolve().parents[1]
CONFIG = PROJECT / "pyproject.toml"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_package_is_typed() -> None:
    package = Path(corsgate.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_corsgate.pyi").is_file()


def test_stubtest(tmp_path: Path) -> None:
    result = run("mypy.stubtest", "--mypy-config-file", str(CONFIG), "corsgate", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_tests_type_check() -> None:
    result = run("mypy", "--config-file", str(CONFIG), "tests", cwd=PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
