'use strict';
// AWS Lambda handlers behind API Gateway (REST and HTTP APIs, payload 1.0
// and 2.0), an Application Load Balancer (with and without multi-value
// headers) or a function URL: `withCors(policy, handler)`.
//
// Preflights are answered here, without the handler. Every other response
// gets the decision's headers in the shape its event format takes (`headers`
// or `multiValueHeaders`), the CORS headers the handler set removed and
// `Vary` merged with core's rule. Events that are not HTTP requests reach
// the handler untouched. Promise (async) and callback handlers both work.

const { STATUS_CODES } = require('node:http');
const { Policy, internal } = require('./lib/engine.js');
const native = require('./lib/native.js');
const { typeName } = require('./lib/headers.js');

const { isOwnedHeader } = internal;

const FORMATS = ['apigateway-rest', 'apigateway-http', 'function-url', 'alb', 'alb-multi-value'];


function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The HTTP event format of `event`, or null when it is not an HTTP request.
 * `apigateway-rest` covers REST APIs and HTTP APIs with payload 1.0, which
 * share one shape.
 */
function eventFormat(event) {
  if (!isObject(event)) return null;
  const context = isObject(event.requestContext) ? event.requestContext : {};
  if (event.version === '2.0' && isObject(context.http)) {
    const domain = context.domainName;
    return typeof domain === 'string' && domain.includes('.lambda-url.') ? 'function-url' : 'apigateway-http';
  }
  if (typeof event.httpMethod !== 'string') return null;
  if (isObject(context.elb)) return isObject(event.multiValueHeaders) ? 'alb-multi-value' : 'alb';
  if ('headers' in event || 'multiValueHeaders' in event) return 'apigateway-rest';
  return null;
}

/** Every header line of the request; repeats as separate lines where the format keeps them. */
function requestHeaders(event) {
  const out = [];
  if (isObject(event.multiValueHeaders)) {
    for (const [name, values] of Object.entries(event.multiValueHeaders)) {
      if (Array.isArray(values)) for (const value of values) out.push([name, value]);
      else if (values !== null && values !== undefined) out.push([name, values]);
    }
  } else if (isObject(event.headers)) {
    for (const [name, value] of Object.entries(event.headers)) {
      if (value !== null && value !== undefined) out.push([name, value]);
    }
  }
  return out;
}

function decide(policy, format, event) {
  let method;
  let path;
  if (format === 'apigateway-http' || format === 'function-url') {
    method = event.requestContext.http.method ?? 'GET';
    path = event.rawPath || event.requestContext.http.path || '/';
  } else {
    method = event.httpMethod;
    path = event.path || '/';
  }
  return policy.decide({ method, headers: requestHeaders(event), path });
}

function preflightResponse(format, decision) {
  const status = decision.status ?? 403;
  const headers = {};
  for (const [name, value] of decision.headers) headers[name] = value;
  if (decision.vary.length > 0) headers.Vary = native.mergeVary([], decision.vary);
  if (decision.contentLength !== null) headers['Content-Length'] = decision.contentLength;
  const response = { statusCode: status };
  if (format === 'alb' || format === 'alb-multi-value') {
    response.statusDescription = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
  }
  if (format === 'alb-multi-value') {
    const multi = {};
    for (const [name, value] of Object.entries(headers)) multi[name] = [value];
    response.multiValueHeaders = multi;
  } else {
    response.headers = headers;
  }
  response.body = '';
  response.isBase64Encoded = false;
  return response;
}

function isVary(name) {
  return name.length === 4 && name.toLowerCase() === 'vary';
}

