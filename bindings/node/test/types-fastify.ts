// Compiled by `tsc -p tsconfig.json` (no emit): corsgate/fastify's
// declarations against Fastify 5's own types, used as @fastify/cors is.
import Fastify = require('fastify');
import type { FastifyRequest } from 'fastify';
import cors = require('corsgate/fastify');
import { Policy } from 'corsgate';

const app = Fastify();
app.register(cors, {
  origin: ['https://app.example.com', /\.preview\.example\.com$/],
  methods: ['GET', 'PUT'],
  allowedHeaders: 'Content-Type,Authorization',
  exposedHeaders: ['X-Request-Id'],
  credentials: true,
  maxAge: 600,
  cacheControl: 600,
  hook: 'preHandler',
  strictPreflight: true,
  logLevel: 'silent',
});
app.register(cors, {
  origin(origin, cb) {
    cb(null, origin === 'https://app.example.com');
  },
});
app.register(cors, { origin: async (origin: string | undefined) => origin === 'https://app.example.com' });
app.register(cors, { delegator: (req, cb) => cb(null, { origin: req.headers.host === 'a' }) });
app.register(cors, () => async (req: FastifyRequest) => ({ origin: req.url.startsWith('/api') }));
app.register(cors, Policy.fromToml('origins = ["https://app.example.com"]'));
app.register(cors.fastifyCors, { origins: ['https://app.example.com'], format: { separator: ',' } });
app.get('/', { config: { cors: false } }, async (req) => ({ preflight: req.corsPreflightEnabled }));
