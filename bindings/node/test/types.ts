// Compiled by `tsc -p tsconfig.json` (no emit): the declarations must type-check
// against real usage with Node's http types and Express 5's.
import http = require('node:http');
import express = require('express');
import corsgateExpress = require('corsgate/express');
import { Policy, PolicyError, Decision, type Explanation, type Finding, type Kind } from 'corsgate';

const policy = new Policy({
  origins: ['https://app.example.com', 'https://*.preview.example.com'],
  credentials: true,
  methods: ['PUT', 'DELETE'],
  requestHeaders: ['content-type'],
  exposeHeaders: ['x-request-id'],
  maxAge: 600,
  preflightStatus: 204,
  privateNetwork: { allow: false },
  dangerous: { allowNullOrigin: false },
  originPredicate: (origin) => origin.endsWith('.tenants.example.net'),
});
const fromText: Policy[] = [
  Policy.fromJson('{"origins":["*"]}'),
  Policy.fromToml('origins = ["*"]'),
  Policy.fromFile('cors.toml', { originPredicate: () => false }),
];

http.createServer((req, res) => {
  const d: Decision = policy.decide({ method: req.method ?? 'GET', headers: req.headers });
  const raw: Decision = policy.decide({ method: 'GET', headers: req.rawHeaders });
  const kind: Kind = raw.kind;
  for (const [name, value] of d.headers) res.setHeader(name, value);
  const status: number | null = d.status;
  const e: Explanation | null = d.explain('https://api.example.com/');
  res.end(`${kind} ${status} ${e?.chrome ?? ''} ${d.vary.join(', ')} ${d.reason ?? ''}`);
});

policy.decide({ method: 'OPTIONS', headers: [['Origin', 'https://app.example.com']] });
policy.decide({ method: 'OPTIONS', headers: new Map([['origin', 'https://app.example.com']]) });

try {
  new Policy({ origins: ['*'], credentials: true });
} catch (err) {
  if (err instanceof PolicyError) {
    const codes: string[] = err.errors.map((f: Finding) => f.code);
    console.log(codes, err.message);
  }
}
const warnings: Finding[] = policy.lint();
const data = policy.toJSON();
const maxAge: number | undefined = 'routes' in data ? undefined : data.max_age;
console.log(fromText, warnings, maxAge);

const app = express();
app.use(corsgateExpress());
app.use(corsgateExpress({ origin: ['https://a.example', /\.example\.org$/], credentials: true, maxAge: '600' }));
app.use(corsgateExpress({ origin: (origin, cb) => cb(null, origin.endsWith('.example')) }));
app.use(corsgateExpress({ origins: ['https://a.example'], originPredicate: async (o) => o.length > 0 }));
app.use(corsgateExpress(policy));
app.use(corsgateExpress.default({ policy, preflightContinue: true }));
app.use(corsgateExpress.corsgate((req, cb) => cb(null, { origin: req.headers.host ?? false })));
http.createServer(corsgateExpress({ origin: '*' }) as unknown as http.RequestListener);
const plain = corsgateExpress({ origin: 'https://a.example' });
http.createServer((req, res) => plain(req, res, () => res.end()));

const routed = Policy.fromFile('routes.toml');
const routeDecision: Decision = routed.decide({ method: 'GET', headers: {}, path: '/api/x' });
const routeList: ReadonlyArray<readonly [string, Policy | null]> = routed.routes;
const forPath: Policy | null = routed.policyFor('/api/x');
const flag: boolean = routed.hasRoutes;
void [routeDecision, routeList, forPath, flag];
