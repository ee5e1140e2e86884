#!/usr/bin/env node
'use strict';
// corsgate/express against the `cors` package (and, from fastify_bench.js,
// corsgate/fastify against @fastify/cors; from edge_bench.js, corsgate/edge
// against the native addon and Hono's cors()), side by side in one process:
// each middleware is called directly with mock req/res objects (as the `cors`
// package's own tests do), so the figures are the middleware's cost alone.
//
// Run: (cd bindings/node && npm ci) && node benches/node_bench.js [--quick]
// Prints a Markdown table; rounds alternate between the two libraries and the
// best round (CPU time per request) is reported.

const path = require('node:path');

const pkg = path.join(__dirname, '..', 'bindings', 'node');
const corsgate = require(path.join(pkg, 'express.js'));
const cors = require(path.join(pkg, 'node_modules', 'cors'));

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 31;
const ITERATIONS = quick ? 20_000 : 100_000;

/**
 * The `cors` package's test double (test/cors.js `fakeResponse`): headers in
 * a plain object keyed as set, plus statusCode and end(). It has no
 * getHeaderNames, so corsgate skips its removal of foreign
 * `Access-Control-*` headers here, as it does on any such response.
 */
function fakeResponse() {
  const headers = {};
  return {
    statusCode: 200,
    getHeader(key) {
      return headers[key];
    },
    setHeader(key, value) {
      headers[key] = value;
    },
    end() {
      this.ended = true;
    },
  };
}

