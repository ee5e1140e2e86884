// Type definitions for corsgate (hand-written; checked by `tsc` in the test suite).

/** A dynamic origin check (SPEC §3): called at most once per request, only
 * with a valid serialized origin other than `null` that no configured origin
 * matched. Only `true` allows; a throw counts as "no". */
export type OriginPredicate = (origin: string) => boolean;

/** Legacy Private Network Access settings. */
export interface PrivateNetworkOptions {
  allow?: boolean;
  /** `Private-Network-Access-ID`, like `01:23:45:67:89:0A`. */
  id?: string;
  /** `Private-Network-Access-Name`, `[a-z0-9_.-]{1,248}`. */
  name?: string;
}

/** Options that lift safety checks. */
export interface DangerousOptions {
  allowNullOrigin?: boolean;
  allowInsecureOriginsWithCredentials?: boolean;
  allowPublicSuffixWildcardsWithCredentials?: boolean;
}

/** A policy (SPEC §2) with camelCase keys. */
export interface PolicyOptions {
  /** Exact origins, patterns (`https://*.example.com`, `http://localhost:*`) or `["*"]`. */
  origins: string[];
  credentials?: boolean;
  /** Methods a preflight may ask for besides GET, HEAD and POST; `["*"]` for any. */
  methods?: string[];
  /** Header names a preflight may ask for; `"*"` for any but `authorization`. */
  requestHeaders?: string[];
  /** Response header names scripts may read; `["*"]` for all. */
  exposeHeaders?: string[];
  /** Seconds, 0..=86400. */
  maxAge?: number;
  /** Status of an accepted preflight, 200..=299 (default 204). */
  preflightStatus?: number;
  /** Status of a refused preflight, 400..=499 (default 403). */
  refusedPreflightStatus?: number;
  privateNetwork?: PrivateNetworkOptions;
  dangerous?: DangerousOptions;
  format?: FormatOptions;
  originPredicate?: OriginPredicate;
}

/** The bytes of list-valued headers (browsers read every choice alike). */
export interface FormatOptions {
  /** Between items of all three lists: `', '` (default) or `','`. */
  separator?: ', ' | ',';
  methodsSeparator?: ', ' | ',';
  requestHeadersSeparator?: ', ' | ',';
  exposeHeadersSeparator?: ', ' | ',';
  /** Configured `Access-Control-Allow-Headers` names: `'lowercase'` (default) or `'as-configured'`. */
  requestHeadersCase?: 'lowercase' | 'as-configured';
  /** What `requestHeaders: ['*']` sends without credentials: `'star'` (default) or `'echo'` (the requested names). */
  requestHeadersWildcard?: 'star' | 'echo';
  /** `Vary` names every header an answer depends on, on every response (`Origin` even for any origin). */
  fullVary?: boolean;
  /** `'canonical'` (`Origin`, default) or `'lowercase'` (`origin`). */
  varyCase?: 'canonical' | 'lowercase';
}

/** Options for the text constructors. */
export interface TextPolicyOptions {
  originPredicate?: OriginPredicate;
}

/** Header lines in any of the shapes Node uses. */
export type RequestHeaders =
  | { readonly [name: string]: string | readonly string[] | undefined }
  | readonly string[]
  | ReadonlyArray<readonly [string, string]>
  | Iterable<readonly [string, string]>;

export interface RequestLike {
  method: string;
  headers?: RequestHeaders | null;
  /** The request path (raw; a query is ignored): needed when the policy has routes. */
  path?: string;
}

export type Kind = 'not-cors' | 'preflight' | 'actual';

export type Reason =
  | 'origin-not-allowed'
  | 'invalid-origin'
  | 'method-not-allowed'
  | 'invalid-method'
  | 'header-not-allowed'
  | 'invalid-request-headers';

/** Why a request was refused (SPEC §7). */
export interface Explanation {
  reason: Reason;
  summary: string;
  /** The message Chrome prints in the console. */
  chrome: string;
  /** The message Firefox prints in the console. */
  firefox: string;
  fix: string;
}

/** One decision (SPEC §5). `headers` and `vary` may be shared between decisions: read-only. */
export declare class Decision {
  private constructor();
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
  /** For a preflight answered by the host (empty body), the `Content-Length` to send; `null` for a 204 and other kinds. */
  readonly contentLength: string | null;
  /** Explains a refusal; `null` when allowed or not a CORS request. */
  explain(url?: string): Explanation | null;
}

/** One problem (from `PolicyError.errors`) or warning (from `lint()`). */
export interface Finding {
  /** A stable kebab-case code, e.g. `any-origin-with-credentials`. */
  code: string;
  /** The policy key it is about, spelled as the policy was written (`maxAge` in options, `max_age` in JSON/TOML); `''` for the whole document. */
  key: string;
  /** The offending value. */
  value: string;
  message: string;
  fix: string;
}

/** A policy that does not build; `errors` lists every problem at once. */
export declare class PolicyError extends Error {
  readonly name: 'PolicyError';
  readonly errors: Finding[];
}

/** A policy as SPEC §2 data (`toJSON()`). */
export interface PolicyData {
  origins: string[];
  credentials: boolean;
  methods: string[];
  request_headers: string[];
  expose_headers: string[];
  max_age?: number;
  preflight_status: number;
  refused_preflight_status: number;
  private_network: { allow: boolean; id?: string; name?: string };
  dangerous: {
    allow_null_origin: boolean;
    allow_insecure_origins_with_credentials: boolean;
    allow_public_suffix_wildcards_with_credentials: boolean;
  };
  format: {
    methods_separator: string;
    request_headers_separator: string;
    expose_headers_separator: string;
    request_headers_case: string;
    request_headers_wildcard: string;
    full_vary: boolean;
    vary_case: string;
  };
}

/** A validated CORS policy. Throws `PolicyError` listing every problem. */
export declare class Policy {
  constructor(options: PolicyOptions);
  static fromJson(text: string, options?: TextPolicyOptions): Policy;
  static fromToml(text: string, options?: TextPolicyOptions): Policy;
  /** `.json` or `.toml` (other names: JSON when the text starts with `{`). */
  static fromFile(path: string, options?: TextPolicyOptions): Policy;
  decide(request: RequestLike): Decision;
  lint(): Finding[];
  /** SPEC §2 data; for a policy file with routes, its `routes` and `policies`. */
  toJSON(): PolicyData | RouteFileData;
  /** Whether the policy file has routes (then `decide` needs `path`). */
  readonly hasRoutes: boolean;
  /** The routes in matching order: `[pattern, policy]`, `policy` null where the route is not CORS. */
  readonly routes: ReadonlyArray<readonly [string, Policy | null]>;
  /** The policy that answers `path`: this one without routes; null outside every route. */
  policyFor(path: string): Policy | null;
}

/** A policy file with routes as data (`toJSON()`). */
export interface RouteFileData {
  policies?: Record<string, PolicyData>;
  routes: Array<({ path: string } | { regex: string }) & { policy: string | PolicyData | false }>;
}

export declare const VERSION: string;
