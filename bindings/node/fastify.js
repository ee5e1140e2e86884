'use strict';
// Fastify plugin: `fastify.register(require('corsgate/fastify'), options)`.
//
// Takes @fastify/cors's options (origin in all its forms, methods,
// allowedHeaders, exposedHeaders, credentials, maxAge, cacheControl,
// preflight, strictPreflight, preflightContinue, optionsSuccessStatus,
// hideOptionsRoute, hook, delegator, logLevel), corsgate's own (SPEC §2
// keys in camelCase, originPredicate), or a Policy. Every path ends in one
// Policy decided by core; this file only moves strings and headers.

const { Policy, internal } = require('./lib/engine.js');
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
  mergeVary: mergeVaryInto,
} = internal;
const { ASKED, FLAG_PREDICATE_YES } = C;
const [ORIGIN, REQUEST_METHOD, REQUEST_HEADERS, PRIVATE_NETWORK] = internal.requestHeaderNames;

/** @fastify/cors's defaults where they differ from `cors`'s. */
const FASTIFY_DEFAULT_METHODS = 'GET,HEAD,POST';

/** Request strings memoised per policy (see `recall`). */
const MEMO_LIMIT = 1024;
const MEMO_KEY_BYTES = 512;
const NONE = Symbol('absent');

const HOOKS = ['onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization'];
const HOOKS_WITH_PAYLOAD = ['preParsing', 'preSerialization'];

/** Options that shape the plugin, not the policy. */
const PLUGIN_KEYS = ['hook', 'delegator', 'cacheControl', 'preflight', 'strictPreflight', 'hideOptionsRoute', 'logLevel'];

function pluginSettings(options) {
  const settings = {
    hook: 'onRequest',
    cacheControl: null,
    preflight: true,
    strictPreflight: true,
    hideOptionsRoute: true,
    logLevel: undefined,
  };
  if (options === null || typeof options !== 'object' || options instanceof Policy) return settings;
  for (const key of PLUGIN_KEYS) {
    if (key !== 'delegator' && options[key] !== undefined) settings[key] = options[key];
  }
  if (!HOOKS.includes(settings.hook)) {
    throw new TypeError(`corsgate/fastify: hook ${JSON.stringify(settings.hook)} is not one of ${HOOKS.join(', ')}`);
  }
  for (const key of ['preflight', 'strictPreflight', 'hideOptionsRoute']) {
    if (typeof settings[key] !== 'boolean') throw new TypeError(`corsgate/fastify: ${key} must be a boolean`);
  }
  const cc = settings.cacheControl;
  // As @fastify/cors: an integer is max-age, a string is sent as given, anything else is no header.
  if (Number.isInteger(cc)) settings.cacheControl = `max-age=${cc}`;
  else if (typeof cc !== 'string') settings.cacheControl = null;
  return settings;
}

/** The policy options of `options`: everything but the plugin's own keys. */
function policyOptions(options) {
  if (options instanceof Policy) return options;
  const rest = {};
  for (const [key, value] of Object.entries(options)) {
    if (!PLUGIN_KEYS.includes(key)) rest[key] = value;
  }
  return rest;
}

/** Removes CORS headers set before that `keep` (lowercase names) does not replace. */
function removeOwned(reply, keep) {
  const existing = reply.getHeaders();
  for (const name in existing) {
    if (!keep.has(name) && isOwnedHeader(name)) reply.removeHeader(name);
  }
}

/** Appends the missing Vary tokens with core's rule; never overwrites. */
function mergeVary(reply, tokens, varyHeader) {
  mergeVaryInto(reply, tokens, varyHeader, 'header', 'vary');
}

function oneLine(value) {
  return value === undefined || typeof value === 'string';
}

/**
 * The hook body for one compiled policy: `run(req, reply, done)` applies
 * the decision and either answers the preflight or calls `done()`.
 */
