'use strict';
// Hostile and wrong input: nothing crashes, nothing hangs, memory stays flat,
// and a policy works from worker threads.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { Policy, PolicyError } = require('..');

const APP = 'https://app.example.com';
const policy = new Policy({
  origins: [APP],
  credentials: true,
  methods: ['PUT'],
  requestHeaders: ['*', 'authorization'],
  exposeHeaders: ['x-request-id'],
});
const preflight = (headers) => policy.decide({ method: 'OPTIONS', headers: { origin: APP, ...headers } });

test('non-string header values and names are a TypeError, not a crash', () => {
  for (const value of [42, true, {}, () => APP, Symbol('x'), 10n]) {
    assert.throws(() => policy.decide({ method: 'GET', headers: { origin: value } }), TypeError);
    assert.throws(() => policy.decide({ method: 'GET', headers: [['origin', value]] }), TypeError);
    assert.throws(() => policy.decide({ method: 'GET', headers: ['origin', value] }), TypeError);
    assert.throws(() => policy.decide({ method: 'GET', headers: { origin: [APP, value] } }), TypeError);
  }
  assert.throws(() => policy.decide({ method: 'GET', headers: [[42, APP]] }), TypeError);
  assert.throws(() => policy.decide({ method: 'GET', headers: ['origin'] }), TypeError);
  assert.throws(() => policy.decide({ method: 'GET', headers: [['origin']] }), TypeError);
  assert.throws(() => policy.decide({ method: 'GET', headers: 'origin: x' }), TypeError);
  assert.throws(() => policy.decide({ method: 42, headers: {} }), TypeError);
  assert.throws(() => policy.decide({ headers: {} }), TypeError);
  assert.throws(() => policy.decide(null), TypeError);
  assert.throws(() => policy.decide(), TypeError);
  // null and undefined values are absent headers, as in Node's req.headers.
  assert.equal(policy.decide({ method: 'GET', headers: { origin: undefined, 'x-other': 1 } }).kind, 'not-cors');
  assert.equal(policy.decide({ method: 'GET', headers: { origin: null } }).kind, 'not-cors');
});

test('arrays for single-valued headers are repeated lines: invalid', () => {
  const twice = policy.decide({ method: 'GET', headers: { origin: [APP, APP] } });
  assert.deepEqual([twice.kind, twice.allowed, twice.reason], ['actual', false, 'invalid-origin']);
  const raw = policy.decide({ method: 'GET', headers: ['Origin', APP, 'origin', APP] });
  assert.equal(raw.reason, 'invalid-origin');
  const acrm = preflight({ 'access-control-request-method': ['PUT', 'PUT'] });
  assert.deepEqual([acrm.status, acrm.reason], [403, 'invalid-method']);
  // ACRH may come on several lines: one list (SPEC §5).
  const acrh = preflight({ 'access-control-request-method': 'PUT', 'access-control-request-headers': ['x-a', 'X-B'] });
  assert.equal(acrh.allowed, true);
  assert.deepEqual(acrh.headers.find(([n]) => n === 'Access-Control-Allow-Headers'), [
    'Access-Control-Allow-Headers',
    'x-a,x-b',
  ]);
  const pna = preflight({
    'access-control-request-method': 'PUT',
    'access-control-request-private-network': ['true', 'true'],
  });
  assert.equal(pna.allowed, true);
  // An empty array is no line at all.
  assert.equal(policy.decide({ method: 'GET', headers: { origin: [] } }).kind, 'not-cors');
});

