#!/usr/bin/env bash
# Instructions per decision, counted by callgrind (benches/src/bin/instructions.rs):
# deterministic, so a shared machine's load does not move them. Prints one
# markdown row per case: name and instructions per request.
#
#   benches/instructions.sh [BINARY]   (default: builds target/release/instructions)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --quiet --release -p corsgate-benches --bin instructions
  bin="${CARGO_TARGET_DIR:-target}/release/instructions"
fi
[ -x "$bin" ] || { echo "instructions.sh: no binary at $bin" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count() { # CASE REPEATS -> total Ir inside corsgate_bench_run
  valgrind -q --tool=callgrind --callgrind-out-file="$work/cg" \
    --collect-atstart=no --toggle-collect=corsgate_bench_run "$bin" "$1" "$2" >/dev/null
  awk '/^summary:/ { print $2 }' "$work/cg"
}
echo "| case | instructions per decision |"
echo "|---|---:|"
for c in $("$bin" --list); do
  # Two runs, so the one-off costs (first calls, lazy setup) cancel out.
  a=$(count "$c" 100)
  b=$(count "$c" 1100)
  echo "| $c | $(( (b - a) / 1000 )) |"
done
