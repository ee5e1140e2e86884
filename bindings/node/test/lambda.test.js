'use strict';
// corsgate/lambda: every conformance vector (route files too) through every
// Lambda event format, built from the sample events in tests/aws/events, and
// the shapes of each format's responses, promise and callback handlers.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Policy } = require('..');
const { withCors, eventFormat, FORMATS } = require('../lambda.js');
const native = require('../lib/native.js');

const root = path.join(__dirname, '..', '..', '..', 'tests');
const events = path.join(root, 'aws', 'events');
const sample = (file) => JSON.parse(fs.readFileSync(path.join(events, file), 'utf8'));
const TEMPLATES = {
  'apigateway-rest': 'apigateway-rest.json',
  'apigateway-http': 'apigateway-http.json',
  'function-url': 'function-url.json',
  alb: 'alb.json',
  'alb-multi-value': 'alb-multi-value.json',
};
const APP = 'https://app.example.com';
const POLICY = new Policy({ origins: [APP], credentials: true, methods: ['PUT'], requestHeaders: ['content-type'] });

const LISTS = new Map([
  ['access-control-allow-methods', (x) => x],
  ['access-control-allow-headers', (x) => x.toLowerCase()],
  ['access-control-expose-headers', (x) => x.toLowerCase()],
]);

function normalize(lines) {
  const out = new Map();
  for (const [name, value] of lines) {
    const n = name.toLowerCase();
    assert.ok(!out.has(n), `header ${n} set twice`);
    const item = LISTS.get(n);
    out.set(n, item ? [...new Set(value.split(',').map((x) => item(x.trim())))].sort().join(',') : value);
  }
  return Object.fromEntries([...out].sort());
}

/** Repeated names (any case) as one name with its values, first spelling kept. */
function grouped(headers) {
  const out = new Map();
  for (const [name, value] of headers) {
    const k = name.toLowerCase();
    if (!out.has(k)) out.set(k, [name, []]);
    out.get(k)[1].push(value);
  }
  return [...out.values()];
}

/** The event AWS hands the function for this request, in `format`. */
function buildEvent(format, method, headers, urlPath) {
  const event = sample(TEMPLATES[format]);
  delete event.headers;
  delete event.multiValueHeaders;
  const groups = grouped(headers);
  if (format === 'apigateway-rest') {
    event.httpMethod = event.requestContext.httpMethod = method;
    event.path = urlPath;
    event.headers = Object.fromEntries(groups.map(([n, v]) => [n, v[v.length - 1]]));
    event.multiValueHeaders = Object.fromEntries(groups);
  } else if (format === 'apigateway-http' || format === 'function-url') {
    event.requestContext.http.method = method;
    event.rawPath = event.requestContext.http.path = urlPath;
    event.headers = Object.fromEntries(groups.map(([n, v]) => [n.toLowerCase(), v.join(',')]));
  } else if (format === 'alb') {
    event.httpMethod = method;
    event.path = urlPath;
    event.headers = Object.fromEntries(groups.map(([n, v]) => [n.toLowerCase(), v[v.length - 1]]));
  } else {
    event.httpMethod = method;
    event.path = urlPath;
    event.multiValueHeaders = Object.fromEntries(groups.map(([n, v]) => [n.toLowerCase(), v]));
  }
  return event;
}

function delivered(event) {
  if (event.multiValueHeaders) return Object.entries(event.multiValueHeaders).flatMap(([n, vs]) => vs.map((v) => [n, v]));
  return Object.entries(event.headers);
}

function responseLines(response) {
  const lines = Object.entries(response.headers ?? {});
  for (const [name, values] of Object.entries(response.multiValueHeaders ?? {})) {
    for (const v of values) lines.push([name, v]);
  }
  return lines;
}

function varyTokens(lines) {
  const out = new Set();
  for (const [name, value] of lines) {
    if (name.toLowerCase() !== 'vary') continue;
    for (const t of value.split(',')) if (t.trim() !== '') out.add(t.trim().toLowerCase());
  }
  return [...out].sort();
}

