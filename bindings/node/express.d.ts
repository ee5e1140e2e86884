// Type definitions for corsgate/express (hand-written; checked by `tsc` in the test suite).

import type { DangerousOptions, OriginPredicate, Policy, PrivateNetworkOptions } from './index';

/** Builds the middleware; throws `PolicyError` for an invalid policy. */
declare function corsgate(options?: corsgate.Options | Policy | corsgate.OptionsDelegate): corsgate.Middleware;

declare namespace corsgate {
  /** A `cors`-style origin: fixed, listed, matched by RegExp, `true` (any
   * valid origin), `false` (CORS off), or a callback `(origin, cb)`. */
  export type CorsOrigin =
    | boolean
    | string
    | RegExp
    | Array<string | RegExp>
    | ((
        origin: string,
        callback: (err: Error | null, allow?: boolean | string | RegExp | Array<string | RegExp>) => void,
      ) => void);

  export interface Options {
    // The `cors` package's options.
    origin?: CorsOrigin;
    methods?: string | string[];
    allowedHeaders?: string | string[];
    /** Alias of `allowedHeaders`, as in `cors`. */
    headers?: string | string[];
    exposedHeaders?: string | string[];
    credentials?: boolean;
    maxAge?: number | string;
    /** Pass accepted preflights to the next handler instead of answering them. */
    preflightContinue?: boolean;
    optionsSuccessStatus?: number;
    // corsgate's own (SPEC §2 in camelCase).
    origins?: string[];
    requestHeaders?: string[];
    exposeHeaders?: string[];
    preflightStatus?: number;
    refusedPreflightStatus?: number;
    privateNetwork?: PrivateNetworkOptions;
    dangerous?: DangerousOptions;
    /** May also answer with a Promise here (e.g. a database lookup). */
    originPredicate?: OriginPredicate | ((origin: string) => Promise<boolean>);
    /** A prebuilt policy instead of policy options. */
    policy?: Policy;
  }

  /** The parts of a request the middleware reads (Node's `IncomingMessage` has them). */
  export interface RequestLike {
    method?: string | undefined;
    headers: { readonly [name: string]: string | string[] | undefined };
  }

  /** The parts of a response the middleware uses (Node's `ServerResponse` has them). */
  export interface ResponseLike {
    statusCode: number;
    setHeader(name: string, value: string | number | readonly string[]): unknown;
    getHeader(name: string): string | number | string[] | undefined;
    getHeaderNames?(): string[];
    removeHeader?(name: string): void;
    end(): unknown;
  }

  export type Middleware = (req: RequestLike, res: ResponseLike, next: (err?: unknown) => void) => void;

  export type OptionsDelegate = (
    req: RequestLike,
    callback: (err: Error | null, options?: Options | Policy) => void,
  ) => void;

  const self: typeof corsgate;
  export { self as corsgate, self as default };
}

export = corsgate;
