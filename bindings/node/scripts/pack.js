'use strict';
// Packs what would be published to npm, into OUTDIR (default ../../target/dist):
//   corsgate-<version>.tgz                 the JavaScript, types and corsgate.wasm;
//                                          no install script, and the platform
//                                          package below as an optional dependency
//   corsgate-linux-x64-gnu-<version>.tgz   the prebuilt addon for that platform
// The addon (corsgate.node, `npm run build`) and corsgate.wasm
// (bindings/wasm/build) must have been built first. Usage: node scripts/pack.js [OUTDIR]

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const repo = path.join(root, '..', '..');
const out = path.resolve(process.argv[2] || path.join(repo, 'target', 'dist'));
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

// The platform this build's addon is for; one package per platform.
const platform = { triple: 'linux-x64-gnu', os: ['linux'], cpu: ['x64'], libc: ['glibc'] };
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`pack: this builds the linux-x64-gnu package and runs on ${process.platform}-${process.arch}`);
  process.exit(1);
}
const platformName = `${manifest.name}-${platform.triple}`;

// What the main package ships, besides package.json, README.md and the licenses.
const files = [
  'index.js', 'index.d.ts', 'express.js', 'express.d.ts', 'fastify.js', 'fastify.d.ts',
  'lambda.js', 'lambda.d.ts', 'edge.js', 'edge.mjs', 'edge.d.ts', 'lib', 'corsgate.wasm',
];
for (const needed of ['corsgate.node', 'corsgate.wasm']) {
  if (!fs.existsSync(path.join(root, needed))) {
    console.error(`pack: ${needed} is missing; build it first (corsgate.node: npm run build; corsgate.wasm: bindings/wasm/build)`);
    process.exit(1);
  }
}

// Each package is staged in a temporary folder, packed, and the folder removed.
const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'corsgate-pack-'));
process.on('exit', () => fs.rmSync(staging, { recursive: true, force: true }));
fs.mkdirSync(out, { recursive: true });

function stage(name) {
  const dir = path.join(staging, name);
  fs.mkdirSync(dir);
  for (const license of ['LICENSE-MIT', 'LICENSE-APACHE']) {
    fs.copyFileSync(path.join(repo, license), path.join(dir, license));
  }
  return dir;
}

function pack(dir) {
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8' });
  const [{ filename, size, unpackedSize, entryCount }] = JSON.parse(json);
  console.log(`pack: ${path.join(out, filename)} (${size} bytes, ${unpackedSize} unpacked, ${entryCount} files)`);
}

const common = {
  version: manifest.version,
  license: manifest.license,
  repository: manifest.repository,
  engines: manifest.engines,
};

// The platform package: the addon under a platform-specific name.
const addonFile = `corsgate.${platform.triple}.node`;
const platformDir = stage(platformName);
fs.copyFileSync(path.join(root, 'corsgate.node'), path.join(platformDir, addonFile));
// Symbols and debug info are for the build tree; the published addon is stripped.
execFileSync('strip', ['--strip-unneeded', path.join(platformDir, addonFile)]);
fs.writeFileSync(path.join(platformDir, 'README.md'),
  `# ${platformName}\n\nThe prebuilt native addon of [corsgate](https://www.npmjs.com/package/corsgate) ` +
  `for ${platform.triple}. Install \`corsgate\`, not this package: npm picks this one for you.\n`);
fs.writeFileSync(path.join(platformDir, 'package.json'), `${JSON.stringify({
  name: platformName,
  ...common,
  description: `The corsgate native addon for ${platform.triple}`,
  os: platform.os,
  cpu: platform.cpu,
  libc: platform.libc,
  main: addonFile,
  files: [addonFile],
}, null, 2)}\n`);

// The main package: the repository's package.json without what only a
// source checkout needs (the build-from-source install script, the dev tools).
const mainDir = stage(manifest.name);
for (const file of [...files, 'README.md']) {
  fs.cpSync(path.join(root, file), path.join(mainDir, file), { recursive: true });
}
const published = { ...manifest };
delete published.devDependencies;
published.scripts = {};
for (const [key, value] of Object.entries(manifest.scripts)) {
  if (!['install', 'build', 'typecheck', 'test', 'bench'].includes(key)) published.scripts[key] = value;
}
if (Object.keys(published.scripts).length === 0) delete published.scripts;
published.files = files;
published.optionalDependencies = { [platformName]: manifest.version };
fs.writeFileSync(path.join(mainDir, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);

pack(platformDir);
pack(mainDir);
