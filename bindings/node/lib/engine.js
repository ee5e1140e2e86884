'use strict';
// The JS half of the binding. It moves strings to the native engine and
// copies its answers out; every CORS rule lives in core (see src/lib.rs for
// why the crossing looks the way it does).
//
// Hot path: `native.decide(engine, method, origin, acrm, acrh, acrpn, flags,
// ask)` returns a shape id. A shape is the decision minus the request strings
// it echoes; it is fetched once per policy through `native.full` and cached
// here, so a decision costs one crossing, four short strings in and one
// integer out. An origin predicate (`ask`) is called by core from inside
// that crossing, only when core needs its answer.

const fs = require('node:fs');
const path = require('node:path');
const native = require('./native.js');
const { PolicyError } = require('./errors.js');
const { headerReader, typeName } = require('./headers.js');

// Constants from the addon, copied into bindings: the object napi builds is
// in dictionary mode, too slow to read on the hot path.
const {
  SOURCE_OPTIONS,
  SOURCE_JSON,
  SOURCE_TOML,
  PREDICATE_NONE,
  PREDICATE_JS,
  PREDICATE_ALWAYS,
  FLAG_PREDICATE_YES,
  FLAG_PREDICATE_CALL,
  SLOW,
  ASKED,
  ASKED_OTHER,
  ANSWERED_YES,
  SHAPE_MASK,
  REFUSED,
  CHECK_SHIFT,
  SPAN_START_SHIFT,
  HIGH_HEADER_SHIFT,
  SOURCE_CONSTANT,
  SOURCE_ORIGIN,
  SOURCE_METHOD,
  SOURCE_LITERAL,
  METHOD_SHIFT,
  REQUEST_METHOD_SHIFT,
  GIVEN_SHIFT,
  METHODS,
  REQUEST_HEADER_NAMES,
  VERSION,
} = native.constants();
const { collect, found } = headerReader(REQUEST_HEADER_NAMES);
const ASKED_ANY = ASKED | ASKED_OTHER;
// A refusal's shape is its kind, allowed bit and reason; its other bits
// carry the refusal itself (see src/lib.rs).
const REFUSAL_SHAPE_MASK = (1 << SPAN_START_SHIFT) - 1;
const KIND_MASK = 3;
const HIGH = 4294967296;

/** The shape cache key of an id. */
function shapeKey(id) {
  return id & REFUSED ? id & REFUSAL_SHAPE_MASK : id & SHAPE_MASK;
}

/** Whether an id's values must be fetched whole (`native.full`) rather than cached. */
function isSlow(id) {
  return (id & REFUSED) === 0 && (id & SLOW) !== 0;
}

/**
 * Explains the refusal a hot-path id carries, for the request strings it
 * was decided on: the check, and where its bytes sit in the header it read.
 */
function explainId(id, fields, url) {
  const high = Math.floor(id / HIGH);
  const line = fields[high >>> HIGH_HEADER_SHIFT];
  const check = (id >>> CHECK_SHIFT) & 0x1ff;
  if (high & 1) {
    const start = (id >>> SPAN_START_SHIFT) & 0x1fff;
    const value = line.slice(start, start + ((high >>> 1) & 0x3ffff));
    return native.explain(id & KIND_MASK, check, fields[0], value, false, url);
  }
  return native.explain(id & KIND_MASK, check, fields[0], line === undefined ? '' : line, true, url);
}

/** The code native.decide accepts for a method string (index in METHODS + 1), or 0. */
function methodCode(method) {
  // A switch, not a lookup object: no prototype can add entries to it.
  switch (method) {
    case 'GET':
      return 1;
    case 'HEAD':
      return 2;
    case 'POST':
      return 3;
    case 'PUT':
      return 4;
    case 'DELETE':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'PATCH':
      return 7;
    default:
      return 0;
  }
}
if (METHODS.some((m, i) => methodCode(m) !== i + 1) || methodCode('') !== 0) {
  throw new Error('corsgate: lib/engine.js and the addon disagree on method codes; rebuild the package');
}

