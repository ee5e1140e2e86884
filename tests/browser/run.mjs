// The browser harness: real Chromium makes cross-origin requests (fetch and
// XMLHttpRequest) from a page to APIs answered by corsgate
// (cli/examples/browser_server.rs), scenarios in scenarios.mjs. For every
// scenario it asserts that:
// - the browser's verdict (could the script read the response) equals
//   corsgate's (every request allowed, and credentials granted when sent);
// - the response headers the script could read are exactly those corsgate
//   exposed, the status is the application's, cookies went out exactly with
//   credentials, and the Origin each request carried is the one Fetch defines;
// - the preflights the server saw match the preflight cache (max_age);
// - a refusal's console message equals explain()'s `chrome` text (or, for a
//   refusal explain() cannot see, `corsgate probe`'s), with the URL, origin and
//   script API substituted where only the browser knows them;
// - `corsgate probe` reaches the browser's verdict, redirects followed, and
//   a refusal's console message equals its `chrome` text too.
//
// Usage: node run.mjs SERVER_BINARY CORSGATE_BINARY   (tests/suites/browser.sh)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { invalidPolicies, scenarios } from './scenarios.mjs';

// Response headers the script tries to read: one CORS-safelisted (always
// readable), and the application's that are readable only when exposed.
const SAFELISTED = ['content-type'];
const APP_HEADERS = ['x-total', 'x-secret'];
const NORMALIZED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];

const [server, corsgate] = process.argv.slice(2);
if (!server || !corsgate) {
  console.error('usage: node run.mjs SERVER_BINARY CORSGATE_BINARY');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'corsgate-browser-'));
