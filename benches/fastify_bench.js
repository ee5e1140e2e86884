'use strict';
// corsgate/fastify against @fastify/cors, side by side in one process, as
// benches/node_bench.js compares the Express middlewares: each plugin is
// registered on a stand-in Fastify instance that records its hook, and the
// hook is called directly with request/reply doubles shaped like Fastify's
// (Fastify's own header methods from lib/reply.js: `header`, `getHeader`,
// `getHeaders`, `removeHeader`, `code`, `type`, `send`), so the figures are the plugin's
// cost alone, without Fastify's routing. Run by node_bench.js; alone:
//   node benches/fastify_bench.js [--quick]

const path = require('node:path');

const pkg = path.join(__dirname, '..', 'bindings', 'node');
const corsgate = require(path.join(pkg, 'fastify.js'));
const peer = require(path.join(pkg, 'node_modules', '@fastify', 'cors'));
const peerVersion = require(path.join(pkg, 'node_modules', '@fastify', 'cors', 'package.json')).version;

/** The hook a plugin adds, from a stand-in Fastify instance. */
function hookOf(plugin, options) {
  let hook;
  const instance = {
    addHook(name, fn) {
      hook = fn;
    },
    decorateRequest() {},
    options() {},
  };
  plugin(instance, options, (err) => {
    if (err) throw err;
  });
  if (hook === undefined) throw new Error('the plugin added no hook');
  return hook;
}

/** Node's ServerResponse as a reply's `raw` is before anything is sent: no headers. */
const RAW = {
  headersSent: false,
  getHeader() {
    return undefined;
  },
  getHeaders() {
    return {};
  },
  hasHeader() {
    return false;
  },
  removeHeader() {},
};

/** Fastify's Reply header methods, as lib/reply.js writes them (without set-cookie's special case). */
class Reply {
  constructor() {
    this.raw = RAW;
    this.headers = {};
    this.statusCode = 200;
    this.sent = false;
  }
  header(key, value = '') {
    this.headers[key.toLowerCase()] = value;
    return this;
  }
  getHeader(key) {
    const value = this.headers[key.toLowerCase()];
    return value !== undefined ? value : this.raw.getHeader(key);
  }
  getHeaders() {
    return { ...this.raw.getHeaders(), ...this.headers };
  }
  removeHeader(key) {
    delete this.headers[key.toLowerCase()];
    this.raw.removeHeader(key);
    return this;
  }
  code(status) {
    this.statusCode = status;
    return this;
  }
  type(value) {
    return this.header('content-type', value);
  }
  send() {
    this.sent = true;
    return this;
  }
}

const reply = () => new Reply();

const APP = 'https://app.example.com';
const origins = ['https://admin.example.com', APP, 'https://docs.example.com'];
/** Fastify's Request as a hook sees it; `routeOptions` is built on each read, as lib/request.js does. */
class Request {
  constructor(method, headers) {
    this.method = method;
    this.raw = { method, headers };
    this.url = '/data';
    this.headers = headers;
    this.context = { config: { method, url: '/data' }, handlerTimeout: 0, logLevel: 'info', schema: undefined };
  }
  get routeOptions() {
    const context = this.context;
    return {
      method: context.config.method,
      url: context.config.url,
      bodyLimit: 1048576,
      handlerTimeout: context.handlerTimeout,
      attachValidation: false,
      logLevel: context.logLevel,
      exposeHeadRoute: true,
      prefixTrailingSlash: 'both',
      handler: undefined,
      config: context.config,
      schema: context.schema,
      version: undefined,
    };
  }
}
const request = (method, headers) => new Request(method, { host: 'api.example.com', accept: '*/*', ...headers });
const preflightOptions = { origin: origins, credentials: true, methods: ['PUT'], allowedHeaders: ['content-type'], maxAge: 600 };

