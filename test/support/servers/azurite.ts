/**
 * A real Azurite blob service for the Azure Blob ledger store's tests: a child process on a free
 * loopback port, in memory, in its own temporary directory (it writes files into its working
 * directory). Stopped by pid, also when the test process exits without stopping it.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Azurite's well-known development account and key. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  readonly port: number;
  /** The account's blob endpoint, e.g. `http://127.0.0.1:41234/devstoreaccount1`. */
  readonly endpoint: string;
  readonly account: string;
  readonly key: string;
  /** An account-key connection string naming the endpoint. */
  readonly connectionString: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

const WATCHDOG = "process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume(); require(process.argv[1]);";

export async function startAzurite(): Promise<Azurite> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
  const main = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
  // --disableTelemetry: no calls to Application Insights; --skipApiVersionCheck: the SDK sends a newer
  // x-ms-version than Azurite 3.35 knows. (--location cannot go with --inMemoryPersistence: the cwd does.)
  // Run through a watchdog that exits when its stdin closes: should this process die without stopping
  // it (a killed jest worker), Azurite goes too. process.argv stays [node, main.js, ...flags] for its parser.
  const child = spawn(process.execPath, [
    '-e', WATCHDOG, main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--silent', '--disableTelemetry', '--skipApiVersionCheck',
  ], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const forced = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(forced);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const url = await listening(child);
    const endpoint = `${url.replace(/\/+$/, '')}/${AZURITE_ACCOUNT}`;
    return {
      port: Number(new URL(url).port),
      endpoint,
      account: AZURITE_ACCOUNT,
      key: AZURITE_KEY,
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
      pid: child.pid!,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The URL Azurite prints once it listens. */
function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let settled = false;
    const timer = setTimeout(() => done(new Error(`Azurite did not start within ${START_TIMEOUT_MS / 1000}s: ${out}${err}`)), START_TIMEOUT_MS);
    const onExit = (code: number | null) => done(new Error(`Azurite exited (${code}) before listening: ${out}${err}`));
    const onOut = (d: Buffer) => {
      out += d.toString();
      const m = /Azurite Blob service successfully listens on (http:\/\/\S+)/.exec(out);
      if (m) done(undefined, m[1]);
    };
    const onErr = (d: Buffer) => {
      err += d.toString();
    };
    function done(error: Error | undefined, url?: string) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      child.stdout!.removeListener('data', onOut);
      child.stderr!.removeListener('data', onErr);
      // Keep draining its output, so a full pipe never blocks it.
      child.stdout!.resume();
      child.stderr!.resume();
      if (error) reject(error);
      else resolve(url!);
    }
    child.on('exit', onExit);
    child.on('error', (e) => done(e));
    child.stdout!.on('data', onOut);
    child.stderr!.on('data', onErr);
  });
}
