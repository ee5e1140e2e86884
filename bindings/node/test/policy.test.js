'use strict';
// The Policy API: constructors, the predicate contract (SPEC §3), explain,
// lint, toJSON, and the forms of headers decide() accepts.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const corsgate = require('..');
const { Policy, PolicyError, Decision } = corsgate;

const APP = 'https://app.example.com';

const get = (policy, origin) => policy.decide({ method: 'GET', headers: origin === undefined ? {} : { origin } });

test('camelCase options map to the SPEC keys', () => {
  const policy = new Policy({
    origins: [APP],
    credentials: true,
    methods: ['PUT'],
    requestHeaders: ['content-type'],
    exposeHeaders: ['x-request-id'],
    maxAge: 600,
    preflightStatus: 200,
    refusedPreflightStatus: 400,
    privateNetwork: { allow: true, id: '01:23:45:67:89:0A', name: 'printer' },
    dangerous: { allowNullOrigin: false, allowInsecureOriginsWithCredentials: false },
    format: { separator: ',', exposeHeadersSeparator: ', ', requestHeadersCase: 'as-configured' },
  });
  assert.deepEqual(policy.toJSON(), {
    origins: [APP],
    credentials: true,
    methods: ['PUT'],
    request_headers: ['content-type'],
    expose_headers: ['x-request-id'],
    max_age: 600,
    preflight_status: 200,
    refused_preflight_status: 400,
    private_network: { allow: true, id: '01:23:45:67:89:0A', name: 'printer' },
    dangerous: {
      allow_null_origin: false,
      allow_insecure_origins_with_credentials: false,
      allow_public_suffix_wildcards_with_credentials: false,
    },
    format: {
      methods_separator: ',',
      request_headers_separator: ',',
      expose_headers_separator: ', ',
      request_headers_case: 'as-configured',
      request_headers_wildcard: 'star',
      full_vary: false,
      vary_case: 'canonical',
    },
  });
});

test('PolicyError lists every problem, in camelCase for options', () => {
  let caught;
  try {
    new Policy({ origins: ['*', 'https://x.example/'], credentials: true, maxAge: 1e6, requestHeader: ['a'] });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PolicyError);
  assert.ok(caught instanceof Error);
  assert.equal(caught.name, 'PolicyError');
  const codes = caught.errors.map((e) => e.code).sort();
  assert.deepEqual(codes, [
    'any-origin-with-credentials',
    'invalid-origin',
    'invalid-origin',
    'max-age-out-of-range',
    'unknown-field',
  ]);
  const unknown = caught.errors.find((e) => e.code === 'unknown-field');
  assert.equal(unknown.value, 'requestHeader');
  assert.match(unknown.fix, /requestHeaders/);
  assert.match(caught.errors.find((e) => e.code === 'max-age-out-of-range').message, /`maxAge`/);
  assert.match(caught.message, /5 problems/);
  for (const e of caught.errors) assert.match(caught.message, new RegExp(`\\[${e.code}\\]`));
});

test('text policies: JSON, TOML, files', () => {
  const json = Policy.fromJson(JSON.stringify({ origins: [APP], methods: ['PUT'] }));
  const toml = Policy.fromToml(`origins = ["${APP}"]\nmethods = ["PUT"]`);
  assert.deepEqual(json.toJSON(), toml.toJSON());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corsgate-'));
  try {
    fs.writeFileSync(path.join(dir, 'cors.toml'), `origins = ["${APP}"]\nmethods = ["PUT"]\n`);
    fs.writeFileSync(path.join(dir, 'cors.json'), JSON.stringify({ origins: [APP], methods: ['PUT'] }));
    fs.writeFileSync(path.join(dir, 'policy'), JSON.stringify({ origins: [APP], methods: ['PUT'] }));
    for (const name of ['cors.toml', 'cors.json', 'policy']) {
      assert.deepEqual(Policy.fromFile(path.join(dir, name)).toJSON(), json.toJSON(), name);
    }
    assert.throws(() => Policy.fromFile(path.join(dir, 'missing.toml')), { code: 'ENOENT' });
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
  assert.throws(() => Policy.fromJson('{"origins": ['), (err) => err.errors[0].code === 'invalid-syntax');
  assert.throws(() => Policy.fromToml('origins = ['), (err) => err.errors[0].code === 'invalid-syntax');
  assert.throws(() => Policy.fromJson(42), TypeError);
  assert.throws(() => new Policy(), TypeError);
  assert.throws(() => new Policy('{"origins":["*"]}'), TypeError);
});

test('decide returns a Decision with the SPEC §5 fields', () => {
  const policy = new Policy({ origins: [APP], methods: ['PUT'] });
  const d = policy.decide({
    method: 'OPTIONS',
    headers: { origin: APP, 'access-control-request-method': 'PUT' },
  });
  assert.ok(d instanceof Decision);
  assert.deepEqual(
    { ...d },
    {
      kind: 'preflight',
      allowed: true,
      status: 204,
      headers: [
        ['Access-Control-Allow-Origin', APP],
        ['Access-Control-Allow-Methods', 'PUT'],
      ],
      vary: ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers'],
      reason: null,
      contentLength: null,
    },
  );
  assert.equal(d.explain(), null);
  const ok200 = new Policy({ origins: [APP], methods: ['PUT'], preflightStatus: 200 });
  const pre = { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'PUT' } };
  assert.equal(ok200.decide(pre).contentLength, '0');
  assert.equal(ok200.decide({ method: 'GET', headers: { origin: APP } }).contentLength, null);
});

