#!/usr/bin/env bash
# The browser harness (tests/browser): real Chromium (Debian's `chromium`,
# installed here when missing) driven by playwright-core fetches from a page
# on one origin to APIs on another answered by corsgate
# (cli/examples/browser_server.rs). Every scenario asserts that the browser's
# verdict equals corsgate's `allowed` and that Chrome's console message equals
# explain()'s `chrome` text. Run by tests/run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version

echo "--- build: the test server"
cargo build --quiet --locked -p corsgate-cli --example browser_server
server="${CARGO_TARGET_DIR:-target}/debug/examples/browser_server"
[ -x "$server" ] || { echo "missing $server" >&2; exit 1; }
server=$(realpath "$server")

echo "--- npm ci (playwright-core; the browser is the system chromium)"
(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci)

echo "--- scenarios"
cd tests/browser
node run.mjs "$server"