function runner({ policy, predicate, preflightContinue }, settings) {
  if (policy.hasRoutes) return routedRunner(policy, predicate, preflightContinue, settings);
  const engine = policy[kEngine];
  const shapes = new Map();
  const { cacheControl, preflight: answerPreflights, strictPreflight } = settings;

  function answer(req, reply, done, status, contentLength, allowed) {
    req.corsPreflightEnabled = allowed;
    if (cacheControl !== null) reply.header('Cache-Control', cacheControl);
    reply.code(status);
    if (contentLength !== null) reply.header('Content-Length', contentLength);
    reply.send();
  }

  function finish(req, reply, done, id, flags, o, m, h, p) {
    const key = shapeKey(id);
    let shape = shapes.get(key);
    if (shape === undefined || isSlow(id)) {
      shape = policy[kShape](id, req.raw.method, o, m, h, p, flags);
      if (!isSlow(id)) shapes.set(key, shape);
    }
    apply(req, reply, done, shape, o, m, h);
    return shape;
  }

  function apply(req, reply, done, shape, o, m, h) {
    removeOwned(reply, shape.lowerNames);
    // Lowercase: Fastify lowercases every name it stores, and sends them so.
    const names = shape.lowerList;
    for (let i = 0; i < names.length; i++) reply.header(names[i], valueOf(shape, i, o, m, h));
    if (shape.varyHeader !== '') mergeVary(reply, shape.vary, shape.varyHeader);
    if (!shape.preflight) {
      done();
      return;
    }
    if (shape.allowed && preflightContinue) {
      req.corsPreflightEnabled = true;
      done();
      return;
    }
    answer(req, reply, done, shape.status, shape.contentLength, shape.allowed);
  }

  // Core's answers (shapes) for requests seen before, so a returning client
  // costs no crossing: the answer is a function of exactly the strings it is
  // keyed by (requests with Access-Control-Request-Private-Network are not
  // memoised) when no predicate was asked, and a cacheable shape holds no
  // request string (the echoed ones are filled in per request). At most
  // MEMO_LIMIT entries with short keys; when full, requests are decided as
  // before.
  const actualMemo = new Map(); // method -> origin -> shape
  const preflightMemo = new Map(); // origin -> ACRM -> ACRH -> shape
  let memoSize = 0;
  function recall(method, o, m, h) {
    if (m === undefined && h === undefined) {
      const byOrigin = actualMemo.get(method);
      return byOrigin === undefined ? undefined : byOrigin.get(o === undefined ? NONE : o);
    }
    let level = preflightMemo.get(o === undefined ? NONE : o);
    if (level === undefined) return undefined;
    level = level.get(m === undefined ? NONE : m);
    return level === undefined ? undefined : level.get(h === undefined ? NONE : h);
  }
  function remember(method, o, m, h, shape) {
    if (memoSize >= MEMO_LIMIT || typeof method !== 'string') return;
    if ((o === undefined ? 0 : o.length) + (h === undefined ? 0 : h.length) > MEMO_KEY_BYTES) return;
    const keys =
      m === undefined && h === undefined
        ? [actualMemo, method, o === undefined ? NONE : o]
        : [preflightMemo, o === undefined ? NONE : o, m === undefined ? NONE : m, h === undefined ? NONE : h];
    let level = keys[0];
    for (let i = 1; i < keys.length - 1; i++) {
      let next = level.get(keys[i]);
      if (next === undefined) {
        next = new Map();
        level.set(keys[i], next);
      }
      level = next;
    }
    level.set(keys[keys.length - 1], shape);
    memoSize++;
  }

  function general(req, reply, done, headers) {
    const d = policy.decide({ method: String(req.raw.method), headers });
    removeOwned(reply, new Set(d.headers.map(([n]) => n.toLowerCase())));
    for (const [name, value] of d.headers) reply.header(name, value);
    if (d.vary.length > 0) mergeVary(reply, d.vary);
    if (d.kind !== 'preflight') done();
    else if (d.allowed && preflightContinue) {
      req.corsPreflightEnabled = true;
      done();
    } else answer(req, reply, done, d.status, d.contentLength, d.allowed);
  }

  return function run(req, reply, done) {
    const headers = req.headers;
    const method = req.raw.method;
    const o = headers[ORIGIN];
    const m = headers[REQUEST_METHOD];
    const h = headers[REQUEST_HEADERS];
    const p = headers[PRIVATE_NETWORK];
    if (method === 'OPTIONS' && m !== undefined) {
      if (!answerPreflights) {
        // `preflight: false`: the route answers it, with the headers of an
        // actual OPTIONS request (the preflight's own are the route's to add).
        const actual = { ...headers };
        delete actual[REQUEST_METHOD];
        delete actual[REQUEST_HEADERS];
        delete actual[PRIVATE_NETWORK];
        general(req, reply, done, actual);
        return;
      }
      if (strictPreflight && o === undefined) {
        // A preflight without Origin is no browser's; @fastify/cors's answer.
        reply.code(400).type('text/plain').send('Invalid Preflight Request');
        return;
      }
    }
    if (!(oneLine(o) && oneLine(m) && oneLine(h) && oneLine(p)) || typeof method !== 'string') {
      general(req, reply, done, headers);
      return;
    }
    const known = p === undefined ? recall(method, o, m, h) : undefined;
    if (known !== undefined) {
      apply(req, reply, done, known, o, m, h);
      return;
    }
    const codes = argFlags(method, o, m, h, p);
    const id = decideNative(engine, method, o, m, h, p, codes);
    if ((id & ASKED_ANY) === 0 || predicate === undefined) {
      const shape = finish(req, reply, done, id, 0, o, m, h, p);
      if (p === undefined && !isSlow(id)) remember(method, o, m, h, shape);
      return;
    }
    const asked = id & ASKED ? o : policy[kAsked](method, o, m, h, p);
    let yes;
    try {
      yes = predicate(asked);
    } catch {
      yes = false;
    }
    const resume = (allowed) => {
      if (allowed === true) {
        const flags = FLAG_PREDICATE_YES;
        finish(req, reply, done, decideNative(engine, method, o, m, h, p, flags | codes), flags, o, m, h, p);
      } else {
        finish(req, reply, done, id, 0, o, m, h, p);
      }
    };
    if (yes !== null && typeof yes === 'object' && typeof yes.then === 'function') {
      yes.then(resume, () => resume(false)).catch(done);
    } else {
      resume(yes);
    }
  };
}

