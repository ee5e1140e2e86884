// Type-checked by tsc (tsconfig.json), never run: corsgate/edge's types as
// a Worker uses them.
import { load, PolicyError } from '../edge.js';
import type { EdgeDecision, EdgePolicy, FetchHandler } from '../edge.js';

declare const wasm: WebAssembly.Module;
const { Policy, withCors } = load(wasm);
const policy: EdgePolicy = Policy.fromToml('origins = ["https://app.example.com"]');
const d: EdgeDecision = policy.decide({ method: 'GET', headers: new Headers({ Origin: 'https://app.example.com' }) });
const status: number | null = d.status;
const first: string | undefined = d.headers[0]?.[1];
void status;
void first;

interface Env {
  POLICY: string;
}
const app: FetchHandler<Env> = (request, env) => new Response(`${request.method} ${env.POLICY.length}`);
const worker = { fetch: withCors((env: Env) => Policy.fromToml(env.POLICY), app) };
void worker;

try {
  Policy.fromJson('{"origins": ["*"], "credentials": true}');
} catch (e) {
  if (e instanceof PolicyError) e.errors.map((f) => f.code);
}

// @ts-expect-error: a policy is a Policy or a function of env
withCors('origins = []', app);
