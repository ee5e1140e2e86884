'use strict';
// SPEC §8 through the WebAssembly build (corsgate.wasm, bindings/wasm/build)
// under Node's WebAssembly: every tests/conformance vector, route files
// included, with the expectations the native surfaces meet.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { load } = require('../edge.js');

const wasm = path.join(__dirname, '..', 'corsgate.wasm');
const root = path.join(__dirname, '..', '..', '..', 'tests', 'conformance');

const LISTS = new Map([
  ['access-control-allow-methods', (x) => x],
  ['access-control-allow-headers', (x) => x.toLowerCase()],
  ['access-control-expose-headers', (x) => x.toLowerCase()],
]);
function normalizeHeaders(headers) {
  const out = new Map();
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    assert.ok(!out.has(n), `header ${n} set twice`);
    const item = LISTS.get(n);
    out.set(n, item ? [...new Set(value.split(',').map((v) => item(v.trim())))].sort().join(',') : value);
  }
  return Object.fromEntries([...out].sort());
}
const varySet = (v) => [...new Set(v.map((x) => x.toLowerCase()))].sort();

test('every conformance vector through the wasm module', () => {
  assert.ok(fs.existsSync(wasm), `${wasm} is missing: run bindings/wasm/build`);
  const { Policy, PolicyError } = load(fs.readFileSync(wasm));
  let cases = 0;
  let errorFiles = 0;
  for (const dir of [root, path.join(root, 'routes')]) {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const vector = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      const text = JSON.stringify(vector.policy);
      if (vector.errors) {
        errorFiles++;
        assert.throws(() => Policy.fromJson(text), (err) => {
          assert.ok(err instanceof PolicyError, file);
          const codes = err.errors.map((e) => e.code);
          for (const code of vector.errors) assert.ok(codes.includes(code), `${file}: ${code} missing from ${codes}`);
          return true;
        });
        continue;
      }
      const policy = Policy.fromJson(text);
      for (const c of vector.cases) {
        cases++;
        const label = `${file} / ${c.name}`;
        const headers = c.request.headers.map(([n, v]) => [n, v]);
        const d = policy.decide({ method: c.request.method, headers, path: c.request.path });
        assert.equal(d.kind, c.expect.kind, `${label}: kind`);
        assert.equal(d.allowed, c.expect.allowed, `${label}: allowed`);
        assert.equal(d.status, c.expect.status ?? null, `${label}: status`);
        if ('reason' in c.expect) assert.equal(d.reason, c.expect.reason, `${label}: reason`);
        assert.deepEqual(normalizeHeaders(d.headers), normalizeHeaders(c.expect.headers), `${label}: headers`);
        assert.deepEqual(varySet(d.vary), varySet(c.expect.vary), `${label}: vary`);
      }
    }
  }
  assert.ok(cases >= 451, `${cases} cases`);
  assert.ok(errorFiles >= 42, `${errorFiles} error files`);
});

test('an origin predicate answers from JS; a throw is "no"', () => {
  const { Policy } = load(fs.readFileSync(wasm));
  const policy = Policy.fromJson('{"origins": ["https://app.example.com"]}', {
    originPredicate: (o) => {
      if (o === 'https://boom.example') throw new Error('db down');
      return o.endsWith('.tenant.example');
    },
  });
  const get = (origin) => policy.decide({ method: 'GET', headers: { Origin: origin } });
  assert.equal(get('https://a.tenant.example').allowed, true);
  assert.equal(get('https://evil.example').allowed, false);
  assert.equal(get('https://boom.example').allowed, false);
  assert.deepEqual(get('https://app.example.com').headers, [['Access-Control-Allow-Origin', 'https://app.example.com']]);
});

test('Web Headers objects are read as a runtime gives them', () => {
  const { Policy } = load(fs.readFileSync(wasm));
  const policy = Policy.fromToml('origins = ["https://app.example.com"]\nmethods = ["PUT"]');
  const d = policy.decide({
    method: 'OPTIONS',
    headers: new Headers({ Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'PUT' }),
  });
  assert.equal(d.kind, 'preflight');
  assert.equal(d.status, 204);
  assert.equal(d.contentLength, null);
});

