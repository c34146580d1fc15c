import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Ledger } from '../../src';
import { canonicalJson, SPEC_VERSION } from '../../src/contract/spec';
import { CertificateDeploymentSpec } from '../../src/operations/certificate-deployment/spec';
import { DEFAULT_SEED, KeyfactorSimulator } from '../../src/simulator';
import { RUNNER_BUNDLE } from '../../src/synth/provisioner';
import { ledgerFiles } from '../support/runtime';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kf-ledger-'));

function spec(i: number, store = DEFAULT_SEED.stores[0].Id): CertificateDeploymentSpec {
  return {
    v: SPEC_VERSION,
    operation: 'CertificateDeployment',
    stack: 'ledger',
    path: `ledger/d${i}`,
    key: store,
    certificateId: 1,
    store: { certificateStoreId: store, alias: `a${i}` },
    schedule: { Immediate: true },
    removeOnDestroy: true,
  };
}

/** Runs the bundled runner as Terraform would, in its own process. */
function runRunner(env: Record<string, string>, phase = 'create'): { done: Promise<{ code: number | null; out: string }>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [RUNNER_BUNDLE, phase], { env: { PATH: process.env.PATH!, ...env } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return {
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, out }))),
    kill: (s) => child.kill(s),
  };
}

describe('ledger', () => {
  let sim: KeyfactorSimulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await KeyfactorSimulator.start({ jobTiming: { waitingMs: 10, inProcessMs: 10 } });
    const u = DEFAULT_SEED.users[0];
    env = { KEYFACTOR_HOSTNAME: sim.url, KEYFACTOR_USERNAME: u.username, KEYFACTOR_PASSWORD: u.password, KEYFACTOR_DOMAIN: u.domain ?? '' };
  });
  afterAll(() => sim.stop());

  test('40 runners writing at once lose and corrupt nothing', async () => {
    const dir = tmp();
    const runs = Array.from({ length: 40 }, (_, i) =>
      runRunner({ ...env, CDKTF_KEYFACTOR_LEDGER_DIR: dir, CDKTF_KEYFACTOR_SPEC: canonicalJson(spec(i)) }).done);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.code)).toEqual(Array(40).fill(0));
    const records = Ledger.read(dir);
    expect(records).toHaveLength(40);
    expect(new Set(records.map((r) => r.constructPath)).size).toBe(40);
    expect(records.every((r) => r.outcome === 'succeeded' && r.jobIds.length === 1)).toBe(true);
    expect(ledgerFiles(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(ledgerFiles(dir).filter((f) => f.endsWith('.record.json')).length).toBeGreaterThan(0);
  });

  test('a damaged record is skipped with a warning naming the file; foreign files are ignored', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not ours');
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(Ledger.read(dir)).toEqual([]);
      expect(err).not.toHaveBeenCalled();
      fs.writeFileSync(path.join(dir, 'x.record.json'), '{"recordId": "x", trunc');
      expect(Ledger.read(dir)).toEqual([]);
      fs.writeFileSync(path.join(dir, 'y.record.json'), '{"hello": "world"}');
      expect(Ledger.read(dir)).toEqual([]);
      const warnings = err.mock.calls.map((c) => String(c[0])).join('');
      expect(warnings).toMatch(/WARNING: skipped ledger record .*x\.record\.json: it is not valid JSON .*move it aside/);
      expect(warnings).toMatch(/WARNING: skipped ledger record .*y\.record\.json: it is not a cdktf-keyfactor record/);
    } finally {
      err.mockRestore();
    }
  });

  test('a ledger location that is a file fails the runner with a clear message, not a crash', async () => {
    const file = path.join(tmp(), 'ledger-file');
    fs.writeFileSync(file, '');
    const { code, out } = await runRunner({ ...env, CDKTF_KEYFACTOR_LEDGER_DIR: file, CDKTF_KEYFACTOR_SPEC: canonicalJson(spec(1)) }).done;
    expect(code).toBe(1);
    expect(out).toMatch(/cannot create the ledger directory .*ledger-file \((EEXIST|ENOTDIR)\): point CDKTF_KEYFACTOR_LEDGER \(or KeyfactorDefaults' ledger\)/);
    expect(out).not.toMatch(/\n\s+at /); // no stack trace
    expect(() => Ledger.read(file)).toThrow(/is not a directory/);
  });

  test('an interrupted apply leaves an in-flight record saying so', async () => {
    const dir = tmp();
    sim.injectFaults({ kind: 'latency', latencyMs: 10_000, route: { method: 'POST', pathSuffix: '/CertificateStores/Certificates/Add' } });
    try {
      const ADD = '/CertificateStores/Certificates/Add';
      const sent = () => sim.received('POST', ADD).filter((r) => (r.body as any).CertificateStores[0].Alias === 'a77'); // an alias no other test sends
      const run = runRunner({ ...env, CDKTF_KEYFACTOR_LEDGER_DIR: dir, CDKTF_KEYFACTOR_SPEC: canonicalJson(spec(77)) });
      for (let i = 0; i < 200 && sent().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      // Command has the request and holds its answer; the record was written before it was sent.
      expect(sent()).toHaveLength(1);
      const before = Ledger.read(dir);
      expect(before).toHaveLength(1);
      expect(before[0]).toMatchObject({ outcome: 'in-flight', constructPath: 'ledger/d77' });
      expect(before[0].message).toBeUndefined();
      run.kill('SIGTERM');
      const { code, out } = await run.done;
      expect(code).toBe(143);
      expect(out).toMatch(/stopped \(interrupted by SIGTERM\); ledger record .* marks the operation as in flight/);
      const [record] = Ledger.read(dir);
      expect(record).toMatchObject({ outcome: 'in-flight', constructPath: 'ledger/d77' });
      expect(record.message).toMatch(/stopped \(interrupted by SIGTERM\) while in flight: the request may or may not have reached Keyfactor Command/);
    } finally {
      sim.clearFaults();
    }
  });

  test('a runner whose parent dies (terraform killed) stops instead of finishing behind its back', async () => {
    const dir = tmp();
    const ADD = '/CertificateStores/Certificates/Add';
    sim.injectFaults({ kind: 'latency', latencyMs: 4_000, route: { method: 'POST', pathSuffix: ADD } });
    try {
      const sent = () => sim.received('POST', ADD).filter((r) => (r.body as any).CertificateStores[0].Alias === 'a78');
      // The shell stands in for terraform: it starts the runner and is killed while the answer is held.
      const shell = spawn('/bin/sh', ['-c', `"${process.execPath}" "${RUNNER_BUNDLE}" create & echo $!; wait`], {
        env: { PATH: process.env.PATH!, ...env, CDKTF_KEYFACTOR_LEDGER_DIR: dir, CDKTF_KEYFACTOR_SPEC: canonicalJson(spec(78)) },
      });
      const runnerPid = await new Promise<number>((resolve) => shell.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
      for (let i = 0; i < 200 && sent().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(sent()).toHaveLength(1);
      shell.kill('SIGKILL');
      const alive = () => {
        try {
          process.kill(runnerPid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(alive()).toBe(false);
      // Stopped long before the held answer (4 s) came: the record says in flight, never succeeded.
      const [record] = Ledger.read(dir);
      expect(record).toMatchObject({ outcome: 'in-flight', constructPath: 'ledger/d78' });
      expect(record.message).toMatch(/^stopped \(its parent process, terraform, has gone\) while in flight/);
    } finally {
      sim.clearFaults();
    }
  });
});
