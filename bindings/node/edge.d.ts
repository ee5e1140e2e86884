// Types for `corsgate/edge`: the core engine as WebAssembly, for runtimes
// without native addons (Cloudflare Workers, Deno, Bun, Vercel Edge).

import type { Finding, Kind, OriginPredicate, Reason, RequestHeaders, TextPolicyOptions } from './index';

export type { Finding, Kind, OriginPredicate, Reason, TextPolicyOptions };

/** A policy that does not build; `errors` lists every problem at once. */
export declare class PolicyError extends Error {
  readonly name: 'PolicyError';
  readonly errors: Finding[];
}

/** Header lines: a Web `Headers`, an object, or `[name, value]` pairs. */
export type EdgeRequestHeaders = Headers | RequestHeaders;

export interface EdgeRequestLike {
  method: string;
  headers?: EdgeRequestHeaders | null;
  /** The request path (a query is ignored): needed when the policy has routes. */
  path?: string;
}

/** One decision (SPEC §5), as plain data. */
export interface EdgeDecision {
  readonly kind: Kind;
  /** True exactly when the response carries `Access-Control-Allow-Origin`. */
  readonly allowed: boolean;
  /** For preflights, the status to answer with; `null` otherwise. */
  readonly status: number | null;
  /** `[name, value]` pairs to set, replacing same-named headers. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Tokens to merge into `Vary`. */
  readonly vary: readonly string[];
  readonly reason: Reason | null;
  /** For a preflight answered by the host (empty body), the `Content-Length` to send; `null` otherwise. */
  readonly contentLength: string | null;
}

/** A compiled policy, living in the module's memory. */
export declare class EdgePolicy {
  private constructor();
  /** Builds from JSON text (one policy, or a file with `routes`); throws `PolicyError` listing every problem. */
  static fromJson(text: string, options?: TextPolicyOptions): EdgePolicy;
  /** Builds from TOML text (one policy, or a file with `routes`); throws `PolicyError` listing every problem. */
  static fromToml(text: string, options?: TextPolicyOptions): EdgePolicy;
  /** Whether the policy file has routes (then `decide` needs `path`). */
  readonly hasRoutes: boolean;
  decide(request: EdgeRequestLike): EdgeDecision;
}

/** A Web-standard fetch handler, as Workers, Deno, Bun and Vercel call it. */
export type FetchHandler<Env = unknown, Ctx = unknown> = (
  request: Request,
  env: Env,
  ctx: Ctx,
) => Response | Promise<Response>;

export interface Edge {
  Policy: typeof EdgePolicy;
  PolicyError: typeof PolicyError;
  /**
   * `handler` with CORS: preflights are answered without calling it; other
   * requests get the decision's headers and `Vary` merged on its response.
   * `policy` is a policy, or `(env) => policy` (e.g. from an env binding),
   * called once per env.
   */
  withCors<Env = unknown, Ctx = unknown>(
    policy: EdgePolicy | ((env: Env) => EdgePolicy),
    handler: FetchHandler<Env, Ctx>,
  ): (request: Request, env: Env, ctx: Ctx) => Promise<Response>;
}

/**
 * Instantiates corsgate.wasm: a `WebAssembly.Module` (what
 * `import wasm from 'corsgate/corsgate.wasm'` gives on Workers and Vercel)
 * or the file's bytes (Node, Deno, Bun).
 */
export declare function load(moduleOrBytes: WebAssembly.Module | BufferSource): Edge;