function handlerResult(format) {
  const headers = { 'Content-Type': 'text/plain', 'Access-Control-Allow-Origin': '*' };
  if (format === 'alb-multi-value') {
    return { statusCode: 200, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])), body: 'ok' };
  }
  return { statusCode: 200, headers, body: 'ok' };
}

async function runCase(policy, format, request, expect, label) {
  const headers = request.headers ?? [];
  const urlPath = request.path ?? '/';
  const event = buildEvent(format, request.method, headers, urlPath);
  assert.equal(eventFormat(event), format, label);
  const lines = delivered(event);
  if (lines.length !== headers.length) {
    // The format joined or dropped repeated lines: the expectation is core's
    // answer to the request as the function receives it.
    const d = policy.decide({ method: request.method, headers: lines, path: urlPath });
    expect = { kind: d.kind, status: d.status, headers: d.headers, vary: d.vary };
  }
  let calls = 0;
  const wrapped = withCors(policy, async () => {
    calls += 1;
    return handlerResult(format);
  });
  const response = await wrapped(structuredClone(event), {});
  const out = responseLines(response);
  const cors = out.filter(([n]) => native.isCorsResponseHeader(n));
  if (expect.kind === 'preflight') {
    assert.equal(calls, 0, `${label}: handler not called`);
    assert.equal(response.statusCode, expect.status, `${label}: status`);
    assert.equal(response.body, '');
    if (format.startsWith('alb')) assert.ok(response.statusDescription.startsWith(`${expect.status} `), label);
  } else {
    assert.equal(calls, 1, `${label}: handler called`);
    assert.equal(response.statusCode, 200, label);
    assert.equal(response.body, 'ok', label);
    assert.ok(out.some(([n, v]) => n === 'Content-Type' && v === 'text/plain'), label);
  }
  if (format === 'alb-multi-value') assert.ok(!('headers' in response), label);
  else if (format !== 'apigateway-rest') assert.ok(!('multiValueHeaders' in response), label);
  assert.deepEqual(normalize(cors), normalize(expect.headers ?? []), `${label}: headers`);
  assert.deepEqual(varyTokens(out), [...new Set((expect.vary ?? []).map((v) => v.toLowerCase()))].sort(), `${label}: vary`);
}

function vectorFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))])
    .filter(([, v]) => Array.isArray(v.cases));
}

const plain = vectorFiles(path.join(root, 'conformance'));
const routes = vectorFiles(path.join(root, 'conformance', 'routes'));

for (const format of FORMATS) {
  test(`every vector through ${format} events`, async () => {
    let n = 0;
    for (const [file, vector] of [...plain, ...routes.map(([f, v]) => [`routes/${f}`, v])]) {
      const policy = Policy.fromJson(JSON.stringify(vector.policy));
      for (const c of vector.cases) {
        await runCase(policy, format, c.request, c.expect, `${format} ${file}: ${c.name}`);
        n += 1;
      }
    }
    assert.ok(n >= 451 + 25, `ran ${n} cases`);
  });
}

test('the format of each sample event', () => {
  const expected = {
    'apigateway-rest.json': 'apigateway-rest',
    'apigateway-http-v1.json': 'apigateway-rest',
    'apigateway-http.json': 'apigateway-http',
    'function-url.json': 'function-url',
    'alb.json': 'alb',
    'alb-multi-value.json': 'alb-multi-value',
    'sqs.json': null,
    'schedule.json': null,
  };
  for (const [file, format] of Object.entries(expected)) assert.equal(eventFormat(sample(file)), format, file);
  for (const event of [null, undefined, 'GET', [], {}, { httpMethod: 'GET' }, { version: '2.0' }]) {
    assert.equal(eventFormat(event), null, JSON.stringify(event));
  }
});