/** A policy file with routes: each route's policy runs on its paths, picked by the URL path. */
function routedRunner(policy, predicate, preflightContinue, settings) {
  const runs = policy.routes.map(([, route]) =>
    route === null ? null : runner({ policy: route, predicate: route[kPredicate], preflightContinue }, settings),
  );
  return function runRouted(req, reply, done) {
    const i = policy[kRouteIndex](req.url);
    const run = i < 0 ? null : runs[i];
    if (run === null) {
      // Outside every route: core's not-CORS answer (no header, nothing answered).
      const d = policy.decide({ method: String(req.raw.method), headers: req.headers, path: req.url });
      if (d.vary.length > 0) mergeVary(reply, d.vary);
      done();
      return;
    }
    run(req, reply, done);
  };
}

/**
 * The per-request entry: route config (`config: { cors: false }` or
 * `{ cors: { ...options } }`, merged over the plugin's) picks the runner.
 */
function perRoute(baseOptions, settings, thisArg) {
  const base = baseOptions === null ? null : build(baseOptions, settings, thisArg);
  const byConfig = new WeakMap();
  return function select(req) {
    // One read: Fastify builds routeOptions anew on every access.
    const route = req.routeOptions;
    const config = route && route.config;
    const own = config && config.cors;
    if (own === false) return null;
    if (own === undefined || own === null || typeof own !== 'object' || baseOptions === null) return base;
    let run = byConfig.get(own);
    if (run === undefined) {
      const merged = baseOptions instanceof Policy ? own : { ...baseOptions, ...own };
      run = build(merged, pluginSettings({ ...settingsAsOptions(settings), ...own }), thisArg);
      byConfig.set(own, run);
    }
    return run;
  };
}

function settingsAsOptions(settings) {
  return {
    hook: settings.hook,
    cacheControl: settings.cacheControl === null ? undefined : settings.cacheControl,
    preflight: settings.preflight,
    strictPreflight: settings.strictPreflight,
    hideOptionsRoute: settings.hideOptionsRoute,
    logLevel: settings.logLevel,
  };
}

