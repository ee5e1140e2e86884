'use strict';
// Shared by the native binding (lib/engine.js) and the WebAssembly one
// (edge.js), which must not load the addon.

/** A policy that does not build: `errors` lists every problem (SPEC §4). */
class PolicyError extends Error {
  constructor(errors) {
    const lines = errors.map((e) => `  [${e.code}] ${e.message} (fix: ${e.fix})`);
    const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
    super(`invalid CORS policy, ${count}:\n${lines.join('\n')}`);
    this.name = 'PolicyError';
    this.errors = errors;
  }
}

module.exports = { PolicyError };