test('withCors: preflights answered without the handler, headers and Vary on its response', async () => {
  const { Policy, withCors } = load(fs.readFileSync(wasm));
  const policy = Policy.fromToml('origins = ["https://app.example.com"]\nmethods = ["PUT"]\nexpose_headers = ["X-Total"]');
  let calls = 0;
  const fetchHandler = withCors(policy, async (request) => {
    calls++;
    const url = new URL(request.url);
    if (url.pathname === '/redirect') return Response.redirect('https://example.com/', 302);
    return new Response('hi', {
      headers: { Vary: 'Accept-Encoding', 'Access-Control-Allow-Methods': 'BOGUS', 'Access-Control-Foo': 'x' },
    });
  });
  const APP = 'https://app.example.com';
  const pre = await fetchHandler(
    new Request('https://api.example.com/x', { method: 'OPTIONS', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' } }),
  );
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-methods'), 'PUT');
  assert.equal(pre.headers.get('vary'), 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  assert.equal(calls, 0);
  const refused = await fetchHandler(
    new Request('https://api.example.com/x', { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' } }),
  );
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('content-length'), '0');
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  const res = await fetchHandler(new Request('https://api.example.com/x', { headers: { Origin: APP } }));
  assert.equal(await res.text(), 'hi');
  assert.equal(res.headers.get('access-control-allow-origin'), APP);
  assert.equal(res.headers.get('access-control-expose-headers'), 'X-Total');
  assert.equal(res.headers.get('access-control-allow-methods'), null, 'stray CORS headers are removed');
  assert.equal(res.headers.get('access-control-foo'), null);
  assert.equal(res.headers.get('vary'), 'Accept-Encoding, Origin');
  // Immutable headers: the response is copied once, then changed.
  const moved = await fetchHandler(new Request('https://api.example.com/redirect', { headers: { Origin: APP } }));
  assert.equal(moved.status, 302);
  assert.equal(moved.headers.get('location'), 'https://example.com/');
  assert.equal(moved.headers.get('access-control-allow-origin'), APP);
  assert.equal(calls, 2);
});

test('withCors: a policy from the env, with routes picked by the URL path', async () => {
  const { Policy, withCors } = load(fs.readFileSync(wasm));
  const fromEnv = (env) => Policy.fromJson(env.CORS_POLICY);
  const env = {
    CORS_POLICY: JSON.stringify({
      routes: [
        { path: '/api/**', policy: { origins: ['https://app.example.com'] } },
        { path: '/**', policy: false },
      ],
    }),
  };
  const handler = withCors(fromEnv, () => new Response('ok'));
  const get = (p) => handler(new Request(`https://api.example.com${p}`, { headers: { Origin: 'https://app.example.com' } }), env);
  assert.equal((await get('/api/a')).headers.get('access-control-allow-origin'), 'https://app.example.com');
  assert.equal((await get('/page')).headers.get('access-control-allow-origin'), null);
  assert.throws(() => withCors({}, () => {}), TypeError);
});

test('the wasm module and the native addon decide alike on arbitrary input', () => {
  const fc = require('fast-check');
  const native = require('..');
  const { Policy } = load(fs.readFileSync(wasm));
  // Every valid vector policy, built by both bindings.
  const pairs = [];
  for (const dir of [root, path.join(root, 'routes')]) {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const vector = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      if (vector.errors) continue;
      const text = JSON.stringify(vector.policy);
      pairs.push([file, native.Policy.fromJson(text), Policy.fromJson(text)]);
    }
  }
  const value = fc.oneof(
    fc.constantFrom('https://app.example.com', 'http://localhost:8080', 'PUT', 'content-type, x-a', 'true', 'null', ''),
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.string({ unit: 'grapheme', maxLength: 16 }),
    fc.constantFrom('https://bücher.example.com', 'PÜT', 'x-caf\u00e9', 'https://app.example.com\u0100', ' DELETE\t'),
  );
  const name = fc.constantFrom('Origin', 'access-control-request-method', 'Access-Control-Request-Headers', 'access-control-request-private-network', 'X-Other');
  const method = fc.oneof(fc.constantFrom('GET', 'POST', 'OPTIONS', 'options', 'PUT', 'PATCH'), fc.string({ unit: 'binary', maxLength: 8 }));
  const requestPath = fc.constantFrom('/', '/api/x', '/admin/a', '/%61dmin/x', '/public/../admin', '/files/\u00e9');
  fc.assert(
    fc.property(fc.nat(pairs.length - 1), method, fc.array(fc.tuple(name, value), { maxLength: 6 }), requestPath, (i, m, lines, p) => {
      const [file, a, b] = pairs[i];
      const request = { method: m, headers: lines, path: p };
      const x = a.decide(request);
      const y = b.decide(request);
      assert.deepEqual(
        [y.kind, y.allowed, y.status, y.reason, y.headers, y.vary, y.contentLength],
        [x.kind, x.allowed, x.status, x.reason, [...x.headers].map((h) => [...h]), [...x.vary], x.contentLength],
        file,
      );
    }),
    { numRuns: 3000 },
  );
});

test('corsgate/edge as an ES module, and the wasm file by its package path', async () => {
  const esm = await import('corsgate/edge');
  const cjs = require('corsgate/edge');
  assert.equal(esm.load, cjs.load);
  assert.equal(esm.default, cjs);
  const bytes = fs.readFileSync(require.resolve('corsgate/corsgate.wasm'));
  const { Policy } = esm.load(new WebAssembly.Module(bytes));
  const d = Policy.fromToml('origins = ["https://app.example.com"]').decide({
    method: 'GET',
    headers: new Headers({ Origin: 'https://app.example.com' }),
  });
  assert.deepEqual(d.headers, [['Access-Control-Allow-Origin', 'https://app.example.com']]);
  assert.throws(() => esm.load('corsgate.wasm'), /WebAssembly\.Module \(import wasm from 'corsgate\/corsgate\.wasm'\)/);
});

test('a decision stays right after the module memory grows', () => {
  const { Policy } = load(fs.readFileSync(wasm));
  const small = Policy.fromJson('{"origins": ["https://app.example.com"]}');
  const get = { method: 'GET', headers: { origin: 'https://app.example.com' } };
  assert.equal(small.decide(get).allowed, true);
  // Thousands of origins: compiling them grows the memory, detaching the old buffer.
  const many = Array.from({ length: 20000 }, (_, i) => `https://tenant-${i}.example.net`);
  const big = Policy.fromJson(JSON.stringify({ origins: many }));
  assert.equal(big.decide({ method: 'GET', headers: { origin: 'https://tenant-19999.example.net' } }).allowed, true);
  assert.equal(small.decide(get).allowed, true);
  assert.equal(small.decide({ method: 'GET', headers: { origin: 'https://evil.example' } }).allowed, false);
});

test('withCors: a Vary the handler set that already names Origin is left as it is', async () => {
  const { Policy, withCors } = load(fs.readFileSync(wasm));
  const policy = Policy.fromJson('{"origins": ["https://app.example.com"]}');
  for (const [vary, want] of [
    ['Origin', 'Origin'],
    ['accept-encoding, origin', 'accept-encoding, origin'],
    ['*', '*'],
    ['Accept', 'Accept, Origin'],
  ]) {
    const handler = withCors(policy, () => new Response('x', { headers: { vary } }));
    const r = await handler(new Request('https://api.example/', { headers: { origin: 'https://app.example.com' } }));
    assert.equal(r.headers.get('vary'), want, vary);
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example.com');
  }
});

test('header values larger than the input buffer reach core whole, and core refuses them', async () => {
  const { Policy, withCors } = load(fs.readFileSync(wasm));
  const policy = Policy.fromJson('{"origins": ["https://app.example.com"], "methods": ["PUT"], "request_headers": ["*"]}');
  const huge = 'x-a,'.repeat(50_000); // 200 KB, over the module's first 64 KiB
  const d = policy.decide({
    method: 'OPTIONS',
    headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': huge },
  });
  assert.equal(d.kind, 'preflight');
  assert.equal(d.allowed, false);
  assert.equal(d.reason, 'invalid-request-headers');
  const long = policy.decide({ method: 'GET', headers: { origin: `https://${'a'.repeat(100_000)}.example.com` } });
  assert.equal(long.allowed, false);
  assert.equal(long.reason, 'invalid-origin');
  // The buffer stays grown and every later decision is right.
  assert.equal(policy.decide({ method: 'GET', headers: { origin: 'https://app.example.com' } }).allowed, true);
  const handler = withCors(policy, () => new Response('x', { headers: { vary: `${'X-Long, '.repeat(20_000)}Accept` } }));
  const r = await handler(new Request('https://api.example/', { headers: { origin: 'https://app.example.com' } }));
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example.com');
  assert.ok(r.headers.get('vary').endsWith('Accept, Origin'));
});