test('header forms: req.headers, rawHeaders, pairs, Map, mixed-case names', () => {
  const policy = new Policy({ origins: [APP] });
  const forms = [
    { origin: APP },
    { Origin: APP },
    ['Host', 'api.example.com', 'ORIGIN', APP],
    [
      ['host', 'api.example.com'],
      ['Origin', APP],
    ],
    new Map([['origin', APP]]),
  ];
  for (const headers of forms) {
    const d = policy.decide({ method: 'GET', headers });
    assert.equal(d.allowed, true, JSON.stringify([...Object.entries(headers)]));
    assert.deepEqual(d.headers, [['Access-Control-Allow-Origin', APP]]);
  }
  for (const headers of [undefined, null, {}, [], new Map()]) {
    assert.equal(policy.decide({ method: 'GET', headers }).kind, 'not-cors');
  }
});

test('explain says why, with the console messages', () => {
  const policy = new Policy({ origins: [APP], methods: ['PUT'] });
  const d = policy.decide({
    method: 'OPTIONS',
    headers: { origin: APP, 'access-control-request-method': 'DELETE' },
  });
  assert.equal(d.reason, 'method-not-allowed');
  const e = d.explain('https://api.example.com/items');
  assert.equal(e.reason, 'method-not-allowed');
  assert.match(e.chrome, /^Access to fetch at 'https:\/\/api\.example\.com\/items' from origin 'https:\/\/app\.example\.com'/);
  assert.match(e.firefox, /Cross-Origin Request Blocked/);
  assert.equal(typeof e.summary, 'string');
  assert.match(e.fix, /DELETE/);
  assert.throws(() => d.explain(42), TypeError);
});

test('lint reports risky but legal choices', () => {
  const codes = new Policy({ origins: ['http://app.example.com'], methods: ['patch'], maxAge: 86400 })
    .lint()
    .map((w) => w.code)
    .sort();
  assert.deepEqual(codes, ['insecure-origin', 'lowercase-method', 'max-age-above-chrome-cap']);
  const age = new Policy({ origins: [APP], maxAge: 86400 }).lint()[0];
  assert.equal(age.key, 'maxAge');
  assert.match(age.message, /^`maxAge` is 86400/);
  assert.equal(Policy.fromJson(`{"origins": ["${APP}"], "max_age": 86400}`).lint()[0].key, 'max_age');
  assert.throws(
    () => new Policy({ origins: [APP], privateNetwork: { id: 'nope' } }),
    (err) => err.errors.some((e) => e.key === 'privateNetwork.id' && e.message.startsWith('`privateNetwork.id`')),
  );
  assert.deepEqual(new Policy({ origins: [APP] }).lint(), []);
});

