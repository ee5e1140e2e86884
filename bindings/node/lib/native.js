'use strict';
// Loads the native addon. Two places, in this order:
//   1. ../corsgate.node, built from source by `npm install` in a checkout
//      (scripts/build.js, with cargo);
//   2. the prebuilt addon of this platform, in its own npm package
//      (corsgate-linux-x64-gnu, ...), which the published `corsgate` lists
//      as an optional dependency so npm installs the one that matches.

const fs = require('node:fs');
const path = require('node:path');

/** The platform packages that are published, by platform triple. */
const PLATFORMS = ['linux-x64-gnu'];

/** This machine's triple in the npm packages' naming: os-cpu[-libc]. */
function triple() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return base;
  // glibcVersionRuntime is present exactly when node runs on glibc.
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  return `${base}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

function load() {
  const local = path.join(__dirname, '..', 'corsgate.node');
  if (fs.existsSync(local)) {
    try {
      return require(local);
    } catch (err) {
      const hint = new Error(
        `corsgate: the native addon ${local} does not load (${err.message}). ` +
          'It was built from source: run `npm run build` in the package folder with cargo on the PATH.',
      );
      hint.cause = err;
      throw hint;
    }
  }
  const platform = triple();
  const pkg = `corsgate-${platform}`;
  try {
    return require(pkg);
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(pkg)) {
      const hint = new Error(`corsgate: the prebuilt addon in ${pkg} does not load (${err.message})`);
      hint.cause = err;
      throw hint;
    }
    const supported = PLATFORMS.includes(platform)
      ? `Install it: \`npm install ${pkg}\` (npm skips optional dependencies with --omit=optional or --no-optional).`
      : `There is no prebuilt addon for ${platform} (prebuilt: ${PLATFORMS.join(', ')}). ` +
        'Build from source: clone the repository and run `npm install ./bindings/node` with cargo on the PATH, ' +
        'or use the WebAssembly build, `corsgate/edge`, which runs anywhere.';
    const hint = new Error(`corsgate: the native addon for ${platform} is missing: the package ${pkg} is not installed. ${supported}`);
    hint.cause = err;
    throw hint;
  }
}

module.exports = load();
