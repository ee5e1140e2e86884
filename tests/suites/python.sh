#!/usr/bin/env bash
# The Python package (bindings/python): installs it the way a user does
# (`pip install ./bindings/python`) into a fresh venv with pinned tools and
# frameworks, then lints (ruff, cargo fmt/clippy on the pyo3 crate) and runs
# pytest with warnings as errors; the suite includes mypy.stubtest, the
# SPEC §8 vectors, Django, FastAPI/Starlette and Flask, and the README.
# Run by tests/run from the repository root; needs python3 (3.9+), pip, cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
pkg="$root/bindings/python"
venv="$root/target/py-venv"
export CARGO_TARGET_DIR="$root/target/py"
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
export PYO3_PYTHON="$py"

echo "--- pip install (pinned tools and frameworks)"
"$py" -m pip install --quiet -r "$pkg/requirements-dev.txt"

echo "--- pip install ./bindings/python"
"$py" -m pip install --quiet --force-reinstall --no-deps ./bindings/python

echo "--- rust: fmt and clippy (bindings/python)"
cargo fmt --manifest-path "$pkg/Cargo.toml" --check
cargo clippy --manifest-path "$pkg/Cargo.toml" --locked --all-targets -- -D warnings

echo "--- ruff"
(cd "$pkg" && "$venv/bin/ruff" check . && "$venv/bin/ruff" format --check .)

echo "--- pytest (stubtest, conformance, frameworks, bad input, README)"
cd "$pkg"
"$py" -m pytest -W error -p no:cacheprovider tests
