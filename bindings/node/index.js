'use strict';
// corsgate: one audited CORS engine (Rust core) for Node.js. See README.md.

const { Policy, PolicyError, Decision, VERSION } = require('./lib/engine.js');

module.exports = { Policy, PolicyError, Decision, VERSION };