test('non-HTTP events pass through untouched', async () => {
  for (const file of ['sqs.json', 'schedule.json']) {
    const event = sample(file);
    const result = { batchItemFailures: [] };
    let seen;
    const wrapped = withCors(POLICY, async (e) => {
      seen = e;
      return result;
    });
    assert.equal(await wrapped(event, {}), result);
    assert.deepEqual(seen, sample(file));
  }
});

test('REST: multiValueHeaders in the response take the CORS headers and the merged Vary', async () => {
  const wrapped = withCors(POLICY, async () => ({
    statusCode: 201,
    headers: { 'Content-Type': 'application/json', 'access-control-allow-origin': '*' },
    multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], Vary: ['Accept-Encoding'] },
    body: '{}',
  }));
  const response = await wrapped(sample('apigateway-rest.json'), {});
  assert.equal(response.statusCode, 201);
  assert.deepEqual(response.headers, { 'Content-Type': 'application/json' });
  assert.deepEqual(response.multiValueHeaders, {
    'Set-Cookie': ['a=1', 'b=2'],
    'Access-Control-Allow-Origin': [APP],
    'Access-Control-Allow-Credentials': ['true'],
    Vary: ['Accept-Encoding, Origin'],
  });
});

test('REST without multiValueHeaders in the response uses headers', async () => {
  const response = await withCors(POLICY, async () => ({ statusCode: 200, headers: { vary: 'Cookie' }, body: '' }))(
    sample('apigateway-rest.json'),
    {},
  );
  assert.ok(!('multiValueHeaders' in response));
  assert.deepEqual(response.headers, {
    'Access-Control-Allow-Origin': APP,
    'Access-Control-Allow-Credentials': 'true',
    Vary: 'Cookie, Origin',
  });
});

test('HTTP API payload 1.0 preflight', async () => {
  const response = await withCors(POLICY, () => assert.fail('called'))(sample('apigateway-http-v1.json'), {});
  assert.deepEqual(response, {
    statusCode: 204,
    headers: {
      'Access-Control-Allow-Origin': APP,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'PUT',
      'Access-Control-Allow-Headers': 'content-type',
      Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    },
    body: '',
    isBase64Encoded: false,
  });
});

test('HTTP API: cookies kept, Vary: * left alone, the handler object not changed', async () => {
  const result = { statusCode: 200, headers: { Vary: '*' }, cookies: ['id=1; Secure'], body: '{}' };
  const response = await withCors(POLICY, async () => result)(sample('apigateway-http.json'), {});
  assert.deepEqual(response.cookies, ['id=1; Secure']);
  assert.equal(response.headers.Vary, '*');
  assert.equal(response.headers['Access-Control-Allow-Origin'], APP);
  assert.deepEqual(result.headers, { Vary: '*' });
});

test('HTTP API: a result without statusCode becomes the response API Gateway would build', async () => {
  for (const result of [{ items: [1, 2] }, 'Hello', null, [1]]) {
    const response = await withCors(POLICY, async () => result)(sample('apigateway-http.json'), {});
    assert.deepEqual(response, {
      statusCode: 200,
      headers: {
        'content-type': 'application/json',
        'Access-Control-Allow-Origin': APP,
        'Access-Control-Allow-Credentials': 'true',
        Vary: 'Origin',
      },
      body: typeof result === 'string' ? result : JSON.stringify(result),
    });
  }
});

test('function URL: a refused preflight', async () => {
  const response = await withCors(POLICY, () => assert.fail('called'))(sample('function-url.json'), {});
  assert.equal(response.statusCode, 403);
  assert.deepEqual(response.headers, {
    Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    'Content-Length': '0',
  });
});