const GIVEN_ORIGIN = 1 << GIVEN_SHIFT;
const GIVEN_REQUEST_METHOD = 2 << GIVEN_SHIFT;
const GIVEN_REQUEST_HEADERS = 4 << GIVEN_SHIFT;
const GIVEN_PRIVATE_NETWORK = 8 << GIVEN_SHIFT;

/**
 * The transport bits of `flags` for native.decide: which values are given
 * (absent ones are not read) and the method and ACRM as codes when they are
 * one of the strings in METHODS (a code is cheaper to pass than a string).
 */
function argFlags(method, origin, requestMethod, requestHeaders, privateNetwork) {
  let flags = methodCode(method) << METHOD_SHIFT;
  if (origin !== undefined) flags |= GIVEN_ORIGIN;
  if (requestMethod !== undefined) {
    flags |= GIVEN_REQUEST_METHOD | (methodCode(requestMethod) << REQUEST_METHOD_SHIFT);
  }
  if (requestHeaders !== undefined) flags |= GIVEN_REQUEST_HEADERS;
  if (privateNetwork !== undefined) flags |= GIVEN_PRIVATE_NETWORK;
  return flags;
}

const kEngine = Symbol('corsgate.engine');
const kShape = Symbol('corsgate.shape');
const kAsked = Symbol('corsgate.asked');
const kPredicate = Symbol('corsgate.predicate');
const kRouteIndex = Symbol('corsgate.routeIndex');

function checkPredicate(predicate) {
  if (predicate !== undefined && typeof predicate !== 'function') {
    throw new TypeError('originPredicate must be a function (origin: string) => boolean');
  }
  return predicate;
}

/** Calls a user predicate once; anything but `true`, or a throw, is "no" (SPEC §3). */
function askPredicate(predicate, origin) {
  try {
    return predicate(origin) === true;
  } catch {
    return false;
  }
}

/** Flat [name, value, ...] lines for `native.full` / `native.explain`. */
function linesOf(origin, requestMethod, requestHeaders, privateNetwork) {
  const lines = [];
  const values = [origin, requestMethod, requestHeaders, privateNetwork];
  for (let i = 0; i < 4; i++) {
    const v = values[i];
    if (v === undefined) continue;
    if (typeof v === 'string') lines.push(REQUEST_HEADER_NAMES[i], v);
    else for (const line of v) lines.push(REQUEST_HEADER_NAMES[i], line);
  }
  return lines;
}

/**
 * A shape from a `native.full` result. `sources[i]` says where header i's
 * value comes from: SOURCE_CONSTANT (`values[i]`), SOURCE_ORIGIN,
 * SOURCE_METHOD or SOURCE_HEADERS (the request string as the caller gave it).
 */
function makeShape(full, cacheable) {
  const n = full.names.length;
  const names = full.names;
  const values = new Array(n);
  const sources = new Array(n);
  let dynamic = false;
  for (let i = 0; i < n; i++) {
    let s = full.sources[i];
    if (!cacheable || s === SOURCE_LITERAL) s = SOURCE_CONSTANT;
    sources[i] = s;
    values[i] = s === SOURCE_CONSTANT ? full.values[i] : null;
    if (s !== SOURCE_CONSTANT) dynamic = true;
  }
  const vary = Object.freeze(full.vary.slice());
  const varyHeader = vary.length === 0 ? '' : native.mergeVary([], vary);
  return {
    kind: full.kind,
    preflight: full.kind === 'preflight',
    allowed: full.allowed,
    status: full.status,
    // For a preflight the host answers itself: core's Content-Length rule.
    contentLength: full.contentLength,
    reason: full.reason,
    vary,
    // The Vary value to set on a response that has none (core's merge of no lines).
    varyHeader,
    names,
    // The names lowercase, as hosts that store them so (Fastify) take them fastest.
    lowerList: names.map((x) => x.toLowerCase()),
    lowerNames: new Set(names.map((x) => x.toLowerCase())),
    values,
    sources,
    // Shared by every decision of this shape when nothing is echoed.
    headers: dynamic ? null : Object.freeze(names.map((x, i) => Object.freeze([x, values[i]]))),
  };
}

