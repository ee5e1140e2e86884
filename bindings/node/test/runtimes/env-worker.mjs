// The policy from an env binding (POLICY, TOML text), and a handler whose
// responses exercise the merge: an immutable redirect, a Vary of its own,
// and a stray CORS header the engine must replace.
import { load } from 'corsgate/edge';
import wasm from 'corsgate/corsgate.wasm';

const { Policy, withCors } = load(wasm);

let calls = 0;
function app(request) {
  calls++;
  const { pathname } = new URL(request.url);
  if (pathname === '/calls') return new Response(String(calls));
  if (pathname === '/redirect') return Response.redirect('https://app.example.com/elsewhere', 302);
  if (pathname === '/vary') {
    return new Response('varied', {
      headers: { vary: 'Accept-Encoding', 'access-control-allow-origin': '*', 'access-control-max-age': '999' },
    });
  }
  return new Response('hello');
}

export default { fetch: withCors((env) => Policy.fromToml(env.POLICY), app) };
