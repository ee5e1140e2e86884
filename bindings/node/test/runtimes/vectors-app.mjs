// The application every runtime test serves: each conformance vector's
// policy (from `vectors`, keyed by file) behind withCors, built once on first
// use; the request's `x-corsgate-vector` header names the vector. An invalid
// policy answers 500 with its problem codes.
export function vectorsApp({ Policy, PolicyError, withCors }, vectors) {
  const app = () => new Response('app', { headers: { 'x-app': 'called' } });
  const handlers = new Map();
  function handlerFor(name) {
    let handler = handlers.get(name);
    if (handler === undefined) {
      try {
        handler = withCors(Policy.fromJson(JSON.stringify(vectors[name])), app);
      } catch (e) {
        if (!(e instanceof PolicyError)) throw e;
        const body = JSON.stringify({ errors: e.errors.map((f) => f.code) });
        handler = () => new Response(body, { status: 500, headers: { 'content-type': 'application/json' } });
      }
      handlers.set(name, handler);
    }
    return handler;
  }
  return (request, env, ctx) => {
    const name = request.headers.get('x-corsgate-vector');
    if (name === null || !(name in vectors)) return new Response(`no vector ${name}`, { status: 404 });
    return handlerFor(name)(request, env, ctx);
  };
}
