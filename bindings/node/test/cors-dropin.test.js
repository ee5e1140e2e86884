'use strict';
// corsgate/express against the `cors` package, behaviour by behaviour, from
// cors's documented options. Each case puts the same options in front of the
// same Express routes, one app per middleware, on 127.0.0.1, and sends the
// same request with fetch: the answers must be equal, or differ exactly as
// the README's differences table says.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const express = require('express');
const cors = require('cors');
const corsgate = require('../express');
const { PolicyError } = require('..');

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

function appWith(middleware) {
  const app = express();
  app.use(middleware);
  app.get('/data', (req, res) => {
    res.setHeader('X-Request-Id', '42');
    res.send('data');
  });
  app.options('/custom', (req, res) => res.status(200).send('custom options handler'));
  app.put('/data', (req, res) => res.send('put'));
  app.use((err, req, res, next) => res.status(500).send(`error: ${err.message}`));
  return app;
}

async function fetchFrom(app, path, init) {
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}${path}`, init);
    const headers = {};
    for (const [name, value] of res.headers) {
      if (name.startsWith('access-control-') || name === 'vary' || name === 'content-length') headers[name] = value;
    }
    return { status: res.status, headers, body: await res.text() };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** The same request through both middlewares built from `options`: [cors, corsgate]. */
async function both(options, path, init = {}) {
  return [await fetchFrom(appWith(cors(options)), path, init), await fetchFrom(appWith(corsgate(options)), path, init)];
}

const vary = (v) =>
  String(v.headers.vary || '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean)
    .sort();

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
  assert.deepEqual(vary(o), [...new Set([...vary(p), ...varyExtra])].sort(), 'vary');
}

const get = (origin) => ({ headers: origin === undefined ? {} : { Origin: origin } });
const preflight = (headers = {}) => ({
  method: 'OPTIONS',
  headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT', ...headers },
});
// A 204 preflight: cors sends Content-Length: 0, core none (RFC 9110 §8.6).
const NO_204_LENGTH = ['content-length'];
// corsgate's preflight Vary names what the answer depends on.
const PREFLIGHT_VARY = ['origin', 'access-control-request-method', 'access-control-request-headers'];

test('defaults: any origin, cors default methods, 204, requested headers sent back', async () => {
  let [p, o] = await both({}, '/data', get(APP));
  sameBut(p, o);
  [p, o] = await both({}, '/data', preflight({ 'Access-Control-Request-Headers': 'x-a,content-type' }));
  sameBut(p, o, { except: NO_204_LENGTH, varyExtra: PREFLIGHT_VARY });
  assert.equal(o.status, 204);
  assert.equal(o.headers['access-control-allow-methods'], 'GET,HEAD,PUT,PATCH,POST,DELETE');
  assert.equal(o.headers['access-control-allow-headers'], 'x-a,content-type');
});

test('origin: RegExp, array, true; a refused origin gets no Allow-Origin', async () => {
  for (const origin of [/^https:\/\/app\.example\.com$/, [APP, /pr-\d+/], true]) {
    const [p, o] = await both({ origin }, '/data', get(APP));
    sameBut(p, o);
    assert.equal(o.headers['access-control-allow-origin'], APP);
  }
  const [p, o] = await both({ origin: [APP] }, '/data', get(EVIL));
  sameBut(p, o);
});

test('origin: a fixed string goes only to that origin', async () => {
  let [p, o] = await both({ origin: APP }, '/data', get(APP));
  sameBut(p, o);
  [p, o] = await both({ origin: APP }, '/data', get(EVIL));
  assert.equal(p.headers['access-control-allow-origin'], APP);
  assert.equal(o.headers['access-control-allow-origin'], undefined);
});

test('origin: [] allows no origin', async () => {
  const [p, o] = await both({ origin: [] }, '/data', get(APP));
  sameBut(p, o, { varyExtra: ['origin'] });
  assert.equal(o.headers['access-control-allow-origin'], undefined);
});

test('origin: false turns CORS off', async () => {
  let [p, o] = await both({ origin: false }, '/data', get(APP));
  sameBut(p, o);
  [p, o] = await both({ origin: false }, '/custom', preflight());
  sameBut(p, o);
});

test('origin callback: allows, refuses, errors', async () => {
  const byList = (origin, cb) => setImmediate(() => cb(null, origin === APP));
  let [p, o] = await both({ origin: byList }, '/data', get(APP));
  sameBut(p, o);
  // Refused: cors skips CORS altogether; corsgate adds Vary: Origin (the answer depended on it).
  [p, o] = await both({ origin: byList }, '/data', get(EVIL));
  sameBut(p, o, { varyExtra: ['origin'] });
  // An error: cors passes it to next(err) (500 here); corsgate counts it as "no".
  [p, o] = await both({ origin: (origin, cb) => cb(new Error('db down')) }, '/data', get(APP));
  assert.equal(p.status, 500);
  assert.equal(o.status, 200);
  assert.equal(o.headers['access-control-allow-origin'], undefined);
});

test('methods, allowedHeaders, exposedHeaders: the same bytes, arrays and strings', async () => {
  for (const options of [
    { origin: APP, methods: ['PUT', 'DELETE'], allowedHeaders: ['Content-Type', 'X-Request-Id'] },
    { origin: APP, methods: 'PUT, DELETE', allowedHeaders: 'Content-Type,X-Request-Id' },
  ]) {
    const [p, o] = await both(options, '/data', preflight({ 'Access-Control-Request-Headers': 'content-type' }));
    sameBut(p, o, { except: NO_204_LENGTH, varyExtra: PREFLIGHT_VARY });
  }
  for (const exposedHeaders of [['X-Request-Id', 'X-Total'], 'X-Request-Id, X-Total']) {
    const [p, o] = await both({ origin: APP, exposedHeaders }, '/data', get(APP));
    sameBut(p, o);
  }
});

test('credentials and maxAge', async () => {
  const options = { origin: APP, credentials: true, methods: ['PUT'], maxAge: 600 };
  let [p, o] = await both(options, '/data', get(APP));
  sameBut(p, o);
  [p, o] = await both(options, '/data', preflight());
  sameBut(p, o, { except: NO_204_LENGTH, varyExtra: PREFLIGHT_VARY });
  assert.equal(o.headers['access-control-max-age'], '600');
  assert.throws(() => corsgate({ credentials: true }), PolicyError, 'any origin with credentials');
});

test('optionsSuccessStatus and preflightContinue', async () => {
  let [p, o] = await both({ origin: APP, methods: ['PUT'], optionsSuccessStatus: 200 }, '/data', preflight());
  sameBut(p, o, { varyExtra: PREFLIGHT_VARY });
  assert.equal(o.status, 200);
  [p, o] = await both({ origin: APP, methods: ['PUT'], preflightContinue: true }, '/custom', preflight());
  sameBut(p, o, { varyExtra: PREFLIGHT_VARY });
  assert.equal(o.body, 'custom options handler');
});

test('a refused preflight: cors 204 without Allow-Origin, corsgate 403', async () => {
  const [p, o] = await both({ origin: [APP], methods: ['PUT'] }, '/data', preflight({ Origin: EVIL }));
  assert.equal(p.status, 204);
  assert.equal(o.status, 403);
  assert.deepEqual(Object.keys(o.headers).filter((k) => k.startsWith('access-control-')), []);
});

test('OPTIONS without Access-Control-Request-Method reaches the route', async () => {
  const [p, o] = await both({ origin: APP }, '/custom', { method: 'OPTIONS', headers: { Origin: APP } });
  assert.equal(p.status, 204, 'cors answers every OPTIONS');
  assert.equal(o.status, 200);
  assert.equal(o.body, 'custom options handler');
  assert.equal(o.headers['access-control-allow-origin'], APP);
});

test('the options delegate: per-request options, and its error', async () => {
  const delegate = (req, cb) => cb(null, { origin: req.headers['x-tenant'] === 'b' ? 'https://b.example' : APP });
  let [p, o] = await both(delegate, '/data', { headers: { Origin: 'https://b.example', 'X-Tenant': 'b' } });
  sameBut(p, o);
  [p, o] = await both((req, cb) => cb(new Error('no tenant')), '/data', get(APP));
  sameBut(p, o);
  assert.equal(o.status, 500);
});
