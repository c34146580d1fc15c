/**
 * Bundles the apply-time runner (src/runner/main.ts, axios included) into bundle/runner/runner.cjs,
 * and each shared ledger store's client with its SDK (src/runtime/ledger/stores/<type>/client.ts)
 * into bundle/runner/ledger-<type>.cjs, loaded only when a ledger lives in that store. The
 * directory is what synthesized stacks carry as a TerraformAsset, so an apply needs only node and
 * terraform. The esbuild metafiles go to bundle/. `npm run compile` runs it.
 *
 * The runner starts once per provisioner (hundreds of times per apply), so its cold start
 * matters (figures in bench/results). Axios code the runner never uses is stubbed out:
 *
 *  - form-data and its MIME database (multipart bodies; the runner sends JSON only) and the
 *    `debug` package behind https-proxy-agent: most of the bundle's size;
 *  - the fetch adapter, whose import probes `globalThis.FormData` and so loads node's undici at
 *    start-up (the runner uses axios's `http` adapter, with its own agents and transport);
 *  - node's http2 and assert, imported at the top of axios files for paths the runner does not
 *    take: they load on first use instead.
 *
 * Every replacement must apply: if an axios upgrade moves the code, the build fails here instead
 * of silently bundling it again.
 */
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const applied = new Set();

/**
 * A node built-in loaded on first use instead of at start-up. For modules that are imported at
 * the top of a file but used only inside functions: `http2` (axios, only for httpVersion 2; it
 * pulls in 21 more internal modules) and `assert` (follow-redirects, https-proxy-agent).
 */
const lazyBuiltin = (name) =>
  `let real; const load = () => (real ??= require('node:${name}'));\n` +
  // '__esModule' is asked by the bundler's interop helpers at import time: answering it must not load.
  `const get = (_, key) => (key === '__esModule' ? undefined : load()[key]);\n` +
  `module.exports = new Proxy(() => {}, { get, apply: (_, self, args) => load().apply(self, args) });`;

/** Whole packages replaced by a stub: name -> CommonJS source. */
const STUB_PACKAGES = {
  // axios imports it for multipart bodies (FormData), which the runner never sends.
  'form-data': 'module.exports = class FormData {};',
  // https-proxy-agent logs through debug (only with DEBUG=https-proxy-agent); no logging instead.
  'debug': 'const off = () => off; off.enabled = false; off.extend = () => off; module.exports = off;',
  'http2': lazyBuiltin('http2'),
  'assert': lazyBuiltin('assert'),
};

/** axios's own modules replaced (by the path they are imported with, from the importing file). */
const STUB_AXIOS_MODULES = [
  // The fetch and XHR adapters: never chosen in node (the http adapter is), but the fetch one
  // probes fetch/Request/Response at import, which loads undici.
  { importer: /axios[\\/]lib[\\/]adapters[\\/]adapters\.js$/, path: './fetch.js', contents: 'export const getFetch = () => false; export default false;' },
  { importer: /axios[\\/]lib[\\/]adapters[\\/]adapters\.js$/, path: './xhr.js', contents: 'export default false;' },
];

/** Source edits in axios files: the exact text, and what replaces it. */
const AXIOS_EDITS = [
  {
    file: /axios[\\/]lib[\\/]utils\.js$/,
    // Reading globalThis.FormData loads undici at start-up; the runner never passes a FormData.
    from: "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;",
    to: 'const FormDataCtor = undefined;',
  },
];

const trimRunner = {
  name: 'trim-runner',
  setup(build) {
    const names = Object.keys(STUB_PACKAGES).map((n) => n.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&'));
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'runner-stub' }));
    build.onResolve({ filter: /^\.\/(fetch|xhr)\.js$/ }, (args) => {
      const stub = STUB_AXIOS_MODULES.find((s) => s.path === args.path && s.importer.test(args.importer));
      return stub ? { path: `axios:${stub.path}`, namespace: 'runner-stub' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'runner-stub' }, (args) => {
      applied.add(args.path);
      if (args.path.startsWith('axios:')) {
        return { contents: STUB_AXIOS_MODULES.find((s) => `axios:${s.path}` === args.path).contents, loader: 'js' };
      }
      return { contents: STUB_PACKAGES[args.path], loader: 'js' };
    });
    sourceEdits(AXIOS_EDITS).setup(build);
  },
};

