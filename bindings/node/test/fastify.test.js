'use strict';
// corsgate/fastify against @fastify/cors, behaviour by behaviour, from
// @fastify/cors's documented options. Each case registers the same options
// with both plugins on two Fastify apps and sends the same request with
// `inject`: the answers must be equal, or differ exactly as the README's
// differences table says. A real server on 127.0.0.1 closes the file.

const test = require('node:test');
const assert = require('node:assert/strict');
const Fastify = require('fastify');
const peer = require('@fastify/cors');
const corsgate = require('../fastify');
const { Policy, PolicyError } = require('..');

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

/** A Fastify app with `plugin(options)` and a few routes. */
async function appWith(plugin, options, { routes } = {}) {
  const app = Fastify({ logger: false });
  await app.register(plugin, options);
  app.get('/data', async (req, reply) => {
    reply.header('X-Request-Id', '42');
    return { ok: true };
  });
  app.put('/data', async () => ({ put: true }));
  app.get('/off', { config: { cors: false } }, async () => ({ off: true }));
  app.get('/own', { config: { cors: { origin: 'https://own.example', credentials: true } } }, async () => ({ own: 1 }));
  app.options('/custom', async (req, reply) => reply.code(200).send('custom options handler'));
  if (routes) routes(app);
  await app.ready();
  return app;
}

/** What a test compares: status, CORS-related headers (names lowercase), body. */
function view(res) {
  const headers = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (name.startsWith('access-control-') || name === 'vary' || name === 'cache-control' || name === 'content-length') {
      headers[name] = value;
    }
  }
  return { status: res.statusCode, headers, body: res.body };
}

