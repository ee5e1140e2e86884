#!/usr/bin/env bash
# Rust servers (bindings/rust): the `tower` and `actix` features of the
# corsgate crate linted, then every SPEC §8 vector through an axum server
# and an actix-web server on 127.0.0.1 over HTTP, the tower-http and
# actix-cors behaviours kept, the same applications compiled against the
# peers and corsgate, and the counting-allocator check. bindings/rust is its
# own workspace (own Cargo.lock) so axum, actix-web and tokio stay out of the
# main workspace's build; it shares the target directory.
# Run from the repo root (tests/run does).
set -euo pipefail
root=$(pwd)
manifest=bindings/rust/Cargo.toml
target=(--target-dir "${CARGO_TARGET_DIR:-$root/target}")

echo "--- format and clippy (corsgate with its server features, bindings/rust)"
cargo fmt --manifest-path "$manifest" --check
cargo clippy --locked -p corsgate --features tower,actix --all-targets -- -D warnings
cargo clippy --manifest-path "$manifest" "${target[@]}" --locked --all-targets -- -D warnings

echo "--- tests"
cargo test --manifest-path "$manifest" "${target[@]}" --locked -- --nocapture 2>&1 \
  | grep -v '^skipped ' | grep -Ev '^test .* \.\.\. ok$'
