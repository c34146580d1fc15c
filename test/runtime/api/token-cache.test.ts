import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SPEC_ENV } from '../../../src/contract/environment';
import { canonicalJson } from '../../../src/contract/spec';
import { TokenCache } from '../../../src/runtime/api/token-cache';
import { KeyfactorSimulator } from '../../../src/simulator';
import { RUNNER_BUNDLE } from '../../../src/synth/provisioner';
import { CANARY, deploymentSpec, SEED, tempDir } from '../../support/runtime';

/**
 * OAuth tokens shared by the runner processes of an apply: real runner processes started at
 * once, as Terraform starts them, against the simulator's token endpoint, which counts requests.
 */
const TOKEN = '/oauth2/token';

/** A runner's environment: client credentials against `sim`, a ledger of its own. */
function runnerEnv(sim: KeyfactorSimulator, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    KEYFACTOR_HOSTNAME: sim.url,
    KEYFACTOR_AUTH_CLIENT_ID: 'terraform',
    KEYFACTOR_AUTH_CLIENT_SECRET: CANARY.clientSecret,
    KEYFACTOR_AUTH_TOKEN_URL: sim.tokenUrl,
    CDKTF_KEYFACTOR_LEDGER_DIR: tempDir('kf-token-ledger-'),
    ...extra,
  };
}

/** `n` runner processes at once, each deploying to its own alias; their exit codes and output. */
async function runners(sim: KeyfactorSimulator, n: number, extra: Record<string, string>): Promise<Array<{ code: number | null; out: string }>> {
  const env = runnerEnv(sim, extra);
  return Promise.all(Array.from({ length: n }, (_, i) => new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [RUNNER_BUNDLE, 'create'], { env: { ...env, [SPEC_ENV]: canonicalJson(deploymentSpec(`shared-${i}`, { key: `k${i}` })) } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  })));
}

