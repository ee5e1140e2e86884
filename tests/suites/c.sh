#!/usr/bin/env bash
# The C ABI (bindings/c): header drift, then the C tests plain, under
# ASan+UBSan, and under valgrind, then a short libFuzzer run of
# bindings/c/tests/fuzz_decide.c (SPEC §6 invariants; FUZZ_C_SECONDS, default 20).
# Run from the repo root (tests/run does).
set -euo pipefail

missing=()
dpkg -s libcjson-dev >/dev/null 2>&1 || missing+=(libcjson-dev)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v clang >/dev/null 2>&1 || missing+=(clang)
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
  gcc "${cflags[@]}" -O2 "bindings/c/tests/$t.c" "$lib" -lcjson "${libs[@]}" -o "$out/$t"
  gcc "${cflags[@]}" "${sanitize[@]}" "bindings/c/tests/$t.c" "$lib" -lcjson "${libs[@]}" -o "$out/$t-asan"
done

# run LABEL SUFFIX [WRAPPER...]
run() {
  echo "--- $1"
  local suffix=$2
  shift 2
  "$@" "$out/conformance$suffix" tests/conformance
  "$@" "$out/conformance$suffix" tests/conformance/routes
  "$@" "$out/hostile$suffix"
}
run "plain" ""
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
run "asan+ubsan" "-asan"
run "valgrind" "" valgrind -q --error-exitcode=1 --leak-check=full

echo "--- libFuzzer: bindings/c/tests/fuzz_decide.c (${FUZZ_C_SECONDS:-20} s)"
# The Rust library is built with sancov only (no ASan: an instrumented std is
# not needed and would not link), so libFuzzer is guided by coverage inside the
# engine; the harness is built with ASan+UBSan. `--target` keeps the flags off
# build scripts.
host=$(rustc -vV | sed -n 's/^host: //p')
fuzz_dir="$target_dir/c-fuzz"
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares" \
  CARGO_TARGET_DIR="$fuzz_dir" cargo build --quiet --locked --release -p corsgate-ffi --target "$host"
clang -std=c11 -Wall -Wextra -Werror -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=all bindings/c/tests/fuzz_decide.c "$fuzz_dir/$host/release/libcorsgate_ffi.a" \
  -lpthread -lm -ldl -o "$out/fuzz_decide"
mkdir -p "$out/corpus" "$out/seeds" "$fuzz_dir/artifacts"
printf 'GET\nOrigin:https://app.example' >"$out/seeds/actual"
printf 'OPTIONS\nOrigin: https://app.example\nAccess-Control-Request-Method: PUT\nAccess-Control-Request-Headers: x-a, Authorization\nAccess-Control-Request-Private-Network: true' >"$out/seeds/preflight"
printf 'OPTIONS\norigin:https://a.example.com\naccess-control-request-method:PROPFIND\naccess-control-request-headers:X-B\naccess-control-request-headers:x-c, *' >"$out/seeds/wildcards"
printf 'POST\nOrigin:http://localhost:8080\nOrigin:https://evil.example\nx:y' >"$out/seeds/repeated"
printf 'OPTIONS\nOrigin:https://app.example\r\nAccess-Control-Request-Method:PUT\000\377' >"$out/seeds/controls"
# A crash or invariant violation aborts: libFuzzer exits non-zero and the
# input is kept in $fuzz_dir/artifacts/ (replay: build as above, run it on FILE).
status=0
"$out/fuzz_decide" -max_total_time="${FUZZ_C_SECONDS:-20}" -print_final_stats=1 \
  -artifact_prefix="$fuzz_dir/artifacts/" "$out/corpus" "$out/seeds" >"$out/fuzz.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  cat "$out/fuzz.log"
  echo "fuzz_decide failed ($status); the input is in $fuzz_dir/artifacts/" >&2
  exit 1
fi
grep -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+DONE|Done |stat::)' "$out/fuzz.log" || true
