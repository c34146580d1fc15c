/**
 * Builds the CDK Terrain flavour, `cdktn-keyfactor`, in flavours/cdktn/ from the same src/ as
 * `cdktf-keyfactor`. Run by `npm run compile` after jsii, the runner bundle and prune-lib.
 *
 * CDK Terrain (`cdktn`) is the community fork of the archived cdktf: the same API under a new
 * package name. So the flavour is src/ with the few rewrites in REWRITES (one table, in
 * flavour-cdktn-rewrites.cjs: the only place the flavours' sources differ), its own package.json
 * and jsii targets, compiled by jsii, with its own API.md. The runner bundles (bundle/runner/) import no cdktf and are shared as they are.
 *
 * flavours/cdktn/ is generated as a whole (gitignored): src/ and lib/ are rebuilt from scratch,
 * so a module deleted from src/ leaves nothing behind (what prune-lib does for lib/). jsii and
 * jsii-docgen run only when their inputs changed (the hash in .build-inputs).
 *
 * test/flavours/ holds it to this: the same example app applied with either flavour against the
 * simulator sends Command the same requests, and both assemblies name the same public types.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// The rewrites (CommonJS, so the tests can load the same table).
import flavour from './flavour-cdktn-rewrites.cjs';

const { REWRITES, rewriteSource } = flavour;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FLAVOUR_DIR = join(ROOT, 'flavours', 'cdktn');

/** package.json of the flavour: the root's, renamed, with cdktn as the framework. */
function flavourManifest(root) {
  return {
    name: 'cdktn-keyfactor',
    description: root.description.replace('CDK for Terraform', 'CDK Terrain (cdktn)'),
    repository: root.repository,
    // The same CLI under both names: every hint the CLI and the (shared) runner print, and the
    // README, say `npx cdktf-keyfactor ...`, which must work in a cdktn app too.
    bin: { 'cdktn-keyfactor': root.bin['cdktf-keyfactor'], 'cdktf-keyfactor': root.bin['cdktf-keyfactor'] },
    author: root.author,
    license: root.license,
    version: root.version,
    keywords: ['cdk', 'cdktn', 'cdk-terrain'],
    engines: root.engines,
    main: root.main,
    types: root.types,
    stability: root.stability,
    publishConfig: root.publishConfig,
    // cdktn 0.24.0 itself peers constructs >=10.6.0 <10.8.0. No null provider (see REWRITES).
    peerDependencies: { cdktn: '^0.24.0', constructs: '>=10.6.0 <10.8.0' },
    // What it is built and tested with: the root's (one node_modules for both flavours).
    devDependencies: { cdktn: root.devDependencies.cdktn, constructs: root.devDependencies.constructs },
    dependencies: root.dependencies,
    bundledDependencies: root.bundledDependencies,
    files: root.files,
    jsii: {
      outdir: 'dist',
      // The root's targets, with cdktn-keyfactor names (same GitHub organization).
      targets: {
        java: { package: 'io.github.cdktfkeyfactor.cdktn', maven: { groupId: 'io.github.cdktf-keyfactor', artifactId: 'cdktn-keyfactor' } },
        python: { distName: 'cdktn-keyfactor', module: 'cdktn_keyfactor' },
        dotnet: { namespace: 'CdktnKeyfactor', packageId: 'CdktnKeyfactor' },
        go: { moduleName: 'github.com/cdktf-keyfactor/cdktn-keyfactor-go' },
      },
      tsconfig: 'tsconfig.json',
      validateTsconfig: 'strict',
    },
  };
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Every .ts file below `dir`, relative to it, with '/' separators. */
function sources(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return sources(full, base);
    return e.name.endsWith('.ts') ? [relative(base, full).split('\\').join('/')] : [];
  }).sort();
}

/**
 * The bundled dependencies and everything they depend on, as package directories relative to
 * ROOT, resolved as node does (nearest node_modules first): npm pack bundles them only from the
 * package's own node_modules.
 */
function bundledClosure(names) {
  const found = new Set();
  const locate = (name, fromDir) => {
    for (let dir = fromDir; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (dir === ROOT || dir === dirname(dir)) return undefined;
    }
  };
  const visit = (dir) => {
    const rel = relative(ROOT, dir);
    if (found.has(rel)) return;
    found.add(rel);
    const manifest = readJson(join(dir, 'package.json'));
    for (const dep of Object.keys({ ...manifest.dependencies })) {
      const at = locate(dep, dir);
      if (!at) throw new Error(`flavour-cdktn: cannot resolve ${dep} (needed by ${rel})`);
      visit(at);
    }
    for (const dep of Object.keys({ ...manifest.optionalDependencies })) {
      const at = locate(dep, dir);
      if (at) visit(at);
    }
  };
  for (const name of names) visit(locate(name, ROOT));
  return [...found].sort();
}

function run(command, args, cwd) {
  const res = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`flavour-cdktn: ${command} ${args.join(' ')} failed (${res.status ?? res.signal})`);
}

