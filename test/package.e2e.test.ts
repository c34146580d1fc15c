/**
 * What `npm pack` publishes: the compiled library (lib/, JavaScript and declarations of src/
 * only), the runner bundle, the jsii assembly, API.md, README.md, LICENSE and package.json,
 * plus the bundledDependencies jsii requires (and what they depend on). Nothing else: no
 * sources, tests, examples, scripts, bench, build tools or build leftovers.
 *
 * Needs a compiled tree (`npm test` compiles first).
 */
import * as fs from 'fs';
import * as path from 'path';
import { bundledClosure, FIXED_FILES, PackedFile, packedFiles, packedPackages, sourceModules, unexpectedFiles } from './support/pack';

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');

describe('npm pack', () => {
  let files: PackedFile[];
  let paths: string[];

  beforeAll(() => {
    files = packedFiles(ROOT);
    paths = files.map((f) => f.path);
  }, 120_000);

  test('ships lib/ (JavaScript and declarations of src/ only), the runner bundle, .jsii, API.md, README, LICENSE', () => {
    expect(unexpectedFiles(paths, ROOT, SRC)).toEqual([]);
    for (const f of FIXED_FILES) expect(paths).toContain(f);
    for (const m of sourceModules(SRC)) {
      expect(paths).toContain(`lib/${m}.js`);
      expect(paths).toContain(`lib/${m}.d.ts`);
    }
  });

  test('nothing from tests, sources, examples, scripts, bench or the build leaks in', () => {
    const leaked = paths.filter((p) => !p.startsWith('node_modules/') && (
      /^(src|test|examples|scripts|bench|build-tools|projenrc|flavours|coverage|test-reports|dist|cdktf\.out|\.ci|\.projen)\//.test(p) ||
      /(\.tsbuildinfo|\.map|\.test\.[jt]s|\.snap|\.tfstate)$/.test(p) ||
      /^(tsconfig\.json|\.projenrc\.ts|cdktf\.json|\.eslintrc\.json|\.npmignore|\.gitignore)$/.test(p)
    ));
    expect(leaked).toEqual([]);
  });

  test('bundles exactly the bundledDependencies and their dependencies (jsii needs them in the package)', () => {
    expect(packedPackages(paths)).toEqual([...bundledClosure(ROOT)].sort());
  });

  test('the runner bundle stays trimmed (build-tools/bundle-runner.mjs)', () => {
    // 314 KB with axios's form-data/mime-db and fetch adapter, ~128 KB without them.
    const runner = files.find((f) => f.path === 'bundle/runner/runner.cjs')!;
    expect(runner.size).toBeLessThan(240 * 1024);
    const text = fs.readFileSync(path.join(ROOT, 'bundle', 'runner', 'runner.cjs'), 'utf8');
    expect(text).not.toContain('application/vnd.'); // mime-db
  });
});