/** Like Node's ServerResponse: names case-insensitive, with getHeaderNames/removeHeader. */
function nodeLikeResponse() {
  const headers = Object.create(null);
  return {
    statusCode: 200,
    getHeader(name) {
      return headers[name.toLowerCase()];
    },
    setHeader(name, value) {
      headers[name.toLowerCase()] = value;
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

const APP = 'https://app.example.com';
const origins = ['https://admin.example.com', APP, 'https://docs.example.com'];

const cases = [
  {
    name: 'default options, GET',
    cors: {},
    corsgate: {},
    req: { method: 'GET', headers: { host: 'api.example.com', origin: APP, accept: '*/*' } },
  },
  {
    name: '3-origin list, GET',
    cors: { origin: origins },
    corsgate: { origin: origins },
    req: { method: 'GET', headers: { host: 'api.example.com', origin: APP, accept: '*/*' } },
  },
  {
    name: 'credentials + preflight',
    cors: { origin: origins, credentials: true, methods: ['PUT'], allowedHeaders: ['content-type'], maxAge: 600 },
    corsgate: { origin: origins, credentials: true, methods: ['PUT'], allowedHeaders: ['content-type'], maxAge: 600 },
    req: {
      method: 'OPTIONS',
      headers: {
        host: 'api.example.com',
        origin: APP,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    },
  },
  {
    name: 'credentials + preflight, Node-like response',
    response: nodeLikeResponse,
    cors: { origin: origins, credentials: true, methods: ['PUT'], allowedHeaders: ['content-type'], maxAge: 600 },
    corsgate: { origin: origins, credentials: true, methods: ['PUT'], allowedHeaders: ['content-type'], maxAge: 600 },
    req: {
      method: 'OPTIONS',
      headers: {
        host: 'api.example.com',
        origin: APP,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    },
  },
  {
    name: 'refused preflight',
    cors: { origin: origins, methods: ['PUT'] },
    corsgate: { origin: origins, methods: ['PUT'] },
    req: {
      method: 'OPTIONS',
      headers: { host: 'api.example.com', origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
    },
  },
];

function noop() {}

/**
 * CPU ns per request over `n` calls with a fresh response each. CPU time
 * rather than wall time, so other work on the machine does not count.
 */
function measure(middleware, req, n, response) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    middleware(req, response(), noop);
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / n;
}

const best = (xs) => Math.min(...xs);

const rows = [];
for (const c of cases) {
  const a = cors(c.cors);
  const b = corsgate(c.corsgate);
  // Both must answer synchronously for the loop to measure them.
  const response = c.response || fakeResponse;
  const check = (mw) => {
    const res = response();
    let nexted = false;
    mw(c.req, res, () => {
      nexted = true;
    });
    if (!nexted && !res.ended) throw new Error(`${c.name}: middleware did not finish synchronously`);
    return res;
  };
  check(a);
  check(b);
  measure(a, c.req, ITERATIONS / 5, response);
  measure(b, c.req, ITERATIONS / 5, response);
  const ta = [];
  const tb = [];
  for (let r = 0; r < ROUNDS; r++) {
    ta.push(measure(a, c.req, ITERATIONS, response));
    tb.push(measure(b, c.req, ITERATIONS, response));
  }
  rows.push({ name: c.name, cors: best(ta), corsgate: best(tb), nodeLike: c.response === nodeLikeResponse });
}

const os = require('node:os');
const corsVersion = require(path.join(pkg, 'node_modules', 'cors', 'package.json')).version;
const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const targeted = rows.filter((r) => !r.nodeLike);
const preflights = targeted.filter((r) => r.name.includes('preflight'));
const slowest = Math.min(...targeted.map((r) => r.cors / r.corsgate));
const slowestPreflight = Math.min(...preflights.map((r) => r.cors / r.corsgate));
const verdict = (ok) => (ok ? 'met' : '**not met**');

console.log('## Node\n');
console.log(
  `\`benches/node_bench.js\`: corsgate/express (release addon, \`npm ci\` in bindings/node) against cors ${corsVersion}, ` +
    `node ${process.version}, ${os.arch()} ${os.platform()}, ${os.cpus().length} CPUs, load average after the run ${load}. ` +
    `Each figure is the best of ${ROUNDS} rounds of ${ITERATIONS.toLocaleString('en-US')} calls, in CPU time per request ` +
    '(time spent waiting for a core on the shared machine is not counted), the two middlewares taking turns round by round.\n',
);
console.log('| target | measured | verdict |');
console.log('|---|---|---|');
console.log(`| at least as fast as cors on every case | slowest case ${slowest.toFixed(2)}x | ${verdict(slowest >= 1)} |`);
console.log(`| at least 2x faster on preflights | ${slowestPreflight.toFixed(2)}x (worst preflight) | ${verdict(slowestPreflight >= 2)} |`);
console.log('');
console.log(`| case | cors ${corsVersion} | corsgate/express | cors / corsgate |`);
console.log('|---|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.cors.toFixed(0)} ns | ${r.corsgate.toFixed(0)} ns | ${(r.cors / r.corsgate).toFixed(2)}x |`);
}
console.log(`
- Both middlewares are called directly, as the cors package's own tests do: a request object (\`method\`, \`headers\` as Node gives them, with \`host\` and \`accept\` besides the CORS ones) and a fresh copy of cors's test double for the response (\`getHeader\`, \`setHeader\`, \`statusCode\`, \`end\`) per call. That double has no \`getHeaderNames\`, so corsgate's removal of stray \`Access-Control-*\` headers is skipped, as on any such response. The *Node-like response* row uses instead a double shaped like Node's \`ServerResponse\` (names lowercased on every call, \`getHeaderNames\`, \`removeHeader\`): there that scan runs, and the double's own cost, the same for both, dominates; the targets are read on the rows with cors's double.
- Same options for both, in cors's vocabulary: default options (any origin, cors's default methods); \`origin\` a list of 3 origins, the request from the second; that list with \`credentials\`, \`methods: ['PUT']\`, \`allowedHeaders: ['content-type']\`, \`maxAge: 600\` and a preflight for PUT with \`content-type\`; and a preflight from an unlisted origin.
- cors answers the refused preflight 204 without \`Access-Control-Allow-Origin\`; corsgate answers 403 (see bindings/node/README.md for the differences).
- Per request corsgate crosses into Rust once: the method and the CORS request values go in as strings (the method and \`Access-Control-Request-Method\` as small codes when they are standard), one integer comes back naming a cached set of headers.`);

console.log('');
console.log(require('./fastify_bench.js').run({ quick }));
require('./edge_bench.js')
  .run({ quick })
  .then(
    (table) => {
      console.log('');
      console.log(table);
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
