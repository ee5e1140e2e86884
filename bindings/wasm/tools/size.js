#!/usr/bin/env node
'use strict';
// What the module's size is made of: the bytes of each section, and the code
// section split by the crate each function comes from (read from the `name`
// section, so the module must be built unstripped: bindings/wasm/tools/size
// does that). Usage: node size.js corsgate_wasm.wasm

const fs = require('node:fs');

const bytes = fs.readFileSync(process.argv[2]);
let at = 8; // magic and version
function leb() {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return value;
}
const SECTIONS = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data'];
const sections = [];
const names = new Map();
let imported = 0;
let bodies = [];
while (at < bytes.length) {
  const id = bytes[at++];
  const len = leb();
  const start = at;
  let label = SECTIONS[id] ?? `section ${id}`;
  if (id === 0) {
    const n = leb();
    label = `custom "${bytes.subarray(at, at + n).toString()}"`;
    at += n;
    if (label === 'custom "name"') {
      while (at < start + len) {
        const sub = bytes[at++];
        const subLen = leb();
        const end = at + subLen;
        if (sub === 1) {
          for (let k = leb(); k > 0; k--) {
            const index = leb();
            const l = leb();
            names.set(index, bytes.subarray(at, at + l).toString());
            at += l;
          }
        }
        at = end;
      }
    }
  } else if (id === 2) {
    for (let k = leb(); k > 0; k--) {
      at += leb(); // module
      at += leb(); // field
      const kind = bytes[at++];
      if (kind === 0) {
        leb();
        imported++;
      } else if (kind === 1) {
        at++;
        if (leb() & 1) leb();
        leb();
      } else if (kind === 2) {
        if (leb() & 1) leb();
        leb();
      } else {
        at += 2;
      }
    }
  } else if (id === 10) {
    bodies = [];
    for (let k = leb(); k > 0; k--) {
      const l = leb();
      bodies.push(l);
      at += l;
    }
  }
  sections.push([label, len]);
  at = start + len;
}

/** The crate a (v0 or legacy) Rust symbol belongs to. */
function crateOf(symbol) {
  const m = symbol.match(/^_R\w*?C[s\w]*?_(\d+)([A-Za-z_0-9]+)/) || symbol.match(/^_ZN(\d+)([A-Za-z_0-9]+)/);
  return m ? m[2].slice(0, Number(m[1])) : 'other';
}

const total = bytes.length;
const pct = (n, of) => `${((100 * n) / of).toFixed(1)}%`;
console.log(`module: ${total} bytes (unstripped; the name section goes when stripped)`);
for (const [label, len] of sections.sort((a, b) => b[1] - a[1])) console.log(`  ${label}: ${len} (${pct(len, total)})`);
const code = bodies.reduce((a, b) => a + b, 0);
const crates = new Map();
bodies.forEach((len, k) => {
  const crate = crateOf(names.get(k + imported) ?? '');
  crates.set(crate, (crates.get(crate) ?? 0) + len);
});
console.log(`code by crate (${code} bytes of function bodies):`);
for (const [crate, len] of [...crates].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${crate}: ${len} (${pct(len, code)})`);
