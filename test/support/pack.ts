/**
 * What `npm pack` would publish from a package directory, and what it should: for the root
 * package (test/package.e2e.test.ts) and the cdktn flavour (test/flavours/).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** Files every package ships besides lib/ and the bundled dependencies: the runner and each ledger store's client, the user guides. */
export const FIXED_FILES = [
  'package.json', 'README.md', 'LICENSE', 'API.md', '.jsii', 'bundle/runner/runner.cjs',
  'bundle/runner/ledger-s3.cjs', 'bundle/runner/ledger-azure-blob.cjs', 'bundle/runner/ledger-postgres.cjs', 'docs/pipelines-and-teams.md',
];

export interface PackedFile { path: string; size: number }

export function packedFiles(dir: string): PackedFile[] {
  const res = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`npm pack --dry-run failed (${res.status}):\n${res.stderr}`);
  const [pack] = JSON.parse(res.stdout.slice(res.stdout.indexOf('[')));
  return pack.files;
}

/** Every .ts file under `srcDir`, as paths relative to it without the extension. */
export function sourceModules(srcDir: string, dir = srcDir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceModules(srcDir, full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.relative(srcDir, full).replace(/\.ts$/, '').split(path.sep).join('/')] : [];
  });
}

/**
 * The package directories (relative to `root`) of its bundled dependencies and everything they
 * depend on, resolved the way node does (nearest node_modules first, not above `root`).
 */
export function bundledClosure(root: string): Set<string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const found = new Set<string>();
  const resolve = (name: string, fromDir: string): string => {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
      if (dir === root || dir === path.dirname(dir)) throw new Error(`cannot resolve ${name} from ${fromDir}`);
    }
  };
  const visit = (dir: string) => {
    const rel = path.relative(root, dir).split(path.sep).join('/');
    if (found.has(rel)) return;
    found.add(rel);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...manifest.dependencies })) visit(resolve(dep, dir));
    for (const dep of Object.keys({ ...manifest.optionalDependencies })) {
      try { visit(resolve(dep, dir)); } catch { /* optional and not installed */ }
    }
  };
  for (const name of pkg.bundledDependencies ?? []) visit(resolve(name, root));
  return found;
}

/** Packed paths that are none of: FIXED_FILES, lib/ of a module of `srcDir`, a file of the bundled closure. */
export function unexpectedFiles(paths: string[], root: string, srcDir: string): string[] {
  const modules = new Set(sourceModules(srcDir));
  const closure = bundledClosure(root);
  return paths.filter((p) => {
    if (FIXED_FILES.includes(p)) return false;
    const lib = /^lib\/(.+?)(\.d\.ts|\.js)$/.exec(p);
    if (lib) return !modules.has(lib[1]);
    if (p.startsWith('node_modules/')) return ![...closure].some((dir) => p.startsWith(`${dir}/`));
    return true;
  });
}

/** The package directories (node_modules/a, node_modules/@s/a, node_modules/a/node_modules/b) of packed files. */
export function packedPackages(paths: string[]): string[] {
  return [...new Set(paths
    .filter((p) => p.startsWith('node_modules/'))
    .map((p) => {
      const parts = p.split('/');
      let end = 0;
      for (let i = 0; i < parts.length - 1; i++) {
        if (parts[i] !== 'node_modules') continue;
        end = parts[i + 1].startsWith('@') ? i + 3 : i + 2;
      }
      return parts.slice(0, end).join('/');
    }))].sort();
}
