'use strict';
// Builds the addon from source: `cargo build --release` of the cdylib, then
// copies it to corsgate.node. Run by `npm install` (the "install" script);
// downloads no prebuilt binary. CARGO_TARGET_DIR and CARGO are honoured.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cargo = process.env.CARGO || 'cargo';
const profile = process.env.CORSGATE_PROFILE === 'debug' ? 'debug' : 'release';
const args = ['build', '--manifest-path', path.join(root, 'Cargo.toml'), '--locked'];
if (profile === 'release') args.push('--release');

const run = spawnSync(cargo, args, { stdio: 'inherit', cwd: root });
if (run.error) {
  console.error(`corsgate: could not run ${cargo} (${run.error.message}); install Rust from https://rustup.rs`);
  process.exit(1);
}
if (run.status !== 0) process.exit(run.status || 1);

const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(root, process.env.CARGO_TARGET_DIR)
  : path.join(root, 'target');
const names = { linux: 'libcorsgate_node.so', darwin: 'libcorsgate_node.dylib', win32: 'corsgate_node.dll' };
const name = names[process.platform] || 'libcorsgate_node.so';
const built = path.join(targetDir, profile, name);
const dest = path.join(root, 'corsgate.node');
// Copy to a temporary name and rename, so a running process never loads a half-written file.
const tmp = `${dest}.${process.pid}.tmp`;
fs.copyFileSync(built, tmp);
fs.renameSync(tmp, dest);
console.log(`corsgate: built ${path.relative(root, dest)} from ${path.relative(root, built)}`);