describe('OAuth token cache', () => {
  let sim: KeyfactorSimulator;
  afterEach(async () => sim?.stop());

  test('10 runner processes started at once ask for one token; the cache is owner-only and holds no secret', async () => {
    sim = await KeyfactorSimulator.start({ seed: SEED, jobTiming: { waitingMs: 10, inProcessMs: 10 } });
    const dir = path.join(tempDir('kf-token-'), 'cache');
    const results = await runners(sim, 10, { CDKTF_KEYFACTOR_TOKEN_CACHE: dir });
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    expect(sim.received('POST', TOKEN)).toHaveLength(1);
    expect(sim.received('POST', '/CertificateStores/Certificates/Add')).toHaveLength(10);

    expect(fs.statSync(dir).mode % 0o1000).toBe(0o700);
    const files = fs.readdirSync(dir);
    expect(files).toEqual([expect.stringMatching(/^[0-9a-f]{32}\.token\.json$/)]);
    const file = path.join(dir, files[0]);
    expect(fs.statSync(file).mode % 0o1000).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(CANARY.clientSecret);
    expect(text).not.toContain('terraform');
    // The token itself is in no process's output.
    const token = JSON.parse(text).value as string;
    for (const r of results) expect(r.out).not.toContain(token);

    // The next apply within the token's lifetime asks for none.
    await runners(sim, 3, { CDKTF_KEYFACTOR_TOKEN_CACHE: dir });
    expect(sim.received('POST', TOKEN)).toHaveLength(1);
  });

  test('a runner stopped while its token request is unanswered leaves no lock behind; a lock whose holder died is taken over at once', async () => {
    sim = await KeyfactorSimulator.start({ seed: SEED, jobTiming: { waitingMs: 10, inProcessMs: 10 } });
    const dir = path.join(tempDir('kf-token-'), 'cache');
    sim.injectFaults({ route: { method: 'POST', pathSuffix: TOKEN }, kind: 'holdAfterProcessing', count: 1 });
    const stopped = spawn(process.execPath, [RUNNER_BUNDLE, 'create'], {
      env: runnerEnv(sim, { CDKTF_KEYFACTOR_TOKEN_CACHE: dir, [SPEC_ENV]: canonicalJson(deploymentSpec('stopped', { key: 'stopped' })) }),
    });
    const exited = new Promise<number | null>((resolve) => stopped.on('close', resolve));
    const locks = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.lock')) : []);
    // The event itself: the runner holds the lock, its token request is held by the server, the pipeline is cancelled.
    const holding = () => locks().length > 0 && sim.requests.some((r) => r.path === TOKEN && r.held);
    for (let i = 0; i < 500 && !holding(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(holding()).toBe(true);
    const [lock] = locks();
    expect(fs.readFileSync(path.join(dir, lock), 'utf8')).toBe(String(stopped.pid));
    stopped.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(locks()).toEqual([]);

    // A holder that died without any exit hook (SIGKILL): its lock names a PID that no longer runs.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('close', resolve));
    fs.writeFileSync(path.join(dir, lock), String(dead.pid), { mode: 0o600 });
    const [next] = await runners(sim, 1, { CDKTF_KEYFACTOR_TOKEN_CACHE: dir });
    expect(next.code).toBe(0);
    expect(sim.received('POST', TOKEN)).toHaveLength(2);
    // It took the lock and stored its token (a runner that waited the lock out fetches a token it does not store).
    expect(locks()).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([lock.replace(/\.lock$/, '')]);
  });

  test('an expired token is replaced; turned off, every process asks for its own', async () => {
    sim = await KeyfactorSimulator.start({ seed: SEED, jobTiming: { waitingMs: 10, inProcessMs: 10 }, tokenLifetimeSeconds: 1 });
    const dir = path.join(tempDir('kf-token-'), 'cache');
    await runners(sim, 2, { CDKTF_KEYFACTOR_TOKEN_CACHE: dir });
    expect(sim.received('POST', TOKEN)).toHaveLength(1);
    const first = fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]), 'utf8');
    await new Promise((r) => setTimeout(r, 1100));
    await runners(sim, 2, { CDKTF_KEYFACTOR_TOKEN_CACHE: dir });
    expect(sim.received('POST', TOKEN)).toHaveLength(2);
    expect(fs.readdirSync(dir)).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]), 'utf8')).not.toBe(first);

    const results = await runners(sim, 3, { CDKTF_KEYFACTOR_TOKEN_CACHE: 'off' });
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(sim.received('POST', TOKEN)).toHaveLength(5);
  });

  test('a cache directory other users can enter is not used, and each process says so', async () => {
    sim = await KeyfactorSimulator.start({ seed: SEED, jobTiming: { waitingMs: 10, inProcessMs: 10 } });
    const dir = tempDir('kf-token-open-');
    fs.chmodSync(dir, 0o755);
    const results = await runners(sim, 2, { CDKTF_KEYFACTOR_TOKEN_CACHE: dir });
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(sim.received('POST', TOKEN)).toHaveLength(2);
    expect(fs.readdirSync(dir)).toEqual([]);
    for (const r of results) expect(r.out).toContain(`WARNING: OAuth token cache not used (${dir} is open to other users (mode 755; it must be 700))`);
  });

  test('an entry is used only by a process that knows the client secret it was fetched with', () => {
    const dir = path.join(tempDir('kf-token-'), 'cache');
    const cache = TokenCache.open(dir).cache!;
    const id = { tokenUrl: 'https://idp.example.test/token', clientId: 'c', scopes: ['b', 'a'], clientSecret: 'right' };
    cache.write(id, { value: 'tok', renewAt: Date.now() + 60_000 });
    expect(cache.read({ ...id, scopes: ['a', 'b'] })).toEqual({ value: 'tok', renewAt: expect.any(Number) });
    expect(cache.read({ ...id, clientSecret: 'wrong' })).toBeUndefined();
    // A damaged entry is removed, not trusted.
    fs.writeFileSync(cache.fileOf(id), '{"value": "to');
    expect(cache.read(id)).toBeUndefined();
    expect(fs.existsSync(cache.fileOf(id))).toBe(false);
  });
});
