#!/usr/bin/env bash
# The nginx module (bindings/nginx): builds it against the installed nginx
# (bindings/nginx/build installs nginx and nginx-dev when missing), then
# bindings/nginx/tests/run.py starts a real nginx on 127.0.0.1 with the module loaded
# and runs every SPEC §8 vector over HTTP plus the nginx-specific cases.
# Run by tests/run from the repository root, as root on a fresh Debian.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
stop_nginx() {
  # run.py stops its nginx; this covers an interrupted run.
  if [ -s "$work/nginx.pid" ]; then
    pid=$(cat "$work/nginx.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
}
trap stop_nginx EXIT

echo "--- build: bindings/nginx/build"
so=$(bindings/nginx/build | tail -n 1)
echo "module: $so"
# The engine's own answer for requests nginx rewrites before modules run.
cargo build --quiet --locked -p corsgate-cli
oracle="${CARGO_TARGET_DIR:-target}/debug/corsgate"

echo "--- nginx: conformance vectors and nginx-specific cases"
python3 bindings/nginx/tests/run.py --module "$so" --work "$work" --vectors tests/conformance --oracle "$oracle"