/** A copy of a header map without the headers corsgate owns. */
function withoutOwned(map) {
  const out = {};
  for (const [name, value] of Object.entries(map)) {
    if (!isOwnedHeader(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/** The handler's response with the decision applied, in `format`'s shape. */
function applyDecision(format, decision, result) {
  if (
    (format === 'apigateway-http' || format === 'function-url') &&
    !(isObject(result) && 'statusCode' in result)
  ) {
    // What API Gateway and function URLs make of a result without a
    // statusCode, written out so that the headers can be added.
    const body = typeof result === 'string' ? result : JSON.stringify(result === undefined ? null : result);
    result = { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
  }
  // Not a proxy response (API Gateway answers it with a 502): as it is.
  if (!isObject(result)) return result;
  const response = { ...result };
  let single = isObject(response.headers) ? withoutOwned(response.headers) : null;
  let multi = isObject(response.multiValueHeaders) ? withoutOwned(response.multiValueHeaders) : null;
  const target =
    format === 'alb-multi-value' || (format === 'apigateway-rest' && multi !== null) ? 'multiValueHeaders' : 'headers';

  // Vary as every line the handler set, in both maps, merged with core's rule.
  const lines = [];
  for (const [map, many] of [
    [single, false],
    [multi, true],
  ]) {
    if (map === null) continue;
    for (const [name, value] of Object.entries(map)) {
      if (!isVary(name)) continue;
      if (many && Array.isArray(value)) for (const v of value) lines.push(String(v));
      else lines.push(String(value));
    }
  }
  const merged =
    decision.vary.length === 0
      ? null
      : lines.length === 0
        ? native.mergeVary([], decision.vary)
        : native.mergeVary([lines.join(', ')], decision.vary);

  let out;
  if (target === 'multiValueHeaders') {
    out = multi = multi ?? {};
    for (const [name, value] of decision.headers) out[name] = [value];
  } else {
    out = single = single ?? {};
    for (const [name, value] of decision.headers) out[name] = value;
  }
  if (merged !== null) {
    for (const map of [single, multi]) {
      if (map === null) continue;
      for (const name of Object.keys(map)) if (isVary(name)) delete map[name];
    }
    out.Vary = target === 'multiValueHeaders' ? [merged] : merged;
  }
  if (single !== null) response.headers = single;
  if (multi !== null) response.multiValueHeaders = multi;
  return response;
}

/** A Policy from itself, from `new Policy` options, or from a policy file path. */
function asPolicy(policy) {
  if (policy instanceof Policy) return policy;
  if (typeof policy === 'string') return Policy.fromFile(policy);
  if (isObject(policy)) return new Policy(policy);
  throw new TypeError(`withCors(policy, handler): policy must be a Policy, Policy options or a policy file path, got ${typeName(policy)}`);
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

/**
 * `handler` with CORS under `policy`. The wrapper returns a promise, except
 * that a callback-style handler `(event, context, callback)` called with a
 * callback answers through that callback, as the Lambda runtime expects.
 */
function withCors(policy, handler) {
  const compiled = asPolicy(policy);
  if (typeof handler !== 'function') {
    throw new TypeError(`withCors(policy, handler): handler must be a function, got ${typeName(handler)}`);
  }
  const callbackStyle = handler.length >= 3;

  function run(event) {
    const format = eventFormat(event);
    if (format === null) return { format, decision: null, answer: null };
    const decision = decide(compiled, format, event);
    if (decision.kind === 'preflight') return { format, decision, answer: preflightResponse(format, decision) };
    return { format, decision, answer: null };
  }

  /** The handler's result, as a promise, whichever way it answers. */
  function call(event, context) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err, result) => {
        if (settled) return;
        settled = true;
        if (err !== null && err !== undefined) reject(err);
        else resolve(result);
      };
      const result = callbackStyle ? handler(event, context, done) : handler(event, context);
      if (isThenable(result)) result.then((value) => done(null, value), (err) => done(err ?? new Error('handler rejected')));
      else if (!callbackStyle) done(null, result);
    });
  }

  async function answer(event, context) {
    const { format, decision, answer: early } = run(event);
    if (early !== null) return early;
    const result = await call(event, context);
    return format === null ? result : applyDecision(format, decision, result);
  }

  const wrapped = function corsgateLambda(event, context, callback) {
    if (callbackStyle && typeof callback === 'function') {
      answer(event, context).then(
        (result) => callback(null, result),
        (err) => callback(err),
      );
      return undefined;
    }
    return answer(event, context);
  };
  Object.defineProperty(wrapped, 'name', { value: handler.name || 'corsgateLambda' });
  return wrapped;
}

module.exports = { withCors, eventFormat, FORMATS };
