#!/usr/bin/env bash
# The browser harness (tests/browser): real Chromium (Debian's `chromium`,
# installed here when missing) driven by playwright-core makes fetch and
# XMLHttpRequest calls from a page to APIs on other origins answered by
# corsgate (cli/examples/browser_server.rs). Every scenario asserts that the
# browser's verdict, the response headers scripts could read and Chrome's
# console message agree with corsgate's decision and explain(), and that
# `corsgate probe` reaches the browser's verdict. Run by tests/run from the
# repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version

echo "--- build: the test server and corsgate"
cargo build --quiet --locked -p corsgate-cli --example browser_server --bin corsgate
target="${CARGO_TARGET_DIR:-target}/debug"
for binary in "$target/examples/browser_server" "$target/corsgate"; do
  [ -x "$binary" ] || { echo "missing $binary" >&2; exit 1; }
done
server=$(realpath "$target/examples/browser_server")
corsgate=$(realpath "$target/corsgate")

echo "--- npm ci (playwright-core; the browser is the system chromium)"
(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci)

echo "--- scenarios"
cd tests/browser
# The run takes seconds; the limit only stops a hung browser.
timeout --kill-after=10 180 node run.mjs "$server" "$corsgate"
