// Type definitions for corsgate/fastify (hand-written; checked by `tsc` in the test suite).

/// <reference types="node" />
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest, LogLevel } from 'fastify';
import type { DangerousOptions, FormatOptions, OriginPredicate, Policy, PrivateNetworkOptions } from './index';

type OriginType = string | boolean | RegExp;
type ValueOrArray<T> = T | ArrayOfValueOrArray<T>;
interface ArrayOfValueOrArray<T> extends Array<ValueOrArray<T>> {}
type OriginCallback = (err: Error | null, origin?: ValueOrArray<OriginType>) => void;

type FastifyCorsPlugin = FastifyPluginCallback<
  NonNullable<corsgateFastify.FastifyCorsOptions> | corsgateFastify.FastifyCorsOptionsDelegate | Policy
>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when this plugin answered (or passed on) an accepted preflight. */
    corsPreflightEnabled: boolean;
  }
}

declare namespace corsgateFastify {
  export type FastifyCorsHook = 'onRequest' | 'preParsing' | 'preValidation' | 'preHandler' | 'preSerialization';
  /** Called on the Fastify instance; an error counts as "not allowed". */
  export type OriginFunction = (this: FastifyInstance, origin: string | undefined, callback: OriginCallback) => void;
  export type AsyncOriginFunction = (this: FastifyInstance, origin: string | undefined) => Promise<ValueOrArray<OriginType>>;

  export interface FastifyCorsOptions {
    // @fastify/cors's options.
    hook?: FastifyCorsHook;
    delegator?: FastifyCorsOptionsDelegate;
    origin?: ValueOrArray<OriginType> | AsyncOriginFunction | OriginFunction;
    credentials?: boolean;
    exposedHeaders?: string | string[];
    allowedHeaders?: string | string[];
    methods?: string | string[];
    maxAge?: number;
    /** An integer is `Cache-Control: max-age=N` on preflights; a string is sent as given. */
    cacheControl?: number | string;
    /** Pass accepted preflights to the route handler. */
    preflightContinue?: boolean;
    optionsSuccessStatus?: number;
    /** `false` leaves every OPTIONS request to the routes. */
    preflight?: boolean;
    strictPreflight?: boolean;
    hideOptionsRoute?: boolean;
    logLevel?: LogLevel;
    // corsgate's own (SPEC §2 in camelCase).
    origins?: string[];
    requestHeaders?: string[];
    exposeHeaders?: string[];
    preflightStatus?: number;
    refusedPreflightStatus?: number;
    privateNetwork?: PrivateNetworkOptions;
    dangerous?: DangerousOptions;
    format?: FormatOptions;
    originPredicate?: OriginPredicate | ((origin: string) => Promise<boolean>);
    /** A prebuilt policy instead of policy options. */
    policy?: Policy;
  }

  export interface FastifyCorsOptionsDelegateCallback {
    (req: FastifyRequest, cb: (error: Error | null, corsOptions?: FastifyCorsOptions) => void): void;
  }
  export interface FastifyCorsOptionsDelegatePromise {
    (req: FastifyRequest): Promise<FastifyCorsOptions>;
  }
  export type FastifyCorsOptionsDelegate = FastifyCorsOptionsDelegateCallback | FastifyCorsOptionsDelegatePromise;
  export type FastifyPluginOptionsDelegate<T = FastifyCorsOptionsDelegate> = (instance: FastifyInstance) => T;

  export const fastifyCors: FastifyCorsPlugin;
  export const corsgate: FastifyCorsPlugin;
  export { fastifyCors as default };
}

declare function corsgateFastify(...params: Parameters<FastifyCorsPlugin>): ReturnType<FastifyCorsPlugin>;

export = corsgateFastify;
