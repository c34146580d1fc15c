import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SPEC_VERSION } from '../../src/contract/spec';
import type { CertificateDeploymentSpec } from '../../src/operations/certificate-deployment/spec';
import { run } from '../../src/runner/main';
import { KeyfactorClient } from '../../src/runtime/api/client';
import { RunContext } from '../../src/runtime/context';
import { SecretResolver } from '../../src/runtime/secrets';
import { connectionSettings, readSettings } from '../../src/runtime/settings';
import { DEFAULT_SEED, FaultKind, FaultRule, KeyfactorSimulator, SimulatorOptions, SimulatorSeed } from '../../src/simulator';

/** Secret values that must never appear in any output or error message. */
export const CANARY = {
  password: 'canary-password-4e1f9a',
  clientSecret: 'canary-client-secret-7b2c0d',
  accessToken: 'canary-access-token-93ad51',
  pamValue: 'canary-pam-value-1c8e77',
  storePassword: 'canary-store-password-5f0b32',
} as const;

export const S1 = '11111111-1111-4111-8111-000000000001';
export const S2 = '11111111-1111-4111-8111-000000000002';
export const A1 = '22222222-2222-4222-8222-000000000001';
/** The default seed's store whose GUID has letters, for tests of letter case. */
export const MIXED = DEFAULT_SEED.stores.find((s) => /[a-f]/.test(s.Id.replace(/-/g, '').slice(0, 8)))!.Id;

/** The spec a CertificateDeployment `t/web` renders for store S1 (certificate 3, immediate) with `alias`. */
export function deploymentSpec(alias: string, more: Partial<CertificateDeploymentSpec> = {}): CertificateDeploymentSpec {
  return {
    v: SPEC_VERSION,
    operation: 'CertificateDeployment',
    stack: 't',
    path: 't/web',
    key: S1,
    certificateId: 3,
    store: { certificateStoreId: S1, alias },
    schedule: { Immediate: true },
    removeOnDestroy: true,
    ...more,
  };
}

export const SEED: SimulatorSeed = {
  ...DEFAULT_SEED,
  users: [{ domain: 'KEYFACTOR', username: 'admin', password: CANARY.password }],
  tokens: [CANARY.accessToken],
  oauthClients: [{ clientId: 'terraform', clientSecret: CANARY.clientSecret }],
};

export function startSim(options: SimulatorOptions = {}): Promise<KeyfactorSimulator> {
  return KeyfactorSimulator.start({ seed: SEED, jobTiming: { waitingMs: 10, inProcessMs: 10 }, ...options });
}

/** Basic auth to `sim`, quick retries and lookups. */
export function basicEnv(sim: KeyfactorSimulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KEYFACTOR_HOSTNAME: sim.url,
    KEYFACTOR_USERNAME: 'admin',
    KEYFACTOR_PASSWORD: CANARY.password,
    KEYFACTOR_DOMAIN: 'KEYFACTOR',
    CDKTF_KEYFACTOR_RETRY_MAX_SECONDS: '10',
    CDKTF_KEYFACTOR_JOB_LOOKUP_SECONDS: '1',
    CDKTF_KEYFACTOR_JOB_LOOKUP_INTERVAL_SECONDS: '0.1',
    ...extra,
  };
}

/** A client whose retry lines and warnings are collected exactly as the client wrote them (unredacted). */
export function clientFor(env: Record<string, string>): { client: KeyfactorClient; logs: string[]; warnings: string[] } {
  const secrets = new SecretResolver(env);
  const logs: string[] = [];
  const warnings: string[] = [];
  const client = new KeyfactorClient(connectionSettings(env, secrets), secrets, {
    log: (l) => logs.push(l),
    warn: (l) => warnings.push(l),
  });
  return { client, logs, warnings };
}

/** A RunContext as the runner builds it, with its own ledger directory. */
export function contextFor(env: Record<string, string>, ledgerDir = tempDir('kf-ledger-')): RunContext {
  return new RunContext(readSettings({ ...env, CDKTF_KEYFACTOR_LEDGER_DIR: ledgerDir }), 'test');
}

/** Every file in a ledger directory: records sit in subdirectories named for their identity key. */
export function ledgerFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.lstatSync(f).isFile()).sort();
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Collects everything written to stdout and stderr until restored. */
export function captureOutput(): { text: () => string; restore: () => void } {
  let text = '';
  const grab = (chunk: unknown) => {
    text += String(chunk);
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(grab as never);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(grab as never);
  return { text: () => text, restore: () => { out.mockRestore(); err.mockRestore(); } };
}

/** Runs the runner in this process (so its code is the code under test), capturing what it prints. */
export async function runInProcess(env: Record<string, string>, phase = 'create'): Promise<{ code: number; output: string }> {
  const out = captureOutput();
  try {
    const code = await run([phase], env);
    return { code, output: out.text() };
  } finally {
    out.restore();
  }
}

/** The error `p` rejects with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

/** The canaries, and the Basic headers built from them. */
const FORBIDDEN = [
  ...Object.values(CANARY),
  Buffer.from(`KEYFACTOR\\admin:${CANARY.password}`).toString('base64'),
  Buffer.from(`terraform:${CANARY.clientSecret}`).toString('base64'),
];

export function expectNoCanary(...texts: string[]): void {
  for (const text of texts) for (const secret of FORBIDDEN) expect(text).not.toContain(secret);
}

/**
 * For tests of an operation's apply half, in a describe block: a simulator (reset before each
 * test), what the runner prints captured per test, and, after all tests, a check that no canary
 * was printed or thrown.
 */
export function applyHalfHarness(): {
  readonly sim: () => KeyfactorSimulator;
  /** What the runner printed in the current test. */
  readonly output: () => string;
  /** Makes the next POST to `pathSuffix` hit `kind`. */
  readonly fault: (pathSuffix: string, kind: FaultKind, extra?: Partial<FaultRule>) => void;
  /** Awaits `p`, keeping its error message for the canary check. */
  readonly run: <T>(p: Promise<T>) => Promise<T>;
} {
  let sim: KeyfactorSimulator;
  let out: ReturnType<typeof captureOutput>;
  const seen: string[] = [];
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => {
    expectNoCanary(...seen);
    await sim.stop();
  });
  beforeEach(() => {
    sim.reset();
    out = captureOutput();
  });
  afterEach(() => {
    out.restore();
    seen.push(out.text());
  });
  return {
    sim: () => sim,
    output: () => out.text(),
    fault: (pathSuffix, kind, extra = {}) => sim.injectFaults({ route: { method: 'POST', pathSuffix }, kind, count: 1, ...extra }),
    run: async (p) => {
      try {
        return await p;
      } catch (e) {
        seen.push((e as Error).message);
        throw e;
      }
    },
  };
}

/** The secrets examples/ reads at apply, with values marked by `tag` (so a leak names its test). */
export function exampleSecrets(tag: string): Record<string, string> {
  return {
    API_KEYSTORE_ENTRY_PASSWORD: `${tag}-keystore-entry-password`,
    APP_01_KEYSTORE_PASSWORD: `${tag}-app-keystore-password`,
    WEB_01_STORE_PASSWORD: `${tag}-web-store-password`,
    PFX_REPLACEMENT_PASSWORD: `${tag}-pfx-password`,
  };
}