const cases = [
  { name: 'default options, GET', options: {}, req: request('GET', { origin: APP }) },
  { name: '3-origin list, GET', options: { origin: origins }, req: request('GET', { origin: APP }) },
  {
    name: 'credentials + preflight',
    options: preflightOptions,
    req: request('OPTIONS', {
      origin: APP,
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    }),
  },
  {
    name: 'refused preflight',
    options: { origin: origins, methods: ['PUT'] },
    req: request('OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'PUT' }),
  },
];

function noop() {}

function measure(hook, req, n) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    req.corsPreflightEnabled = false;
    hook(req, reply(), noop);
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / n;
}

function run({ quick = false } = {}) {
  const ROUNDS = quick ? 5 : 31;
  const ITERATIONS = quick ? 20_000 : 100_000;
  const rows = [];
  for (const c of cases) {
    const a = hookOf(peer, c.options);
    const b = hookOf(corsgate, c.options);
    for (const hook of [a, b]) {
      let nexted = false;
      const r = reply();
      hook(c.req, r, () => {
        nexted = true;
      });
      if (!nexted && !r.sent) throw new Error(`${c.name}: the hook did not finish synchronously`);
    }
    measure(a, c.req, ITERATIONS / 5);
    measure(b, c.req, ITERATIONS / 5);
    const ta = [];
    const tb = [];
    for (let r = 0; r < ROUNDS; r++) {
      ta.push(measure(a, c.req, ITERATIONS));
      tb.push(measure(b, c.req, ITERATIONS));
    }
    rows.push({ name: c.name, peer: Math.min(...ta), corsgate: Math.min(...tb) });
  }
  const slowest = Math.min(...rows.map((r) => r.peer / r.corsgate));
  const preflights = rows.filter((r) => r.name.includes('preflight'));
  const slowestPreflight = Math.min(...preflights.map((r) => r.peer / r.corsgate));
  const verdict = (ok) => (ok ? 'met' : '**not met**');
  const out = [];
  out.push('### Fastify\n');
  out.push(
    `\`benches/fastify_bench.js\`: corsgate/fastify against @fastify/cors ${peerVersion}, same method and rounds ` +
      `(best of ${ROUNDS} rounds of ${ITERATIONS.toLocaleString('en-US')} hook calls, CPU time per request, the two plugins taking turns).\n`,
  );
  out.push('| target | measured | verdict |');
  out.push('|---|---|---|');
  out.push(`| faster than @fastify/cors on every case | slowest case ${slowest.toFixed(2)}x | ${verdict(slowest > 1)} |`);
  out.push(`| at least 2x faster on preflights | ${slowestPreflight.toFixed(2)}x (worst preflight) | ${verdict(slowestPreflight >= 2)} |`);
  out.push('');
  out.push(`| case | @fastify/cors ${peerVersion} | corsgate/fastify | @fastify/cors / corsgate |`);
  out.push('|---|---:|---:|---:|');
  for (const r of rows) {
    out.push(`| ${r.name} | ${r.peer.toFixed(0)} ns | ${r.corsgate.toFixed(0)} ns | ${(r.peer / r.corsgate).toFixed(2)}x |`);
  }
  out.push(`
- Each plugin is registered on a stand-in instance that keeps the hook it adds; the hook is then called with a request double (\`raw.method\`, \`headers\` as Node gives them, and \`routeOptions\` built on each read as Fastify's lib/request.js does) and a fresh reply double per call with Fastify's \`Reply\` header methods as its lib/reply.js writes them (names lowercased on every call, \`getHeaders\` merging the raw response's, \`removeHeader\`, \`code\`, \`send\`). Fastify's own routing and serialisation, the same for both, are left out.
- Same options for both, in @fastify/cors's vocabulary: defaults (any origin, its default methods); a 3-origin list, the request from the second; that list with \`credentials\`, \`methods: ['PUT']\`, \`allowedHeaders: ['content-type']\`, \`maxAge: 600\` and a preflight for PUT with \`content-type\`; a preflight from an unlisted origin (@fastify/cors answers it 204 without \`Access-Control-Allow-Origin\`, corsgate 403).`);
  return out.join('\n');
}

module.exports = { run };

if (require.main === module) console.log(run({ quick: process.argv.includes('--quick') }));
