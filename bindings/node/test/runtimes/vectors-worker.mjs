// A Worker as a user writes one, serving every conformance vector's policy
// (the VECTORS json binding) through vectors-app.mjs.
import * as edge from 'corsgate/edge';
import wasm from 'corsgate/corsgate.wasm';
import { vectorsApp } from './vectors-app.mjs';

const api = edge.load(wasm);
let app;

export default {
  fetch(request, env, ctx) {
    app ??= vectorsApp(api, env.VECTORS);
    return app(request, env, ctx);
  },
};
