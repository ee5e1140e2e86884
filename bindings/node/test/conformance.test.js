'use strict';
// SPEC §8: every tests/conformance/*.json vector through `policy.decide`, with
// the policy built from JSON and from camelCase options, and each request
// given as [name, value] pairs, as Node's rawHeaders and as a req.headers-like
// object. Invalid policies must throw a PolicyError listing every expected code.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
// CORSGATE_PROJECT=DIR: the corsgate that project installed (tests/suites/release.sh).
const { Policy, PolicyError } = process.env.CORSGATE_PROJECT
  ? createRequire(path.join(process.env.CORSGATE_PROJECT, 'package.json'))('corsgate')
  : require('..');

const dir = path.join(__dirname, '..', '..', '..', 'tests', 'conformance');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** SPEC §2 snake_case keys -> the camelCase `new Policy` takes (unknown keys kept). */
function camelize(value) {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    out[k.replace(/_([a-z])/g, (_, c) => c.toUpperCase())] = camelize(v);
  }
  return out;
}

const LISTS = new Map([
  ['access-control-allow-methods', (x) => x], // methods are case-sensitive
  ['access-control-allow-headers', (x) => x.toLowerCase()],
  ['access-control-expose-headers', (x) => x.toLowerCase()],
]);

/** A header set as SPEC §8 compares it: names lowercased, list values as sorted item sets. */
function normalizeHeaders(headers) {
  const out = new Map();
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    assert.ok(!out.has(n), `header ${n} set twice`);
    const item = LISTS.get(n);
    out.set(
      n,
      item
        ? [...new Set(value.split(',').map((x) => item(x.trim())))].sort().join(',')
        : value,
    );
  }
  return Object.fromEntries([...out].sort());
}

function check(decision, expect, label) {
  assert.equal(decision.kind, expect.kind, `${label}: kind`);
  assert.equal(decision.allowed, expect.allowed, `${label}: allowed`);
  assert.equal(decision.status, expect.status ?? null, `${label}: status`);
  if ('reason' in expect) assert.equal(decision.reason, expect.reason, `${label}: reason`);
  assert.deepEqual(normalizeHeaders(decision.headers), normalizeHeaders(expect.headers), `${label}: headers`);
  const vary = (v) => [...new Set(v.map((x) => x.toLowerCase()))].sort();
  assert.deepEqual(vary(decision.vary), vary(expect.vary), `${label}: vary`);
}

/** The same header lines as Node's rawHeaders and as a req.headers-like object. */
function shapes(pairs) {
  const raw = pairs.flat();
  const object = {};
  for (const [name, value] of pairs) {
    const k = name.toLowerCase();
    if (k in object) object[k] = [].concat(object[k], value);
    else object[k] = value;
  }
  return { pairs, raw, object };
}

let requestCases = 0;
let errorFiles = 0;

for (const file of files) {
  const vector = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  if (vector.errors) {
    errorFiles += 1;
    test(`${file}: invalid policy`, () => {
      const builds = {
        json: () => Policy.fromJson(JSON.stringify(vector.policy)),
        options: () => new Policy(camelize(vector.policy)),
      };
      for (const [how, build] of Object.entries(builds)) {
        assert.throws(
          build,
          (err) => {
            assert.ok(err instanceof PolicyError, `${how}: a PolicyError`);
            assert.ok(err instanceof Error);
            const codes = err.errors.map((e) => e.code);
            for (const code of vector.errors) {
              assert.ok(codes.includes(code), `${how}: expected ${code} in ${codes.join(', ')}`);
            }
            for (const e of err.errors) {
              for (const key of ['code', 'value', 'message', 'fix']) assert.equal(typeof e[key], 'string');
            }
            return true;
          },
          how,
        );
      }
    });
    continue;
  }
  const policies = {
    json: Policy.fromJson(JSON.stringify(vector.policy)),
    options: new Policy(camelize(vector.policy)),
  };
  requestCases += vector.cases.length;
  test(`${file}: ${vector.cases.length} cases`, () => {
    for (const c of vector.cases) {
      const forms = shapes(c.request.headers);
      for (const [how, policy] of Object.entries(policies)) {
        for (const [form, headers] of Object.entries(forms)) {
          const label = `${c.name} [${how}, ${form}]`;
          const decision = policy.decide({ method: c.request.method, headers });
          check(decision, c.expect, label);
          // Twice: the second decision of a shape comes from the JS-side cache.
          check(policy.decide({ method: c.request.method, headers }), c.expect, `${label} (cached)`);
          if (decision.allowed || decision.kind === 'not-cors') {
            assert.equal(decision.explain('https://api.example/'), null, `${label}: explain`);
          } else {
            const e = decision.explain('https://api.example/');
            assert.equal(e.reason, decision.reason, `${label}: explain reason`);
            assert.match(e.chrome, /blocked by CORS policy/);
          }
        }
      }
    }
  });
}

test('the vectors are all there', () => {
  assert.equal(requestCases, 451);
  assert.equal(errorFiles, 42);
});

// Route files (tests/conformance/routes/): the policy is picked by `path`.
const routeDir = path.join(dir, 'routes');
let routeCases = 0;
let routeErrorFiles = 0;
for (const file of fs.readdirSync(routeDir).filter((f) => f.endsWith('.json')).sort()) {
  const vector = JSON.parse(fs.readFileSync(path.join(routeDir, file), 'utf8'));
  if (vector.errors) {
    routeErrorFiles += 1;
    test(`routes/${file}: invalid route file`, () => {
      assert.throws(
        () => Policy.fromJson(JSON.stringify(vector.policy)),
        (err) => {
          assert.ok(err instanceof PolicyError);
          const codes = err.errors.map((e) => e.code);
          for (const code of vector.errors) assert.ok(codes.includes(code), `expected ${code} in ${codes}`);
          return true;
        },
      );
    });
    continue;
  }
  const policy = Policy.fromJson(JSON.stringify(vector.policy));
  const again = Policy.fromJson(JSON.stringify(policy.toJSON()));
  routeCases += vector.cases.length;
  test(`routes/${file}: ${vector.cases.length} cases`, () => {
    assert.ok(policy.hasRoutes);
    for (const c of vector.cases) {
      const p = c.request.path ?? '/';
      for (const [form, headers] of Object.entries(shapes(c.request.headers))) {
        const label = `${c.name} (${p}) [${form}]`;
        check(policy.decide({ method: c.request.method, headers, path: p }), c.expect, label);
        check(policy.decide({ method: c.request.method, headers, path: p }), c.expect, `${label} (cached)`);
        check(again.decide({ method: c.request.method, headers, path: p }), c.expect, `${label} (toJSON)`);
      }
      const own = policy.policyFor(p);
      if (own === null) assert.equal(c.expect.kind, 'not-cors', c.name);
      else check(own.decide({ method: c.request.method, headers: c.request.headers }), c.expect, `${c.name} (policyFor)`);
    }
  });
}

test('the route vectors are all there', () => {
  assert.ok(routeCases >= 25, `${routeCases} route cases`);
  assert.ok(routeErrorFiles >= 5, `${routeErrorFiles} invalid route files`);
});
