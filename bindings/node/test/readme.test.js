'use strict';
// Every ```js example in README.md runs (as an async function body, so it
// may `await`), with `assert` in scope.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
// Resolve `require('corsgate')` as a user would: the package references itself
// by name. CORSGATE_PROJECT=DIR resolves it from a project that installed the
// packed tarballs instead (tests/suites/release.sh).
const project = process.env.CORSGATE_PROJECT || path.join(__dirname, '..');
const requireFromPackage = createRequire(path.join(project, 'package.json'));

test('README has examples', () => {
  assert.ok(blocks.length >= 3, `${blocks.length} blocks`);
});

blocks.forEach((code, i) => {
  test(`README example ${i + 1}`, async () => {
    const logged = [];
    const console = { log: (...args) => logged.push(args.join(' ')) };
    const AsyncFunction = (async () => {}).constructor;
    await new AsyncFunction('require', 'assert', 'console', code)(requireFromPackage, assert, console);
    for (const line of logged) assert.equal(typeof line, 'string');
  });
});
