/**
 * A test server in a node child process of its own: started in a fresh directory under
 * os.tmpdir(), ready once its output matches `ready`, stopped by pid (SIGTERM, then SIGKILL) and
 * safe to stop twice. It runs behind a watchdog that exits when its stdin closes, so a test process
 * that dies without stopping it (a killed jest worker) takes it along.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface ChildServer {
  /** The first match of `ready` in the server's output. */
  readonly match: RegExpExecArray;
  readonly pid: number;
  /** Its working directory (removed on stop). */
  readonly dir: string;
  stop(): Promise<void>;
}

const WATCHDOG = "process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume(); require(process.argv[1]);";

/** Runs `script` (a node file) with `args`, node flags `nodeFlags`, until `ready` appears on its stdout. */
export async function startChildServer(options: {
  readonly name: string;
  readonly script: string;
  readonly args: (dir: string) => string[];
  readonly nodeFlags?: string[];
  readonly ready: RegExp;
  readonly timeoutMs?: number;
}): Promise<ChildServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${options.name.toLowerCase()}-`));
  // process.argv stays [node, script, ...args] for the server's own parser.
  const child = spawn(process.execPath, [...options.nodeFlags ?? [], '-e', WATCHDOG, options.script, ...options.args(dir)], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(forced);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      let [out, err] = ['', ''];
      const timeoutMs = options.timeoutMs ?? 30_000;
      const timer = setTimeout(() => done(new Error(`${options.name} did not start within ${timeoutMs / 1000}s: ${out}${err}`)), timeoutMs);
      const onExit = (code: number | null) => done(new Error(`${options.name} exited (${code}) before it was ready: ${out}${err}`));
      const onOut = (d: Buffer) => {
        out += d.toString();
        const m = options.ready.exec(out);
        if (m) done(undefined, m);
      };
      const onErr = (d: Buffer) => {
        err += d.toString();
      };
      let settled = false;
      function done(error: Error | undefined, m?: RegExpExecArray) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.removeListener('exit', onExit);
        child.stdout.removeListener('data', onOut);
        child.stderr.removeListener('data', onErr);
        // Keep draining its output, so a full pipe never blocks it.
        child.stdout.resume();
        child.stderr.resume();
        if (error) reject(error);
        else resolve(m!);
      }
      child.on('exit', onExit);
      child.on('error', (e) => done(e));
      child.stdout.on('data', onOut);
      child.stderr.on('data', onErr);
    });
    return { match, pid: child.pid!, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
