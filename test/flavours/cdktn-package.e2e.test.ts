/**
 * What `npm pack` publishes of the cdktn flavour (flavours/cdktn): the same files as the root
 * package (test/package.e2e.test.ts), compiled from the rewritten src/, and a package.json that
 * peers cdktn, not cdktf or the null provider.
 *
 * Needs a compiled tree (`npm test` compiles first).
 */
import * as fs from 'fs';
import * as path from 'path';
import { bundledClosure, FIXED_FILES, packedFiles, packedPackages, sourceModules, unexpectedFiles } from '../support/pack';

const ROOT = path.resolve(__dirname, '..', '..');
const FLAVOUR = path.join(ROOT, 'flavours', 'cdktn');

describe('npm pack of cdktn-keyfactor', () => {
  let paths: string[];
  beforeAll(() => {
    paths = packedFiles(FLAVOUR).map((f) => f.path);
  }, 120_000);

  test('ships the files the root package ships: lib/ of every src/ module, the runner bundle, .jsii, API.md, README, LICENSE, bundled deps', () => {
    expect(unexpectedFiles(paths, FLAVOUR, path.join(FLAVOUR, 'src'))).toEqual([]);
    for (const f of FIXED_FILES) expect(paths).toContain(f);
    // The flavour's src/ is src/ rewritten, module for module.
    const modules = sourceModules(path.join(ROOT, 'src'));
    expect(sourceModules(path.join(FLAVOUR, 'src')).sort()).toEqual([...modules].sort());
    for (const m of modules) {
      expect(paths).toContain(`lib/${m}.js`);
      expect(paths).toContain(`lib/${m}.d.ts`);
    }
    expect(packedPackages(paths)).toEqual([...bundledClosure(FLAVOUR)].sort());
    expect(packedPackages(paths)).toEqual([...bundledClosure(ROOT)].sort());
    expect(paths.filter((p) => /^(src|dist)\/|\.tsbuildinfo$|^tsconfig\.json$|^\.build-inputs$/.test(p))).toEqual([]);
  });

  test('the runner bundles are the root ones', () => {
    for (const f of ['runner.cjs', 'ledger-s3.cjs', 'ledger-azure-blob.cjs', 'ledger-postgres.cjs']) {
      expect(fs.readFileSync(path.join(FLAVOUR, 'bundle', 'runner', f))).toEqual(fs.readFileSync(path.join(ROOT, 'bundle', 'runner', f)));
    }
  });

  test('package.json: cdktn-keyfactor, peers cdktn and constructs 10.6+, no null provider, the CLI under both names', () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const pkg = JSON.parse(fs.readFileSync(path.join(FLAVOUR, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('cdktn-keyfactor');
    expect(pkg.version).toBe(root.version);
    expect(pkg.peerDependencies).toEqual({ cdktn: '^0.24.0', constructs: '>=10.6.0 <10.8.0' });
    expect(pkg.peerDependenciesMeta).toBeUndefined();
    expect(pkg.dependencies).toEqual(root.dependencies);
    expect(pkg.bundledDependencies).toEqual(root.bundledDependencies);
    expect(pkg.bin).toEqual({ 'cdktn-keyfactor': 'lib/cli/main.js', 'cdktf-keyfactor': 'lib/cli/main.js' });
    expect(JSON.stringify(pkg)).not.toContain('provider-null');
  });
});