test('ALB: statusDescription kept; multi-value preflight in multiValueHeaders', async () => {
  const actual = await withCors(POLICY, async () => ({ statusCode: 200, statusDescription: '200 OK', headers: {}, body: 'x' }))(
    sample('alb.json'),
    {},
  );
  assert.equal(actual.statusDescription, '200 OK');
  assert.equal(actual.headers['Access-Control-Allow-Origin'], APP);
  const policy = new Policy({ origins: [APP], methods: ['PUT'], requestHeaders: ['content-type', 'x-trace'], maxAge: 600 });
  const preflight = await withCors(policy, () => assert.fail('called'))(sample('alb-multi-value.json'), {});
  assert.equal(preflight.statusCode, 204);
  assert.equal(preflight.statusDescription, '204 No Content');
  assert.ok(!('headers' in preflight));
  assert.deepEqual(preflight.multiValueHeaders['Access-Control-Max-Age'], ['600']);
  assert.deepEqual(preflight.multiValueHeaders['Access-Control-Allow-Headers'], ['content-type, x-trace']);
});

test('callback handlers: through the callback when given one, a promise otherwise', async () => {
  function handler(event, context, callback) {
    setImmediate(() => callback(null, { statusCode: 200, headers: {}, body: 'cb' }));
  }
  const wrapped = withCors(POLICY, handler);
  assert.equal(wrapped.name, 'handler');
  const viaCallback = await new Promise((resolve, reject) => {
    const r = wrapped(sample('alb.json'), {}, (err, res) => (err ? reject(err) : resolve(res)));
    assert.equal(r, undefined);
  });
  assert.equal(viaCallback.body, 'cb');
  assert.equal(viaCallback.headers['Access-Control-Allow-Origin'], APP);
  const viaPromise = await wrapped(sample('alb.json'), {});
  assert.equal(viaPromise.headers.Vary, 'Origin');
  const failing = withCors(POLICY, (e, c, callback) => callback(new Error('boom')));
  await assert.rejects(failing(sample('alb.json'), {}), /boom/);
  const err = await new Promise((resolve) => failing(sample('alb.json'), {}, (e) => resolve(e)));
  assert.match(err.message, /boom/);
  // A preflight answers through the callback without calling the handler.
  const preflight = await new Promise((resolve) =>
    withCors(POLICY, (e, c, cb) => assert.fail('called'))(sample('apigateway-http-v1.json'), {}, (e, r) => resolve(r)),
  );
  assert.equal(preflight.statusCode, 204);
});

test('promise handlers: errors and sync throws reject', async () => {
  await assert.rejects(
    withCors(POLICY, async () => {
      throw new Error('async boom');
    })(sample('alb.json'), {}),
    /async boom/,
  );
  await assert.rejects(
    withCors(POLICY, () => {
      throw new Error('sync boom');
    })(sample('alb.json'), {}),
    /sync boom/,
  );
  assert.equal(await withCors(POLICY, async () => 'plain')(sample('apigateway-rest.json'), {}), 'plain');
});

test('bad arguments and bad policies fail when wrapping', () => {
  assert.throws(() => withCors(42, async () => 1), /policy must be a Policy, Policy options or a policy file path, got a number/);
  assert.throws(() => withCors(POLICY, 'handler'), /handler must be a function, got a string/);
  assert.throws(
    () => withCors({ origins: ['https://a.example/'], credentials: 'yes' }, async () => 1),
    (err) => err.name === 'PolicyError' && err.errors.length === 2,
  );
});

test('a policy file with routes decides by the event path', async (t) => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'corsgate-lambda-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'cors.toml');
  fs.writeFileSync(file, '[[routes]]\npath = "/api/*"\npolicy = { origins = ["https://app.example.com"] }\n');
  const wrapped = withCors(file, async () => ({ statusCode: 200, headers: {}, body: '' }));
  const inside = sample('apigateway-http.json');
  inside.rawPath = '/api/items';
  assert.equal((await wrapped(inside, {})).headers['Access-Control-Allow-Origin'], APP);
  assert.ok(!('Access-Control-Allow-Origin' in (await wrapped(sample('apigateway-http.json'), {})).headers));
});
