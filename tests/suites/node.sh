#!/usr/bin/env bash
# The Node.js package (bindings/node): installs it the way a user does
# (`npm ci`, whose install script builds the addon from source with cargo;
# no prebuilt binary is downloaded), then lints the napi crate (cargo fmt,
# clippy), type-checks index.d.ts and express.d.ts with tsc against Node's
# and Express's types, and runs the node:test suite: the SPEC §8 vectors,
# a real Express 5 app over HTTP, Fastify against @fastify/cors, bad input,
# memory and worker threads, and the vectors through the WebAssembly build
# (bindings/wasm/build, which installs Debian's rustc-web for the wasm32 std
# sources when the toolchain has no wasm32 target), in-process and over HTTP
# through workerd, Deno and Bun (npm devDependencies that ship their
# binaries; servers on 127.0.0.1, stopped by the test).
# Run by tests/run from the repository root; needs node (20+), npm, cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
pkg="$root/bindings/node"
export CARGO_TARGET_DIR="$root/target/node"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

echo "--- npm ci (builds the addon with cargo)"
(cd "$pkg" && npm ci)

echo "--- rust: fmt and clippy (bindings/node)"
cargo fmt --manifest-path "$pkg/Cargo.toml" --check
cargo clippy --manifest-path "$pkg/Cargo.toml" --locked --all-targets -- -D warnings

echo "--- bindings/wasm: build corsgate.wasm, fmt"
cargo fmt --manifest-path "$root/bindings/wasm/Cargo.toml" --check
CARGO_TARGET_DIR="$root/target/wasm-host" \
  cargo clippy --manifest-path "$root/bindings/wasm/Cargo.toml" --locked -- -D warnings
CARGO_TARGET_DIR="$root/target/wasm" "$root/bindings/wasm/build"

echo "--- tsc (declarations checked against Node's and Express's types)"
(cd "$pkg" && ./node_modules/.bin/tsc -p tsconfig.json)

echo "--- node --test"
cd "$pkg"
node --test --test-reporter=tap test/*.test.js
