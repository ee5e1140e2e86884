'use strict';
// corsgate on runtimes without native addons (Cloudflare Workers, Deno,
// Bun, Vercel Edge): the same core engine compiled to WebAssembly
// (corsgate.wasm, built by bindings/wasm/build), driven by this glue over
// its raw exports. No CORS rule lives here: bytes go in, core's decision
// comes out.
//
//   const { load } = require('corsgate/edge');
//   const { Policy } = load(wasmModuleOrBytes); // a WebAssembly.Module, or the file's bytes
//   const policy = Policy.fromToml(text);
//   policy.decide({ method, headers, path }) // headers: a Headers, an object or [name, value] pairs
//   export default { fetch: withCors(policy, (request, env, ctx) => new Response('hi')) };

const { PolicyError } = require('./lib/errors.js');
const { headerReader } = require('./lib/headers.js');

const ABSENT = 0xffffffff;

const KINDS = ['actual', 'preflight', 'not-cors'];
const UNSEEN = 0xffff;

/**
 * Writes byte string `v` (Fetch's Headers and Node's http hold header bytes
 * so: a code unit up to U+00FF is that byte; any other becomes 0xFF, as the
 * native addon reads them, so both bindings hand core the same bytes) into
 * `u8` at `at`, which the caller has made room for; returns the end.
 */
function putBytes(u8, at, v) {
  const n = v.length;
  for (let k = 0; k < n; k++) {
    const c = v.charCodeAt(k);
    u8[at + k] = c > 0xff ? 0xff : c;
  }
  return at + n;
}

/** One header line: its length (u32 LE), then its bytes. */
function putLine(u8, at, v) {
  const n = v.length;
  u8[at] = n & 0xff;
  u8[at + 1] = (n >>> 8) & 0xff;
  u8[at + 2] = (n >>> 16) & 0xff;
  u8[at + 3] = n >>> 24;
  return putBytes(u8, at + 4, v);
}

/** Bytes as a byte string (each byte one code unit), as Headers holds values. */
function latin1(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  return s;
}