const vary = (v) =>
  String(v.headers.vary || '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean)
    .sort();

/** Sends `request` to both plugins registered with `options`; returns [peer, ours] views. */
async function both(options, request, extra) {
  const a = await appWith(peer, options, extra);
  const b = await appWith(corsgate, options, extra);
  try {
    return [view(await a.inject(request)), view(await b.inject(request))];
  } finally {
    await a.close();
    await b.close();
  }
}

const preflight = (headers, url = '/data') => ({
  method: 'OPTIONS',
  url,
  headers: { origin: APP, 'access-control-request-method': 'PUT', ...headers },
});
const get = (origin, url = '/data') => ({ method: 'GET', url, headers: origin === undefined ? {} : { origin } });

/** The two views are equal but for `Vary` (compared as token sets) and the listed headers. */
function sameBut(p, o, { except = [], varyExtra = [] } = {}) {
  assert.equal(o.status, p.status, 'status');
  assert.equal(o.body, p.body, 'body');
  const strip = (h) => {
    const c = { ...h };
    delete c.vary;
    for (const n of except) delete c[n];
    return c;
  };
  assert.deepEqual(strip(o.headers), strip(p.headers), 'headers');
  const want = new Set([...vary(p), ...varyExtra]);
  assert.deepEqual(vary(o), [...want].sort(), 'vary');
}

// Content-Length on a 204: @fastify/cors sends `0`, core sends none (RFC 9110 §8.6).
const NO_LENGTH_ON_204 = { except: ['content-length'] };
// corsgate sends Vary on every preflight of a listed-origin policy (the answer depends on them).
const PREFLIGHT_VARY = ['origin', 'access-control-request-method', 'access-control-request-headers'];

test('defaults: any origin, GET,HEAD,POST, 204, reflected request headers', async () => {
  let [p, o] = await both({}, get(APP));
  sameBut(p, o);
  assert.equal(o.headers['access-control-allow-origin'], '*');
  [p, o] = await both({}, { ...preflight({ 'access-control-request-headers': 'x-a' }), headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-a' } });
  assert.equal(p.status, 204);
  assert.equal(o.status, 204);
  assert.equal(o.headers['access-control-allow-methods'], 'GET,HEAD,POST');
  assert.equal(p.headers['access-control-allow-methods'], 'GET,HEAD,POST');
  // Unset allowedHeaders: both send the requested names back.
  assert.equal(p.headers['access-control-allow-headers'], 'x-a');
  assert.equal(o.headers['access-control-allow-headers'], 'x-a');
  assert.equal(p.headers['content-length'], '0');
  assert.equal(o.headers['content-length'], undefined);
});

test('origin: exact string, RegExp, array, true', async () => {
  for (const origin of [[APP, /^https:\/\/pr-\d+\.example\.com$/], /^https:\/\/app\.example\.com$/, true]) {
    const [p, o] = await both({ origin }, get(APP));
    sameBut(p, o);
    assert.equal(o.headers['access-control-allow-origin'], APP);
    const [p2, o2] = await both({ origin }, get('https://pr-7.example.com'));
    sameBut(p2, o2);
  }
  // A listed origin refused: neither sends Access-Control-Allow-Origin.
  const [p, o] = await both({ origin: [APP] }, get(EVIL));
  sameBut(p, o);
  assert.equal(o.headers['access-control-allow-origin'], undefined);
  // A fixed string: peer sends it to every origin; corsgate only to that one.
  const [p3, o3] = await both({ origin: APP }, get(EVIL));
  assert.equal(p3.headers['access-control-allow-origin'], APP);
  assert.equal(o3.headers['access-control-allow-origin'], undefined);
  assert.deepEqual(vary(o3), ['origin']);
});

test("origin: an array holding '*' allows any origin, as @fastify/cors reads it", async () => {
  const [p, o] = await both({ origin: ['*', APP] }, get(EVIL));
  sameBut(p, o);
  assert.equal(o.headers['access-control-allow-origin'], '*');
});

test('origin: [] allows no origin', async () => {
  const [p, o] = await both({ origin: [] }, get(APP));
  sameBut(p, o);
  assert.equal(o.headers['access-control-allow-origin'], undefined);
});

test('origin: false turns CORS off, preflights fall to 404', async () => {
  let [p, o] = await both({ origin: false }, get(APP));
  sameBut(p, o);
  [p, o] = await both({ origin: false }, preflight());
  sameBut(p, o);
  assert.equal(o.status, 404);
});

test('origin functions: callback, async, this is the Fastify instance, errors', async () => {
  let self;
  const callback = function (origin, cb) {
    self = this;
    setImmediate(() => cb(null, origin === APP));
  };
  let [p, o] = await both({ origin: callback }, get(APP));
  sameBut(p, o);
  assert.equal(o.headers['access-control-allow-origin'], APP);
  assert.ok(self && typeof self.inject === 'function', 'called on the Fastify instance');
  [p, o] = await both({ origin: async (origin) => origin === APP }, get(EVIL));
  sameBut(p, o);
  assert.equal(o.headers['access-control-allow-origin'], undefined);
  // The value may be a RegExp or a list, as with the static option.
  [p, o] = await both({ origin: (origin, cb) => cb(null, [/app\.example\.com$/]) }, get(APP));
  sameBut(p, o);
  // An error: the peer fails the request with 500; corsgate answers without CORS (SPEC §3).
  [p, o] = await both({ origin: (origin, cb) => cb(new Error('db down')) }, get(APP));
  assert.equal(p.status, 500);
  assert.equal(o.status, 200);
  assert.equal(o.headers['access-control-allow-origin'], undefined);
  [p, o] = await both({ origin: async () => Promise.reject(new Error('db down')) }, get(APP));
  assert.equal(p.status, 500);
  assert.equal(o.status, 200);
});

test('methods, allowedHeaders, exposedHeaders: the same bytes, arrays and strings', async () => {
  const options = {
    origin: [APP],
    methods: ['PUT', 'DELETE'],
    allowedHeaders: 'Content-Type,X-Request-Id',
    exposedHeaders: ['X-Total', 'ETag'],
  };
  let [p, o] = await both(options, preflight({ 'access-control-request-headers': 'content-type' }));
  // Expose-Headers on a preflight: the peer sends it, Fetch reads it only on actual responses.
  sameBut(p, o, { except: ['content-length', 'access-control-expose-headers'], varyExtra: PREFLIGHT_VARY });
  assert.equal(o.headers['access-control-expose-headers'], undefined);
  assert.equal(o.headers['access-control-allow-methods'], 'PUT, DELETE');
  assert.equal(o.headers['access-control-allow-headers'], 'Content-Type,X-Request-Id');
  [p, o] = await both(options, get(APP));
  sameBut(p, o);
  assert.equal(o.headers['access-control-expose-headers'], 'X-Total, ETag');
  [p, o] = await both({ ...options, exposedHeaders: 'X-Total,ETag' }, get(APP));
  sameBut(p, o);
});

test('credentials and maxAge', async () => {
  const options = { origin: APP, credentials: true, methods: 'PUT', maxAge: 600 };
  let [p, o] = await both(options, preflight());
  sameBut(p, o, { ...NO_LENGTH_ON_204, varyExtra: PREFLIGHT_VARY });
  assert.equal(o.headers['access-control-allow-credentials'], 'true');
  assert.equal(o.headers['access-control-max-age'], '600');
  [p, o] = await both(options, get(APP));
  sameBut(p, o, { varyExtra: ['origin'] });
  // With credentials, any origin is refused when the plugin is built.
  const app = Fastify();
  await assert.rejects(app.register(corsgate, { origin: '*', credentials: true }).ready(), (err) => {
    assert.ok(err instanceof PolicyError);
    assert.deepEqual(err.errors.map((e) => e.code), ['any-origin-with-credentials']);
    return true;
  });
  const reflectAll = Fastify();
  await assert.rejects(reflectAll.register(corsgate, { origin: '*', credentials: true, methods: 'PUT' }).ready(), PolicyError);
});

test('cacheControl: an integer is max-age, a string is sent as given', async () => {
  for (const [cacheControl, want] of [
    [300, 'max-age=300'],
    ['public, max-age=60', 'public, max-age=60'],
  ]) {
    const [p, o] = await both({ origin: APP, methods: 'PUT', cacheControl }, preflight());
    sameBut(p, o, { ...NO_LENGTH_ON_204, varyExtra: PREFLIGHT_VARY });
    assert.equal(o.headers['cache-control'], want);
  }
});

test('optionsSuccessStatus sets the accepted preflight status', async () => {
  const [p, o] = await both({ origin: APP, methods: 'PUT', optionsSuccessStatus: 200 }, preflight());
  sameBut(p, o, { varyExtra: PREFLIGHT_VARY });
  assert.equal(o.status, 200);
  assert.equal(o.headers['content-length'], '0');
});

test('a refused preflight is 403 without CORS headers (peer: 204 without Allow-Origin)', async () => {
  const [p, o] = await both({ origin: [APP], methods: 'PUT' }, preflight({ origin: EVIL }));
  assert.equal(p.status, 204);
  assert.equal(p.headers['access-control-allow-origin'], undefined);
  assert.equal(o.status, 403);
  assert.equal(o.headers['access-control-allow-methods'], undefined);
  // A refused method: peer 204 with the method list, corsgate 403.
  const [, o2] = await both({ origin: APP, methods: 'PUT' }, preflight({ 'access-control-request-method': 'PATCH' }));
  assert.equal(o2.status, 403);
});

test('preflightContinue: accepted preflights reach the OPTIONS route (empty 200)', async () => {
  const [p, o] = await both({ origin: APP, methods: 'PUT', preflightContinue: true }, preflight());
  sameBut(p, o, { varyExtra: PREFLIGHT_VARY });
  assert.equal(o.status, 200);
  const [p2, o2] = await both({ origin: APP, methods: 'PUT', preflightContinue: true }, preflight({}, '/custom'));
  sameBut(p2, o2, { varyExtra: PREFLIGHT_VARY });
  assert.equal(o2.body, 'custom options handler');
});

test('preflight: false leaves every OPTIONS to the routes, with actual-request headers', async () => {
  // A fixed origin string: corsgate adds Vary: Origin (it answers only that origin).
  const [p, o] = await both({ origin: APP, preflight: false }, preflight({}, '/custom'));
  sameBut(p, o, { varyExtra: ['origin'] });
  assert.equal(o.body, 'custom options handler');
  assert.equal(o.headers['access-control-allow-origin'], APP);
  const [p2, o2] = await both({ origin: APP, preflight: false }, preflight());
  sameBut(p2, o2, { varyExtra: ['origin'] });
  assert.equal(o2.status, 404);
});

test('strictPreflight: a preflight without Origin is a 400; OPTIONS without ACRM is an actual request', async () => {
  const noOrigin = { method: 'OPTIONS', url: '/data', headers: { 'access-control-request-method': 'PUT' } };
  // Without Origin the request is not CORS: the peer's `*` on that 400 is left out.
  let [p, o] = await both({}, noOrigin);
  sameBut(p, o, { except: ['access-control-allow-origin'] });
  assert.equal(o.status, 400);
  assert.equal(o.body, 'Invalid Preflight Request');
  // Without Access-Control-Request-Method: peer 400, corsgate passes it on (Fetch: not a preflight).
  const plain = { method: 'OPTIONS', url: '/custom', headers: { origin: APP } };
  [p, o] = await both({}, plain);
  assert.equal(p.status, 400);
  assert.equal(o.status, 200);
  assert.equal(o.body, 'custom options handler');
  assert.equal(o.headers['access-control-allow-origin'], '*');
  // strictPreflight: false: the peer answers such requests as preflights; corsgate still as Fetch says.
  [p, o] = await both({ strictPreflight: false }, noOrigin);
  assert.equal(p.status, 204);
  assert.equal(o.status, 404);
});

test('route config: cors: false turns it off, an options object overrides the plugin', async () => {
  let [p, o] = await both({ origin: APP }, get(APP, '/off'));
  sameBut(p, o);
  assert.equal(o.headers['access-control-allow-origin'], undefined);
  [p, o] = await both({ origin: APP }, get('https://own.example', '/own'));
  sameBut(p, o, { varyExtra: ['origin'] });
  assert.equal(o.headers['access-control-allow-origin'], 'https://own.example');
  assert.equal(o.headers['access-control-allow-credentials'], 'true');
});

test('hooks: every hook @fastify/cors accepts; a bad one fails registration naming it', async () => {
  for (const hook of ['onRequest', 'preParsing', 'preValidation', 'preHandler']) {
    const [p, o] = await both({ origin: APP, methods: 'PUT', hook }, preflight());
    sameBut(p, o, { ...NO_LENGTH_ON_204, varyExtra: PREFLIGHT_VARY });
    const [p2, o2] = await both({ origin: APP, hook }, get(APP));
    sameBut(p2, o2, { varyExtra: ['origin'] });
  }
  const [p, o] = await both({ origin: APP, hook: 'preSerialization' }, get(APP));
  sameBut(p, o, { varyExtra: ['origin'] });
  const app = Fastify();
  await assert.rejects(app.register(corsgate, { hook: 'onResponse' }).ready(), /hook "onResponse" is not one of onRequest/);
});

test('delegator: per-request options by callback or Promise, and plugin options as a function', async () => {
  const byHost = (req) => (req.headers['x-tenant'] === 'b' ? { origin: 'https://b.example' } : { origin: APP });
  for (const options of [
    { delegator: (req, cb) => cb(null, byHost(req)) },
    { delegator: async (req) => byHost(req) },
    () => (req, cb) => cb(null, byHost(req)),
  ]) {
    const [p, o] = await both(options, { ...get('https://b.example'), headers: { origin: 'https://b.example', 'x-tenant': 'b' } });
    sameBut(p, o);
    assert.equal(o.headers['access-control-allow-origin'], 'https://b.example');
    const [p2, o2] = await both(options, get(EVIL));
    assert.equal(p2.headers['access-control-allow-origin'], APP, 'peer: a fixed origin goes to anyone');
    assert.equal(o2.headers['access-control-allow-origin'], undefined);
  }
  // A delegator error fails the request, as with the peer.
  const [p, o] = await both({ delegator: (req, cb) => cb(new Error('no tenant')) }, get(APP));
  sameBut(p, o);
  assert.equal(o.status, 500);
  // Invalid delegated options: a clear PolicyError for that request.
  const app = await appWith(corsgate, { delegator: (req, cb) => cb(null, { origin: 'https://a.example/' }) });
  const res = await app.inject(get(APP));
  assert.equal(res.statusCode, 500);
  assert.match(res.json().message, /non-canonical-origin|invalid-origin/);
  await app.close();
});

test('corsPreflightEnabled is decorated and set on answered preflights', async () => {
  let seen;
  const app = await appWith(corsgate, { origin: APP, methods: 'PUT', preflightContinue: true }, {
    routes: (a) =>
      a.options('/seen', async (req) => {
        seen = req.corsPreflightEnabled;
        return 'ok';
      }),
  });
  await app.inject(preflight({}, '/seen'));
  assert.equal(seen, true);
  await app.inject({ method: 'OPTIONS', url: '/seen', headers: { origin: APP } });
  assert.equal(seen, false);
  await app.close();
});

test('Vary set by a route is merged, never overwritten; CORS headers set before are replaced', async () => {
  const app = Fastify();
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('Vary', 'Accept-Encoding');
    reply.header('Access-Control-Max-Age', '99999');
    done();
  });
  await app.register(corsgate, { origin: APP });
  app.get('/data', async () => ({ ok: 1 }));
  const res = await app.inject(get(APP));
  assert.deepEqual(vary(view(res)), ['accept-encoding', 'origin']);
  assert.equal(res.headers['access-control-max-age'], undefined);
  await app.close();
});

test('a Policy, a policy file with routes, and corsgate options', async () => {
  const policy = Policy.fromToml(`
[[routes]]
path = "/api/**"
policy = "api"
[[routes]]
path = "/**"
policy = false
[policies.api]
origins = ["${APP}"]
methods = ["PUT"]
`);
  const app = Fastify();
  await app.register(corsgate, policy);
  app.get('/api/x', async () => 'x');
  app.get('/page', async () => 'page');
  app.put('/api/x', async () => 'x');
  const api = await app.inject(get(APP, '/api/x'));
  assert.equal(api.headers['access-control-allow-origin'], APP);
  const page = await app.inject(get(APP, '/page'));
  assert.equal(page.headers['access-control-allow-origin'], undefined);
  const pf = await app.inject(preflight({}, '/api/x?q=1'));
  assert.equal(pf.statusCode, 204);
  assert.equal(pf.headers['access-control-allow-methods'], 'PUT');
  await app.close();
  const own = await appWith(corsgate, { origins: [APP], exposeHeaders: ['x-request-id'], originPredicate: (o) => o === 'https://db.example' });
  assert.equal((await own.inject(get('https://db.example'))).headers['access-control-allow-origin'], 'https://db.example');
  await own.close();
});

test('bad options are refused at registration with every problem listed', async () => {
  const app = Fastify();
  await assert.rejects(
    app.register(corsgate, { origin: ['https://a.example/', 'null'], methods: ['TRACE'], maxAge: 99999 }).ready(),
    (err) => {
      assert.ok(err instanceof PolicyError);
      const codes = err.errors.map((e) => e.code).sort();
      assert.ok(codes.includes('forbidden-method'), codes.join());
      assert.ok(codes.includes('max-age-out-of-range'), codes.join());
      assert.ok(codes.includes('null-origin'), codes.join());
      return true;
    },
  );
});

test('a real Fastify server on 127.0.0.1', async () => {
  const app = await appWith(corsgate, { origin: [APP], credentials: true, methods: ['PUT'], exposedHeaders: ['X-Request-Id'] });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const pre = await fetch(`${url}/data`, { method: 'OPTIONS', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-methods'), 'PUT');
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    const res = await fetch(`${url}/data`, { headers: { Origin: APP } });
    assert.deepEqual(await res.json(), { ok: true });
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-expose-headers'), 'X-Request-Id');
    const refused = await fetch(`${url}/data`, { method: 'OPTIONS', headers: { Origin: EVIL, 'Access-Control-Request-Method': 'PUT' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
  } finally {
    await app.close();
  }
});

test('answers remembered for repeated requests are the answers core gives', async () => {
  const options = { origin: [APP, /^https:\/\/pr-\d+\.example\.com$/], credentials: true, methods: ['PUT'], allowedHeaders: ['*'] };
  const requests = [
    get(APP),
    get(EVIL),
    get('https://pr-1.example.com'),
    get(undefined),
    preflight(),
    preflight({ origin: EVIL }),
    preflight({ 'access-control-request-headers': 'x-a,x-b' }),
    preflight({ 'access-control-request-headers': 'x-c' }),
    preflight({ 'access-control-request-method': 'PATCH' }),
    { method: 'OPTIONS', url: '/custom', headers: { origin: APP } },
  ];
  const warm = await appWith(corsgate, options);
  try {
    for (let round = 0; round < 3; round++) {
      for (const request of requests) {
        const fresh = await appWith(corsgate, options);
        try {
          assert.deepEqual(view(await warm.inject(request)), view(await fresh.inject(request)), JSON.stringify(request));
        } finally {
          await fresh.close();
        }
      }
    }
  } finally {
    await warm.close();
  }
});
