/**
 * A real S3-compatible server for tests: s3rver (a devDependency), in its own node process on a
 * free loopback port, its data in a fresh directory under os.tmpdir(). It knows one access key id,
 * `S3RVER` (any secret: it does not check signatures), so refused credentials are an unknown key id.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const S3RVER_ACCESS_KEY_ID = 'S3RVER';

export interface S3Server {
  /** e.g. `http://127.0.0.1:40123`; needs path-style requests. */
  readonly endpoint: string;
  readonly port: number;
  /** Safe to call twice; leaves no process behind. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

export async function startS3Server(buckets: readonly string[]): Promise<S3Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const args = [
    // Without it, node 17+ cannot make the MD5-based continuation tokens of a truncated listing (500).
    '--openssl-legacy-provider',
    require.resolve('s3rver/bin/s3rver.js'),
    '-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent',
    ...buckets.flatMap((b) => ['--configure-bucket', b]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await listeningPort(child);
    return { endpoint: `http://127.0.0.1:${port}`, port, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The port from s3rver's `S3rver listening on 127.0.0.1:<port>` line (printed even with --silent). */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => done(new Error(`s3rver did not start within ${START_TIMEOUT_MS / 1000}s: ${out}${err}`)), START_TIMEOUT_MS);
    const onExit = (code: number | null) => done(new Error(`s3rver exited (${code}) before listening: ${out}${err}`));
    const onOut = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /S3rver listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) done(undefined, Number(m[1]));
    };
    const onErr = (chunk: Buffer) => {
      err += chunk.toString();
    };
    function done(e: Error | undefined, port?: number) {
      clearTimeout(timer);
      child.stdout!.off('data', onOut);
      child.off('exit', onExit);
      // Keep draining, so a chatty server never blocks on a full pipe.
      child.stdout!.resume();
      if (e) reject(e);
      else resolve(port!);
    }
    child.stdout!.on('data', onOut);
    child.stderr!.on('data', onErr);
    child.once('exit', onExit);
  });
}
