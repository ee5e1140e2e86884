// The vectors app under Deno (Deno.serve) or Bun (Bun.serve), importing
// corsgate/edge as an installed package: `serve.mjs VECTORS_JSON`. Prints
// `listening PORT` once the server is up on 127.0.0.1.
import { load } from 'corsgate/edge';
import { vectorsApp } from './vectors-app.mjs';

const deno = typeof Deno !== 'undefined';
const read = (url) => (deno ? Deno.readFile(url) : Bun.file(url).bytes());
const args = deno ? Deno.args : Bun.argv.slice(2);
const wasm = await read(new URL(import.meta.resolve('corsgate/corsgate.wasm')));
const vectors = JSON.parse(new TextDecoder().decode(await read(args[0])));
const app = vectorsApp(load(wasm), vectors);
if (deno) {
  Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`listening ${port}`) }, app);
} else {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app });
  console.log(`listening ${server.port}`);
}
