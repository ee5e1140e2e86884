// The browser harness: real Chromium fetches from a page on one origin to
// APIs on another, answered by corsgate (cli/examples/browser_server.rs).
// For every scenario, the browser's verdict must equal corsgate's `allowed`,
// and the console message Chrome prints must equal explain()'s `chrome` text.
//
// Usage: node run.mjs SERVER_BINARY   (tests/suites/browser.sh builds it)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const PAGE = 'PAGE';
// id -> [policy, fetch options (credentials 'include' or 'omit')]
const scenarios = {
  'simple-allowed': [{ origins: [PAGE] }, { method: 'GET' }],
  'simple-refused-origin': [{ origins: ['https://other.example'] }, { method: 'GET' }],
  'any-origin-simple': [{ origins: ['*'] }, { method: 'GET' }],
  'post-text-plain': [{ origins: [PAGE] }, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' }],
  'put-allowed': [{ origins: [PAGE], methods: ['PUT'], max_age: 0 }, { method: 'PUT' }],
  'put-refused': [{ origins: [PAGE], methods: ['DELETE'] }, { method: 'PUT' }],
  'put-lowercase-normalized': [{ origins: [PAGE], methods: ['PUT'] }, { method: 'put' }],
  'patch-lowercase-refused': [{ origins: [PAGE], methods: ['PATCH'] }, { method: 'patch' }],
  'patch-uppercase-allowed': [{ origins: [PAGE], methods: ['PATCH'] }, { method: 'PATCH' }],
  'json-allowed': [{ origins: [PAGE], request_headers: ['content-type'] }, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }],
  'json-refused': [{ origins: [PAGE] }, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }],
  'custom-header-refused': [{ origins: [PAGE], request_headers: ['x-other'] }, { method: 'GET', headers: { 'X-Request-Id': '1' } }],
  'star-headers-allowed': [{ origins: ['*'], request_headers: ['*'] }, { method: 'GET', headers: { 'X-Request-Id': '1' } }],
  'authorization-under-star-refused': [{ origins: ['*'], request_headers: ['*'] }, { method: 'GET', headers: { Authorization: 'Bearer t' } }],
  'authorization-listed-allowed': [{ origins: ['*'], request_headers: ['*', 'authorization'] }, { method: 'GET', headers: { Authorization: 'Bearer t' } }],
  'credentials-allowed': [{ origins: [PAGE], credentials: true, dangerous: { allow_insecure_origins_with_credentials: true } }, { method: 'GET', credentials: 'include' }],
  'credentials-preflight-allowed': [{ origins: [PAGE], credentials: true, methods: ['*'], request_headers: ['*'], dangerous: { allow_insecure_origins_with_credentials: true } }, { method: 'DELETE', credentials: 'include', headers: { 'X-Request-Id': '1' } }],
};

const server = process.argv[2];
if (!server) {
  console.error('usage: node run.mjs SERVER_BINARY');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'corsgate-browser-'));
const policiesFile = join(work, 'scenarios.json');
writeFileSync(policiesFile, JSON.stringify(Object.fromEntries(Object.entries(scenarios).map(([id, [policy]]) => [id, policy]))));

const child = spawn(server, [policiesFile], { stdio: ['ignore', 'pipe', 'inherit'] });
const { page: pageUrl, api } = await new Promise((resolve, reject) => {
  child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
});

process.on('exit', () => child.kill());

// A fresh profile per run (launchPersistentContext passes --user-data-dir).
const context = await chromium.launchPersistentContext(join(work, 'profile'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

let failures = 0;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const messages = [];
  const cdp = await context.newCDPSession(page);
  cdp.on('Log.entryAdded', ({ entry }) => messages.push(entry.text));
  await cdp.send('Log.enable');
  await page.goto(pageUrl);

  for (const [id, [, init]] of Object.entries(scenarios)) {
    const url = `${api}/s/${id}/resource`;
    messages.length = 0;
    const browserAllowed = await page.evaluate(async ([url, init]) => {
      try {
        const response = await fetch(url, { ...init, cache: 'no-store' });
        await response.text();
        return true;
      } catch {
        return false;
      }
    }, [url, init]);
    const log = await (await fetch(`${api}/log/${id}`)).json();
    // corsgate's verdict: every request the browser sent was allowed.
    const refused = log.find((d) => !d.allowed);
    const corsgateAllowed = log.length > 0 && !refused;
    const problems = [];
    if (browserAllowed !== corsgateAllowed) {
      problems.push(`browser ${browserAllowed ? 'allowed' : 'blocked'}, corsgate ${corsgateAllowed ? 'allowed' : 'refused'} (${JSON.stringify(log)})`);
    }
    if (refused) {
      const deadline = Date.now() + 3000;
      let cors = messages.filter((m) => m.startsWith('Access to fetch'));
      while (cors.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        cors = messages.filter((m) => m.startsWith('Access to fetch'));
      }
      if (cors.length !== 1 || cors[0] !== refused.chrome) {
        problems.push(`console ${JSON.stringify(cors)}\n    explain  ${JSON.stringify(refused.chrome)}`);
      }
    }
    if (problems.length) {
      failures += 1;
      console.log(`not ok - ${id}\n  ${problems.join('\n  ')}`);
    } else {
      console.log(`ok - ${id} (${corsgateAllowed ? 'allowed' : `refused: ${refused.reason}`})`);
    }
  }
} finally {
  await context.close();
  child.kill();
  rmSync(work, { recursive: true, force: true });
}
const total = Object.keys(scenarios).length;
console.log(`${total - failures}/${total} scenarios agree with Chromium`);
process.exit(failures ? 1 : 0);