function build() {
  const started = Date.now();
  const root = readJson(join(ROOT, 'package.json'));
  const files = new Map(); // path in the flavour -> content

  const hits = new Map();
  for (const file of sources(join(ROOT, 'src'))) {
    files.set(`src/${file}`, rewriteSource(file, readFileSync(join(ROOT, 'src', file), 'utf8'), hits));
  }
  for (const rule of REWRITES) {
    const n = hits.get(rule) ?? 0;
    if (rule.count === undefined ? n === 0 : n !== rule.count) {
      throw new Error(`flavour-cdktn: rewrite "${rule.why}" applied ${n} time(s), expected ${rule.count ?? 'at least 1'}: update REWRITES for the change in src/`);
    }
  }
  files.set('package.json', JSON.stringify(flavourManifest(root), null, 2) + '\n');
  files.set('tsconfig.json', readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
  files.set('LICENSE', readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  files.set('README.md', '# cdktn-keyfactor\n\n`cdktf-keyfactor` built for CDK Terrain (`cdktn`) from the same source: see ' +
    '[CDK Terrain (cdktn)](#cdk-terrain-cdktn) below for what differs. Everything else applies as written, with `cdktn` for `cdktf`.\n\n' +
    readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/^# .*\n/, ''));

  // What jsii and jsii-docgen read: the files above, the framework and the tools.
  const versions = ['jsii', 'jsii-docgen', 'typescript', 'cdktn', 'constructs'].map((p) => `${p}@${readJson(join(ROOT, 'node_modules', p, 'package.json')).version}`);
  const hash = createHash('sha256');
  hash.update(versions.join('\n'));
  for (const [file, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(`\0${file}\0${text}`);
  const inputs = hash.digest('hex');
  const stamp = join(FLAVOUR_DIR, '.build-inputs');
  const upToDate = existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs &&
    ['lib/index.js', '.jsii', 'API.md'].every((f) => existsSync(join(FLAVOUR_DIR, f)));

  mkdirSync(FLAVOUR_DIR, { recursive: true });
  rmSync(join(FLAVOUR_DIR, 'src'), { recursive: true, force: true });
  for (const [file, text] of files) {
    mkdirSync(dirname(join(FLAVOUR_DIR, file)), { recursive: true });
    writeFileSync(join(FLAVOUR_DIR, file), text);
  }
  // The user guides the README links to.
  rmSync(join(FLAVOUR_DIR, 'docs'), { recursive: true, force: true });
  cpSync(join(ROOT, 'docs'), join(FLAVOUR_DIR, 'docs'), { recursive: true });
  // The shared runner bundles, at the path src/synth/provisioner.ts computes (bundle/runner/ beside lib/).
  rmSync(join(FLAVOUR_DIR, 'bundle'), { recursive: true, force: true });
  mkdirSync(join(FLAVOUR_DIR, 'bundle', 'runner'), { recursive: true });
  for (const f of readdirSync(join(ROOT, 'bundle', 'runner')).filter((n) => n.endsWith('.cjs'))) {
    cpSync(join(ROOT, 'bundle', 'runner', f), join(FLAVOUR_DIR, 'bundle', 'runner', f));
  }
  // The bundled dependencies, copied package by package (not their nested node_modules: those in
  // the closure are copied on their own).
  rmSync(join(FLAVOUR_DIR, 'node_modules'), { recursive: true, force: true });
  for (const dir of bundledClosure(root.bundledDependencies ?? [])) {
    const from = join(ROOT, dir);
    cpSync(from, join(FLAVOUR_DIR, dir), { recursive: true, filter: (src) => src !== join(from, 'node_modules') });
  }

  if (upToDate) {
    console.log('flavour-cdktn: flavours/cdktn is up to date (jsii skipped)');
    return;
  }
  rmSync(stamp, { force: true });
  for (const generated of ['lib', 'dist', '.jsii', 'API.md', 'tsconfig.tsbuildinfo']) rmSync(join(FLAVOUR_DIR, generated), { recursive: true, force: true });
  const bin = (name) => join(ROOT, 'node_modules', '.bin', name);
  // (jsii asks for a devDependency at the lowest version a peer allows: constructs 10.6.0. The flavour is
  // built and tested with 10.7.2, which both flavours share; 10.6 is what cdktn itself requires.)
  run(bin('jsii'), ['--silence-warnings=reserved-word', '--silence-warnings=metadata/missing-dev-dependency'], FLAVOUR_DIR);
  const compiled = Date.now();
  // jsii-docgen reads the peers' assemblies from the package's own node_modules only (jsii walks
  // up to the root's): links there while it runs.
  const peers = Object.keys(flavourManifest(root).peerDependencies).map((p) => join(FLAVOUR_DIR, 'node_modules', p));
  try {
    for (const link of peers) symlinkSync(relative(dirname(link), join(ROOT, 'node_modules', basename(link))), link, 'dir');
    run(bin('jsii-docgen'), ['-o', 'API.md'], FLAVOUR_DIR);
  } finally {
    for (const link of peers) rmSync(link, { force: true });
  }
  writeFileSync(stamp, inputs);
  console.log(`flavour-cdktn: built flavours/cdktn (jsii ${((compiled - started) / 1000).toFixed(1)} s, ` +
    `jsii-docgen ${((Date.now() - compiled) / 1000).toFixed(1)} s)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) build();
