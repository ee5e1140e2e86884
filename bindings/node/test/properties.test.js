'use strict';
// Property tests (fast-check): the SPEC §6 invariants hold for every decision
// over random valid policies and arbitrary request input (control characters,
// non-ASCII, lone surrogates, repeated lines, arrays for single headers), the
// request forms agree (header object, rawHeaders array, [name, value] pairs),
// a policy built from options agrees with the same policy from JSON, and a
// non-string value is a TypeError, never a crash.

const test = require('node:test');
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { Policy } = require('..');

const RUNS = { numRuns: 500 };

const ORIGINS = [
  'https://app.example',
  'http://localhost:8080',
  'https://*.example.com',
  'http://localhost:*',
  'https://*.example.com:*',
  'http://[::1]:8080',
];
const READ = [
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
  'access-control-request-private-network',
];

const subset = (items, max) => fc.uniqueArray(fc.constantFrom(...items), { maxLength: max });

// A valid policy as SPEC §2 data (snake_case, for JSON) and as JS options (camelCase).
const policySpec = fc
  .record({
    anyOrigin: fc.boolean(),
    credentials: fc.boolean(),
    origins: fc.uniqueArray(fc.constantFrom(...ORIGINS), { minLength: 1, maxLength: 4 }),
    methods: fc.oneof(fc.constant(['*']), subset(['PUT', 'DELETE', 'PATCH', 'patch', 'X-CUSTOM', 'GET'], 4)),
    requestHeaders: fc.oneof(
      fc.constant(['*']),
      fc.constant(['*', 'authorization']),
      subset(['x-a', 'X-B', 'content-type', 'authorization'], 4),
    ),
    exposeAny: fc.boolean(),
    exposeHeaders: subset(['x-a', 'x-request-id', 'etag'], 3),
    maxAge: fc.option(fc.integer({ min: 0, max: 86400 }), { nil: undefined }),
    preflightStatus: fc.constantFrom(200, 204, 299),
    privateNetwork: fc.boolean(),
  })
  .map((r) => {
    const credentials = r.anyOrigin ? false : r.credentials;
    const data = {
      origins: r.anyOrigin ? ['*'] : r.origins,
      credentials,
      methods: r.methods,
      request_headers: r.requestHeaders,
      expose_headers: r.exposeAny && !credentials ? ['*'] : r.exposeHeaders,
      preflight_status: r.preflightStatus,
    };
    if (r.maxAge !== undefined) data.max_age = r.maxAge;
    if (!r.anyOrigin) data.private_network = { allow: r.privateNetwork };
    const options = {
      origins: data.origins,
      credentials,
      methods: data.methods,
      requestHeaders: data.request_headers,
      exposeHeaders: data.expose_headers,
      preflightStatus: data.preflight_status,
    };
    if (data.max_age !== undefined) options.maxAge = data.max_age;
    if (data.private_network) options.privateNetwork = data.private_network;
    return { data, options };
  });

const INTERESTING = [
  'https://app.example',
  'http://localhost:8080',
  'https://a.example.com',
  'https://a.b.example.com:8443',
  'http://localhost',
  'http://[::1]:8080',
  ' https://app.example\t',
  'https://app.example\r\nSet-Cookie: a=b',
  'https://app.example\u0000',
  'https://äpp.example',
  'https://app.example\udcff',
  'https://app.example\u2028',
  'null',
  '*',
  '',
  'PUT',
  ' DELETE\t',
  'patch',
  'CONNECT',
  'x-a, X-B',
  'authorization',
  'x-a, *',
  'content-type,,x-b',
  'true',
];
const anyText = fc.string({ unit: 'binary', maxLength: 24 });
const value = fc.oneof(
  fc.constantFrom(...INTERESTING),
  fc.tuple(fc.constantFrom(...INTERESTING), anyText).map(([a, b]) => a + b),
  anyText,
  fc.string({ unit: 'grapheme', maxLength: 16 }),
);
const name = fc.constantFrom(
  'Origin',
  'origin',
  'ORIGIN',
  'Access-Control-Request-Method',
  'access-control-request-headers',
  'Access-Control-Request-Private-Network',
  'X-Other',
  'Content-Type',
);
const method = fc.oneof(fc.constantFrom('GET', 'POST', 'OPTIONS', 'options', 'PUT', ''), anyText);
const lines = fc.array(fc.tuple(name, value), { maxLength: 6 });

const sameDecision = (a, b) => {
  assert.deepEqual(
    [a.kind, a.allowed, a.status, a.reason, a.headers, a.vary],
    [b.kind, b.allowed, b.status, b.reason, b.headers, b.vary],
  );
};

const originMatches = (pattern, origin) => {
  if (pattern === '*') return true;
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = escaped.replace(/\\\*\\\./g, '(?:[a-z0-9-]+\\.)+').replace(/:\\\*/g, '(?::\\d+)?');
  return new RegExp(`^${source}$`).test(origin);
};

