// The ES module entry of corsgate/edge (Workers, Deno, Vercel Edge, bundlers):
//
//   import { load } from 'corsgate/edge';
//   import wasm from 'corsgate/corsgate.wasm'; // a WebAssembly.Module on Workers
//   const { Policy, withCors } = load(wasm);
//
// The glue itself is edge.js (CommonJS, for Node's require too); this file
// re-exports it so both entries share one instance of the code.
import edge from './edge.js';

export const { load, PolicyError } = edge;
export default edge;
