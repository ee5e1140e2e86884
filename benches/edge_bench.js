'use strict';
// corsgate/edge (the engine as WebAssembly, bindings/wasm) against the
// native addon and against Hono's cors() middleware, side by side in one
// process, two ways:
//   - decide: `Policy.decide` of corsgate/edge against the native addon's,
//     one policy, one request object;
//   - fetch: a Web fetch handler `(Request) => Response` with CORS, as a
//     Worker runs it: corsgate/edge's withCors around a handler against a
//     Hono app with `app.use(cors(...))` and the same handler on one route,
//     the Request object built once and reused.
// Run by node_bench.js; alone: node benches/edge_bench.js [--quick]
// (needs bindings/node/corsgate.wasm: bindings/wasm/build).

const fs = require('node:fs');
const path = require('node:path');

const pkg = path.join(__dirname, '..', 'bindings', 'node');
const native = require(pkg);
const { load } = require(path.join(pkg, 'edge.js'));
const { Hono } = require(path.join(pkg, 'node_modules', 'hono'));
const { cors } = require(path.join(pkg, 'node_modules', 'hono', 'dist', 'cjs', 'middleware', 'cors', 'index.js'));
const honoVersion = require(path.join(pkg, 'node_modules', 'hono', 'package.json')).version;

const APP = 'https://app.example.com';
const origins = ['https://admin.example.com', APP, 'https://docs.example.com'];

const cases = [
  {
    name: '3-origin list, GET',
    policy: { origins },
    hono: { origin: origins },
    method: 'GET',
    headers: { host: 'api.example.com', origin: APP, accept: '*/*' },
  },
  {
    name: 'credentials + preflight',
    policy: { origins, credentials: true, methods: ['PUT'], request_headers: ['content-type'], max_age: 600 },
    hono: { origin: origins, credentials: true, allowMethods: ['PUT'], allowHeaders: ['content-type'], maxAge: 600 },
    method: 'OPTIONS',
    headers: {
      host: 'api.example.com',
      origin: APP,
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    },
  },
  {
    name: 'refused preflight',
    policy: { origins, methods: ['PUT'] },
    hono: { origin: origins, allowMethods: ['PUT'] },
    method: 'OPTIONS',
    headers: { host: 'api.example.com', origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
  },
];

/** CPU ns per call of `f()` over `n` calls. */
function measure(f, n) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / n;
}

/** CPU ns per awaited call of `f()` over `n` calls. */
async function measureAsync(f, n) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / n;
}

const handler = () => new Response('ok');