function checkInvariants(data, decision, requestLines) {
  for (const [n, v] of decision.headers) {
    assert.match(n, /^[!-~]+$/);
    assert.match(v, /^[\t -~]*$/, `control or non-ASCII in ${n}: ${JSON.stringify(v)}`);
  }
  const lowered = decision.headers.map(([n, v]) => [n.toLowerCase(), v]);
  const acao = lowered.filter(([n]) => n === 'access-control-allow-origin').map(([, v]) => v);
  assert.ok(acao.length <= 1, 'at most one Access-Control-Allow-Origin');
  assert.equal(acao.length === 1, decision.allowed, 'ACAO present iff allowed');
  if (lowered.some(([n]) => n === 'access-control-allow-credentials')) {
    for (const [n, v] of lowered) {
      assert.ok(!v.split(',').some((item) => item.trim() === '*'), `* in ${n} beside credentials`);
    }
  }
  if (acao.length === 1 && acao[0] !== '*') {
    const sent = requestLines.filter(([n]) => n.toLowerCase() === 'origin').map(([, v]) => v.replace(/^[ \t]+|[ \t]+$/g, ''));
    assert.ok(sent.includes(acao[0]), 'echoed origin is the request Origin');
    assert.ok(data.origins.some((p) => originMatches(p, acao[0])), 'echoed origin is allowed');
  }
  assert.ok(['not-cors', 'preflight', 'actual'].includes(decision.kind));
  assert.equal(decision.status !== null, decision.kind === 'preflight');
  assert.ok(decision.reason === null || !decision.allowed);
}

// The same lines as a Node header object (lowercased keys, arrays when repeated).
const asObject = (requestLines) => {
  const object = {};
  for (const [n, v] of requestLines) {
    const key = n.toLowerCase();
    if (key in object) object[key] = [].concat(object[key], v);
    else object[key] = v;
  }
  return object;
};

test('SPEC §6 invariants; object, rawHeaders and pairs agree; options and JSON policies agree', () => {
  fc.assert(
    fc.property(policySpec, method, lines, ({ data, options }, m, requestLines) => {
      const policy = new Policy(options);
      const fromJson = Policy.fromJson(JSON.stringify(data));
      const decision = policy.decide({ method: m, headers: requestLines });
      checkInvariants(data, decision, requestLines);
      sameDecision(decision, fromJson.decide({ method: m, headers: requestLines }));
      sameDecision(decision, policy.decide({ method: m, headers: requestLines.flat() }));
      sameDecision(decision, policy.decide({ method: m, headers: asObject(requestLines) }));
      sameDecision(decision, policy.decide({ method: m, headers: new Map(requestLines.map((l, i) => [l, i])).keys() }));
    }),
    RUNS,
  );
});

test('preflight-shaped requests, with ACRH on several lines (arrays)', () => {
  fc.assert(
    fc.property(
      policySpec,
      value,
      fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 2 })),
      fc.array(value, { minLength: 1, maxLength: 3 }),
      fc.option(value, { nil: undefined }),
      ({ data, options }, origin, acrm, acrh, pna) => {
        const policy = new Policy(options);
        const headers = {
          origin,
          'access-control-request-method': acrm,
          'access-control-request-headers': acrh.length === 1 ? acrh[0] : acrh,
          'access-control-request-private-network': pna,
        };
        const requestLines = [];
        for (const [n, v] of Object.entries(headers)) {
          if (v === undefined) continue;
          for (const item of [].concat(v)) requestLines.push([n, item]);
        }
        const decision = policy.decide({ method: 'OPTIONS', headers });
        checkInvariants(data, decision, requestLines);
        sameDecision(decision, policy.decide({ method: 'OPTIONS', headers: requestLines.flat() }));
        sameDecision(decision, Policy.fromJson(JSON.stringify(data)).decide({ method: 'OPTIONS', headers: requestLines }));
      },
    ),
    RUNS,
  );
});

const nonString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.bigInt(),
  fc.constant(Symbol('x')),
  fc.constant(() => 'https://app.example'),
  fc.object({ maxDepth: 1 }),
);

test('non-string values are a TypeError, never a crash', () => {
  fc.assert(
    fc.property(policySpec, fc.constantFrom(...READ), nonString, lines, ({ options }, header, bad, before) => {
      const policy = new Policy(options);
      assert.throws(() => policy.decide({ method: 'OPTIONS', headers: [...before, [header, bad]] }), TypeError);
      assert.throws(() => policy.decide({ method: 'OPTIONS', headers: [...before.flat(), header, bad] }), TypeError);
      assert.throws(() => policy.decide({ method: 'OPTIONS', headers: { [header]: bad } }), TypeError);
      assert.throws(() => policy.decide({ method: 'OPTIONS', headers: { [header]: ['x', bad] } }), TypeError);
      assert.throws(() => policy.decide({ method: bad, headers: {} }), TypeError);
    }),
    RUNS,
  );
});