test('the predicate: called at most once, only for valid unmatched non-null origins', () => {
  const calls = [];
  const policy = new Policy({
    origins: [APP],
    credentials: true,
    originPredicate: (origin) => {
      calls.push(origin);
      return origin.endsWith('.tenant.example');
    },
  });
  assert.equal(get(policy, APP).allowed, true);
  assert.deepEqual(calls, [], 'a configured origin does not ask the predicate');
  for (const origin of ['null', 'not an origin', 'https://A.tenant.example', `${APP}, ${APP}`, '']) {
    assert.equal(get(policy, origin).allowed, false, origin);
  }
  assert.equal(get(policy, undefined).kind, 'not-cors');
  assert.deepEqual(calls, [], 'invalid, null and absent origins do not ask the predicate');

  const d = get(policy, 'https://a.tenant.example');
  assert.equal(d.allowed, true);
  assert.deepEqual(d.headers, [
    ['Access-Control-Allow-Origin', 'https://a.tenant.example'],
    ['Access-Control-Allow-Credentials', 'true'],
  ]);
  assert.deepEqual(calls, ['https://a.tenant.example'], 'asked exactly once');

  calls.length = 0;
  assert.equal(get(policy, 'http://b.tenant.example').allowed, false, 'insecure origin with credentials');
  assert.deepEqual(calls, [], 'core refuses insecure origins before asking');

  calls.length = 0;
  const padded = get(policy, '  https://c.tenant.example\t');
  assert.equal(padded.allowed, true);
  assert.deepEqual(calls, ['https://c.tenant.example'], 'the predicate sees the origin core trimmed');
  assert.deepEqual(padded.headers[0], ['Access-Control-Allow-Origin', 'https://c.tenant.example']);

  calls.length = 0;
  const pre = policy.decide({
    method: 'OPTIONS',
    headers: { origin: 'https://d.tenant.example', 'access-control-request-method': 'GET' },
  });
  assert.equal(pre.allowed, true);
  assert.deepEqual(calls, ['https://d.tenant.example']);
  assert.equal(pre.explain(), null, 'explain replays the predicate answer');
  const refused = get(policy, 'https://evil.example');
  assert.match(refused.explain().summary, /evil\.example/);
});

test('one crossing into Rust per request, the predicate asked from inside it', () => {
  const native = require('../lib/native.js');
  const counts = { decide: 0, full: 0, explain: 0 };
  const originals = {};
  for (const name of Object.keys(counts)) {
    originals[name] = native[name];
    native[name] = (...args) => {
      counts[name] += 1;
      return originals[name](...args);
    };
  }
  try {
    const policy = new Policy({ origins: [APP], originPredicate: (o) => o.endsWith('.tenant.example') });
    const requests = [APP, 'https://a.tenant.example', 'https://evil.example'];
    for (const origin of requests) get(policy, origin); // shapes fetched once per policy
    for (const k of Object.keys(counts)) counts[k] = 0;
    const answers = requests.map((origin) => get(policy, origin).allowed);
    assert.deepEqual(answers, [true, true, false]);
    assert.deepEqual(counts, { decide: 3, full: 0, explain: 0 });
    // Explaining renders what the decision carried: no second decision.
    const refused = get(policy, 'https://evil.example');
    counts.decide = 0;
    assert.match(refused.explain().summary, /'https:\/\/evil\.example' is not allowed/);
    assert.deepEqual(counts, { decide: 0, full: 0, explain: 1 });
  } finally {
    Object.assign(native, originals);
  }
});

test('a predicate that throws or returns a non-boolean counts as no', () => {
  for (const predicate of [
    () => {
      throw new Error('database down');
    },
    () => 'yes',
    () => 1,
    async () => true,
    () => undefined,
  ]) {
    const policy = new Policy({ origins: [], originPredicate: predicate });
    const d = get(policy, 'https://a.example');
    assert.equal(d.allowed, false);
    assert.equal(d.reason, 'origin-not-allowed');
  }
  assert.throws(() => new Policy({ origins: [APP], originPredicate: 'yes' }), TypeError);
  assert.throws(
    () => new Policy({ origins: ['*'], originPredicate: () => true }),
    (err) => err instanceof PolicyError && err.errors.some((e) => e.code === 'invalid-origin'),
  );
  assert.throws(() => new Policy({ origins: [] }), (err) => err.errors.some((e) => e.code === 'no-origins'));
  const fromText = Policy.fromJson('{"origins": []}', { originPredicate: (o) => o === APP });
  assert.equal(get(fromText, APP).allowed, true);
});

test('a predicate may use another policy (re-entrant decide)', () => {
  const inner = new Policy({ origins: ['https://*.partner.example'] });
  const outer = new Policy({
    origins: [APP],
    originPredicate: (origin) => get(inner, origin).allowed,
  });
  assert.equal(get(outer, 'https://x.partner.example').allowed, true);
  assert.equal(get(outer, 'https://x.other.example').allowed, false);
});

