/**
 * Bundles the apply-time runner (src/runner/main.ts, axios included) into bundle/runner.cjs,
 * the one file synthesized stacks carry as a TerraformAsset, and writes the esbuild metafile
 * beside it. `npm run compile` runs it.
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
import { readFileSync, writeFileSync } from 'node:fs';

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
    build.onLoad({ filter: /axios[\\/]lib[\\/]utils\.js$/ }, (args) => {
      let contents = readFileSync(args.path, 'utf8');
      for (const edit of AXIOS_EDITS.filter((e) => e.file.test(args.path))) {
        if (!contents.includes(edit.from)) return { errors: [{ text: `bundle-runner: ${args.path} no longer contains ${JSON.stringify(edit.from)}; update build-tools/bundle-runner.mjs` }] };
        contents = contents.replace(edit.from, edit.to);
        applied.add(`edit:${edit.from}`);
      }
      return { contents, loader: 'js' };
    });
  },
};

const result = await esbuild.build({
  entryPoints: ['src/runner/main.ts'],
  outfile: 'bundle/runner.cjs',
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
// What went into the bundle, for the test that keeps cdktf and constructs out of it.
writeFileSync('bundle/runner.meta.json', JSON.stringify(result.metafile));
const bytes = Object.values(result.metafile.outputs)[0].bytes;
console.log(`bundle/runner.cjs: ${(bytes / 1024).toFixed(0)} KB`);
