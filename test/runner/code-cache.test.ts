import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RUNNER_BUNDLE } from '../../src/synth/provisioner';
import { tempDir } from '../support/runtime';

/**
 * The runner keeps V8's compiled code beside itself (build-tools/bundle-runner.mjs), as Terraform
 * runs it from the stack's asset directory: a cache that is wrong in any way is never used, and
 * a failure to keep one never fails the run.
 */
const CACHE = `.${process.version}-${process.arch}.v8cache`;
const SPEC = JSON.stringify({ v: 1, operation: 'CertificateDeployment', stack: 's', path: 's/web', key: '11111111-1111-4111-8111-000000000001' });

/** A copy of the runner in a directory of its own, as the stack's asset. */
function runnerCopy(): { runner: string; cache: string } {
  const dir = tempDir('kf-code-cache-');
  const runner = path.join(dir, 'runner.cjs');
  fs.copyFileSync(RUNNER_BUNDLE, runner);
  return { runner, cache: runner + CACHE };
}

/** `runner.cjs report` (no network), its exit code and output. */
function report(runner: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const res = spawnSync(process.execPath, [runner, 'report'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH!, CDKTF_KEYFACTOR_SPEC: SPEC, KEYFACTOR_HOSTNAME: 'https://kf.example.test', CDKTF_KEYFACTOR_LEDGER_DIR: tempDir('kf-cc-ledger-'), ...env },
  });
  return { status: res.status, out: res.stdout + res.stderr };
}

const ok = (r: { status: number | null; out: string }) => {
  expect(r.out).toContain('cdktf-keyfactor: CertificateDeployment s/web');
  expect(r.status).toBe(0);
};

describe('the runner\'s code cache', () => {
  test('is written beside the runner after its first run, owner-only, and then used as it is', () => {
    const { runner, cache } = runnerCopy();
    ok(report(runner));
    const first = fs.statSync(cache);
    expect(first.size).toBeGreaterThan(10_000);
    expect((first.mode % 0o1000).toString(8)).toMatch(/^[67][04][04]$/); // no write for group or others
    const bytes = fs.readFileSync(cache);
    ok(report(runner));
    // Accepted by V8, so not written again.
    expect(fs.readFileSync(cache).equals(bytes)).toBe(true);
    expect(fs.statSync(cache).mtimeMs).toBe(first.mtimeMs);
    expect(fs.readdirSync(path.dirname(runner)).sort()).toEqual(['runner.cjs', path.basename(cache)]);
  });

  test('a corrupt cache fails its checksum (V8 would accept it and crash): the run succeeds and the cache is written afresh', () => {
    const { runner, cache } = runnerCopy();
    ok(report(runner));
    const good = fs.readFileSync(cache);
    const bad = Buffer.from(good);
    bad.fill(0x5a, 64, 4096); // inside the code, past the header V8 checks first
    fs.writeFileSync(cache, bad, { mode: 0o644 });
    ok(report(runner));
    const after = fs.readFileSync(cache);
    expect(after.equals(bad)).toBe(false);
    expect(after.length).toBeGreaterThan(10_000);
    // A truncated one too.
    fs.writeFileSync(cache, good.subarray(0, 100), { mode: 0o644 });
    ok(report(runner));
    expect(fs.statSync(cache).size).toBeGreaterThan(10_000);
  });

  test('a cache others may write is never read, only replaced by one of the user\'s own', () => {
    const { runner, cache } = runnerCopy();
    ok(report(runner));
    // A valid cache: only its mode is wrong. Were it read, it would be accepted and kept as it is.
    fs.chmodSync(cache, 0o666);
    ok(report(runner));
    expect((fs.statSync(cache).mode % 0o1000).toString(8)).toBe('644');
  });

  test('a cache of another build of the same length is not used', () => {
    const { runner, cache } = runnerCopy();
    ok(report(runner));
    const before = fs.readFileSync(cache);
    // Another source hash, same length: V8 itself would take the cache (it compares lengths only).
    const text = fs.readFileSync(runner, 'utf8');
    const other = text.replace(/const SOURCE_SHA256 = "([0-9a-f]{64})";/, (_m, h: string) => `const SOURCE_SHA256 = "${h.replace(/^./, h[0] === 'a' ? 'b' : 'a')}";`);
    expect(other).not.toBe(text);
    fs.writeFileSync(runner, other);
    ok(report(runner));
    expect(fs.readFileSync(cache).subarray(0, 32).equals(before.subarray(0, 32))).toBe(false);
  });

  test('an unknown CDKTF_KEYFACTOR_CODE_CACHE value stops the runner, naming the variable', () => {
    const { runner } = runnerCopy();
    const r = report(runner, { CDKTF_KEYFACTOR_CODE_CACHE: 'no' });
    expect(r.status).toBe(1);
    expect(r.out).toBe('cdktf-keyfactor: CDKTF_KEYFACTOR_CODE_CACHE must be "off" or unset, got "no"\n');
    ok(report(runner, { CDKTF_KEYFACTOR_CODE_CACHE: ' OFF ' }));
  });

  test('a directory that cannot be written: the run succeeds and leaves nothing behind', () => {
    if (process.getuid?.() === 0) {
      // root writes into a read-only directory anyway: here a directory stands where the cache would go.
      const { runner, cache } = runnerCopy();
      const dir = path.dirname(runner);
      fs.mkdirSync(cache); // the rename fails: a directory is in the way
      ok(report(runner));
      expect(fs.statSync(cache).isDirectory()).toBe(true);
      expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      return;
    }
    const { runner, cache } = runnerCopy();
    fs.chmodSync(path.dirname(runner), 0o555);
    try {
      ok(report(runner));
      expect(fs.existsSync(cache)).toBe(false);
    } finally {
      fs.chmodSync(path.dirname(runner), 0o755);
    }
  });

  test('CDKTF_KEYFACTOR_CODE_CACHE=off neither reads nor writes one', () => {
    const { runner, cache } = runnerCopy();
    ok(report(runner, { CDKTF_KEYFACTOR_CODE_CACHE: 'off' }));
    expect(fs.existsSync(cache)).toBe(false);
  });
});
