'use strict';
// Loads the addon that `npm install` built from the Rust crate (scripts/build.js).

const path = require('node:path');

const file = path.join(__dirname, '..', 'corsgate.node');

let addon;
try {
  addon = require(file);
} catch (err) {
  const hint = new Error(
    `corsgate: the native addon ${file} is missing or does not load (${err.message}). ` +
      'It is built from source when the package installs: run `npm install` (or `npm run build`) ' +
      'in the package folder with cargo on the PATH.',
  );
  hint.cause = err;
  throw hint;
}

module.exports = addon;
