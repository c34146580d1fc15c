/**
 * What `npm pack` publishes: the compiled library (lib/, JavaScript and declarations of src/
 * only), the runner bundle, the jsii assembly, API.md, README.md, LICENSE and package.json,
 * plus the bundledDependencies jsii requires (and what they depend on). Nothing else: no
 * sources, tests, examples, scripts, bench, build tools or build leftovers.
 *
 * Needs a compiled tree (`npm test` compiles first).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const FIXED = ['package.json', 'README.md', 'LICENSE', 'API.md', '.jsii', 'bundle/runner.cjs'];

interface PackedFile { path: string; size: number }

function packedFiles(): PackedFile[] {
  const res = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`npm pack --dry-run failed (${res.status}):\n${res.stderr}`);
  const [pack] = JSON.parse(res.stdout.slice(res.stdout.indexOf('[')));
  return pack.files;
}

/** Every .ts file under src/, as paths relative to src/ without the extension. */
function sourceModules(dir = path.join(ROOT, 'src')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceModules(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.relative(path.join(ROOT, 'src'), full).replace(/\.ts$/, '').split(path.sep).join('/')] : [];
  });
}

/**
 * The package directories (relative to ROOT) of the bundled dependencies and everything they
 * depend on, resolved the way node does (nearest node_modules first).
 */
function bundledClosure(): Set<string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const found = new Set<string>();
  const resolve = (name: string, fromDir: string): string => {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
      if (dir === ROOT || dir === path.dirname(dir)) throw new Error(`cannot resolve ${name} from ${fromDir}`);
    }
  };
  const visit = (dir: string) => {
    const rel = path.relative(ROOT, dir).split(path.sep).join('/');
    if (found.has(rel)) return;
    found.add(rel);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...manifest.dependencies })) visit(resolve(dep, dir));
    for (const dep of Object.keys({ ...manifest.optionalDependencies })) {
      try { visit(resolve(dep, dir)); } catch { /* optional and not installed */ }
    }
  };
  for (const name of pkg.bundledDependencies ?? []) visit(resolve(name, ROOT));
  return found;
}

describe('npm pack', () => {
  let files: PackedFile[];
  let paths: string[];

  beforeAll(() => {
    files = packedFiles();
    paths = files.map((f) => f.path);
  }, 120_000);

  test('ships lib/ (JavaScript and declarations of src/ only), the runner bundle, .jsii, API.md, README, LICENSE', () => {
    const modules = new Set(sourceModules());
    const closure = bundledClosure();
    const unexpected = paths.filter((p) => {
      if (FIXED.includes(p)) return false;
      const lib = /^lib\/(.+?)(\.d\.ts|\.js)$/.exec(p);
      if (lib) return !modules.has(lib[1]);
      if (p.startsWith('node_modules/')) return ![...closure].some((dir) => p.startsWith(`${dir}/`));
      return true;
    });
    expect(unexpected).toEqual([]);

    for (const f of FIXED) expect(paths).toContain(f);
    for (const m of modules) {
      expect(paths).toContain(`lib/${m}.js`);
      expect(paths).toContain(`lib/${m}.d.ts`);
    }
  });

  test('nothing from tests, sources, examples, scripts, bench or the build leaks in', () => {
    const leaked = paths.filter((p) => !p.startsWith('node_modules/') && (
      /^(src|test|examples|scripts|bench|build-tools|projenrc|coverage|test-reports|dist|cdktf\.out|\.ci|\.projen)\//.test(p) ||
      /(\.tsbuildinfo|\.map|\.test\.[jt]s|\.snap|\.tfstate)$/.test(p) ||
      /^(tsconfig\.json|\.projenrc\.ts|cdktf\.json|\.eslintrc\.json|\.npmignore|\.gitignore)$/.test(p)
    ));
    expect(leaked).toEqual([]);
  });

  test('bundles exactly the bundledDependencies and their dependencies (jsii needs them in the package)', () => {
    const packedPackages = new Set(paths
      .filter((p) => p.startsWith('node_modules/'))
      .map((p) => {
        // node_modules/a/..., node_modules/@s/a/..., node_modules/a/node_modules/b/...
        const parts = p.split('/');
        let end = 0;
        for (let i = 0; i < parts.length - 1; i++) {
          if (parts[i] !== 'node_modules') continue;
          end = parts[i + 1].startsWith('@') ? i + 3 : i + 2;
        }
        return parts.slice(0, end).join('/');
      }));
    expect([...packedPackages].sort()).toEqual([...bundledClosure()].sort());
  });

  test('the runner bundle stays trimmed (build-tools/bundle-runner.mjs)', () => {
    // 314 KB with axios's form-data/mime-db and fetch adapter, ~128 KB without them.
    const runner = files.find((f) => f.path === 'bundle/runner.cjs')!;
    expect(runner.size).toBeLessThan(200 * 1024);
    const text = fs.readFileSync(path.join(ROOT, 'bundle', 'runner.cjs'), 'utf8');
    expect(text).not.toContain('application/vnd.'); // mime-db
  });
});