/** A runner for `options`, or null when they turn CORS off (`origin: false`). */
function build(options, settings, thisArg) {
  const compiled = compileOptions(policyOptions(options), {
    adapter: 'corsgate/fastify',
    defaultMethods: FASTIFY_DEFAULT_METHODS,
    arraySeparator: ', ',
    thisArg,
    starInListIsAny: true,
  });
  return compiled === null ? null : runner(compiled, settings);
}

function addHook(fastify, hook, handle) {
  if (HOOKS_WITH_PAYLOAD.includes(hook)) {
    fastify.addHook(hook, function corsgate(req, reply, payload, done) {
      handle(req, reply, (err) => (err ? done(err) : done(null, payload)));
    });
  } else {
    fastify.addHook(hook, handle);
  }
}

/** Per-request options from a delegator `(req, cb)` or `async (req) => options`, each compiled once. */
function delegated(fastify, delegator, settings) {
  const cache = new WeakMap();
  const disabled = {};
  const selectFor = (options) => {
    const key = options === undefined || options === null ? disabled : options;
    let select = cache.get(key);
    if (select === undefined) {
      const opts = key === disabled ? {} : options;
      select = perRoute(policyOptions(opts), pluginSettings({ ...settingsAsOptions(settings), ...opts }), fastify);
      cache.set(key, select);
    }
    return select;
  };
  const proceed = (req, reply, done, options) => {
    let run;
    try {
      run = selectFor(options)(req);
    } catch (e) {
      done(e);
      return;
    }
    if (run === null) done();
    else run(req, reply, done);
  };
  return function handleDelegated(req, reply, done) {
    if (delegator.length === 2) {
      delegator(req, (err, options) => (err ? done(err) : proceed(req, reply, done, options)));
      return;
    }
    let ret;
    try {
      ret = delegator(req);
    } catch (e) {
      done(e);
      return;
    }
    if (ret === null || typeof ret !== 'object' || typeof ret.then !== 'function') {
      done(new TypeError('corsgate/fastify: a one-argument delegator must return a Promise of options'));
      return;
    }
    ret.then((options) => proceed(req, reply, done, options), done);
  };
}

function corsgateFastify(fastify, opts, next) {
  let handle;
  let settings;
  try {
    const options = opts === undefined || opts === null ? {} : opts;
    settings = pluginSettings(typeof options === 'function' ? {} : options);
    const delegator = typeof options === 'function' ? options : options.delegator;
    if (delegator !== undefined) {
      if (typeof delegator !== 'function') throw new TypeError('corsgate/fastify: delegator must be a function');
      handle = delegated(fastify, delegator, settings);
    } else {
      const select = perRoute(policyOptions(options), settings, fastify);
      handle = function handleCors(req, reply, done) {
        const run = select(req);
        if (run === null) done();
        else run(req, reply, done);
      };
    }
  } catch (e) {
    next(e);
    return;
  }
  fastify.decorateRequest('corsPreflightEnabled', false);
  addHook(fastify, settings.hook, handle);
  // Lets Fastify route every OPTIONS to the hook; an OPTIONS that is not an
  // answered preflight is the application's, or a 404 as without this route.
  fastify.options('*', { schema: { hide: settings.hideOptionsRoute }, logLevel: settings.logLevel }, (req, reply) => {
    if (!req.corsPreflightEnabled) {
      reply.callNotFound();
      return;
    }
    reply.send();
  });
  next();
}

// What `fastify-plugin` sets: the hooks apply to the scope that registers
// the plugin. Named as @fastify/cors, so plugins that declare it as a
// dependency keep working.
corsgateFastify[Symbol.for('skip-override')] = true;
corsgateFastify[Symbol.for('fastify.display-name')] = '@fastify/cors';
corsgateFastify[Symbol.for('plugin-meta')] = { name: '@fastify/cors', fastify: '4.x || 5.x' };

module.exports = corsgateFastify;
module.exports.default = corsgateFastify;
module.exports.fastifyCors = corsgateFastify;
module.exports.corsgate = corsgateFastify;