async function run({ quick = false } = {}) {
  const ROUNDS = quick ? 5 : 31;
  const ITERATIONS = quick ? 10_000 : 50_000;
  const wasmPath = path.join(pkg, 'corsgate.wasm');
  if (!fs.existsSync(wasmPath)) throw new Error(`${wasmPath} is missing: run bindings/wasm/build`);
  const edge = load(fs.readFileSync(wasmPath));
  const rows = [];
  for (const c of cases) {
    const text = JSON.stringify(c.policy);
    const a = native.Policy.fromJson(text);
    const b = edge.Policy.fromJson(text);
    const req = { method: c.method, headers: c.headers };
    const da = a.decide(req);
    const db = b.decide(req);
    if (da.status !== db.status || JSON.stringify(da.headers) !== JSON.stringify(db.headers)) {
      throw new Error(`${c.name}: the two bindings decide differently`);
    }
    const request = new Request('https://api.example.com/', { method: c.method, headers: c.headers });
    const ours = edge.withCors(b, handler);
    const hono = new Hono();
    hono.use('*', cors(c.hono));
    hono.get('/', handler);
    const ra = await ours(request);
    const rb = await hono.fetch(request);
    for (const [who, r] of [
      ['withCors', ra],
      ['hono', rb],
    ]) {
      const allowed = r.headers.get('access-control-allow-origin') === APP;
      if (allowed !== !c.name.startsWith('refused')) throw new Error(`${c.name}: ${who} answered ${r.status} ${[...r.headers]}`);
    }
    const decideNative = () => a.decide(req);
    const decideWasm = () => b.decide(req);
    const fetchOurs = () => ours(request);
    const fetchHono = () => hono.fetch(request);
    measure(decideNative, ITERATIONS / 5);
    measure(decideWasm, ITERATIONS / 5);
    await measureAsync(fetchOurs, ITERATIONS / 5);
    await measureAsync(fetchHono, ITERATIONS / 5);
    const t = { native: [], wasm: [], ours: [], hono: [] };
    for (let r = 0; r < ROUNDS; r++) {
      t.native.push(measure(decideNative, ITERATIONS));
      t.wasm.push(measure(decideWasm, ITERATIONS));
      t.ours.push(await measureAsync(fetchOurs, ITERATIONS));
      t.hono.push(await measureAsync(fetchHono, ITERATIONS));
    }
    const best = (xs) => Math.min(...xs);
    rows.push({
      name: c.name,
      native: best(t.native),
      wasm: best(t.wasm),
      ours: best(t.ours),
      hono: best(t.hono),
      status: [ra.status, rb.status],
    });
  }
  const worstVsNative = Math.max(...rows.map((r) => r.wasm / r.native));
  const preflights = rows.filter((r) => r.name.includes('preflight'));
  const worstPreflight = Math.min(...preflights.map((r) => r.hono / r.ours));
  const verdict = (ok) => (ok ? 'met' : '**not met**');
  const size = fs.statSync(wasmPath).size;
  const gz = require('node:zlib').gzipSync(fs.readFileSync(wasmPath), { level: 9 }).length;
  const out = [];
  out.push('### Edge: WebAssembly\n');
  out.push(
    `\`benches/edge_bench.js\`: corsgate/edge (corsgate.wasm, ${size.toLocaleString('en-US')} bytes, ${gz.toLocaleString('en-US')} gzipped, ` +
      `under Node's WebAssembly) against the native addon and against Hono ${honoVersion}'s \`cors()\`; ` +
      `best of ${ROUNDS} rounds of ${ITERATIONS.toLocaleString('en-US')} calls, CPU time per request, the four taking turns round by round.\n`,
  );
  out.push('| target | measured | verdict |');
  out.push('|---|---|---|');
  out.push(`| decide within 2x of the native addon | ${worstVsNative.toFixed(2)}x (worst case) | ${verdict(worstVsNative <= 2)} |`);
  out.push(`| faster than Hono's cors() on preflights | ${worstPreflight.toFixed(2)}x (worst preflight) | ${verdict(worstPreflight > 1)} |`);
  out.push('');
  out.push(`| case | decide, native | decide, wasm | wasm / native | fetch, Hono ${honoVersion} cors() | fetch, withCors (wasm) | Hono / withCors |`);
  out.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    out.push(
      `| ${r.name} | ${r.native.toFixed(0)} ns | ${r.wasm.toFixed(0)} ns | ${(r.wasm / r.native).toFixed(2)}x | ` +
        `${r.hono.toFixed(0)} ns | ${r.ours.toFixed(0)} ns | ${(r.hono / r.ours).toFixed(2)}x |`,
    );
  }
  out.push(`
- *decide*: \`Policy.decide({ method, headers })\` with \`headers\` as Node gives them (\`host\` and \`accept\` besides the CORS ones), through the native addon and through the wasm module; both return core's decision (the native one from its cache of header sets, the wasm one decoded from the bytes the module writes).
- *fetch*: one \`Request\` built once and reused, answered by \`withCors(policy, handler)\` and by a Hono app with \`app.use('*', cors(options))\` and \`app.get('/', handler)\`, \`handler\` returning \`new Response('ok')\`; each call awaited. The Hono column includes Hono's router and Context, which a Hono user pays for anyway.
- Same policy for all: a 3-origin list, the request from the second; that list with credentials, \`PUT\`, \`content-type\`, max age 600 and a preflight for them; a preflight from an unlisted origin (Hono answers it 204 without \`Access-Control-Allow-Origin\`, corsgate 403).`);
  return out.join('\n');
}

module.exports = { run };

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then((s) => console.log(s));
}