test('huge, control-laden and non-latin1 values are refused quickly', () => {
  const huge = 'a'.repeat(8 * 1024 * 1024);
  const cases = [
    [{ origin: `${APP}/${huge}` }, 'GET', 'invalid-origin'],
    [{ origin: `https://${huge}.example` }, 'GET', 'invalid-origin'],
    [{ origin: APP, 'access-control-request-method': huge }, 'OPTIONS', 'invalid-method'],
    [{ origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': ','.repeat(1e6) }, 'OPTIONS', 'invalid-request-headers'],
    [{ origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': huge }, 'OPTIONS', 'invalid-request-headers'],
    [{ origin: `${APP}\r\nSet-Cookie: a=b` }, 'GET', 'invalid-origin'],
    [{ origin: 'https://\u0161pp.example.com' }, 'GET', 'invalid-origin'],
    [{ origin: 'https://app.example.com\u0000' }, 'GET', 'invalid-origin'],
    [{ origin: APP, 'access-control-request-method': 'P\u0155T' }, 'OPTIONS', 'invalid-method'],
  ];
  const start = process.hrtime.bigint();
  for (const [headers, method, reason] of cases) {
    const d = policy.decide({ method, headers });
    assert.equal(d.allowed, false, JSON.stringify(headers).slice(0, 80));
    assert.equal(d.reason, reason);
    assert.deepEqual(d.headers, []);
    const e = d.explain();
    assert.ok(!/[\u0000-\u001f]/.test(JSON.stringify(e).replace(/\\[nrt]/g, '')), 'explanations are escaped');
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.ok(ms < 2000, `took ${ms} ms`);
  // U+0161 must not be read as 'a' (its low byte): the origin above stays refused.
  assert.equal(policy.decide({ method: 'GET', headers: { origin: 'https://\u0161pp.example.com' } }).allowed, false);
});

test('invalid policies of every type throw PolicyError listing all problems', () => {
  const bad = [
    [{ origins: 'https://app.example.com' }, ['invalid-type']],
    [{ origins: [42] }, ['invalid-type']],
    [{ origins: [APP], credentials: 'yes' }, ['invalid-type']],
    [{ origins: [APP], maxAge: 1.5 }, ['invalid-type']],
    [{ origins: [APP], maxAge: () => 1 }, ['invalid-type']],
    [{ origins: [APP], privateNetwork: true }, ['invalid-type']],
    [{ origins: [APP], methods: ['TRACE', 'bad method'] }, ['forbidden-method', 'invalid-method']],
    [{ origins: [APP], requestHeaders: ['cookie'], exposeHeaders: ['set-cookie'] }, ['forbidden-request-header', 'forbidden-response-header']],
    [{ origins: [APP], dangerous: { allowEverything: true } }, ['unknown-field']],
    [{ origins: [APP], maxAge: 10n ** 30n }, ['invalid-type']],
  ];
  for (const [options, codes] of bad) {
    assert.throws(
      () => new Policy(options),
      (err) => {
        assert.ok(err instanceof PolicyError);
        const got = err.errors.map((e) => e.code);
        for (const code of codes) assert.ok(got.includes(code), `${code} in ${got} for ${String(Object.keys(options))}`);
        return true;
      },
    );
  }
  assert.equal(new Policy({ origins: [APP], maxAge: 600n }).toJSON().max_age, 600);
});

test('1,000,000 decisions keep memory flat', () => {
  const headers = [
    { origin: APP },
    { origin: 'https://evil.example' },
    { origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type, X-A' },
    {},
  ];
  const methods = ['GET', 'GET', 'OPTIONS', 'GET'];
  const run = (n) => {
    let allowed = 0;
    for (let i = 0; i < n; i++) {
      const j = i & 3;
      if (policy.decide({ method: methods[j], headers: headers[j] }).allowed) allowed += 1;
    }
    return allowed;
  };
  run(100_000);
  global.gc?.();
  const before = process.memoryUsage().rss;
  assert.equal(run(1_000_000), 500_000);
  global.gc?.();
  const growth = (process.memoryUsage().rss - before) / 1024 / 1024;
  assert.ok(growth < 10, `RSS grew ${growth.toFixed(1)} MB`);
});

test('policies work from worker threads', async () => {
  const script = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { Policy } = require(workerData.pkg);
    const policy = Policy.fromJson(workerData.policy, { originPredicate: (o) => o.endsWith('.tenant.example') });
    let allowed = 0;
    for (let i = 0; i < 20000; i++) {
      const origin = i % 2 ? 'https://app.example.com' : 'https://t' + (i % 7) + '.tenant.example';
      if (policy.decide({ method: 'GET', headers: { origin } }).allowed) allowed += 1;
    }
    parentPort.postMessage(allowed);
  `;
  const pkg = path.join(__dirname, '..');
  const results = await Promise.all(
    Array.from({ length: 4 }, () => {
      const worker = new Worker(script, {
        eval: true,
        workerData: { pkg, policy: JSON.stringify({ origins: [APP] }) },
      });
      return new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  assert.deepEqual(results, [20000, 20000, 20000, 20000]);
  // The main thread's policy is unaffected.
  assert.equal(policy.decide({ method: 'GET', headers: { origin: APP } }).allowed, true);
});
