// Type definitions for corsgate/lambda (hand-written; checked by `tsc` in the
// test suite against @types/aws-lambda's handler types).

import type { Policy, PolicyOptions } from './index';

/**
 * An HTTP event format: API Gateway REST APIs and HTTP APIs with payload 1.0
 * (`apigateway-rest`), HTTP APIs with payload 2.0 (`apigateway-http`),
 * Lambda function URLs, and Application Load Balancers with and without
 * multi-value headers.
 */
export type EventFormat = 'apigateway-rest' | 'apigateway-http' | 'function-url' | 'alb' | 'alb-multi-value';

/** The formats, in the order above. */
export declare const FORMATS: readonly EventFormat[];

/** The HTTP event format of `event`, or null when it is not an HTTP request. */
export declare function eventFormat(event: unknown): EventFormat | null;

/** A policy, its options, or the path of a policy file (TOML or JSON, routes allowed). */
export type PolicySource = Policy | PolicyOptions | string;

/**
 * `handler` with CORS under `policy`: preflights answered without it, the
 * decision's headers written into its response in the event format's shape,
 * `Vary` merged, other events passed through. The wrapper has the handler's
 * type: a promise handler gives a promise handler, a callback handler a
 * callback handler (which also returns a promise when called without a
 * callback).
 */
export declare function withCors<H extends (event: any, context: any, callback?: any) => unknown>(
  policy: PolicySource,
  handler: H,
): H;
