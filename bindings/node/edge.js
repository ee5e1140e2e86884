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

const ABSENT = 0xffffffff;
const REQUEST_HEADERS = [
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
  'access-control-request-private-network',
];

/** The lines of header `name` (lowercase) in `headers`: [] when absent. */
function linesOf(headers, name) {
  if (headers === undefined || headers === null) return [];
  if (typeof headers.get === 'function') {
    // A Web Headers object: the runtime has joined repeated lines already.
    const v = headers.get(name);
    return v === null ? [] : [v];
  }
  const lines = [];
  if (Array.isArray(headers)) {
    for (const [n, v] of headers) if (String(n).toLowerCase() === name) lines.push(String(v));
    return lines;
  }
  for (const key in headers) {
    if (key.length === name.length && key.toLowerCase() === name) {
      const v = headers[key];
      if (Array.isArray(v)) for (const line of v) lines.push(String(line));
      else if (v !== undefined && v !== null) lines.push(String(v));
    }
  }
  return lines;
}

/** Instantiates the module and returns its `Policy` class. */
function load(moduleOrBytes) {
  const module = moduleOrBytes instanceof WebAssembly.Module ? moduleOrBytes : new WebAssembly.Module(moduleOrBytes);
  let predicate;
  let memory;
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const imports = {
    corsgate: {
      origin_allowed(ptr, len) {
        if (predicate === undefined) return 0;
        try {
          return predicate(decoder.decode(new Uint8Array(memory.buffer, ptr, len))) === true ? 1 : 0;
        } catch {
          return 0; // a throw is "no" (SPEC §3)
        }
      },
    },
  };
  const x = new WebAssembly.Instance(module, imports).exports;
  memory = x.memory;
  const inputCap = x.input_capacity();
  // Pointers first: a call may grow (and so replace) the memory's buffer.
  const out = (len) => {
    const ptr = x.output();
    return new Uint8Array(memory.buffer, ptr, len);
  };
  const [headerNames, reasonNames] = decoder.decode(out(x.names())).split('\t').map((s) => s.split('\n'));

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
      const inputPtr = x.input();
      const buf = new Uint8Array(memory.buffer, inputPtr, inputCap);
      let at = 0;
      const put = (v) => {
        const { read, written } = encoder.encodeInto(v, buf.subarray(at));
        if (read < v.length) throw new RangeError(`request headers over ${inputCap} bytes`);
        at += written;
        return written;
      };
      const methodLen = put(method);
      const counts = [];
      for (const name of REQUEST_HEADERS) {
        const lines = linesOf(headers, name);
        for (const line of lines) {
          if (at + 4 > inputCap) throw new RangeError(`request headers over ${inputCap} bytes`);
          const lenAt = at;
          at += 4;
          const n = put(line);
          buf[lenAt] = n & 0xff;
          buf[lenAt + 1] = (n >>> 8) & 0xff;
          buf[lenAt + 2] = (n >>> 16) & 0xff;
          buf[lenAt + 3] = n >>> 24;
        }
        counts.push(lines.length);
      }
      const pathLen = this.#routes ? put(path) : ABSENT;
      predicate = this.#predicate;
      const n = x.decide(this.#engine, methodLen, counts[0], counts[1], counts[2], counts[3], pathLen);
      predicate = undefined;
      if (n === 0) throw new RangeError('request headers too large');
      const b = out(n);
      const kind = ['actual', 'preflight', 'not-cors'][b[0]];
      const status = b[2] | (b[3] << 8);
      const count = b[6];
      let i = 7;
      const varyLen = b[i] | (b[i + 1] << 8);
      i += 2;
      const varyLine = decoder.decode(b.subarray(i, i + varyLen));
      i += varyLen;
      const list = [];
      for (let k = 0; k < count; k++) {
        const name = headerNames[b[i]];
        const len = b[i + 1] | (b[i + 2] << 8);
        i += 3;
        list.push([name, decoder.decode(b.subarray(i, i + len))]);
        i += len;
      }
      return {
        kind,
        allowed: b[1] === 1,
        status: status === 0 ? null : status,
        headers: list,
        vary: varyLine === '' ? [] : varyLine.split(', '),
        reason: b[4] === 255 ? null : reasonNames[b[4]],
        contentLength: b[5] === 1 ? '0' : null,
      };
    }
  }

  /** Writes `text` at the start of the input buffer; its length in bytes. */
  function putInput(text, at = 0) {
    const ptr = x.input();
    const { read, written } = encoder.encodeInto(text, new Uint8Array(memory.buffer, ptr + at, inputCap - at));
    if (read < text.length) throw new RangeError(`header over ${inputCap} bytes`);
    return written;
  }

  /** Core's Vary merge of `tokens` into a response's value (or null); the new value, or null for no change. */
  function mergeVary(current, tokens) {
    const existing = current === null ? 0 : putInput(current);
    const n = x.merge_vary(existing, putInput(tokens.join(', '), existing));
    return n === ABSENT ? null : decoder.decode(out(n));
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
      if (d.kind === 'preflight') {
        const headers = new Headers(d.headers);
        if (d.vary.length > 0) headers.set('Vary', d.vary.join(', '));
        if (d.contentLength !== null) headers.set('Content-Length', d.contentLength);
        return new Response(null, { status: d.status, headers });
      }
      return apply(await handler(request, env, ctx), d);
    };
  }

  return { Policy, PolicyError, withCors };
}

module.exports = { load, PolicyError };