let child = null;
process.on('exit', () => {
  child?.process.kill();
  rmSync(work, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));
child = await startServer();
const { ports } = child;
const origins = {
  page: `http://127.0.0.1:${ports.page}`,
  pageLocalhost: `http://localhost:${ports.page}`,
  api: `http://127.0.0.1:${ports.api}`,
  api2: `http://127.0.0.1:${ports.api2}`,
  apiLocalhost: `http://localhost:${ports.api}`,
};

// Runs in the page (and in the sandboxed iframe): makes the request and
// reports whether the script could read the response.
async function call([url, request, xhr, names]) {
  if (xhr) {
    return new Promise((resolve) => {
      const x = new XMLHttpRequest();
      x.open(request.method, url);
      x.withCredentials = request.credentials === 'include';
      for (const [n, v] of Object.entries(request.headers ?? {})) x.setRequestHeader(n, v);
      x.onload = () => resolve({ ok: true, status: x.status, readable: names.filter((n) => x.getResponseHeader(n) !== null) });
      x.onerror = () => resolve({ ok: false });
      x.send(request.body ?? null);
    });
  }
  try {
    const { method, headers, body, credentials } = request;
    const response = await fetch(url, { method, headers, body, credentials });
    await response.text();
    return { ok: true, status: response.status, readable: names.filter((n) => response.headers.get(n) !== null) };
  } catch {
    return { ok: false };
  }
}

async function startServer() {
  const policies = {};
  for (const [id, s] of Object.entries(scenarios)) {
    policies[id] = s.policy;
    if (s.redirect) policies[`${id}-target`] = s.redirect.policy;
  }
  const file = join(work, 'scenarios.json');
  writeFileSync(file, JSON.stringify(policies));
  // The server exits when its stdin closes, that is when this process ends.
  const proc = spawn(server, [file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ports = await new Promise((resolve, reject) => {
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: proc.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });
  return { process: proc, ports };
}

// The policies corsgate must refuse: `corsgate lint` exits 1 with the code.
function checkInvalidPolicies() {
  const problems = [];
  for (const [code, policy] of Object.entries(invalidPolicies)) {
    const file = join(work, `${code}.json`);
    writeFileSync(file, JSON.stringify(policy));
    const lint = spawnSync(corsgate, ['lint', '--json', file], { encoding: 'utf8' });
    const codes = lint.status === 1 ? JSON.parse(lint.stdout).errors.map((e) => e.code) : [];
    const ok = codes.includes(code);
    console.log(`${ok ? 'ok' : 'not ok'} - policy refused at build: ${code} (lint exit ${lint.status}, ${JSON.stringify(codes)})`);
    if (!ok) problems.push(code);
  }
  return problems.length;
}

// Collects Chromium's console messages of a page (and of its out-of-process frames).
async function watchConsole(context, target, messages) {
  const cdp = await context.newCDPSession(target);
  cdp.on('Log.entryAdded', ({ entry }) => messages.push(entry.text));
  await cdp.send('Log.enable');
}

async function openPage(context, url, messages) {
  const page = await context.newPage();
  await watchConsole(context, page, messages);
  await page.goto(url);
  return page;
}

async function addSandbox(context, page, messages) {
  await page.evaluate((source) => {
    const frame = document.createElement('iframe');
    frame.sandbox = 'allow-scripts';
    frame.srcdoc = `<script>const call = ${source};
      onmessage = async (e) => parent.postMessage(await call(e.data), '*');</script>`;
    document.body.append(frame);
    return new Promise((resolve) => frame.addEventListener('load', resolve));
  }, call.toString());
  const frame = page.frames().find((f) => f !== page.mainFrame());
  // Chromium isolates sandboxed frames in their own process, with their own
  // console; where it does not, the page's session already sees their messages.
  await watchConsole(context, frame, messages).catch(() => {});
}

function callInSandbox(page, args) {
  return page.evaluate((args) => new Promise((resolve) => {
    addEventListener('message', (e) => resolve(e.data), { once: true });
    document.querySelector('iframe').contentWindow.postMessage(args, '*');
  }), args);
}

function pageOrigin(s) {
  if (s.sandboxed) return 'null';
  return s.page === 'localhost' ? origins.pageLocalhost : origins.page;
}

function apiOrigin(s) {
  return { localhost: origins.apiLocalhost, api2: origins.api2 }[s.api] ?? origins.api;
}

// `route` is `s` for the browser, `p` for the probe (same policy, not logged;
// a redirect for the probe, `/rp/`, leads to `/p/` and is not logged either).
function resourceUrl(id, s, route) {
  const query = s.status ? `?status=${s.status}` : '';
  if (s.redirect) {
    const to = new URL(origins[s.redirect.to]).host;
    return `${apiOrigin(s)}/${route === 'p' ? 'rp' : 'r'}/${id}/${to}/${id}-target${query}`;
  }
  return `${apiOrigin(s)}/${route}/${id}/resource${query}`;
}

// The probe's URLs in a message (`/p/`, `/rp/`) as the browser's (`/s/`, `/r/`).
function asBrowserUrls(text) {
  return text.replace(/(http:\/\/[^/']+)\/(rp|p)\//g, (_, host, route) => `${host}/${route === 'rp' ? 'r' : 's'}/`);
}

function header(entry, name) {
  return entry.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

// What corsgate exposed to scripts: Access-Control-Expose-Headers, where `*`
// means every name for a request without credentials.
function exposed(entry, credentials) {
  const names = (header(entry, 'access-control-expose-headers') ?? '').split(',').map((n) => n.trim().toLowerCase());
  return APP_HEADERS.filter((n) => names.includes(n) || (names.includes('*') && !credentials));
}

// corsgate's verdict over every request the browser sent: each one allowed,
// and, when credentials go along, each one granted them.
function corsgateVerdict(entries, credentials) {
  const refused = entries.find((e) => !e.allowed);
  if (refused) return { allowed: false, reason: refused.reason, refused };
  const ungranted = credentials && entries.find((e) => header(e, 'access-control-allow-credentials') !== 'true');
  if (ungranted) return { allowed: false, reason: 'credentials-not-granted', refused: null };
  return { allowed: entries.length > 0, reason: entries.length ? null : 'no request seen', refused: null };
}

function runProbe(id, s) {
  const method = NORMALIZED_METHODS.includes(s.request.method.toUpperCase()) ? s.request.method.toUpperCase() : s.request.method;
  const args = ['probe', resourceUrl(id, s, 'p'), '--origin', pageOrigin(s), '--method', method, '--json'];
  for (const [n, v] of Object.entries(s.request.headers ?? {})) args.push('--header', `${n}: ${v}`);
  if (s.request.credentials === 'include') args.push('--credentials');
  const probe = spawnSync(corsgate, args, { encoding: 'utf8' });
  const report = probe.stdout ? JSON.parse(probe.stdout) : {};
  let verdict = { 0: 'allowed', 1: 'refused' }[probe.status] ?? `error (exit ${probe.status}: ${probe.stderr.trim()})`;
  if (report.allowed !== undefined && report.allowed !== (probe.status === 0)) verdict = `exit ${probe.status} but "allowed": ${report.allowed}`;
  // The probe speaks for fetch; XMLHttpRequest differs only in the API's name.
  let chrome = report.failure?.chrome && asBrowserUrls(report.failure.chrome);
  if (chrome && s.xhr) chrome = chrome.replace(/^Access to fetch at /, 'Access to XMLHttpRequest at ');
  return { verdict, chrome };
}

async function logOf(id) {
  return (await fetch(`${origins.api}/log/${id}`)).json();
}

async function consoleMessages(messages, wait) {
  const cors = () => messages.filter((m) => m.startsWith('Access to '));
  const deadline = Date.now() + (wait ? 3000 : 0);
  while (cors().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return cors();
}

async function runScenario(id, s, pages, messages) {
  const url = resourceUrl(id, s, 's');
  const args = [url, s.request, Boolean(s.xhr), [...SAFELISTED, ...APP_HEADERS]];
  messages.length = 0;
  const results = [];
  for (let i = 0; i < (s.repeat ?? 1); i += 1) {
    const page = s.page === 'localhost' ? pages.localhost : pages.main;
    results.push(await (s.sandboxed ? callInSandbox(page, args) : page.evaluate(call, args)));
  }
  const browser = results.every((r) => r.ok);
  const credentials = s.request.credentials === 'include';
  const own = await logOf(id);
  const target = (s.redirect ? await logOf(`${id}-target`) : []).map((e) => ({ ...e, redirected: true }));
  const verdict = corsgateVerdict([...own, ...target], credentials);
  const probe = runProbe(id, s);
  const problems = [];
  const row = { id, browser: browser ? 'allowed' : 'refused', corsgate: verdict.allowed ? 'allowed' : 'refused', reason: verdict.reason ?? '', probe: probe.verdict };

  if (browser !== verdict.allowed) problems.push(`browser ${row.browser}, corsgate ${row.corsgate}: ${JSON.stringify([...own, ...target])}`);
  if (probe.verdict !== row.browser) problems.push(`probe ${probe.verdict}, browser ${row.browser}`);
  checkRequests(s, own, target, problems);
  if (browser) checkResponses(s, results, [...own, ...target], credentials, problems);

  const cors = await consoleMessages(messages, !verdict.allowed);
  if (verdict.allowed) {
    if (cors.length) problems.push(`unexpected console messages ${JSON.stringify(cors)}`);
  } else {
    // explain() where the server refused, and the probe's text always.
    const expected = [['probe', probe.chrome]];
    if (verdict.refused) expected.unshift(['explain', explainedMessage(id, s, verdict.refused)]);
    if (cors.length !== 1) {
      problems.push(`console ${JSON.stringify(cors)}, expected one message: ${JSON.stringify(expected[0][1])}`);
    } else {
      for (const [source, text] of expected) {
        if (cors[0] !== text) problems.push(`console  ${JSON.stringify(cors[0])}\n    ${source.padEnd(7)}  ${JSON.stringify(text)}`);
      }
    }
  }
  return { row, problems };
}

// explain()'s Chrome message for the refused request, with what only the
// browser knows substituted: the script API that made the request and, after
// a redirect, the first URL and the page's origin (the follow-up request
// carried `Origin: null`).
function explainedMessage(id, s, refused) {
  let text = s.xhr ? refused.chrome_xhr : refused.chrome;
  if (refused.redirected) {
    const target = `${origins[s.redirect.to]}/s/${id}-target/resource`;
    text = text.replace(
      `'${target}' from origin 'null'`,
      `'${target}' (redirected from '${resourceUrl(id, s, 's')}') from origin '${pageOrigin(s)}'`,
    );
  }
  return text;
}

// The requests the server saw: how many preflights, which Origin, which cookies.
function checkRequests(s, own, target, problems) {
  const preflights = own.filter((e) => e.kind === 'preflight').length;
  if (s.preflights !== undefined && preflights !== s.preflights) {
    problems.push(`${preflights} preflights seen, expected ${s.preflights} (max_age ${s.policy.max_age})`);
  }
  // A redirect to another origin taints the request's origin (Fetch, "HTTP-redirect fetch").
  const redirectOrigin = s.redirect?.to === 'api' ? pageOrigin(s) : 'null';
  const expectedOrigins = [...own.map(() => pageOrigin(s)), ...target.map(() => redirectOrigin)];
  const seenOrigins = [...own, ...target].map((e) => e.origin);
  if (JSON.stringify(seenOrigins) !== JSON.stringify(expectedOrigins)) {
    problems.push(`Origin headers ${JSON.stringify(seenOrigins)}, expected ${JSON.stringify(expectedOrigins)}`);
  }
  // The cookie is set on 127.0.0.1: it goes with credentials, same-site, never on a preflight.
  const sameSite = !s.sandboxed && s.page !== 'localhost' && s.api !== 'localhost';
  const withCookie = s.request.credentials === 'include' && sameSite;
  for (const e of [...own, ...target]) {
    const expected = e.kind === 'actual' && withCookie;
    if (e.cookie !== expected) problems.push(`${e.kind} ${e.method}: cookie ${e.cookie ? 'sent' : 'not sent'}, expected ${expected ? 'sent' : 'not sent'}`);
  }
}

// What the script could read: the application's status and exactly the exposed headers.
function checkResponses(s, results, entries, credentials, problems) {
  const actual = entries.filter((e) => e.kind === 'actual').at(-1);
  const expose = [...SAFELISTED, ...exposed(actual, credentials)];
  for (const r of results) {
    if (r.status !== (s.status ?? 200)) problems.push(`status ${r.status}, expected ${s.status ?? 200}`);
    if (JSON.stringify(r.readable) !== JSON.stringify(expose)) {
      problems.push(`script read headers ${JSON.stringify(r.readable)}, corsgate exposed ${JSON.stringify(expose)}`);
    }
  }
}

function printTable(rows) {
  const columns = ['id', 'browser', 'corsgate', 'reason', 'probe'];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
}

async function main() {
  const invalid = checkInvalidPolicies();
  // A fresh temporary profile per run, removed by playwright even on a signal.
  const context = await chromium.launchPersistentContext('', {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const rows = [];
  try {
    const messages = [];
    const main = await openPage(context, `${origins.api}/cookie`, messages);
    await main.goto(`${origins.page}/`);
    await addSandbox(context, main, messages);
    const pages = { main, localhost: await openPage(context, `${origins.pageLocalhost}/`, messages) };
    for (const [id, s] of Object.entries(scenarios)) {
      const { row, problems } = await runScenario(id, s, pages, messages);
      rows.push({ ...row, ok: problems.length === 0 });
      if (problems.length) {
        console.log(`not ok - ${id}\n  ${problems.join('\n  ')}`);
      } else {
        console.log(`ok - ${id}`);
      }
    }
  } finally {
    await context.close();
  }
  console.log();
  printTable(rows);
  // Compared: the probe ran and gave a verdict (mismatches are failures above).
  const probed = rows.filter((r) => ['allowed', 'refused'].includes(r.probe)).length;
  console.log(`\ncorsgate probe compared with Chromium on ${probed} of ${rows.length} scenarios`);
  const agree = rows.filter((r) => r.ok).length;
  console.log(`\n${agree}/${rows.length} scenarios agree with Chromium`);
  return invalid + rows.length - agree;
}

process.exit((await main()) ? 1 : 0);