/** Instantiates the module and returns its `Policy` class. */
function load(moduleOrBytes) {
  let module = moduleOrBytes;
  if (!(module instanceof WebAssembly.Module)) {
    if (!(module instanceof ArrayBuffer) && !ArrayBuffer.isView(module)) {
      throw new TypeError(
        "load(moduleOrBytes) takes corsgate.wasm as a WebAssembly.Module (import wasm from 'corsgate/corsgate.wasm') " +
          "or its bytes (fs.readFileSync(require.resolve('corsgate/corsgate.wasm')))",
      );
    }
    module = new WebAssembly.Module(moduleOrBytes);
  }
  let predicate;
  let memory;
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const imports = {
    corsgate: {
      origin_allowed(ptr, len) {
        if (predicate === undefined) return 0;
        try {
          return predicate(latin1(new Uint8Array(memory.buffer, ptr, len))) === true ? 1 : 0;
        } catch {
          return 0; // a throw is "no" (SPEC §3)
        }
      },
    },
  };
  const x = new WebAssembly.Instance(module, imports).exports;
  memory = x.memory;
  let inputCap = x.input_capacity();
  // Pointers first: a call may grow (and so replace) the memory's buffer.
  const out = (len) => {
    const ptr = x.output();
    return new Uint8Array(memory.buffer, ptr, len);
  };
  const [headerNames, reasonNames, readNames] = decoder.decode(out(x.names())).split('\t').map((s) => s.split('\n'));
  const { collect, found } = headerReader(readNames);
  // Read once: Node defines the global Headers as a lazy getter.
  const WebHeaders = typeof Headers === 'function' ? Headers : undefined;
  const isHeaders = WebHeaders === undefined ? () => false : (h) => h instanceof WebHeaders;

  function compile(text, format, options) {
    if (typeof text !== 'string') throw new TypeError('the policy text must be a string');
    const p = options && options.originPredicate;
    if (p !== undefined && typeof p !== 'function') {
      throw new TypeError('originPredicate must be a function (origin: string) => boolean');
    }
    const bytes = encoder.encode(text);
    const ptr = x.alloc(bytes.length);
    new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
    const engine = x.compile(ptr, bytes.length, format, p === undefined ? 0 : 1);
    x.dealloc(ptr, bytes.length);
    const n = x.problems(engine);
    if (n > 0) {
      const errors = JSON.parse(decoder.decode(out(n)));
      x.free(engine);
      throw new PolicyError(errors);
    }
    return new Policy(engine, p);
  }

  // Policies live as long as the worker; a FinalizationRegistry frees dropped ones.
  const registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((e) => x.free(e)) : null;

  class Policy {
    #engine;
    #predicate;
    #routes;
    constructor(engine, p) {
      this.#engine = engine;
      this.#predicate = p;
      this.#routes = x.has_routes(engine) === 1;
      if (registry) registry.register(this, engine);
    }

    static fromJson(text, options) {
      return compile(text, 0, options);
    }

    static fromToml(text, options) {
      return compile(text, 1, options);
    }

    /** Whether the policy file has routes (then `decide` needs `path`). */
    get hasRoutes() {
      return this.#routes;
    }

    /** Core's decision for `{ method, headers, path }` (SPEC §5). */
    decide(request) {
      if (request === null || typeof request !== 'object') throw new TypeError('decide(request) takes { method, headers }');
      const { method, headers } = request;
      if (typeof method !== 'string') throw new TypeError('request.method must be a string');
      let path = request.path;
      if (this.#routes && typeof path !== 'string') {
        throw new TypeError('this policy has routes: decide({ method, headers, path }) needs the request path');
      }
      if (isHeaders(headers)) {
        // A Web Headers object: the runtime has joined repeated lines already.
        for (let h = 0; h < 4; h++) {
          const v = headers.get(readNames[h]);
          found[h] = v === null ? undefined : v;
        }
      } else {
        collect(headers);
      }
      // The bytes this request takes; a larger request grows the buffer.
      let need = method.length + (this.#routes ? path.length : 0);
      for (let h = 0; h < 4; h++) {
        const v = found[h];
        if (v === undefined) continue;
        if (typeof v === 'string') need += 4 + v.length;
        else for (const line of v) need += 4 + line.length;
      }
      if (need > inputCap) reserve(need);
      const u8 = bytes();
      let at = putBytes(u8, inputPtr, method);
      for (let h = 0; h < 4; h++) {
        const v = found[h];
        counts[h] = 0;
        if (v === undefined) continue;
        if (typeof v === 'string') {
          at = putLine(u8, at, v);
          counts[h] = 1;
        } else {
          for (const line of v) at = putLine(u8, at, line);
          counts[h] = v.length;
        }
      }
      let pathLen = ABSENT;
      if (this.#routes) {
        pathLen = path.length;
        at = putBytes(u8, at, path);
      }
      predicate = this.#predicate;
      const n = x.decide(this.#engine, method.length, counts[0], counts[1], counts[2], counts[3], pathLen);
      predicate = undefined;
      // 0: the module could not read what was written (the two sides disagree on the layout).
      if (n === 0) throw new Error('corsgate/edge: the module could not read the request; edge.js and corsgate.wasm are from different builds (rebuild with bindings/wasm/build, or reinstall corsgate)');
      const b = bytes();
      const o = x.output();
      const id = b[o] | (b[o + 1] << 8);
      if (id !== UNSEEN) {
        const seen = decided[id];
        if (seen !== undefined) return seen;
        return (decided[id] = decode(b, o + 2));
      }
      return decode(b, o + 2);
    }
  }

  const counts = [0, 0, 0, 0];
  const decided = [];
  let view = new Uint8Array(memory.buffer);
  let inputPtr = x.input();
  /** Grows the module's input buffer to `len` bytes (its address moves). */
  function reserve(len) {
    inputPtr = x.input_reserve(len);
    inputCap = x.input_capacity();
  }
  /** The module's memory as bytes; a fresh view once a call has grown (and so replaced) its buffer. */
  function bytes() {
    // Growing the memory detaches the old buffer, whose views then have length 0.
    if (view.length === 0) view = new Uint8Array(memory.buffer);
    return view;
  }

  /** One decision from the bytes the module wrote at `i`, as frozen data (it may be handed out again). */
  function decode(b, i) {
    const kind = KINDS[b[i]];
    const allowed = b[i + 1] === 1;
    const status = b[i + 2] | (b[i + 3] << 8);
    const reason = b[i + 4] === 255 ? null : reasonNames[b[i + 4]];
    const contentLength = b[i + 5] === 1 ? '0' : null;
    const count = b[i + 6];
    i += 7;
    const varyLen = b[i] | (b[i + 1] << 8);
    i += 2;
    const varyLine = latin1(b.subarray(i, i + varyLen));
    i += varyLen;
    const list = [];
    for (let k = 0; k < count; k++) {
      const name = headerNames[b[i]];
      const len = b[i + 1] | (b[i + 2] << 8);
      i += 3;
      list.push(Object.freeze([name, latin1(b.subarray(i, i + len))]));
      i += len;
    }
    return Object.freeze({
      kind,
      allowed,
      status: status === 0 ? null : status,
      headers: Object.freeze(list),
      vary: Object.freeze(varyLine === '' ? [] : varyLine.split(', ')),
      reason,
      contentLength,
    });
  }

  /** Writes byte string `text` into the input buffer at `at` (growing it if need be); its length in bytes. */
  function putInput(text, at = 0) {
    if (at + text.length > inputCap) reserve(at + text.length);
    putBytes(bytes(), inputPtr + at, text);
    return text.length;
  }

  /** Core's Vary merge of `tokens` into a response's value (or null); the new value, or null for no change. */
  function mergeVary(current, tokens) {
    const existing = current === null ? 0 : putInput(current);
    const n = x.merge_vary(existing, putInput(tokens.join(', '), existing));
    // The module's u32 comes back as a signed i32.
    return n >>> 0 === ABSENT ? null : latin1(out(n));
  }

  const owned = new Map();
  function isOwned(name) {
    let yes = owned.get(name);
    if (yes === undefined) {
      yes = x.is_cors_response_header(putInput(name)) === 1;
      if (owned.size < 4096) owned.set(name, yes);
    }
    return yes;
  }

  /** The decision applied to a handler's Response (SPEC §5), cloned only when its headers are immutable. */
  function apply(response, d) {
    const set = (r) => {
      const names = new Set(d.headers.map(([n]) => n.toLowerCase()));
      for (const name of [...r.headers.keys()]) if (!names.has(name) && isOwned(name)) r.headers.delete(name);
      for (const [name, value] of d.headers) r.headers.set(name, value);
      if (d.vary.length > 0) {
        const merged = mergeVary(r.headers.get('vary'), d.vary);
        if (merged !== null) r.headers.set('vary', merged);
      }
      return r;
    };
    try {
      return set(response);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      // Immutable headers (a fetch() result, Response.redirect): copy once.
      return set(new Response(response.body, response));
    }
  }

  // The preflight answer's init per decision (decisions are shared, frozen
  // data): a Response copies its init's headers, so one Headers serves all.
  const inits = new WeakMap();
  function preflightInit(d) {
    let init = inits.get(d);
    if (init === undefined) {
      const headers = new Headers(d.headers);
      if (d.vary.length > 0) headers.set('Vary', d.vary.join(', '));
      if (d.contentLength !== null) headers.set('Content-Length', d.contentLength);
      init = { status: d.status, headers };
      inits.set(d, init);
    }
    return init;
  }

  /**
   * A Web-standard fetch handler `(request, env, ctx) => Response` with CORS:
   * preflights are answered here without calling `handler`; other requests
   * go to it and get the decision's headers and Vary on its response.
   * `policy` is a Policy, or a function `(env) => Policy` (e.g. from an env
   * binding), called once per env.
   */
  function withCors(policy, handler) {
    if (typeof handler !== 'function') throw new TypeError('withCors(policy, handler): handler must be a function');
    const fromEnv = typeof policy === 'function' && !(policy instanceof Policy);
    if (!fromEnv && !(policy instanceof Policy)) {
      throw new TypeError('withCors(policy, handler): policy must be a Policy or a function (env) => Policy');
    }
    const perEnv = new WeakMap();
    const policyFor = (env) => {
      if (!fromEnv) return policy;
      const key = env !== null && typeof env === 'object' ? env : perEnv;
      let p = perEnv.get(key);
      if (p === undefined) {
        p = policy(env);
        if (!(p instanceof Policy)) throw new TypeError('the policy function must return a Policy');
        perEnv.set(key, p);
      }
      return p;
    };
    return async function fetch(request, env, ctx) {
      const p = policyFor(env);
      const path = p.hasRoutes ? new URL(request.url).pathname : undefined;
      const d = p.decide({ method: request.method, headers: request.headers, path });
      if (d.kind === 'preflight') return new Response(null, preflightInit(d));
      return apply(await handler(request, env, ctx), d);
    };
  }

  return { Policy, PolicyError, withCors };
}

module.exports = { load, PolicyError };