/** The value of header `i` of `shape` for a request's strings. */
function valueOf(shape, i, origin, requestMethod, requestHeaders) {
  switch (shape.sources[i]) {
    case SOURCE_CONSTANT:
      return shape.values[i];
    case SOURCE_ORIGIN:
      return origin;
    case SOURCE_METHOD:
      return requestMethod;
    default:
      return requestHeaders;
  }
}

// Core's rule for which response headers corsgate owns, cached per name
// (names come from the application, so the cache stays small; it is capped anyway).
const ownedHeaders = new Map();

/** Whether corsgate replaces or removes an application's header `name` (SPEC §5). */
function isOwnedHeader(name) {
  let owned = ownedHeaders.get(name);
  if (owned === undefined) {
    owned = native.isCorsResponseHeader(name);
    if (ownedHeaders.size < 4096) ownedHeaders.set(name, owned);
  }
  return owned;
}

/**
 * Merges `tokens` into a response's Vary (SPEC §5) with core's rule: appends
 * the missing ones, never overwrites, leaves `Vary: *` alone. `set` names
 * the response's setter (`setHeader`; Fastify's reply: `header`, with the
 * lowercase `name` it stores).
 */
function mergeVary(res, tokens, varyHeader = native.mergeVary([], tokens), set = 'setHeader', name = 'Vary') {
  const current = res.getHeader(name);
  if (current === undefined || current === null) {
    res[set](name, varyHeader);
    return;
  }
  const lines = Array.isArray(current) ? current.map(String) : [String(current)];
  const last = native.mergeVary(lines, tokens);
  if (last === null) return;
  if (Array.isArray(current) && current.length > 0) {
    const merged = current.slice();
    merged[merged.length - 1] = last;
    res[set](name, merged);
  } else {
    res[set](name, last);
  }
}

/** One decision (SPEC §5). `headers` may be shared: treat it as read-only. */
class Decision {
  #id;
  #fields;
  #refusal;

  constructor(shape, headers, id, fields, refusal) {
    this.kind = shape.kind;
    this.allowed = shape.allowed;
    this.status = shape.status;
    this.headers = headers;
    this.vary = shape.vary;
    this.reason = shape.reason;
    this.contentLength = shape.contentLength;
    this.#id = id;
    this.#fields = fields;
    this.#refusal = refusal;
  }