test('VERSION is the core version', () => {
  assert.match(corsgate.VERSION, /^\d+\.\d+\.\d+/);
  assert.equal(corsgate.VERSION, require('../package.json').version);
});

test('index.d.ts declares exactly what index.js exports', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');
  const declared = [...dts.matchAll(/^export declare (?:class|const|function) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(corsgate).sort(), declared.sort());
  const express = require('../express');
  assert.equal(express.default, express);
  assert.equal(express.corsgate, express);
  const expressDts = fs.readFileSync(path.join(__dirname, '..', 'express.d.ts'), 'utf8');
  assert.match(expressDts, /export \{ self as corsgate, self as default \}/);
  assert.match(expressDts, /^export = corsgate;$/m);
});

test('explain quotes the offending item from where the decision found it', () => {
  const policy = new Policy({ origins: [APP], requestHeaders: ['x-a'] });
  const preflight = (headers) => policy.decide({ method: 'OPTIONS', headers: {
    origin: APP, 'access-control-request-method': 'GET', ...headers } });
  const pad = ' '.repeat(600);
  const d = preflight({ 'access-control-request-headers': `x-a,${pad}X-Nope , x-b` });
  assert.equal(d.explain().summary, "the request header 'x-nope' is not in `request_headers`");
  // Repeated lines go through the general path, which carries the value itself.
  const r = policy.decide({ method: 'OPTIONS', headers: [['Origin', APP],
    ['Access-Control-Request-Method', 'GET'], ['Access-Control-Request-Headers', 'x-a'],
    ['Access-Control-Request-Headers', 'x-c']] });
  assert.equal(r.explain().summary, "the request header 'x-c' is not in `request_headers`");
  // Too long to carry as a span: explain is given the whole value.
  const long = `  https://${'a'.repeat(300000)}.example`;
  const t = policy.decide({ method: 'GET', headers: { origin: long } });
  assert.equal(t.reason, 'invalid-origin');
  assert.match(t.explain().summary, /is 300016 bytes long, over the limit of 512/);
});

test('a policy file with routes', () => {
  const policy = Policy.fromJson(
    JSON.stringify({
      routes: [
        { path: '/api/public/**', policy: { origins: ['*'] } },
        { path: '/admin/**', policy: false },
        { path: '/api/**', policy: { origins: ['https://app.example.com'] } },
      ],
    }),
  );
  assert.equal(policy.hasRoutes, true);
  assert.deepEqual(
    policy.routes.map(([p, route]) => [p, route === null]),
    [
      ['/api/public/**', false],
      ['/admin/**', true],
      ['/api/**', false],
    ],
  );
  const headers = { origin: 'https://app.example.com' };
  assert.equal(policy.decide({ method: 'GET', headers, path: '/api/x' }).allowed, true);
  const outside = policy.decide({ method: 'GET', headers, path: '/about' });
  assert.equal(outside.kind, 'not-cors');
  assert.deepEqual([outside.headers, outside.vary, outside.explain()], [[], [], null]);
  assert.equal(policy.decide({ method: 'GET', headers, path: '/api/x/../../admin/' }).kind, 'not-cors');
  assert.throws(() => policy.decide({ method: 'GET', headers }), /needs the request path/);
  assert.throws(() => policy.decide({ method: 'GET', headers, path: 7 }), /path must be a string/);
  assert.equal(policy.policyFor('/admin/x'), null);
  assert.equal(policy.policyFor('/api/x').hasRoutes, false);
  // A policy without routes: itself for every path.
  const single = new Policy({ origins: ['*'] });
  assert.equal(single.hasRoutes, false);
  assert.equal(single.policyFor('/x'), single);
  assert.deepEqual(single.routes, []);
  assert.ok(single.decide({ method: 'GET', headers, path: '/x' }).allowed);
  // Lint sees the routes.
  const shadowed = Policy.fromJson(
    JSON.stringify({
      routes: [
        { path: '/**', policy: { origins: ['*'] } },
        { path: '/api', policy: false },
      ],
    }),
  );
  assert.ok(shadowed.lint().some((w) => w.code === 'route-never-matches'));
  assert.equal(policy.toJSON().routes[1].policy, false);
});
