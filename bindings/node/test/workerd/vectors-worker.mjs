// A Worker as a user writes one, serving every conformance vector's policy:
// the request's `x-corsgate-vector` header names the vector file, whose
// policy (from the VECTORS json binding) is built once, on first use.
import { load } from 'corsgate/edge';
import wasm from 'corsgate/corsgate.wasm';

const { Policy, PolicyError, withCors } = load(wasm);

const app = () => new Response('app', { headers: { 'x-app': 'called' } });

const handlers = new Map();
function handlerFor(name, env) {
  let handler = handlers.get(name);
  if (handler === undefined) {
    try {
      handler = withCors(Policy.fromJson(JSON.stringify(env.VECTORS[name])), app);
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      const body = JSON.stringify({ errors: e.errors.map((f) => f.code) });
      handler = () => new Response(body, { status: 500, headers: { 'content-type': 'application/json' } });
    }
    handlers.set(name, handler);
  }
  return handler;
}

export default {
  fetch(request, env, ctx) {
    const name = request.headers.get('x-corsgate-vector');
    if (name === null || !(name in env.VECTORS)) return new Response(`no vector ${name}`, { status: 404 });
    return handlerFor(name, env)(request, env, ctx);
  },
};
