#!/usr/bin/env bash
# The C ABI (bindings/c): header drift, then the C tests plain, under
# ASan+UBSan, and under valgrind. Run from the repo root (tests/run does).
set -euo pipefail

missing=()
dpkg -s libcjson-dev >/dev/null 2>&1 || missing+=(libcjson-dev)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "--- header: regenerate include/corsgate.h and diff"
cargo run --quiet --locked -p corsgate-ffi --example generate_header
git diff --exit-code include/corsgate.h

echo "--- build: static library (release)"
cargo build --quiet --locked --release -p corsgate-ffi
target_dir=${CARGO_TARGET_DIR:-target}
lib="$target_dir/release/libcorsgate_ffi.a"
[ -f "$lib" ] || { echo "missing $lib" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -g -Iinclude)
# What the Rust standard library needs (`--print native-static-libs`).
libs=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
sanitize=(-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

for t in conformance hostile; do
  gcc "${cflags[@]}" -O2 "tests/c/$t.c" "$lib" -lcjson "${libs[@]}" -o "$out/$t"
  gcc "${cflags[@]}" "${sanitize[@]}" "tests/c/$t.c" "$lib" -lcjson "${libs[@]}" -o "$out/$t-asan"
done

# run LABEL SUFFIX [WRAPPER...]
run() {
  echo "--- $1"
  local suffix=$2
  shift 2
  "$@" "$out/conformance$suffix" tests/conformance
  "$@" "$out/hostile$suffix"
}
run "plain" ""
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
run "asan+ubsan" "-asan"
run "valgrind" "" valgrind -q --error-exitcode=1 --leak-check=full
