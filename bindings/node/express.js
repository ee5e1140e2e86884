'use strict';
// Express / Connect middleware: `require('corsgate/express')(options)`.
//
// Takes the `cors` package's options (origin, methods, allowedHeaders,
// exposedHeaders, credentials, maxAge, preflightContinue,
// optionsSuccessStatus) and corsgate's own (SPEC §2 keys in camelCase,
// originPredicate), or a Policy. Every path ends in one Policy; RegExp and
// function origins become its dynamic-origin predicate, run in JS only when
// core asks. Uses only res.setHeader/getHeader/removeHeader/getHeaderNames,
// res.statusCode and res.end(), so it also works on a plain `http` server.

const { internal } = require('./lib/engine.js');
const { compileOptions } = require('./lib/options.js');

const {
  C,
  ASKED_ANY,
  shapeKey,
  isSlow,
  kEngine,
  decideNative,
  argFlags,
  kShape,
  kAsked,
  kPredicate,
  kRouteIndex,
  valueOf,
  isOwnedHeader,
  mergeVary,
} = internal;
const { ASKED, FLAG_PREDICATE_YES } = C;
const [ORIGIN, REQUEST_METHOD, REQUEST_HEADERS, PRIVATE_NETWORK] = internal.requestHeaderNames;

function compile(options) {
  return compileOptions(options, { adapter: 'corsgate/express' });
}

/** Removes the CORS headers set before that `keep` (lowercase names) does not replace. */
function removeOwned(res, keep) {
  if (typeof res.getHeaderNames !== 'function' || typeof res.removeHeader !== 'function') return;
  const existing = res.getHeaderNames();
  for (let i = 0; i < existing.length; i++) {
    const name = existing[i].toLowerCase();
    if (!keep.has(name) && isOwnedHeader(name)) res.removeHeader(name);
  }
}

/**
 * Writes a decision's headers (SPEC §5): replaces same-named ones, removes
 * other headers corsgate owns that were set before, merges Vary.
 */
function applyShape(res, shape, origin, requestMethod, requestHeaders) {
  removeOwned(res, shape.lowerNames);
  const names = shape.names;
  for (let i = 0; i < names.length; i++) {
    res.setHeader(names[i], valueOf(shape, i, origin, requestMethod, requestHeaders));
  }
  if (shape.varyHeader !== '') mergeVary(res, shape.vary, shape.varyHeader);
}

function headerValue(value) {
  // Node gives strings; anything else (a hand-built req) goes the general way.
  return value === undefined || typeof value === 'string';
}

/**
 * Builds the middleware. `options` may also be a function `(req, cb)` that
 * calls back with per-request options, as with `cors`; each distinct options
 * object is compiled once.
 */
function corsgate(options = {}) {
  if (typeof options === 'function') return delegated(options);
  const compiled = compile(options);
  if (compiled === null) {
    return function corsgateDisabled(req, res, next) {
      next();
    };
  }
  return middleware(compiled);
}

/**
 * A policy file with routes: each route's policy gets a middleware of its
 * own, picked by `req.path` (the path below the mount point, as Express
 * routes on it); outside every route core's not-CORS answer is applied.
 */
function routed({ policy, preflightContinue }) {
  const handlers = policy.routes.map(([, route]) =>
    route === null ? null : middleware({ policy: route, predicate: route[kPredicate], preflightContinue }),
  );
  return function corsgateRouted(req, res, next) {
    // Connect has no req.path: the URL's path, query cut off by core.
    const path = typeof req.path === 'string' ? req.path : String(req.url);
    const i = policy[kRouteIndex](path);
    const handler = i < 0 ? null : handlers[i];
    if (handler === null) {
      finishDecision(req, res, next, policy.decide({ method: String(req.method), headers: req.headers, path }), false);
      return;
    }
    handler(req, res, next);
  };
}

function middleware({ policy, predicate, preflightContinue }) {
  if (policy.hasRoutes) return routed({ policy, preflightContinue });
  const engine = policy[kEngine];
  // The policy's shapes, looked up here without a method call.
  const shapes = new Map();
  function finish(req, res, next, id, flags, o, m, h, p) {
    const key = shapeKey(id);
    let shape = shapes.get(key);
    if (shape === undefined || isSlow(id)) {
      shape = policy[kShape](id, req.method, o, m, h, p, flags);
      if (!isSlow(id)) shapes.set(key, shape);
    }
    applyShape(res, shape, o, m, h);
    if (!shape.preflight || (shape.allowed && preflightContinue)) {
      next();
      return;
    }
    res.statusCode = shape.status;
    if (shape.contentLength !== null) res.setHeader('Content-Length', shape.contentLength);
    res.end();
  }

  return function corsgateMiddleware(req, res, next) {
    const headers = req.headers;
    // Node lowercases header names; core names the four it reads.
    const o = headers[ORIGIN];
    const m = headers[REQUEST_METHOD];
    const h = headers[REQUEST_HEADERS];
    const p = headers[PRIVATE_NETWORK];
    const method = req.method;
    if (!(headerValue(o) && headerValue(m) && headerValue(h) && headerValue(p)) || typeof method !== 'string') {
      // A hand-built request with arrays or odd types: the general path.
      const d = policy.decide({ method: String(method), headers });
      return finishDecision(req, res, next, d, preflightContinue);
    }
    const codes = argFlags(method, o, m, h, p);
    const id = decideNative(engine, method, o, m, h, p, codes);
    if ((id & ASKED_ANY) === 0 || predicate === undefined) {
      finish(req, res, next, id, 0, o, m, h, p);
      return;
    }
    const asked = id & ASKED ? o : policy[kAsked](method, o, m, h, p);
    let answer;
    try {
      answer = predicate(asked);
    } catch {
      answer = false;
    }
    const resume = (yes) => {
      if (yes === true) {
        const flags = FLAG_PREDICATE_YES;
        finish(req, res, next, decideNative(engine, method, o, m, h, p, flags | codes), flags, o, m, h, p);
      } else {
        finish(req, res, next, id, 0, o, m, h, p);
      }
    };
    if (answer !== null && typeof answer === 'object' && typeof answer.then === 'function') {
      answer.then(resume, () => resume(false)).catch(next);
    } else {
      resume(answer);
    }
  };
}

/** Applies a public Decision (the general path). */
function finishDecision(req, res, next, decision, preflightContinue) {
  removeOwned(res, new Set(decision.headers.map(([n]) => n.toLowerCase())));
  for (const [name, value] of decision.headers) res.setHeader(name, value);
  if (decision.vary.length > 0) mergeVary(res, decision.vary);
  if (decision.kind !== 'preflight' || (decision.allowed && preflightContinue)) {
    next();
    return;
  }
  res.statusCode = decision.status;
  if (decision.contentLength !== null) res.setHeader('Content-Length', decision.contentLength);
  res.end();
}

function delegated(delegate) {
  const cache = new WeakMap();
  return function corsgateDelegated(req, res, next) {
    delegate(req, (err, options) => {
      if (err) {
        next(err);
        return;
      }
      let handler;
      try {
        const key = options === undefined ? delegated : options;
        handler = cache.get(key);
        if (handler === undefined) {
          handler = corsgate(options === undefined ? {} : options);
          cache.set(key, handler);
        }
      } catch (e) {
        next(e);
        return;
      }
      handler(req, res, next);
    });
  };
}

module.exports = corsgate;
module.exports.default = corsgate;
module.exports.corsgate = corsgate;