  /**
   * Why a refused request was refused, what the browser console says and the
   * policy change that would allow it (SPEC §7); `null` when it was allowed
   * or is not a CORS request. `url` is quoted in the console messages.
   * Renders what the decision recorded: nothing is decided again.
   */
  explain(url = '') {
    if (typeof url !== 'string') throw new TypeError('url must be a string');
    const r = this.#refusal;
    if (r !== null) return native.explain(this.#id & KIND_MASK, r[0], r[2], r[1], false, url);
    if ((this.#id & REFUSED) === 0) return null;
    return explainId(this.#id, this.#fields, url);
  }
}

const kText = Symbol('corsgate.text');
// The source of a route's policy: an engine `native.routeEngine` made.
const kRoute = Symbol('corsgate.route');
let outside = null;

/** Core's decision for a path outside every route (not CORS), for `fields`. */
function outsideDecision(method, fields) {
  if (outside === null) {
    const full = native.outside(method, []);
    outside = { id: full.id, shape: makeShape(full, true) };
  }
  return new Decision(outside.shape, outside.shape.headers, outside.id, fields, null);
}

/** A validated CORS policy (SPEC §2). Immutable; build once, decide per request. */
class Policy {
  #native;
  #predicate;
  #ask;
  #shapes = new Map();
  #routes = null;

  /**
   * @param options SPEC §2 keys in camelCase, plus `originPredicate`.
   */
  constructor(options, ...internal) {
    let source;
    let input;
    let predicate;
    let mode;
    if (options === kText) {
      ({ source, input, predicate, mode } = internal[0]);
    } else {
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw new TypeError(
          'new Policy(options) takes an object of SPEC keys in camelCase; use Policy.fromJson, fromToml or fromFile for text',
        );
      }
      const { originPredicate, ...rest } = options;
      source = SOURCE_OPTIONS;
      input = rest;
      predicate = checkPredicate(originPredicate);
    }
    if (mode === undefined) mode = predicate ? PREDICATE_JS : PREDICATE_NONE;
    const compiled = source === kRoute ? input : native.compile(source, input, mode);
    if (source !== kRoute) {
      const problems = native.problems(compiled);
      if (problems !== null) throw new PolicyError(problems);
    }
    this.#native = compiled;
    this.#predicate = predicate;
    if (mode === PREDICATE_JS && predicate !== undefined) this.#ask = (origin) => askPredicate(predicate, origin);
    const count = source === kRoute ? 0 : native.routeCount(compiled);
    if (count > 0) {
      // Each route's policy has an engine (and a shape cache) of its own.
      const patterns = native.routePatterns(compiled);
      this.#routes = patterns.map((pattern, i) => {
        const engine = native.routeEngine(compiled, i);
        const policy = engine === null ? null : new Policy(kText, { source: kRoute, input: engine, predicate, mode });
        return Object.freeze([pattern, policy]);
      });
      Object.freeze(this.#routes);
    }
  }

  /** Whether the policy file has routes (then `decide` needs the request `path`). */
  get hasRoutes() {
    return this.#routes !== null;
  }

  /**
   * The routes in matching order, `[pattern, policy]` pairs (`policy` null
   * where the route is not CORS); `[]` for a policy without routes.
   */
  get routes() {
    return this.#routes === null ? [] : this.#routes;
  }

  /**
   * The policy that answers `path` (the raw request path): this policy when
   * it has no routes; `null` outside every route and on a route that is not CORS.
   */
  policyFor(path) {
    if (this.#routes === null) return this;
    if (typeof path !== 'string') {
      throw new TypeError(`this policy has routes: the request path must be a string, got ${typeName(path)}`);
    }
    const i = native.routeIndex(this.#native, path);
    return i < 0 ? null : this.#routes[i][1];
  }

  /** Parses and validates a JSON policy. */
  static fromJson(text, options = {}) {
    return Policy.#fromText(SOURCE_JSON, text, options);
  }

  /** Parses and validates a TOML policy. */
  static fromToml(text, options = {}) {
    return Policy.#fromText(SOURCE_TOML, text, options);
  }

  /** Reads a `.json` or `.toml` policy file (other names: JSON when it starts with `{`). */
  static fromFile(file, options = {}) {
    const text = fs.readFileSync(file, 'utf8');
    const ext = path.extname(String(file)).toLowerCase();
    const json = ext === '.json' || (ext !== '.toml' && text.trimStart().startsWith('{'));
    return Policy.#fromText(json ? SOURCE_JSON : SOURCE_TOML, text, options);
  }

  static #fromText(source, text, options) {
    if (typeof text !== 'string') throw new TypeError('the policy text must be a string');
    const predicate = checkPredicate(options && options.originPredicate);
    return new Policy(kText, { source, input: text, predicate });
  }

  /**
   * Decides the CORS response for a request: `{ method, headers }`, headers
   * as Node's `req.headers`, `req.rawHeaders`, `[name, value]` pairs or a Map.
   */
  decide(request) {
    if (request === null || typeof request !== 'object') {
      throw new TypeError('decide(request) takes { method, headers }');
    }
    const method = request.method;
    if (typeof method !== 'string') throw new TypeError(`request.method must be a string, got ${typeName(method)}`);
    if (this.#routes !== null) {
      if (request.path === undefined) {
        throw new TypeError('this policy has routes: decide({ method, headers, path }) needs the request path');
      }
      const policy = this.policyFor(request.path);
      if (policy !== null) return policy.decide(request);
      collect(request.headers);
      return outsideDecision(method, [found[0], found[1], found[2], found[3]]);
    }
    collect(request.headers);
    const o = found[0];
    const m = found[1];
    const h = found[2];
    const p = found[3];
    const fields = [o, m, h, p];
    if (
      (o === undefined || typeof o === 'string') &&
      (m === undefined || typeof m === 'string') &&
      (h === undefined || typeof h === 'string') &&
      (p === undefined || typeof p === 'string')
    ) {
      const ask = this.#ask;
      const codes = argFlags(method, o, m, h, p) | (ask === undefined ? 0 : FLAG_PREDICATE_CALL);
      const id = native.decide(this.#native, method, o, m, h, p, codes, ask);
      // The predicate's answer, replayed (not asked again) by `full`.
      const flags = id & ANSWERED_YES ? FLAG_PREDICATE_YES : 0;
      const shape = this[kShape](id, method, o, m, h, p, flags);
      let headers = shape.headers;
      if (headers === null) {
        headers = new Array(shape.names.length);
        for (let i = 0; i < headers.length; i++) {
          headers[i] = [shape.names[i], valueOf(shape, i, o, m, h)];
        }
      }
      return new Decision(shape, headers, id, fields, null);
    }
    // Repeated lines: core reads them all.
    const lines = linesOf(o, m, h, p);
    const ask = this.#ask;
    const full = native.full(this.#native, method, lines, ask === undefined ? 0 : FLAG_PREDICATE_CALL, ask);
    const shape = makeShape(full, false);
    return new Decision(shape, shape.headers, full.id, fields, full.refusal);
  }

  /** Legal but risky choices (SPEC §7): `[{ code, value, message, fix }]`. */
  lint() {
    return native.lint(this.#native);
  }

  /** The policy as SPEC §2 data (snake_case keys, defaults included). */
  toJSON() {
    return JSON.parse(native.toJson(this.#native));
  }

  // Internals shared with the Express adapter (not part of the API).

  /** The native engine, for callers that pass `native.decide` one-line values (strings or undefined). */
  get [kEngine]() {
    return this.#native;
  }

  /** The shape for `id`, fetched once per policy unless it holds request fragments. */
  [kShape](id, method, origin, requestMethod, requestHeaders, privateNetwork, flags) {
    if (isSlow(id)) {
      const lines = linesOf(origin, requestMethod, requestHeaders, privateNetwork);
      return makeShape(native.full(this.#native, method, lines, flags), false);
    }
    const key = shapeKey(id);
    let shape = this.#shapes.get(key);
    if (shape === undefined) {
      const lines = linesOf(origin, requestMethod, requestHeaders, privateNetwork);
      shape = makeShape(native.full(this.#native, method, lines, flags), true);
      this.#shapes.set(key, shape);
    }
    return shape;
  }

  /** What core asked the predicate about, when it is not the Origin string as given. */
  [kAsked](method, origin, requestMethod, requestHeaders, privateNetwork) {
    const lines = linesOf(origin, requestMethod, requestHeaders, privateNetwork);
    return native.full(this.#native, method, lines, 0).asked;
  }

  get [kPredicate]() {
    return this.#predicate;
  }

  /** The index of the route that answers `path` (a string), or -1. */
  [kRouteIndex](path) {
    return native.routeIndex(this.#native, path);
  }

}

module.exports = {
  Policy,
  PolicyError,
  Decision,
  VERSION: VERSION,
  // For the Express adapter.
  internal: {
    C: {
      SOURCE_OPTIONS,
      PREDICATE_NONE,
      PREDICATE_JS,
      PREDICATE_ALWAYS,
      FLAG_PREDICATE_YES,
      SLOW,
      ASKED,
      SHAPE_MASK,
    },
    ASKED_ANY,
    requestHeaderNames: REQUEST_HEADER_NAMES,
    shapeKey,
    isSlow,
    kEngine,
    decideNative: native.decide,
    argFlags,
    kShape,
    kAsked,
    kPredicate,
    kRouteIndex,
    kText,
    valueOf,
    askPredicate,
    isOwnedHeader,
    mergeVary,
  },
};