/** A plugin making `edits` (exact text and its replacement, per file), each noted in `applied`; one that no longer applies fails the build. */
function sourceEdits(edits) {
  return {
    name: 'source-edits',
    setup(build) {
      for (const file of new Set(edits.map((e) => e.file))) {
        build.onLoad({ filter: file }, (args) => {
          let contents = readFileSync(args.path, 'utf8');
          for (const edit of edits.filter((e) => e.file === file)) {
            if (!contents.includes(edit.from)) return { errors: [{ text: `bundle-runner: ${args.path} no longer contains ${JSON.stringify(edit.from)}; update build-tools/bundle-runner.mjs` }] };
            contents = contents.replace(edit.from, edit.to);
            applied.add(`edit:${edit.from}`);
          }
          return { contents, loader: 'js' };
        });
      }
    },
  };
}

const result = await esbuild.build({
  entryPoints: ['src/runner/main.ts'],
  write: false,
  outfile: 'bundle/runner/runner.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [trimRunner],
});

const expected = [
  ...Object.keys(STUB_PACKAGES),
  ...STUB_AXIOS_MODULES.map((s) => `axios:${s.path}`),
  ...AXIOS_EDITS.map((e) => `edit:${e.from}`),
];
const missing = expected.filter((e) => !applied.has(e));
if (missing.length) {
  console.error(`bundle-runner: these replacements no longer apply (axios changed?): ${missing.join(', ')}; update build-tools/bundle-runner.mjs`);
  process.exit(1);
}

/**
 * The file Terraform runs: the bundle as a string, compiled through a V8 code cache kept beside
 * the file, so the hundreds of runner processes of an apply do not each parse and compile it
 * again (figures in bench/results). V8 checks a cache against node's version and flags and the
 * source's length only, and not its own bytes (a damaged cache can crash node): so the file
 * starts with a SHA-256 of this source's hash and the cache, checked first. It is used only when
 * it is a regular file (not a symlink) of this user that no one else may write, as the bundle
 * itself must be, since a planted cache would be code. CDKTF_KEYFACTOR_CODE_CACHE=off turns it off.
 */
const loader = (source) => `'use strict';
const SOURCE = ${JSON.stringify(source)};
const SOURCE_SHA256 = ${JSON.stringify(createHash('sha256').update(source).digest('hex'))};
(() => {
  const fs = require('fs');
  const path = require('path');
  const vm = require('vm');
  const { createHash } = require('crypto');
  const seal = (data) => createHash('sha256').update(SOURCE_SHA256).update(data).digest();
  const setting = (process.env.CDKTF_KEYFACTOR_CODE_CACHE ?? '').trim().toLowerCase();
  if (setting !== '' && setting !== 'off') {
    process.stderr.write(\`cdktf-keyfactor: CDKTF_KEYFACTOR_CODE_CACHE must be "off" or unset, got \${JSON.stringify(process.env.CDKTF_KEYFACTOR_CODE_CACHE)}\\n\`);
    process.exit(1);
  }
  const off = setting === 'off';
  const cacheFile = \`\${__filename}.\${process.version}-\${process.arch}.v8cache\`;
  let cachedData;
  if (!off) {
    let fd;
    try {
      fd = fs.openSync(cacheFile, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
      const stat = fs.fstatSync(fd);
      const mineAlone = (stat.mode & 0o022) === 0 && (typeof process.getuid !== 'function' || stat.uid === process.getuid());
      if (stat.isFile() && mineAlone) {
        const file = fs.readFileSync(fd);
        const data = file.subarray(32);
        if (file.length > 32 && seal(data).equals(file.subarray(0, 32))) cachedData = data;
      }
    } catch {} finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  const script = new vm.Script(\`(function (exports, require, module, __filename, __dirname) {\${SOURCE}\\n})\`, { filename: __filename, cachedData });
  let writable = false;
  try {
    fs.accessSync(path.dirname(cacheFile), fs.constants.W_OK);
    writable = true;
  } catch {}
  if (!off && writable && (cachedData === undefined || script.cachedDataRejected)) {
    // After the run, so the functions it compiled are cached too.
    process.once('exit', () => {
      const tmp = \`\${cacheFile}.\${process.pid}.tmp\`;
      try {
        const data = script.createCachedData();
        fs.writeFileSync(tmp, Buffer.concat([seal(data), data]), { mode: 0o644, flag: 'wx' });
        fs.renameSync(tmp, cacheFile);
      } catch {
        try { fs.rmSync(tmp, { force: true }); } catch {}
      }
    });
  }
  script.runInThisContext()(exports, require, module, __filename, __dirname);
})();
`;
// esbuild writes nothing itself (write: false), so a fresh clone has no bundle/ yet.
mkdirSync('bundle/runner', { recursive: true });
const runner = loader(result.outputFiles[0].text);
writeFileSync('bundle/runner/runner.cjs', runner);
// What went into the bundle, for the test that keeps cdktf and constructs out of it.
writeFileSync('bundle/runner.meta.json', JSON.stringify(result.metafile));
console.log(`bundle/runner/runner.cjs: ${(Buffer.byteLength(runner) / 1024).toFixed(0)} KB`);

