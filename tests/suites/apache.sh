#!/usr/bin/env bash
# The Apache module (bindings/apache): builds it with apxs against the
# installed httpd (bindings/apache/build installs apache2 and apache2-dev
# when missing), then bindings/apache/tests/run.py starts a real httpd on
# 127.0.0.1 with its own ServerRoot and runs every SPEC §8 vector over HTTP,
# open and behind Basic auth, plus the Apache-specific cases.
# Run by tests/run from the repository root, as root on a fresh Debian.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
stop_httpd() {
  # run.py stops its httpd; this covers an interrupted run.
  if [ -s "$work/httpd.pid" ]; then
    pid=$(cat "$work/httpd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
}
trap stop_httpd EXIT

echo "--- build: bindings/apache/build"
so=$(bindings/apache/build | tail -n 1)
echo "module: $so"
# The engine's own answer for requests Apache rewrites before modules run.
cargo build --quiet --locked -p corsgate-cli
oracle="${CARGO_TARGET_DIR:-target}/debug/corsgate"

echo "--- apache: conformance vectors (open and behind auth) and Apache-specific cases"
python3 bindings/apache/tests/run.py --module "$so" --work "$work" --vectors tests/conformance --oracle "$oracle"
