'use strict';
// The options of the `cors` family (expressjs/cors, @fastify/cors) turned
// into one Policy. Shared by the Express and Fastify adapters; every rule is
// core's, this only renames and reshapes.

const { Policy, internal } = require('./engine.js');

const { C, kPredicate, kText } = internal;

/** The `cors` package's default methods. */
const CORS_DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';

/**
 * What an unset `allowedHeaders` means in the `cors` family: reflect every
 * requested name. Core's `*` allows every name but `authorization`, which
 * must be listed by name (Fetch), so both are given, with the wildcard
 * echoing the requested names (`format.requestHeadersWildcard`).
 */
const REFLECT_REQUEST_HEADERS = ['*', 'authorization'];

/** `cors` option names that have a corsgate spelling. */
const RENAMED = {
  allowedHeaders: 'requestHeaders',
  headers: 'requestHeaders',
  exposedHeaders: 'exposeHeaders',
  optionsSuccessStatus: 'preflightStatus',
};

/** "a, b" -> ["a", "b"], as the `cors` family accepts comma-separated strings. */
function list(value) {
  if (typeof value !== 'string') return value;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The separator a comma-separated option string uses (`,` or `, `), or null. */
function separatorOf(value) {
  if (typeof value !== 'string' || !value.includes(',')) return null;
  return /,[ \t]/.test(value) ? ', ' : ',';
}

/** The predicate of `origin: []`: no origin is allowed. */
function NO_ORIGIN() {
  return false;
}

function regexpPredicate(patterns) {
  return (origin) =>
    patterns.some((re) => {
      re.lastIndex = 0;
      return re.test(origin);
    });
}

/** Whether a `cors`-style origin value (boolean, string, RegExp or an array of those) allows `origin`. */
function valueAllows(origin, value) {
  if (Array.isArray(value)) return value.some((v) => valueAllows(origin, v));
  if (value instanceof RegExp) {
    value.lastIndex = 0;
    return value.test(origin);
  }
  if (typeof value === 'string') return value === origin || value === '*';
  return value === true;
}

/**
 * Wraps a `cors`-style `origin(requestOrigin, callback)` into a predicate
 * returning a boolean, or a Promise when the answer comes later: through
 * the callback, or (as @fastify/cors allows) a returned Promise. The value
 * may be a boolean, a string, a RegExp or an array of those; an error, a
 * throw or a rejection counts as "no" (SPEC §3).
 */
function callbackPredicate(fn, thisArg) {
  return (origin) => {
    let sync = true;
    let answer;
    let resolveLater;
    const done = (err, value) => {
      if (answer !== undefined && !sync) return;
      const yes = !err && valueAllows(origin, value);
      if (sync) answer = yes;
      else if (resolveLater) {
        const r = resolveLater;
        resolveLater = undefined;
        r(yes);
      }
    };
    let returned;
    try {
      returned = fn.call(thisArg, origin, done);
    } catch {
      return false;
    }
    sync = false;
    if (answer !== undefined) return answer;
    const later = new Promise((resolve) => {
      resolveLater = resolve;
    });
    if (returned !== null && typeof returned === 'object' && typeof returned.then === 'function') {
      returned.then(
        (value) => done(null, value),
        (err) => done(err || new Error('rejected')),
      );
    }
    return later;
  };
}

/**
 * Translates `cors`-family options into `{ policy, predicate,
 * preflightContinue }`, or null when CORS is off (`origin: false`).
 * `adapter` names the caller in errors; `defaultMethods` is the peer's;
 * `thisArg` is what an origin function is called on. Lists are sent in the
 * peer's bytes: an array joined with `arraySeparator`, a string with its
 * own separator, names as configured.
 */
function compileOptions(
  options,
  { adapter, defaultMethods = CORS_DEFAULT_METHODS, arraySeparator = ',', thisArg, starInListIsAny = false } = {},
) {
  if (options instanceof Policy) {
    return { policy: options, predicate: options[kPredicate], preflightContinue: false };
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${adapter}(options) takes an options object or a Policy`);
  }
  const { origin, preflightContinue = false, policy, originPredicate, ...rest } = options;
  if (typeof preflightContinue !== 'boolean') throw new TypeError('preflightContinue must be a boolean');
  if (policy !== undefined) {
    if (!(policy instanceof Policy)) throw new TypeError('policy must be a corsgate Policy');
    const extra = Object.keys(rest)
      .filter((k) => rest[k] !== undefined && rest[k] !== null)
      .concat(origin !== undefined ? ['origin'] : []);
    if (extra.length > 0 || originPredicate !== undefined) {
      throw new TypeError(`give either a policy or policy options, not both (got ${extra.join(', ')})`);
    }
    return { policy, predicate: policy[kPredicate], preflightContinue };
  }
  if (origin === false) return null;

  const settings = {};
  const separators = {};
  for (const [key, value] of Object.entries(rest)) {
    // @fastify/cors writes "unset" as null.
    if (value === undefined || value === null) continue;
    const to = RENAMED[key] || key;
    if (settings[to] !== undefined) {
      throw new TypeError(`\`${key}\` repeats another option that sets \`${to}\`; give one`);
    }
    settings[to] = value;
  }
  if (settings.methods === undefined) settings.methods = defaultMethods;
  for (const key of ['methods', 'requestHeaders', 'exposeHeaders']) {
    if (settings[key] === undefined) continue;
    separators[`${key}Separator`] = separatorOf(settings[key]) || arraySeparator;
    settings[key] = list(settings[key]);
  }
  const reflect = settings.requestHeaders === undefined;
  if (reflect) settings.requestHeaders = REFLECT_REQUEST_HEADERS;
  if (typeof settings.maxAge === 'string' && /^\d+$/.test(settings.maxAge)) {
    settings.maxAge = Number(settings.maxAge);
  }

  let predicate = originPredicate;
  let mode;
  if (predicate !== undefined && typeof predicate !== 'function') {
    throw new TypeError('originPredicate must be a function (origin) => boolean | Promise<boolean>');
  }
  if (origin !== undefined) {
    if (settings.origins !== undefined) throw new TypeError('give `origin` (cors) or `origins` (corsgate), not both');
    if (predicate !== undefined && (origin === true || typeof origin === 'function' || origin instanceof RegExp)) {
      throw new TypeError('give a function or RegExp `origin` or an `originPredicate`, not both');
    }
    const items = Array.isArray(origin) ? origin : [origin];
    if (origin === true) {
      settings.origins = [];
      mode = C.PREDICATE_ALWAYS;
    } else if (typeof origin === 'function') {
      settings.origins = [];
      predicate = callbackPredicate(origin, thisArg);
    } else if (Array.isArray(origin) && origin.length === 0) {
      // An empty list allows no origin, as the peers read it (not an error).
      if (predicate !== undefined) throw new TypeError('give an `originPredicate` or `origin: []`, not both');
      settings.origins = [];
      predicate = NO_ORIGIN;
    } else if (starInListIsAny && items.length > 1 && items.includes('*')) {
      // As @fastify/cors reads it: a list holding '*' allows any origin.
      settings.origins = ['*'];
    } else {
      const patterns = items.filter((o) => o instanceof RegExp);
      settings.origins = items.filter((o) => !(o instanceof RegExp));
      if (patterns.length > 0) {
        if (predicate !== undefined) throw new TypeError('give RegExp origins or an `originPredicate`, not both');
        predicate = regexpPredicate(patterns);
      }
    }
  } else if (settings.origins === undefined && predicate === undefined) {
    settings.origins = ['*'];
  }
  if (settings.format === undefined) {
    settings.format = {
      ...separators,
      requestHeadersCase: 'as-configured',
      // Unset allowedHeaders: the requested names are sent back, as the peers do.
      requestHeadersWildcard: reflect ? 'echo' : 'star',
    };
  }
  if (mode === undefined) mode = predicate ? C.PREDICATE_JS : C.PREDICATE_NONE;
  const built = new Policy(kText, { source: C.SOURCE_OPTIONS, input: settings, predicate: undefined, mode });
  return { policy: built, predicate, preflightContinue };
}

module.exports = { compileOptions, callbackPredicate, CORS_DEFAULT_METHODS };