/**
 * The store clients: one bundle each, SDK included, rewritten only when it changed (so its
 * modification time says when it last did), each through the same V8 code cache as the runner:
 * compiling an SDK is most of what loading it costs, in every runner process that uses the store.
 */
const STORES_DIR = 'src/runtime/ledger/stores';

/**
 * Source edits in the stores' SDKs, as AXIOS_EDITS for the runner: code that loads node's undici
 * (about 15 ms of every runner process that uses the store) to find out what node never is.
 */
const STORE_EDITS = [
  {
    file: /pg[\\/]lib[\\/]stream\.js$/,
    // Probes for a Cloudflare Worker with `new Response(...)`, which loads undici in node 20.
    from: 'if (isCloudflareRuntime()) {',
    to: 'if (false) {',
  },
];

const stores = readdirSync(STORES_DIR, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(`${STORES_DIR}/${e.name}/client.ts`)).map((e) => e.name);
for (const file of readdirSync('bundle/runner')) {
  const m = /^ledger-(.+)\.cjs$/.exec(file);
  if (m && !stores.includes(m[1])) rmSync(`bundle/runner/${file}`);
}
for (const store of stores) {
  const built = await esbuild.build({
    entryPoints: [`${STORES_DIR}/${store}/client.ts`],
    write: false,
    outfile: `bundle/runner/ledger-${store}.cjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // Optional native add-ons the SDKs probe for and do without.
    external: ['pg-native', 'keytar', '@azure/msal-node-extensions', 'aws-crt', '@aws-sdk/signature-v4-crt'],
    // Azure's ESM builds call createRequire(import.meta.url), which esbuild's CommonJS output
    // would turn into createRequire(undefined) and crash on load.
    define: { 'import.meta.url': '__import_meta_url' },
    banner: { js: "var __import_meta_url=require('url').pathToFileURL(__filename).href;" },
    plugins: [sourceEdits(STORE_EDITS)],
  });
  const out = `bundle/runner/ledger-${store}.cjs`;
  const text = loader(built.outputFiles[0].text);
  if (!existsSync(out) || readFileSync(out, 'utf8') !== text) writeFileSync(out, text);
  writeFileSync(`bundle/ledger-${store}.meta.json`, JSON.stringify(built.metafile));
  console.log(`${out}: ${(Buffer.byteLength(text) / 1024).toFixed(0)} KB`);
}
const unapplied = STORE_EDITS.filter((e) => !applied.has(`edit:${e.from}`));
if (unapplied.length) {
  console.error(`bundle-runner: these store edits no longer apply: ${unapplied.map((e) => e.from).join(', ')}; update build-tools/bundle-runner.mjs`);
  process.exit(1);
}
