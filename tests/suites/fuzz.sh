#!/usr/bin/env bash
# Runs every fuzz target briefly (stable toolchain, no sanitizer) so they keep
# compiling and shallow bugs surface. Long runs are recorded in fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-20}
tools="$PWD/target/tools"
if ! command -v cargo-fuzz >/dev/null && [ ! -x "$tools/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --locked --version 0.13.2 --root "$tools"
fi
export PATH="$tools/bin:$PATH"
fuzz/seed
cd fuzz
cargo fuzz build -s none
for target in $(cargo fuzz list); do
  echo "fuzz: $target for ${seconds}s"
  log="target/fuzz-$target.log"
  if ! cargo fuzz run -s none "$target" -- -max_total_time="$seconds" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $target crashed; the input is under fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^Done' "$log"
done
echo "fuzz: all targets ran clean"
