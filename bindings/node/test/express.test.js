'use strict';
// corsgate/express in a real Express 5 app (and a plain http server) on
// 127.0.0.1, exercised over HTTP with fetch.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const express = require('express');
const corsgate = require('../express');
const { Policy, PolicyError } = require('..');

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

/** Starts `handler` on 127.0.0.1; returns { url, close }. */
async function serve(handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** The response headers whose names start with access-control-, lowercased. */
function corsHeaders(res) {
  const out = {};
  for (const [name, value] of res.headers) {
    if (name.startsWith('access-control-')) out[name] = value;
  }
  return out;
}

function varyTokens(res) {
  return (res.headers.get('vary') || '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean)
    .sort();
}

function buildApp(corsOptions, { withErrorHandler = true } = {}) {
  const app = express();
  // An earlier middleware that sets Vary and a stray CORS header corsgate must replace.
  app.use((req, res, next) => {
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Access-Control-Allow-Methods', 'BOGUS');
    res.setHeader('Access-Control-Max-Age', '99999');
    next();
  });
  app.use(corsgate(corsOptions));
  app.get('/data', (req, res) => {
    res.vary('Accept');
    res.setHeader('X-Request-Id', '42');
    res.json({ ok: true });
  });
  app.put('/data', (req, res) => res.json({ put: true }));
  app.options('/custom', (req, res) => res.status(200).send('custom options handler'));
  app.get('/boom', () => {
    throw new Error('boom');
  });
  if (withErrorHandler) {
    app.use((err, req, res, next) => {
      res.status(500).json({ error: err.message });
    });
  } else {
    app.set('env', 'test'); // Express's own handler then answers without logging the stack
  }
  return app;
}

const OPTIONS = {
  origin: [APP, 'https://admin.example.com', /^https:\/\/pr-\d+\.preview\.example\.com$/],
  credentials: true,
  methods: ['PUT', 'DELETE'],
  allowedHeaders: ['content-type', 'x-csrf-token'],
  exposedHeaders: ['x-request-id'],
  maxAge: 600,
};

test('Express 5 app over HTTP', async (t) => {
  const server = await serve(buildApp(OPTIONS));
  t.after(server.close);

  await t.test('accepted preflight: status, headers, empty body, Vary merged', async () => {
    const res = await fetch(`${server.url}/data`, {
      method: 'OPTIONS',
      headers: {
        Origin: APP,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type,x-csrf-token',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(await res.text(), '');
    assert.deepEqual(corsHeaders(res), {
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      // cors's bytes: arrays joined with ',', names as configured.
      'access-control-allow-methods': 'PUT,DELETE',
      'access-control-allow-headers': 'content-type,x-csrf-token',
      'access-control-max-age': '600',
    });
    assert.deepEqual(varyTokens(res), [
      'accept-encoding',
      'access-control-request-headers',
      'access-control-request-method',
      'origin',
    ]);
  });

  await t.test('preflight from an unlisted origin: 403, no CORS headers', async () => {
    const res = await fetch(`${server.url}/data`, {
      method: 'OPTIONS',
      headers: { Origin: EVIL, 'Access-Control-Request-Method': 'PUT' },
    });
    assert.equal(res.status, 403);
    assert.equal(await res.text(), '');
    assert.deepEqual(corsHeaders(res), {});
    assert.ok(varyTokens(res).includes('origin'));
  });

  await t.test('preflight for an unlisted method or header: 403', async () => {
    for (const headers of [
      { 'Access-Control-Request-Method': 'PATCH' },
      { 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-unlisted' },
    ]) {
      const res = await fetch(`${server.url}/data`, { method: 'OPTIONS', headers: { Origin: APP, ...headers } });
      assert.equal(res.status, 403);
      assert.deepEqual(corsHeaders(res), {});
    }
  });

  await t.test('RegExp origin runs as the predicate', async () => {
    const res = await fetch(`${server.url}/data`, { headers: { Origin: 'https://pr-7.preview.example.com' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://pr-7.preview.example.com');
    const other = await fetch(`${server.url}/data`, { headers: { Origin: 'https://pr-x.preview.example.com' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  await t.test('allowed actual request: credentials, exposed header, Vary merged with the route', async () => {
    const res = await fetch(`${server.url}/data`, { headers: { Origin: APP } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    assert.deepEqual(corsHeaders(res), {
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id',
    });
    assert.deepEqual(varyTokens(res), ['accept', 'accept-encoding', 'origin']);
  });

  await t.test('refused actual request is still answered by the app, without CORS headers', async () => {
    const res = await fetch(`${server.url}/data`, { headers: { Origin: EVIL } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    assert.deepEqual(corsHeaders(res), {});
    assert.deepEqual(varyTokens(res), ['accept', 'accept-encoding', 'origin']);
  });

  await t.test('same-origin request (no Origin): no CORS headers, Vary: Origin', async () => {
    const res = await fetch(`${server.url}/data`);
    assert.equal(res.status, 200);
    assert.deepEqual(corsHeaders(res), {});
    assert.ok(varyTokens(res).includes('origin'));
  });

  await t.test('OPTIONS without Access-Control-Request-Method is an actual request', async () => {
    const res = await fetch(`${server.url}/custom`, { method: 'OPTIONS', headers: { Origin: APP } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'custom options handler');
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
  });

  await t.test('an error handler response keeps the CORS headers', async () => {
    const res = await fetch(`${server.url}/boom`, { headers: { Origin: APP } });
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'boom' });
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  });
});

test("Express's default error handler keeps the CORS headers", async (t) => {
  const server = await serve(buildApp(OPTIONS, { withErrorHandler: false }));
  t.after(server.close);
  const res = await fetch(`${server.url}/boom`, { headers: { Origin: APP } });
  assert.equal(res.status, 500);
  assert.equal(res.headers.get('access-control-allow-origin'), APP);
});

test('preflightContinue: accepted preflights reach the route, refused ones do not', async (t) => {
  const server = await serve(buildApp({ ...OPTIONS, preflightContinue: true }));
  t.after(server.close);
  const ok = await fetch(`${server.url}/custom`, {
    method: 'OPTIONS',
    headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' },
  });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'custom options handler');
  assert.equal(ok.headers.get('access-control-allow-origin'), APP);
  assert.equal(ok.headers.get('access-control-allow-methods'), 'PUT,DELETE');
  const refused = await fetch(`${server.url}/custom`, {
    method: 'OPTIONS',
    headers: { Origin: EVIL, 'Access-Control-Request-Method': 'PUT' },
  });
  assert.equal(refused.status, 403);
  assert.equal(await refused.text(), '');
});

test('cors defaults: any origin, no credentials, no Vary on actual requests', async (t) => {
  const app = express();
  app.use(corsgate());
  app.get('/', (req, res) => res.send('hi'));
  const server = await serve(app);
  t.after(server.close);
  const res = await fetch(server.url, { headers: { Origin: 'https://anyone.example' } });
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.equal(res.headers.get('vary'), null);
  const pre = await fetch(server.url, {
    method: 'OPTIONS',
    headers: { Origin: 'https://anyone.example', 'Access-Control-Request-Method': 'PATCH' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-methods'), 'GET,HEAD,PUT,PATCH,POST,DELETE');
});

test('an async cors-style origin callback and a Promise predicate', async (t) => {
  const byCallback = corsgate({
    origin: (origin, cb) => setTimeout(() => cb(null, origin.endsWith('.tenant.example')), 1),
  });
  const byPromise = corsgate({
    origins: [],
    originPredicate: async (origin) => origin === 'https://db.example',
  });
  const failing = corsgate({ origin: (origin, cb) => cb(new Error('database down')) });
  const throwing = corsgate({
    origins: [],
    originPredicate: () => {
      throw new Error('bug');
    },
  });
  const app = express();
  app.get('/cb', byCallback, (req, res) => res.send('cb'));
  app.get('/promise', byPromise, (req, res) => res.send('promise'));
  app.get('/failing', failing, (req, res) => res.send('failing'));
  app.get('/throwing', throwing, (req, res) => res.send('throwing'));
  const server = await serve(app);
  t.after(server.close);
  const get = (p, origin) => fetch(`${server.url}${p}`, { headers: { Origin: origin } });
  assert.equal((await get('/cb', 'https://a.tenant.example')).headers.get('access-control-allow-origin'), 'https://a.tenant.example');
  assert.equal((await get('/cb', 'https://other.example')).headers.get('access-control-allow-origin'), null);
  assert.equal((await get('/promise', 'https://db.example')).headers.get('access-control-allow-origin'), 'https://db.example');
  const failed = await get('/failing', 'https://a.example');
  assert.equal(failed.status, 200, 'an origin callback error counts as no, not as a failed request');
  assert.equal(failed.headers.get('access-control-allow-origin'), null);
  const threw = await get('/throwing', 'https://a.example');
  assert.equal(threw.status, 200);
  assert.equal(await threw.text(), 'throwing');
  assert.equal(threw.headers.get('access-control-allow-origin'), null);
});

test('Vary: * set before the middleware is left alone', async (t) => {
  const app = express();
  app.use((req, res, next) => {
    res.setHeader('Vary', '*');
    next();
  });
  app.use(corsgate({ origin: APP }));
  app.get('/', (req, res) => res.send('ok'));
  const server = await serve(app);
  t.after(server.close);
  const res = await fetch(server.url, { headers: { Origin: APP } });
  assert.equal(res.headers.get('vary'), '*');
  assert.equal(res.headers.get('access-control-allow-origin'), APP);
});

test('a plain http server with the middleware', async (t) => {
  const cors = corsgate({ policy: Policy.fromToml('origins = ["https://app.example.com"]\nmethods = ["PUT"]') });
  const server = await serve((req, res) => {
    cors(req, res, () => {
      res.setHeader('Content-Type', 'text/plain');
      res.end('plain');
    });
  });
  t.after(server.close);
  const res = await fetch(server.url, { headers: { Origin: APP } });
  assert.equal(await res.text(), 'plain');
  assert.equal(res.headers.get('access-control-allow-origin'), APP);
  const pre = await fetch(server.url, {
    method: 'OPTIONS',
    headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' },
  });
  assert.equal(pre.status, 204);
  // A 204 carries no Content-Length (RFC 9110 §8.6), core's rule.
  assert.equal(pre.headers.get('content-length'), null);
  assert.equal(pre.headers.get('access-control-allow-methods'), 'PUT');
});

test('adapter options are validated when the middleware is built', () => {
  assert.throws(() => corsgate({ origin: '*', credentials: true }), (err) => {
    assert.ok(err instanceof PolicyError);
    assert.deepEqual(
      err.errors.map((e) => e.code),
      ['any-origin-with-credentials'],
    );
    return true;
  });
  assert.throws(() => corsgate({ origin: 'https://app.example.com/' }), PolicyError);
  assert.throws(() => corsgate({ origin: APP, credentials: true, bogus: 1 }), (err) =>
    err.errors.some((e) => e.code === 'unknown-field' && e.value === 'bogus'),
  );
  assert.throws(() => corsgate({ origin: APP, origins: [APP] }), TypeError);
  assert.throws(() => corsgate({ allowedHeaders: ['a'], requestHeaders: ['b'] }), TypeError);
  assert.throws(() => corsgate({ preflightContinue: 'yes' }), TypeError);
  assert.throws(() => corsgate([APP]), TypeError);
});

test('origin: false turns CORS off; optionsSuccessStatus sets the preflight status', () => {
  const off = corsgate({ origin: false });
  const res = mockResponse();
  let nexted = false;
  off({ method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'PUT' } }, res, () => {
    nexted = true;
  });
  assert.ok(nexted);
  assert.deepEqual(res.headers, {});

  const legacy = corsgate({ origin: APP, optionsSuccessStatus: 200 });
  const res2 = mockResponse();
  legacy({ method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' } }, res2, () => {});
  assert.equal(res2.statusCode, 200);
  assert.ok(res2.ended);
});

test('options delegate (req, cb) as with cors, compiled once per options object', () => {
  const perHost = new Map([
    ['a.example', { origin: 'https://a.example' }],
    ['b.example', { origin: 'https://b.example' }],
  ]);
  let calls = 0;
  const mw = corsgate((req, cb) => {
    calls += 1;
    cb(null, perHost.get(req.headers.host));
  });
  for (const [host, origin] of [
    ['a.example', 'https://a.example'],
    ['b.example', 'https://b.example'],
    ['a.example', 'https://a.example'],
  ]) {
    const res = mockResponse();
    mw({ method: 'GET', headers: { host, origin } }, res, () => {});
    assert.equal(res.headers['access-control-allow-origin'], origin);
  }
  assert.equal(calls, 3);
  const res = mockResponse();
  let error;
  corsgate((req, cb) => cb(null, { origin: '*', credentials: true }))({ method: 'GET', headers: {} }, res, (e) => {
    error = e;
  });
  assert.ok(error instanceof PolicyError);
});

test('hand-built requests with odd header values go the general way', () => {
  const mw = corsgate({ origin: APP });
  const res = mockResponse();
  mw({ method: 'GET', headers: { origin: [APP, APP] } }, res, () => {});
  assert.equal(res.headers['access-control-allow-origin'], undefined, 'two Origin lines are invalid');
  const res2 = mockResponse();
  mw({ method: 'GET', headers: { origin: [APP] } }, res2, () => {});
  assert.equal(res2.headers['access-control-allow-origin'], APP);
});

test("headers corsgate owns are replaced or removed; Vary lines merged with core's rule", () => {
  const mw = corsgate({ origin: APP, credentials: true });
  const res = mockResponse();
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Headers', 'x-stale');
  res.setHeader('Private-Network-Access-Name', 'stale');
  res.setHeader('X-Other', 'kept');
  res.setHeader('Vary', ['Accept', 'origin, X-Thing']);
  mw({ method: 'GET', headers: { origin: APP } }, res, () => {});
  assert.deepEqual(res.headers, {
    'access-control-allow-origin': APP,
    'access-control-allow-credentials': 'true',
    'x-other': 'kept',
    vary: ['Accept', 'origin, X-Thing'],
  });
  const res2 = mockResponse();
  res2.setHeader('Vary', 'Accept-Encoding, ');
  mw({ method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' } }, res2, () => {});
  assert.equal(res2.headers.vary, 'Accept-Encoding, Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  assert.equal(res2.statusCode, 204);
  const res3 = mockResponse();
  res3.setHeader('Vary', 'Accept, *');
  mw({ method: 'GET', headers: { origin: 'https://evil.example' } }, res3, () => {});
  assert.equal(res3.headers.vary, 'Accept, *');
  assert.equal(res3.headers['access-control-allow-origin'], undefined);
});

/** A minimal Node-like response for direct middleware calls. */
function mockResponse() {
  const headers = {};
  return {
    headers,
    statusCode: 200,
    ended: false,
    setHeader(name, value) {
      headers[name.toLowerCase()] = value;
    },
    getHeader(name) {
      return headers[name.toLowerCase()];
    },
    getHeaderNames() {
      return Object.keys(headers);
    },
    removeHeader(name) {
      delete headers[name.toLowerCase()];
    },
    end() {
      this.ended = true;
    },
  };
}

test('a policy file with routes picks the policy by req.path', async () => {
  const policy = Policy.fromToml(`
[policies.app]
origins = ["${APP}"]
credentials = true
methods = ["PUT"]

[[routes]]
path = "/public/**"
policy = { origins = ["*"] }

[[routes]]
path = "/admin/**"
policy = false

[[routes]]
path = "/**"
policy = "app"
`);
  const asked = [];
  const tenants = Policy.fromJson(
    JSON.stringify({ routes: [{ path: '/t/*', policy: { origins: [], credentials: true } }] }),
    { originPredicate: (o) => asked.push(o) > 0 && o === 'https://tenant.example' },
  );
  const app = express();
  // Mounted: req.path is the path below /v1.
  app.use('/v1', corsgate(policy));
  app.use('/tenants', corsgate({ policy: tenants }));
  app.all('/{*rest}', (req, res) => res.json({ path: req.path }));
  const { url, close } = await serve(app);
  try {
    const pub = await fetch(`${url}/v1/public/feed`, { headers: { Origin: EVIL } });
    assert.deepEqual(corsHeaders(pub), { 'access-control-allow-origin': '*' });
    const api = await fetch(`${url}/v1/api/items?x=1`, { headers: { Origin: APP } });
    assert.deepEqual(corsHeaders(api), {
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
    });
    const admin = await fetch(`${url}/v1/admin/users`, { headers: { Origin: APP } });
    assert.equal(admin.status, 200);
    assert.deepEqual(corsHeaders(admin), {});
    assert.equal(admin.headers.get('vary'), null);
    const preflight = await fetch(`${url}/v1/api/items`, {
      method: 'OPTIONS',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'PUT');
    // A preflight on a route that is not CORS reaches the application.
    const passed = await fetch(`${url}/v1/admin/users`, {
      method: 'OPTIONS',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' },
    });
    assert.deepEqual(await passed.json(), { path: '/v1/admin/users' });
    const tenant = await fetch(`${url}/tenants/t/x`, { headers: { Origin: 'https://tenant.example' } });
    assert.equal(tenant.headers.get('access-control-allow-origin'), 'https://tenant.example');
    const outside = await fetch(`${url}/tenants/elsewhere`, { headers: { Origin: 'https://tenant.example' } });
    assert.deepEqual(corsHeaders(outside), {});
    assert.deepEqual(asked, ['https://tenant.example']);
  } finally {
    await close();
  }
});
